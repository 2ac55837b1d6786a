"""Issue 13: what a suspension hides (and brings back), spend above the budget, and the history of an
organisation's public record with its undo."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from matchmaker.extensions import db
from matchmaker.models import (
    ChangeRecord,
    Conversation,
    ConversationBlock,
    InnovationProject,
    MeetingOutcome,
    Message,
    NeedQuestion,
    Notification,
    Organisation,
    OrganisationLogo,
    ProcurementYear,
    Registration,
    SupportRequest,
)
from matchmaker.services import Conflict, Invalid, ServiceError, conversations, logos, matching
from matchmaker.services import admin as admin_service
from matchmaker.services import charter as charter_service
from matchmaker.services import history as history_service
from matchmaker.services import outcomes as outcomes_service
from matchmaker.services import support as support_service
from matchmaker.services import tracker as tracker_service
from tests.factories import K, M, Party
from tests.helpers import days_ago, move_event_to


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


def test_an_unverified_government_entity_has_no_public_page_search_hit_or_sitemap_entry(
    client, auth, admin, make_user, make_organisation
):
    """A made-up "government entity" must not be presented as one to the public before an administrator
    verified it (issue 13): its page, logo, search hit and sitemap entry wait; a company's do not."""
    founder = make_user(roles=("buyer",))
    agency = make_organisation(
        admins=(founder,), kind="government", name="Agentschap Verzonnen", verification="unverified"
    )
    company = make_organisation(kind="startup", name="Verzonnen Robotics", verification="unverified")
    logos.set_logo(founder, agency, _png((200, 30, 30)))

    def public():
        sitemap = "".join(client.get(f"/sitemap-{code}-1.xml").text for code in ("nl", "fr", "en"))
        return {
            "page": client.get(f"/organisations/{agency.id}").status_code,
            "logo": client.get(f"/organisations/{agency.id}/logo.png").status_code,
            "search": "Agentschap Verzonnen" in client.get("/search?q=verzonnen").text,
            "sitemap": f"/organisations/{agency.id}<" in sitemap,
        }

    assert public() == {"page": 404, "logo": 404, "search": False, "sitemap": False}
    assert client.get(f"/organisations/{company.id}").status_code == 200
    assert "Verzonnen Robotics" in client.get("/search?q=verzonnen").text
    for insider in (founder, admin):  # its members and the platform's administrators see it
        auth.login(insider)
        assert client.get(f"/organisations/{agency.id}").status_code == 200
    auth.logout()
    auth.login(make_user(roles=("supplier",)))  # anybody else, logged in or not: not found
    assert client.get(f"/organisations/{agency.id}").status_code == 404
    # A newcomer still finds it to ask to join (its name, without a link to a page they cannot see).
    found = client.get("/organisations/join?q=Agentschap Verzonnen").text
    assert "Agentschap Verzonnen" in found and f'/organisations/{agency.id}"' not in found
    assert f"/organisations/{agency.id}/join" in found
    auth.logout()

    admin_service.set_verification(admin, agency, "verified", "Checked with the KBO.")
    assert public() == {"page": 200, "logo": 200, "search": True, "sitemap": True}


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


def test_undoing_a_signature_withdraws_it_and_undoing_a_withdrawal_brings_it_back(client, admin, make_buyer):
    buyer = make_buyer()
    name = buyer.organisation.name
    sign = charter_service.SignatureInput("Bea Buyer", "Director", pledge_three_percent=True)
    signature = charter_service.sign_charter(buyer.user, buyer.organisation, sign)
    assert name in client.get("/charter/").text

    (signed,) = _records(buyer.organisation)
    history_service.undo(admin, signed)
    assert charter_service.active_signature(buyer.organisation) is None
    assert name not in client.get("/charter/").text
    kept = db.session.get(type(signature), signature.id)  # withdrawn, not deleted: the record keeps it
    assert (kept.withdrawn_at is not None, kept.withdrawn_by_id) == (True, admin.id)
    undone = _records(buyer.organisation)[-1]
    assert (undone.undo_of_id, undone.old["withdrawn"], undone.new["withdrawn"]) == (signed.id, False, True)

    history_service.undo(admin, undone)  # the undo itself is undone: signed as before
    assert charter_service.active_signature(buyer.organisation).id == signature.id
    assert name in client.get("/charter/").text

    charter_service.withdraw_signature(buyer.user, buyer.organisation)
    withdrawal = _records(buyer.organisation)[-1]
    history_service.undo(admin, withdrawal)
    assert charter_service.active_signature(buyer.organisation).id == signature.id
    assert name in client.get("/charter/").text

    # A withdrawal is not undone over a signature made since: there is one signature at a time.
    charter_service.withdraw_signature(buyer.user, buyer.organisation)
    withdrawal = _records(buyer.organisation)[-1]
    again = charter_service.sign_charter(buyer.user, buyer.organisation, sign)
    with pytest.raises(Conflict):
        history_service.undo(admin, withdrawal)
    assert charter_service.active_signature(buyer.organisation).id == again.id


@pytest.fixture
def met(event, buyer, supplier, register, make_meeting):
    """The buyer met the supplier at an event that ended ten days ago: the surveys are open."""
    meeting = make_meeting(event, register(buyer, event), register(supplier, event))
    move_event_to(event, days_ago(10))
    return meeting


def _answer(user, event, meeting, follow_up):
    return outcomes_service.save_outcome(
        user, event, meeting, outcomes_service.OutcomeInput(True, 4, follow_up)
    )


def test_outcome_answers_and_their_changes_are_recorded_for_each_side(event, buyer, supplier, met):
    _answer(buyer, event, met, "further_contact")
    _answer(buyer, event, met, "contract_awarded")
    _answer(supplier, event, met, "procurement_launched")

    created, changed = _records(buyer.organisation)
    assert [(r.subject, r.action, r.actor_id) for r in (created, changed)] == [
        ("outcome", "created", buyer.id),
        ("outcome", "changed", buyer.id),
    ]
    assert (created.old, created.new["follow_up"]) == (None, "further_contact")
    assert (changed.old["follow_up"], changed.new["follow_up"]) == ("further_contact", "contract_awarded")
    assert created.subject_id == changed.subject_id
    (theirs,) = _records(supplier.organisation)  # each side's answer is on its own organisation's record
    assert (theirs.subject, theirs.new["follow_up"], theirs.actor_id) == (
        "outcome",
        "procurement_launched",
        supplier.id,
    )


def test_undoing_an_outcome_change_puts_the_answer_and_the_public_count_back(admin, event, buyer, met):
    _answer(buyer, event, met, "further_contact")
    _answer(buyer, event, met, "contract_awarded")
    assert [b.follow_up for b in outcomes_service.begun_procurements()] == ["contract_awarded"]
    created, changed = _records(buyer.organisation)

    with pytest.raises(Conflict):  # the answer was changed since it was created: that change first
        history_service.undo(admin, created)
    history_service.undo(admin, changed)
    db.session.expire_all()
    assert db.session.get(MeetingOutcome, changed.subject_id).follow_up == "further_contact"
    assert outcomes_service.begun_procurements() == []
    undone = _records(buyer.organisation)[-1]
    assert (undone.undo_of_id, undone.new["follow_up"], undone.actor_id) == (
        changed.id,
        "further_contact",
        admin.id,
    )

    history_service.undo(admin, db.session.get(ChangeRecord, created.id))  # the answer itself goes
    assert db.session.get(MeetingOutcome, created.subject_id) is None
    assert _records(buyer.organisation)[-1].action == "deleted"


def test_undoing_a_verification_decision_restores_the_state_and_what_it_showed(
    client, admin, make_buyer, make_need
):
    buyer = make_buyer()
    need = make_need(buyer, title="Sensoren voor bruggen")
    admin_service.set_verification(admin, buyer.organisation, "suspended", "Not who it says it is.")
    assert client.get(f"/catalogue/needs/{need.id}").status_code == 404
    (suspension,) = _records(buyer.organisation)

    history_service.undo(admin, suspension)
    db.session.expire_all()
    organisation = db.session.get(Organisation, buyer.organisation.id)
    assert (organisation.verification, organisation.verification_reason) == ("verified", "")
    assert client.get(f"/catalogue/needs/{need.id}").status_code == 200
    assert "Sensoren voor bruggen" in client.get("/catalogue/needs").text
    undone = _records(organisation)[-1]
    assert (undone.subject, undone.undo_of_id, undone.old["state"], undone.new["state"]) == (
        "verification",
        suspension.id,
        "suspended",
        "verified",
    )
    with pytest.raises(ServiceError, match="undone already"):
        history_service.undo(admin, db.session.get(ChangeRecord, suspension.id))

    # A decision taken again since is undone first.
    admin_service.set_verification(admin, organisation, "suspended", "Again.")
    first = _records(organisation)[-1]
    admin_service.set_verification(admin, organisation, "unverified", "Back to the queue.")
    with pytest.raises(Conflict):
        history_service.undo(admin, first)
    assert db.session.get(Organisation, organisation.id).verification == "unverified"


def test_lifting_a_suspension_brings_back_the_signature_and_registrations_as_they_were(
    client, auth, admin, event, buyer, supplier, register
):
    agency = buyer.organisation
    signature = charter_service.sign_charter(
        buyer, agency, charter_service.SignatureInput("Bart Buyer", "Director", pledge_three_percent=True)
    )
    registration = register(buyer, event)
    register(supplier, event)
    tracker_page = f"/tracker/organisations/{agency.id}"

    def public():
        auth.logout()
        shown = {
            "charter": agency.name in client.get("/charter/").text,
            "tracker": "signed the charter" in client.get(tracker_page).text,
            "signatories": charter_service.signatory_count(),
        }
        auth.login(supplier)
        shown["participants"] = "Bart Buyer" in client.get(f"/events/{event.id}/participants").text
        auth.logout()
        return shown

    before = public()
    assert before == {"charter": True, "tracker": True, "signatories": 1, "participants": True}
    status = registration.status

    admin_service.set_verification(admin, agency, "suspended", "Checking who they are.")
    assert public() == {"charter": False, "tracker": False, "signatories": 0, "participants": False}
    admin_service.set_verification(admin, agency, "verified", "Checked.")
    assert public() == before
    db.session.expire_all()
    back = charter_service.active_signature(agency)
    assert (back.id, back.signed_at, back.withdrawn_at) == (signature.id, signature.signed_at, None)
    assert db.session.get(Registration, registration.id).status == status


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


# The attack of issue 13 itself is replayed over HTTP against the running app
# (tests/e2e/test_attack_replay.py).


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
    assert "conversations, support requests, logo" in page.text  # the administrator knows what moves
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


def _png(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), color).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def duplicates(make_user, make_organisation):
    """Two registrations of the same department, each with an administrator."""
    first, second = make_user(roles=("buyer",)), make_user(roles=("buyer",))
    kept = make_organisation(admins=(first,), kind="government", name="Departement MOW")
    duplicate = make_organisation(
        admins=(second,), kind="government", name="Dep. MOW", enterprise_number=None
    )
    return first, kept, second, duplicate


def test_merging_moves_conversations_blocks_support_requests_logo_and_registrations(
    admin, duplicates, make_buyer, make_supplier, make_user, make_need, make_offering, event, register
):
    """Nothing the duplicate's people wrote or asked for is lost (the ON DELETE CASCADE of the organisation
    took it with the duplicate), and the other side of a conversation still finds it, with every message."""
    first, kept, second, duplicate = duplicates
    supplier = make_supplier()
    need = make_need(Party(second, duplicate), title="Slimme verkeerslichten")
    offering = make_offering(supplier, title="Radar voor fietsers")
    asked = conversations.start_conversation(supplier.user, need, "Could our radar help?")
    conversations.reply(second, asked, "Tell us more.")
    # Both registrations wrote to the supplier about the same offering: one thread each, which become one.
    theirs = conversations.start_conversation(second, offering, "Is it for sale?")
    conversations.reply(supplier.user, theirs, "Yes, from March.")
    ours = conversations.start_conversation(first, offering, "What does it cost?")
    # The duplicate blocked two senders, one of whom the kept organisation blocked as well.
    pest, spammer = make_user(roles=("supplier",)), make_user(roles=("supplier",))
    db.session.add_all(
        [
            ConversationBlock(organisation_id=kept.id, blocked_user_id=pest.id),
            ConversationBlock(organisation_id=duplicate.id, blocked_user_id=pest.id),
            ConversationBlock(organisation_id=duplicate.id, blocked_user_id=spammer.id),
        ]
    )
    db.session.commit()
    guidance = support_service.ask_for_guidance(second, need, "Which procedure?", "PCP or PPI?")
    logos.set_logo(second, duplicate, _png((200, 30, 30)))
    logo_hash = duplicate.logo_version
    registration = register(second, event)
    elsewhere = make_need(make_buyer(), title="Slimme bruggen", public_questions=True)
    question = NeedQuestion(
        need_id=elsewhere.id, asked_by_id=second.id, asker_organisation_id=duplicate.id, question="When?"
    )
    db.session.add(question)
    db.session.commit()
    asked_id, asked_messages, theirs_id = asked.id, len(asked.messages), theirs.id
    unread = conversations.unread_total(supplier.user)
    theirs_path, ours_path = conversations.thread_path(theirs), conversations.thread_path(ours)

    def supplier_notified(path) -> int:
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == supplier.user.id, Notification.url == path)
        )

    assert (supplier_notified(theirs_path), supplier_notified(ours_path)) == (1, 1)

    admin_service.merge_organisations(admin, duplicate, kept)
    db.session.expire_all()

    moved = db.session.get(Conversation, asked_id)
    assert (moved.starter_organisation_id, moved.recipient_organisation_id) == (
        supplier.organisation.id,
        kept.id,
    )
    assert len(moved.messages) == asked_messages
    assert (
        db.session.get(Conversation, theirs_id) is None
    )  # its messages joined the kept organisation's thread
    joined = db.session.get(Conversation, ours.id)
    assert [m.body for m in joined.messages] == [
        "Is it for sale?",
        "Yes, from March.",
        "What does it cost?",
    ]
    assert {m.author_organisation_id for m in joined.messages} == {kept.id, supplier.organisation.id}
    # The supplier still sees both threads, now with the kept organisation, and can answer.
    threads = {t.conversation.id: t for t in conversations.threads_of(supplier.user)}
    assert set(threads) == {asked.id, ours.id}
    assert {t.other.id for t in threads.values()} == {kept.id}
    # What the supplier had not read is still unread, and nothing more: the reply in the duplicate's thread
    # and the kept organisation's question.
    assert conversations.unread_total(supplier.user) == unread == 2
    assert threads[ours.id].unread == 1
    conversations.reply(supplier.user, joined, "It costs 40,000 euro.")
    # The people of the duplicate, now of the kept organisation, read and answer them too.
    assert {t.conversation.id for t in conversations.threads_of(second)} == {asked.id, ours.id}
    conversations.reply(second, moved, "Come and show it.")
    assert conversations.is_blocked(kept.id, spammer.id) and conversations.is_blocked(kept.id, pest.id)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ConversationBlock)
            .where(ConversationBlock.blocked_user_id == pest.id)
        )
        == 1
    )
    assert db.session.get(SupportRequest, guidance.id).organisation_id == kept.id
    assert [r.id for r in support_service.requests_of(second)] == [guidance.id]
    assert logos.logo_of(db.session.get(Organisation, kept.id)).content_hash == logo_hash
    assert db.session.get(Registration, registration.id).organisation_id == kept.id
    assert db.session.get(NeedQuestion, question.id).asker_organisation_id == kept.id
    # The supplier's notifications of the thread that joined the other lead to the joined one.
    assert (supplier_notified(theirs_path), supplier_notified(ours_path)) == (0, 2)


def test_the_kept_organisation_keeps_its_own_logo_and_takes_the_enterprise_number(admin, duplicates):
    first, kept, second, duplicate = duplicates
    duplicate.enterprise_number = "0200065765"
    db.session.commit()
    logos.set_logo(first, kept, _png((0, 90, 200)))
    own = kept.logo_version
    logos.set_logo(second, duplicate, _png((200, 30, 30)))
    admin_service.merge_organisations(admin, duplicate, kept)
    db.session.expire_all()
    kept = db.session.get(Organisation, kept.id)
    assert logos.logo_of(kept).content_hash == own
    assert kept.enterprise_number == "0200065765"  # the duplicate's, free once it is gone
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganisationLogo)) == 1


def test_the_merge_knows_every_foreign_key_to_the_organisation():
    """Deleting the duplicate cascades to whatever is left on it: a table that gains a foreign key to the
    organisation must be moved (or deliberately dropped) in admin.merge_organisations, then listed here."""
    handled = {
        ("change_record", "organisation_id"),
        ("charter_signature", "organisation_id"),
        ("conversation", "recipient_organisation_id"),
        ("conversation", "starter_organisation_id"),
        ("conversation_block", "organisation_id"),
        ("conversation_message", "author_organisation_id"),
        ("invitation", "organisation_id"),
        ("join_request", "organisation_id"),
        ("membership", "organisation_id"),
        ("need", "organisation_id"),
        ("need_question", "asker_organisation_id"),
        ("offering", "organisation_id"),
        ("organisation_logo", "organisation_id"),
        ("organisation_mail_domain", "organisation_id"),
        ("procurement_year", "organisation_id"),
        ("registration", "organisation_id"),
        ("support_request", "organisation_id"),
    }
    found = {
        (table.name, key.parent.name)
        for table in db.metadata.tables.values()
        for key in table.foreign_keys
        if key.column.table.name == "organisation"
    }
    assert found == handled


def test_a_conversation_between_the_two_halves_of_a_duplicate_ends_with_the_merge(
    admin, duplicates, make_need
):
    """The kept organisation cannot write to itself (the table's check says so): the thread goes, and the
    record of the merge says how many went."""
    first, kept, _second, duplicate = duplicates
    need = make_need(Party(first, kept), title="Slimme verkeerslichten")
    between = Conversation(
        starter_organisation_id=duplicate.id, recipient_organisation_id=kept.id, need_id=need.id
    )
    db.session.add(between)
    db.session.flush()
    db.session.add(
        Message(conversation_id=between.id, author_organisation_id=duplicate.id, body="Hello twin")
    )
    db.session.commit()
    admin_service.merge_organisations(admin, duplicate, kept)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 0
    assert _records(kept)[-1].old["conversations_ended"] == 1


# --- nothing of a draft, closed, archived or suspended item in any public page or export -------------


def test_no_public_page_or_export_shows_a_draft_closed_archived_or_suspended_item(
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
    closed_need = make_need(agency, title="Hidden-closed need", status="closed")
    make_need(agency, title="Shown-open need")
    make_offering(company, title="Hidden-draft offering", status="draft")
    make_offering(company, title="Shown-published offering")
    make_offering(suspended_company, title="Hidden-suspended offering")
    make_need(suspended_agency, title="Hidden-suspended need")
    row = tracker_service.create_year(agency.user, agency.organisation, 2025, 10 * M)
    for need in (draft_need, archived_need, closed_need):
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
