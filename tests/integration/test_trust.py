"""Issue 13: what a suspension hides (and brings back), spend above the budget, and the history of an
organisation's public record with its undo."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ChangeRecord, InnovationProject, Organisation, ProcurementYear
from matchmaker.services import Conflict, Invalid, ServiceError, matching
from matchmaker.services import admin as admin_service
from matchmaker.services import charter as charter_service
from matchmaker.services import history as history_service
from matchmaker.services import tracker as tracker_service
from tests.factories import K, M


@pytest.fixture
def admin(make_user):
    return make_user(roles=("admin",), display_name="Ilse Admin", language="en")


def _records(organisation) -> list[ChangeRecord]:
    return list(
        db.session.scalars(
            sa.select(ChangeRecord)
            .where(ChangeRecord.organisation_id == organisation.id)
            .order_by(ChangeRecord.id)
        )
    )


# --- suspension -------------------------------------------------------------------------------------


def test_a_suspension_hides_items_pages_and_proposals_and_lifting_it_brings_them_back(
    client, auth, admin, make_buyer, make_supplier, make_need, make_offering
):
    buyer, supplier = make_buyer(), make_supplier()
    need = make_need(buyer, title="Sensoren voor bruggen")
    offering = make_offering(supplier, title="Brugsensor met LoRa")
    assert [p.offering.id for p in matching.proposals_for(need, buyer.user).proposals] == [offering.id]
    pages = (f"/catalogue/offerings/{offering.id}", f"/organisations/{supplier.organisation.id}")
    assert all(client.get(path).status_code == 200 for path in pages)
    assert "Brugsensor met LoRa" in client.get("/catalogue/offerings").text

    admin_service.set_verification(admin, supplier.organisation, "suspended", "Not who it says it is.")
    db.session.expire_all()
    assert all(client.get(path).status_code == 404 for path in pages)
    assert "Brugsensor met LoRa" not in client.get("/catalogue/offerings").text
    assert "Brugsensor met LoRa" not in client.get("/catalogue/search?q=brugsensor").text
    assert matching.proposals_for(need, buyer.user).proposals == []
    # Its own members still see (and keep) their offering; nothing about it changed.
    auth.login(supplier.user)
    assert client.get(f"/catalogue/offerings/{offering.id}").status_code == 200
    auth.logout()

    admin_service.set_verification(admin, supplier.organisation, "verified", "Checked again.")
    db.session.expire_all()
    assert all(client.get(path).status_code == 200 for path in pages)
    assert [p.offering.id for p in matching.proposals_for(need, buyer.user).proposals] == [offering.id]


def test_a_suspended_organisations_people_leave_the_participant_list_but_not_the_organizers(
    client, auth, admin, event, buyer, supplier, register
):
    register(buyer, event)
    register(supplier, event)
    auth.login(buyer)
    assert supplier.display_name in client.get(f"/events/{event.id}/participants").text
    admin_service.set_verification(admin, supplier.organisation, "suspended", "Fake company.")
    assert supplier.display_name not in client.get(f"/events/{event.id}/participants").text
    auth.login(event.organizer)
    assert supplier.display_name in client.get(f"/events/{event.id}/participants").text


# --- spend above the budget -------------------------------------------------------------------------


def test_spend_above_the_budget_needs_an_explanation_and_waits_for_review(client, auth, admin, make_buyer):
    buyer = make_buyer()
    row = tracker_service.create_year(buyer.user, buyer.organisation, 2025, 1 * M)
    project = tracker_service.ProjectInput("Slimme sluizen", "pre_commercial_procurement", 2 * M)
    with pytest.raises(Invalid) as refused:
        tracker_service.add_project(buyer.user, row, project)
    assert "more than the year's procurement budget" in refused.value.problems["explanation"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InnovationProject)) == 0

    project.explanation = "A three-year contract paid at once."
    tracker_service.add_project(buyer.user, row, project)
    assert row.needs_review and row.explanation == "A three-year contract paid at once."
    year_change = _records(buyer.organisation)[-1]  # the explanation and the flag are on the record too
    assert (year_change.subject, year_change.new["needs_review"], year_change.new["explanation"]) == (
        "year",
        True,
        "A three-year contract paid at once.",
    )
    # Out of the public figures until an administrator accepts it; the page says why.
    assert tracker_service.organisation_dashboard(buyer.organisation).rows == []
    assert "wait for a review" in client.get(f"/tracker/organisations/{buyer.organisation.id}").text
    with pytest.raises(ServiceError):
        tracker_service.accept_review(buyer.user, row)

    auth.login(admin)
    listed = client.get("/admin/reviews")
    assert "A three-year contract paid at once." in listed.text
    response = client.post(f"/admin/reviews/{row.id}/accept", data={})
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(ProcurementYear, row.id)
    assert not row.needs_review and row.reviewed_by_id == admin.id
    rows = tracker_service.organisation_dashboard(buyer.organisation).rows
    assert [(r.year, r.spend_cents) for r in rows] == [(2025, 2 * M)]
    # A higher budget brings the year within it: the explanation has served.
    tracker_service.update_budget(buyer.user, row, 5 * M)
    assert (row.needs_review, row.explanation) == (False, "")


# --- history and undo -------------------------------------------------------------------------------


def test_every_change_to_the_public_record_is_recorded_with_old_and_new_values(admin, make_buyer):
    buyer = make_buyer(display_name="Bea Buyer")
    row = tracker_service.create_year(buyer.user, buyer.organisation, 2025, 10 * M)
    tracker_service.update_budget(buyer.user, row, 12 * M)
    project = tracker_service.add_project(
        buyer.user, row, tracker_service.ProjectInput("Drones", "pre_commercial_procurement", 300 * K)
    )
    tracker_service.update_project(
        buyer.user, project, tracker_service.ProjectInput("Drones", "pre_commercial_procurement", 400 * K)
    )
    charter_service.sign_charter(
        buyer.user,
        buyer.organisation,
        charter_service.SignatureInput("Bea Buyer", "Director", pledge_three_percent=True),
    )
    charter_service.withdraw_signature(buyer.user, buyer.organisation)
    tracker_service.delete_project(buyer.user, project)
    admin_service.set_verification(admin, buyer.organisation, "suspended", "Checking.")

    summary = [(r.subject, r.action, r.actor_name) for r in _records(buyer.organisation)]
    assert summary == [
        ("year", "created", "Bea Buyer"),
        ("year", "changed", "Bea Buyer"),
        ("project", "created", "Bea Buyer"),
        ("project", "changed", "Bea Buyer"),
        ("signature", "created", "Bea Buyer"),
        ("signature", "changed", "Bea Buyer"),
        ("project", "deleted", "Bea Buyer"),
        ("verification", "changed", "Ilse Admin"),
    ]
    records = _records(buyer.organisation)
    assert (records[1].old["budget_cents"], records[1].new["budget_cents"]) == (10 * M, 12 * M)
    assert (records[3].old["amount_cents"], records[3].new["amount_cents"]) == (300 * K, 400 * K)
    assert records[5].new["withdrawn"] is True
    assert records[6].old["title"] == "Drones" and records[6].new is None
    assert (records[7].old["state"], records[7].new["state"]) == ("verified", "suspended")


def test_an_administrator_undoes_changes_in_order(client, auth, admin, make_buyer):
    buyer = make_buyer()
    row = tracker_service.create_year(buyer.user, buyer.organisation, 2025, 10 * M)
    project = tracker_service.add_project(
        buyer.user, row, tracker_service.ProjectInput("Drones", "pre_commercial_procurement", 300 * K)
    )
    tracker_service.update_budget(buyer.user, row, 90 * M)  # a suspicious change
    created, _added, changed = _records(buyer.organisation)

    # Undoing the creation of the year while it has a project and a later budget is refused.
    with pytest.raises(Conflict):
        history_service.undo(admin, created)
    with pytest.raises(ServiceError):
        history_service.undo(buyer.user, changed)  # only platform administrators undo

    auth.login(admin)
    page = client.get(f"/admin/organisations/{buyer.organisation.id}/history")
    assert page.status_code == 200 and "Undo" in page.text
    response = client.post(
        f"/admin/organisations/{buyer.organisation.id}/history/{changed.id}/undo",
        data={},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ProcurementYear, row.id).budget_cents == 10 * M
    undo = _records(buyer.organisation)[-1]
    assert (undo.undo_of_id, undo.new["budget_cents"], undo.actor_id) == (changed.id, 10 * M, admin.id)
    assert db.session.get(ChangeRecord, changed.id).undone_at is not None
    with pytest.raises(ServiceError, match="undone already"):
        history_service.undo(admin, db.session.get(ChangeRecord, changed.id))

    # A deleted project comes back; a deleted year comes back with its projects.
    tracker_service.delete_project(buyer.user, db.session.get(InnovationProject, project.id))
    history_service.undo(admin, _records(buyer.organisation)[-1])
    assert [p.title for p in db.session.get(ProcurementYear, row.id).projects] == ["Drones"]
    tracker_service.delete_year(buyer.user, db.session.get(ProcurementYear, row.id))
    history_service.undo(admin, _records(buyer.organisation)[-1])
    restored = tracker_service.get_year(buyer.organisation, 2025)
    assert (restored.budget_cents, [p.amount_cents for p in restored.projects]) == (10 * M, [300 * K])


def test_another_organisations_history_entry_is_not_found_through_this_one(client, auth, admin, make_buyer):
    first, second = make_buyer(), make_buyer()
    tracker_service.create_year(second.user, second.organisation, 2025, 10 * M)
    entry = _records(second.organisation)[0]
    auth.login(admin)
    response = client.post(
        f"/admin/organisations/{first.organisation.id}/history/{entry.id}/undo",
        data={},
    )
    assert response.status_code == 404
    assert tracker_service.get_year(second.organisation, 2025) is not None


# --- the attack of issue 13, replayed through the app ------------------------------------------------


def test_the_attack_of_issue_13_replayed_through_the_app_leaves_every_public_figure_as_it_was(
    app, client, outbox, admin, make_organisation
):
    """Register as a buyer, create a "government entity" (MOW, an enterprise number with right check digits),
    a year of 1,000,000 with a project of 9,000,000,000,000, sign the charter: nothing public may change.
    Then a careless administrator verifies it: the absurd amount is refused, a large one waits for review."""
    from tests.integration.test_auth import link_in, page, registration

    agency = make_organisation(kind="government", name="Agentschap Echt", policy_domain="mow")
    db.session.add(ProcurementYear(organisation_id=agency.id, year=2025, budget_cents=10 * M))
    db.session.flush()
    year = tracker_service.get_year(agency, 2025)
    db.session.add(
        InnovationProject(
            procurement_year_id=year.id,
            title="Echt",
            procurement_route="pre_commercial_procurement",
            amount_cents=268 * K,
        )
    )
    db.session.commit()
    en = {"Accept-Language": "en"}
    public = (
        "/",
        "/tracker/",
        "/tracker/domains/mow",
        "/tracker/export.csv",
        "/tracker/domains/mow/export.csv",
        "/charter/",
    )

    visitor = app.test_client()  # what the public sees

    def snapshot():
        return {path: page(visitor.get(path, headers=en)) for path in public}

    before = snapshot()
    assert b"2.68%" in before["/tracker/"]

    client.post("/auth/register", data=registration(role="buyer", email="mal@fake.example", language="en"))
    client.post(link_in(outbox[-1]), data={})  # the confirmation link's button
    client.post(
        "/auth/login", data={"email": "mal@fake.example", "password": "several words make a password"}
    )
    created = client.post(
        "/organisations/new",
        data={
            "name": "Agentschap Verzonnen",
            "kind": "government",
            "enterprise_number": "0718.453.660",
            "policy_domain": "mow",
        },
    )
    assert created.status_code == 302
    fake = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Agentschap Verzonnen"))
    assert fake.verification == "unverified"
    refused = client.post(
        f"/tracker/organisations/{fake.id}/years/new", data={"year": "2025", "budget": "1000000"}
    )
    assert refused.status_code in (403, 404)
    client.post(
        "/charter/sign",
        data={
            "signatory_name": "Mal Icious",
            "signatory_function": "Director",
            "pledge_three_percent": "y",
            "on_behalf": "y",
        },
    )
    assert snapshot() == before

    # A careless administrator verifies it. Absurd amounts are refused; a project above the budget needs an
    # explanation and then waits for review: the public figures still do not move.
    admin_service.set_verification(admin, fake, "verified", "Looked fine.")
    client.post(f"/tracker/organisations/{fake.id}/years/new", data={"year": "2025", "budget": "1000000"})
    absurd = client.post(
        f"/tracker/organisations/{fake.id}/years/2025/projects/new",
        data={"title": "X", "procurement_route": "pre_commercial_procurement", "amount": "9000000000000"},
    )
    assert absurd.status_code == 422 and "at most 100 billion euro" in absurd.text
    unexplained = client.post(
        f"/tracker/organisations/{fake.id}/years/2025/projects/new",
        data={
            "title": "X",
            "procurement_route": "pre_commercial_procurement",
            "amount": "90000000000",
            "need_id": "",
        },
    )
    assert unexplained.status_code == 422 and "procurement budget of €1,000,000.00" in unexplained.text
    explained = client.post(
        f"/tracker/organisations/{fake.id}/years/2025/projects/new",
        data={
            "title": "X",
            "procurement_route": "pre_commercial_procurement",
            "amount": "90000000000",
            "explanation": "Trust me.",
            "need_id": "",
        },
    )
    assert explained.status_code == 302
    after = snapshot()
    # The organisation is now listed as verified (that is what verifying means), but no figure moved: the
    # exports are the same to the byte, and the home page and the dashboards still show 2.68%.
    for path in ("/tracker/export.csv", "/tracker/domains/mow/export.csv"):
        assert after[path] == before[path], path
    assert all(b"2.68%" in after[path] for path in ("/", "/tracker/", "/tracker/domains/mow"))
    assert b"Agentschap Verzonnen" in after["/charter/"]
    # Every public page stays small whatever was attempted.
    assert all(len(body) < 200_000 for body in after.values())
    assert len(visitor.get(f"/tracker/organisations/{fake.id}").data) < 200_000


# --- administrators correct and merge organisations ---------------------------------------------------


def test_an_administrator_corrects_an_organisations_details_on_the_record(client, auth, admin, make_buyer):
    buyer = make_buyer()
    auth.login(admin)
    form = client.get(f"/organisations/{buyer.organisation.id}/edit")
    assert form.status_code == 200
    response = client.post(
        f"/organisations/{buyer.organisation.id}/edit",
        data={
            "name": "Agentschap Wegen en Verkeer",
            "kind": "government",
            "policy_domain": "mow",
            "enterprise_number": "0200.065.765",
        },
    )
    assert response.status_code == 302 and "/admin/organisations/" in response.location
    (entry,) = _records(buyer.organisation)
    assert (entry.subject, entry.actor_id, entry.new["name"]) == (
        "organisation",
        admin.id,
        "Agentschap Wegen en Verkeer",
    )
    auth.login(make_buyer().user)  # another organisation's administrator
    assert client.get(f"/organisations/{buyer.organisation.id}/edit").status_code == 403


def test_merging_a_duplicate_moves_everything_to_the_organisation_kept(
    client, auth, admin, make_user, make_organisation, make_need
):
    from tests.factories import Party

    first, second = make_user(roles=("buyer",)), make_user(roles=("buyer",))
    kept = make_organisation(admins=(first,), kind="government", name="Departement MOW")
    duplicate = make_organisation(
        admins=(second,), kind="government", name="Dep. MOW", enterprise_number=None
    )
    need = make_need(Party(second, duplicate), title="Slimme verkeerslichten")
    tracker_service.create_year(first, kept, 2024, 10 * M)
    tracker_service.create_year(second, duplicate, 2025, 20 * M)
    charter_service.sign_charter(
        second, duplicate, charter_service.SignatureInput("S", "Director", pledge_three_percent=True)
    )
    company = make_organisation(kind="startup")
    with pytest.raises(ServiceError, match="government entity is merged with a government entity"):
        admin_service.merge_organisations(admin, duplicate, company)
    tracker_service.create_year(first, kept, 2025, 1 * M)
    with pytest.raises(ServiceError, match="figures for 2025"):
        admin_service.merge_organisations(admin, duplicate, kept)
    tracker_service.delete_year(first, tracker_service.get_year(kept, 2025))

    auth.login(admin)
    page = client.get(f"/admin/organisations/{duplicate.id}/merge?q=Departement")
    assert "Merge into this one" in page.text and "Departement MOW" in page.text
    response = client.post(f"/admin/organisations/{duplicate.id}/merge", data={"kept_id": str(kept.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, duplicate.id) is None
    assert {m.user_id for m in db.session.get(Organisation, kept.id).memberships} == {first.id, second.id}
    assert db.session.get(type(need), need.id).organisation_id == kept.id
    assert [r.year for r in tracker_service.years_of(kept)] == [2024, 2025]
    assert charter_service.active_signature(kept).signatory_name == "S"
    subjects = [(r.subject, r.action) for r in _records(kept)]
    assert subjects[-1] == ("organisation", "deleted") and ("signature", "created") in subjects
    # The need of the merged organisation is public as before, now as the kept organisation's.
    assert client.get(f"/catalogue/needs/{need.id}").status_code == 200


# --- nothing of a draft, archived or suspended item in any public page or export ---------------------


def test_no_public_page_or_export_shows_a_draft_archived_or_suspended_item(
    app, admin, make_buyer, make_supplier, make_need, make_offering, make_event
):
    agency, suspended_agency, company, suspended_company = (
        make_buyer(),
        make_buyer(),
        make_supplier(),
        make_supplier(),
    )
    draft_need = make_need(agency, title="Hidden-draft need", status="draft")
    archived_need = make_need(agency, title="Hidden-archived need", status="archived")
    make_need(agency, title="Shown-open need")
    make_offering(company, title="Hidden-draft offering", status="draft")
    make_offering(company, title="Shown-published offering")
    make_offering(suspended_company, title="Hidden-suspended offering")
    make_need(suspended_agency, title="Hidden-suspended need")
    row = tracker_service.create_year(agency.user, agency.organisation, 2025, 10 * M)
    for need in (draft_need, archived_need):
        tracker_service.add_project(
            agency.user,
            row,
            tracker_service.ProjectInput("Linked", "pre_commercial_procurement", 10 * K, need_id=need.id),
        )
    admin_service.set_verification(admin, suspended_company.organisation, "suspended", "Fake.")
    admin_service.set_verification(admin, suspended_agency.organisation, "suspended", "Fake.")
    make_event(title="Meet and greet")

    visitor = app.test_client()
    agency_id = agency.organisation.id
    paths = [
        "/",
        "/catalogue/offerings",
        "/catalogue/needs",
        "/catalogue/needs?status=closed",
        "/catalogue/offerings?q=hidden",
        "/catalogue/needs?q=hidden",
        "/tracker/",
        "/tracker/export.csv",
        "/tracker/domains/mow",
        "/tracker/domains/mow/export.csv",
        f"/tracker/organisations/{agency_id}",
        f"/tracker/organisations/{agency_id}/export.csv",
        "/charter/",
        "/events/",
        *(f"/organisations/{party.organisation.id}" for party in (agency, company)),
    ]
    shown = {}
    for path in paths:
        response = visitor.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 200, path
        shown[path] = response.get_data(as_text=True)
    leaks = [path for path, text in shown.items() if "Hidden-" in text]
    assert not leaks, leaks
    assert "Shown-published offering" in shown["/catalogue/offerings"]
    assert "Shown-open need" in shown["/catalogue/needs"]
