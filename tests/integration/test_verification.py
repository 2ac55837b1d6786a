"""Organisations are verified by the platform's administrators: only verified ones count in the public figures
(issue 13's attack: a self-registered "government entity" rewrote the 3%-norm dashboards and stood on the
charter's list of signatories)."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Organisation
from matchmaker.services import ServiceError
from matchmaker.services import admin as admin_service
from matchmaker.services import charter as charter_service
from matchmaker.services import organisations as organisations_service
from matchmaker.services import tracker as tracker_service
from tests.factories import K, M, add_year
from tests.integration.test_auth import page


@pytest.fixture
def admin(make_user):
    return make_user(roles=("admin",), display_name="Ilse Admin", language="en")


@pytest.fixture
def newcomer(make_user):
    """A buyer who registered a government organisation of their own, as anyone can."""
    user = make_user(roles=("buyer",), display_name="Nick New", language="en")
    organisation = organisations_service.create_organisation(
        user,
        organisations_service.OrganisationDetails(
            name="Agentschap Verzonnen",
            kind="government",
            enterprise_number="0718453660",
            policy_domain="mow",
        ),
    )
    return user, organisation


def _public_pages(client, organisation_id: int) -> dict[str, str]:
    return {
        path: page(client.get(path, headers={"Accept-Language": "en"}))
        for path in ("/tracker/", "/tracker/domains/mow", "/tracker/export.csv", "/charter/", "/")
    }


def test_a_self_registered_organisation_waits_for_verification_and_changes_no_public_figure(
    client, auth, make_organisation, newcomer
):
    agency = make_organisation(kind="government", name="Agentschap Echt", policy_domain="mow")
    add_year(agency, 2025, 10 * M, 300 * K)  # 3.00%
    user, fake = newcomer
    assert fake.verification == "unverified"
    before = _public_pages(client, fake.id)

    # The attack: a year with a small budget and an absurd project, a signature of the charter.
    add_year(fake, 2025, 1 * M, 900 * M)
    charter_service.sign_charter(
        user, fake, charter_service.SignatureInput("Nick New", "Director", pledge_three_percent=True)
    )
    assert _public_pages(client, fake.id) == before
    assert client.get(f"/tracker/organisations/{fake.id}").status_code == 404
    assert not tracker_service.can_edit(user, fake)
    # Its own administrator is told why it cannot enter figures yet.
    auth.login(user)
    assert "once the platform's administrators have verified it" in client.get("/tracker/").text


def test_verifying_brings_the_figures_in_and_suspending_takes_them_out(client, admin, newcomer):
    user, organisation = newcomer
    add_year(organisation, 2025, 10 * M, 500 * K)  # 5.00%
    charter_service.sign_charter(
        user, organisation, charter_service.SignatureInput("Nick New", "Director", pledge_three_percent=True)
    )
    admin_service.set_verification(admin, organisation, "verified", "Checked against the KBO.")
    assert "5.00%" in client.get("/tracker/", headers={"Accept-Language": "en"}).text
    assert "Agentschap Verzonnen" in client.get("/charter/").text
    assert tracker_service.can_edit(user, organisation)

    admin_service.set_verification(admin, organisation, "suspended", "Not a government entity.")
    assert "5.00%" not in client.get("/tracker/", headers={"Accept-Language": "en"}).text
    assert "Agentschap Verzonnen" not in client.get("/charter/").text
    db.session.expire_all()
    kept = db.session.get(Organisation, organisation.id)
    assert (kept.verification, kept.verified_by_id, kept.verification_reason) == (
        "suspended",
        admin.id,
        "Not a government entity.",
    )
    assert kept.verified_at is not None


def test_only_platform_administrators_decide_and_a_suspension_says_why(admin, newcomer, make_user):
    user, organisation = newcomer
    with pytest.raises(ServiceError):
        admin_service.set_verification(user, organisation, "verified")
    with pytest.raises(ServiceError, match="Say why"):
        admin_service.set_verification(admin, organisation, "suspended", "  ")
    with pytest.raises(ServiceError):
        admin_service.set_verification(admin, organisation, "approved-by-me")
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).verification == "unverified"


def test_the_administrators_queue_and_decision_page(client, auth, admin, newcomer):
    _user, organisation = newcomer
    auth.login(admin)
    assert "waiting for verification" in client.get("/admin/").text
    queue = client.get("/admin/organisations?verification=unverified").text
    assert "Agentschap Verzonnen" in queue and "Waiting for verification" in queue
    page = client.get(f"/admin/organisations/{organisation.id}/verification")
    assert page.status_code == 200 and "0718.453.660" in page.text

    refused = client.post(f"/admin/organisations/{organisation.id}/verification", data={"state": "suspended"})
    assert refused.status_code == 422 and "Say why the organisation is suspended." in refused.text
    done = client.post(
        f"/admin/organisations/{organisation.id}/verification",
        data={"state": "verified", "reason": "Matches the KBO."},
    )
    assert done.status_code == 302
    after = client.get("/admin/organisations?verification=unverified").text
    assert "Agentschap Verzonnen: Verified." in after  # the flash message; the row is gone
    assert f"/admin/organisations/{organisation.id}/verification" not in after
    db.session.expire_all()
    assert db.session.scalar(
        sa.select(Organisation.verification).where(Organisation.id == organisation.id)
    ) == "verified"


def test_an_unverified_organisation_keeps_its_needs_in_draft(client, auth, admin, newcomer, make_need):
    from matchmaker.models import Need
    from matchmaker.services import catalogue as catalogue_service
    from tests.factories import Party

    user, organisation = newcomer
    need = make_need(Party(user, organisation), status="draft")
    with pytest.raises(ServiceError, match="once the platform's administrators have verified it"):
        catalogue_service.open_need(user, need)
    auth.login(user)
    client.post(f"/catalogue/needs/{need.id}/open")
    db.session.expire_all()
    assert db.session.get(Need, need.id).status == "draft"

    admin_service.set_verification(admin, organisation, "verified")
    catalogue_service.open_need(user, db.session.get(Need, need.id))
    assert db.session.get(Need, need.id).status == "open"


def test_an_import_does_not_open_needs_of_an_unverified_organisation(client, auth, newcomer):
    import io

    from matchmaker.models import Need

    _user, organisation = newcomer
    auth.login_as("organizer")
    csv_text = (
        "organisation,title,summary,challenge,status\n"
        f"{organisation.name},Open zonder verificatie,S,C,open\n"
        f"{organisation.name},Ontwerp mag wel,S,C,draft\n"  # a draft would be accepted
    )
    upload = client.post(
        "/catalogue/exchange/import",
        data={"kind": "needs", "file": (io.BytesIO(csv_text.encode()), "needs.csv")},
        content_type="multipart/form-data",
    )
    report = client.get(upload.headers["Location"]).text.replace("&#39;", "'")
    assert "Agentschap Verzonnen can open needs once the platform's administrators have verified" in report
    assert "Nothing was imported." in report  # an import is whole or nothing
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0
