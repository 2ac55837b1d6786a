"""The charter: an organisation's administrator signs on its behalf (government entities with the 3%-norm
pledge), the public list shows active signatures, a signature can be withdrawn, and there is at most one
active signature per organisation (enforced by the database)."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import CharterSignature
from matchmaker.services import ServiceError
from matchmaker.services import charter as service
from matchmaker.services import content as content_service


@pytest.fixture
def gov_admin(make_user, make_organisation):
    user = make_user(roles=("buyer",), display_name="Greta Gov", language="en")
    make_organisation(
        admins=(user,), kind="government", policy_domain="mow", name="Agentschap Wegen en Verkeer"
    )
    return user


@pytest.fixture
def startup_admin(make_user, make_organisation):
    user = make_user(roles=("supplier",), display_name="Sam Startup", language="en")
    make_organisation(admins=(user,), kind="startup", name="Verkeerslicht.ai")
    return user


def _sign_form(**overrides):
    data = {
        "signatory_name": "Greta Gov",
        "signatory_function": "Administrator-general",
        "pledge_three_percent": "y",
        "pledge_text": "",
        "on_behalf": "y",
    }
    data.update(overrides)
    return data


def signatures() -> list[CharterSignature]:
    return list(db.session.scalars(sa.select(CharterSignature).order_by(CharterSignature.id)))


def test_a_government_admin_signs_with_the_pledge_and_is_listed(client, auth, gov_admin):
    content_service.seed_default_pages()
    auth.login(gov_admin)
    page = client.get("/charter/").get_data(as_text=True)
    assert 'href="/charter/sign"' in page
    assert client.get("/charter/sign").status_code == 200
    response = client.post("/charter/sign", data=_sign_form())
    assert response.status_code == 302
    [signature] = signatures()
    assert signature.signed_by_id == gov_admin.id
    assert signature.organisation_id == gov_admin.organisation.id
    assert (signature.signatory_name, signature.signatory_function) == ("Greta Gov", "Administrator-general")
    assert signature.pledge_three_percent
    assert signature.signed_at is not None
    assert signature.charter_version == content_service.get_page("charter").version
    auth.logout()
    listing = client.get("/charter/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    signatories = listing[listing.index('id="signatories"') :]
    assert "Agentschap Wegen en Verkeer" in signatories
    assert "Government entity" in signatories
    assert "Mobility and Public Works (MOW)" in signatories
    assert "1 organisation has signed the charter." in signatories


def test_a_government_entity_cannot_sign_without_the_pledge(client, auth, gov_admin):
    auth.login(gov_admin)
    response = client.post("/charter/sign", data=_sign_form(pledge_three_percent=""))
    assert response.status_code == 422
    assert b"A government entity signs with the pledge to the 3%-norm." in response.data
    assert signatories_count() == 0


def signatories_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(CharterSignature))


def test_other_organisations_may_describe_their_contribution(client, auth, startup_admin):
    auth.login(startup_admin)
    form = client.get("/charter/sign").get_data(as_text=True)
    assert 'name="pledge_text"' in form and 'name="pledge_three_percent"' not in form
    response = client.post(
        "/charter/sign",
        data=_sign_form(
            signatory_name="Sam Startup",
            signatory_function="CEO",
            pledge_three_percent="",
            pledge_text="We pilot with cities first.",
        ),
    )
    assert response.status_code == 302
    [signature] = signatures()
    assert signature.pledge_text == "We pilot with cities first." and not signature.pledge_three_percent
    assert b"We pilot with cities first." in client.get("/charter/").data


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("signatory_name", "", b"Enter the name of the person who signs."),
        ("signatory_function", "", b"Enter the function of the person who signs."),
        ("on_behalf", "", b"Confirm that you may sign on behalf of your organisation."),
        ("signatory_name", "x" * 201, b"Field cannot be longer than 200 characters."),
    ],
)
def test_invalid_signatures_are_refused_with_a_message(client, auth, gov_admin, field, value, message):
    auth.login(gov_admin)
    response = client.post("/charter/sign", data=_sign_form(**{field: value}))
    assert response.status_code == 422
    assert message in response.data
    assert signatories_count() == 0


def test_a_member_who_is_not_admin_cannot_sign_or_withdraw(client, auth, make_user, gov_admin):
    member = make_user(roles=("buyer",))
    from matchmaker.models import Membership

    db.session.add(Membership(user=member, organisation=gov_admin.organisation, role="member"))
    db.session.commit()
    auth.login(member)
    assert client.get("/charter/sign").status_code == 403
    assert client.post("/charter/sign", data=_sign_form()).status_code == 403
    assert signatories_count() == 0
    service.sign_charter(gov_admin, gov_admin.organisation, service.SignatureInput("G", "F", True))
    assert client.post("/charter/withdraw").status_code == 403
    assert signatures()[0].withdrawn_at is None
    page = client.get("/charter/").get_data(as_text=True)
    assert "Withdraw our signature" not in page and 'href="/charter/sign"' not in page


def test_someone_without_organisation_cannot_sign(client, auth):
    auth.login_as("supplier", with_organisation=False)
    assert client.get("/charter/sign").status_code == 403
    assert client.post("/charter/withdraw").status_code == 403


def test_visitors_are_sent_to_log_in(client):
    assert "/login" in client.get("/charter/sign").headers["Location"]
    assert "/login" in client.post("/charter/withdraw").headers["Location"]


def test_the_service_refuses_a_non_admin_too(make_user, gov_admin):
    outsider = make_user(roles=("buyer",))
    with pytest.raises(ServiceError):
        service.sign_charter(outsider, gov_admin.organisation, service.SignatureInput("A", "B", True))


def test_an_organisation_signs_only_once(client, auth, gov_admin):
    auth.login(gov_admin)
    client.post("/charter/sign", data=_sign_form())
    again = client.get("/charter/sign")
    assert again.status_code == 302  # back to the charter: already signed
    client.post("/charter/sign", data=_sign_form())
    assert signatories_count() == 1


def test_the_database_allows_one_active_signature_per_organisation(gov_admin):
    organisation_id = gov_admin.organisation.id
    db.session.add(
        CharterSignature(organisation_id=organisation_id, signatory_name="A", signatory_function="B")
    )
    db.session.commit()
    db.session.add(
        CharterSignature(organisation_id=organisation_id, signatory_name="C", signatory_function="D")
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_withdrawing_keeps_the_signature_but_unlists_it_and_allows_signing_again(client, auth, gov_admin):
    auth.login(gov_admin)
    client.post("/charter/sign", data=_sign_form())
    response = client.post("/charter/withdraw")
    assert response.status_code == 302
    [signature] = signatures()
    assert signature.withdrawn_at is not None and signature.withdrawn_by_id == gov_admin.id
    listing = client.get("/charter/").get_data(as_text=True)
    assert "No organisation has signed the charter yet." in listing
    assert client.post("/charter/sign", data=_sign_form()).status_code == 302
    assert [s.withdrawn_at is None for s in signatures()] == [False, True]


def test_withdrawing_without_a_signature_says_so(client, auth, gov_admin):
    auth.login(gov_admin)
    response = client.post("/charter/withdraw", follow_redirects=True)
    assert b"has not signed the charter" in response.data


def test_the_home_page_counts_the_signatories(client, gov_admin):
    service.sign_charter(gov_admin, gov_admin.organisation, service.SignatureInput("G", "F", True))
    assert (
        b"1 organisation has signed the charter." in client.get("/", headers={"Accept-Language": "en"}).data
    )
