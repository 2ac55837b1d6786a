"""Registration: buyers and suppliers register with what they bring, change or cancel it while registration
is open; the organizer approves or refuses and registers people on their behalf."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    EmailMode,
    MeetingRequest,
    NeedStatus,
    Notification,
    Registration,
    RegistrationStatus,
)
from matchmaker.services import ServiceError
from matchmaker.services import events as events_service
from matchmaker.services import meeting_requests as requests_service
from matchmaker.services import notifications as notifications_service
from matchmaker.services import registrations as registrations_service
from matchmaker.services.event_rules import local_now
from tests.helpers import race, require_postgres

pytestmark = pytest.mark.usefixtures("request_context")


def _registration(user, event) -> Registration | None:
    return registrations_service.registration_of(user, event)


def test_the_registration_form_offers_everything_by_default(client, auth, event, supplier):
    auth.login(supplier)
    page = client.get(f"/events/{event.id}/register").get_data(as_text=True)
    assert "Cyclist detection with radar" in page
    assert page.count('name="slots"') == 8
    assert len(re.findall(r'name="slots" value="\d+" id="slot-\d+" checked', page)) == 8
    assert re.search(r'<input checked[^>]*name="items"', page)


def test_a_supplier_registers_with_an_offering_and_some_slots(client, auth, event, supplier):
    auth.login(supplier)
    offering_id = registrations_service.eligible_items(supplier, "supplier")[0].id
    slots = [s.id for s in event.meeting_slots[:3]]
    response = client.post(
        f"/events/{event.id}/register",
        data={"role": "supplier", "items": [offering_id], "slots": slots, "max_meetings": "4"},
    )
    assert response.status_code == 302
    registration = _registration(supplier, event)
    assert registration.status == RegistrationStatus.APPROVED
    assert [o.id for o in registration.offerings] == [offering_id]
    assert [s.id for s in registration.available_slots] == slots
    assert registration.max_meetings == 4
    assert registration.organisation_id == supplier.organisation.id


def test_at_least_one_offering_or_need_is_required(client, auth, event, buyer):
    auth.login(buyer)
    response = client.post(
        f"/events/{event.id}/register",
        data={"role": "buyer", "slots": [event.meeting_slots[0].id], "max_meetings": "4"},
    )
    assert response.status_code == 200
    assert "Choose at least one of your organisation&#39;s open needs." in response.get_data(as_text=True)
    assert _registration(buyer, event) is None


def test_someone_elses_offering_cannot_be_brought(event, supplier, make_participant):
    other = make_participant("supplier", name="Other", title="Someone else's sensor")
    foreign = registrations_service.eligible_items(other, "supplier")[0]
    with pytest.raises(ServiceError, match="published offerings"):
        registrations_service.register(
            supplier, event, registrations_service.RegistrationInput(role="supplier", item_ids=[foreign.id])
        )


def test_a_role_the_user_does_not_have_is_refused(event, supplier):
    with pytest.raises(ServiceError, match="each in their own role"):
        registrations_service.register(supplier, event, registrations_service.RegistrationInput("buyer", [1]))


def test_registering_twice_is_refused(event, supplier, register):
    register(supplier, event)
    with pytest.raises(ServiceError, match="already registered"):
        register(supplier, event)


def test_registration_outside_the_window_is_refused(make_event, supplier, register):
    later = make_event(registration_opens_at=local_now() + timedelta(days=2))
    with pytest.raises(ServiceError, match="not open"):
        register(supplier, later)
    ended = make_event(
        registration_opens_at=local_now() - timedelta(days=5),
        registration_closes_at=local_now() - timedelta(minutes=1),
    )
    with pytest.raises(ServiceError, match="not open"):
        register(supplier, ended)


def test_registration_page_redirects_when_registration_is_closed(client, auth, event, organizer, supplier):
    events_service.change_status(organizer, event, "registration_closed")
    auth.login(supplier)
    response = client.get(f"/events/{event.id}/register", follow_redirects=True)
    assert "Registration for this event is not open." in response.get_data(as_text=True)


def test_a_full_role_refuses_new_registrations(make_event, make_participant, register):
    event = make_event(capacity_suppliers=1)
    register(make_participant("supplier", name="First"), event)
    with pytest.raises(ServiceError, match="full for your role"):
        register(make_participant("supplier", name="Second"), event)
    register(make_participant("buyer", name="A buyer"), event)  # the other role still has room


def test_a_participant_changes_their_registration(client, auth, event, supplier, register):
    registration = register(supplier, event)
    auth.login(supplier)
    response = client.post(
        f"/events/{event.id}/register",
        data={
            "role": "supplier",
            "items": [registration.offerings[0].id],
            "slots": [event.meeting_slots[-1].id],
            "max_meetings": "2",
        },
    )
    assert response.status_code == 302
    db.session.refresh(registration)
    assert [s.id for s in registration.available_slots] == [event.meeting_slots[-1].id]
    assert registration.max_meetings == 2


def test_a_registration_cannot_change_after_registration_closes(event, organizer, supplier, register):
    registration = register(supplier, event)
    events_service.change_status(organizer, event, "registration_closed")
    data = registrations_service.RegistrationInput("supplier", [registration.offerings[0].id], None, 3)
    with pytest.raises(ServiceError, match="Registration has closed"):
        registrations_service.update_registration(supplier, registration, data)
    with pytest.raises(ServiceError, match="Registration has closed"):
        registrations_service.cancel_registration(supplier, registration)


def test_cancelling_withdraws_open_requests(client, auth, event, buyer, supplier, register):
    rb, rs = register(buyer, event), register(supplier, event)
    request = requests_service.send_request(supplier, event, rb.id, "")
    auth.login(supplier)
    response = client.post(f"/events/{event.id}/register/cancel", follow_redirects=True)
    assert "Your registration is cancelled." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, rs.id).status == RegistrationStatus.CANCELLED
    assert db.session.get(MeetingRequest, request.id).status == "cancelled"
    # and may register again afterwards, reusing the same row (event x user is unique), to wait for the
    # organizer's approval (see test_a_participant_who_withdrew_comes_back_pending_...)
    again = registrations_service.register(
        supplier, event, registrations_service.RegistrationInput("supplier", [rs.offerings[0].id])
    )
    assert again.id == rs.id and again.status == RegistrationStatus.PENDING


def test_only_the_participant_changes_their_registration(event, supplier, buyer, register):
    registration = register(supplier, event)
    with pytest.raises(ServiceError, match="not yours"):
        registrations_service.cancel_registration(buyer, registration)


# --- approval ----------------------------------------------------------------------------------------


def test_with_approval_registrations_wait_and_the_organizer_is_told(
    make_event, organizer, supplier, register, outbox
):
    event = make_event(admission="approval")
    registration = register(supplier, event)
    assert registration.status == RegistrationStatus.PENDING
    assert [m.to for m in outbox] == [organizer.email]
    assert "awaits your approval" in outbox[0].body


def test_the_organizer_approves_and_the_participant_gets_a_mail(
    client, auth, make_event, organizer, supplier, register, outbox
):
    event = make_event(admission="approval")
    registration = register(supplier, event)
    outbox.clear()
    auth.login(organizer)
    response = client.post(f"/events/{event.id}/registrations/{registration.id}/approve")
    assert response.status_code == 302
    db.session.refresh(registration)
    assert registration.status == RegistrationStatus.APPROVED and registration.decided_at is not None
    assert [m.to for m in outbox] == [supplier.email]
    assert event.title in outbox[0].subject


def test_the_organizer_refuses_a_registration(client, auth, make_event, organizer, supplier, register):
    event = make_event(admission="approval")
    registration = register(supplier, event)
    auth.login(organizer)
    client.post(f"/events/{event.id}/registrations/{registration.id}/refuse")
    db.session.refresh(registration)
    assert registration.status == RegistrationStatus.REFUSED


def test_a_participant_cannot_approve_registrations(client, auth, make_event, supplier, buyer, register):
    event = make_event(admission="approval")
    registration = register(supplier, event)
    auth.login(buyer)
    assert client.post(f"/events/{event.id}/registrations/{registration.id}/approve").status_code == 403
    db.session.refresh(registration)
    assert registration.status == RegistrationStatus.PENDING


def test_a_registration_of_another_event_is_not_found(
    client, auth, make_event, organizer, supplier, register
):
    first, second = make_event(), make_event(title="Another")
    registration = register(supplier, first)
    auth.login(organizer)
    assert client.post(f"/events/{second.id}/registrations/{registration.id}/refuse").status_code == 404


def test_the_organizer_registers_someone_on_their_behalf(client, auth, make_event, organizer, buyer, outbox):
    event = make_event(admission="approval")
    auth.login(organizer)
    response = client.post(
        f"/events/{event.id}/registrations/new",
        data={"email": buyer.email.upper(), "role": "buyer", "max_meetings": "6"},
    )
    assert response.status_code == 302
    registration = _registration(buyer, event)
    assert registration.status == RegistrationStatus.APPROVED
    assert registration.registered_by_id == organizer.id
    assert [n.title for n in registration.needs] == ["Smart traffic lights for cyclists"]
    assert len(registration.available_slots) == 8
    assert [m.to for m in outbox] == [buyer.email]


def test_registering_an_unknown_email_on_behalf_explains_why(client, auth, event, organizer):
    auth.login(organizer)
    response = client.post(
        f"/events/{event.id}/registrations/new",
        data={"email": "nobody@example.org", "role": "buyer", "max_meetings": "6"},
    )
    assert response.status_code == 422
    assert "No active account uses this email address." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


# --- coming back after a refusal or a withdrawal ----------------------------------------------------------


def _register_form(event, registration) -> dict:
    return {
        "role": registration.role,
        "items": [i.id for i in registration.items],
        "slots": [s.id for s in event.meeting_slots],
        "max_meetings": "4",
    }


@pytest.mark.parametrize("admission", ["automatic", "approval"])
def test_a_refused_participant_cannot_register_again(
    client, auth, make_event, organizer, supplier, register, outbox, admission
):
    """Issue 14, finding 3: a participant the organizer refused registered again and, where admission is
    automatic, was approved at once. They stay refused until the organizer admits them, and are told so."""
    event = make_event(admission=admission)
    registration = register(supplier, event)
    registrations_service.decide_registration(organizer, registration, approve=False)
    outbox.clear()
    auth.login(supplier)
    response = client.post(
        f"/events/{event.id}/register", data=_register_form(event, registration), follow_redirects=True
    )
    assert "The organizer refused your registration for this event." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.REFUSED
    assert outbox == []
    with pytest.raises(ServiceError, match="refused your registration"):
        register(supplier, event)


def test_a_refused_participant_is_told_instead_of_offered_the_form(
    client, auth, make_event, organizer, supplier, register
):
    """Issue 14, finding 3: the event's page and the registration page say the organizer refused, and offer
    no registration form."""
    event = make_event()
    registrations_service.decide_registration(organizer, register(supplier, event), approve=False)
    auth.login(supplier)
    response = client.get(f"/events/{event.id}/register", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == f"/events/{event.id}"
    assert "The organizer refused your registration for this event." in page
    assert "Register for this event" not in page


def test_the_organizer_admits_a_refused_participant_again(
    client, auth, make_event, organizer, supplier, register
):
    event = make_event()
    registration = register(supplier, event)
    registrations_service.decide_registration(organizer, registration, approve=False)
    auth.login(organizer)
    assert client.post(f"/events/{event.id}/registrations/{registration.id}/approve").status_code == 302
    db.session.refresh(registration)
    assert registration.status == RegistrationStatus.APPROVED


def test_the_organizer_registers_a_refused_participant_on_their_behalf(
    make_event, organizer, buyer, register
):
    event = make_event()
    registrations_service.decide_registration(organizer, register(buyer, event), approve=False)
    again = registrations_service.register_on_behalf(organizer, event, buyer.email, "buyer")
    assert again.status == RegistrationStatus.APPROVED and again.registered_by_id == organizer.id


def test_a_participant_who_withdrew_comes_back_pending_where_admission_is_automatic(
    client, auth, make_event, organizer, supplier, register, outbox
):
    """Issue 14, finding 3: a participant who cancelled their registration and registers again waits for
    the organizer, even where admission is automatic (they were approved at once). The organizer is told and
    approves as for any pending registration."""
    event = make_event(admission="automatic")
    registration = register(supplier, event)
    registrations_service.cancel_registration(supplier, registration)
    outbox.clear()
    auth.login(supplier)
    response = client.post(
        f"/events/{event.id}/register", data=_register_form(event, registration), follow_redirects=True
    )
    assert (
        "You cancelled your registration earlier: the organizer confirms your return."
        in response.get_data(as_text=True)
    )
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert registration.status == RegistrationStatus.PENDING and registration.decided_at is None
    assert [m.to for m in outbox] == [organizer.email]
    registrations_service.decide_registration(organizer, registration, approve=True)
    assert registration.status == RegistrationStatus.APPROVED


def test_a_participant_the_organizer_withdrew_comes_back_pending(make_event, organizer, supplier, register):
    """Issue 14, finding 3: the organizer's withdrawal (from the schedule, while registration is open) does
    not let the participant back in by registering again: they wait for the organizer's approval."""
    from matchmaker.services import scheduling as scheduling_service

    event = make_event(admission="automatic")
    registration = register(supplier, event)
    scheduling_service.withdraw_participant(organizer, registration)
    again = register(supplier, event)
    assert again.id == registration.id and again.status == RegistrationStatus.PENDING


# --- who is here ---------------------------------------------------------------------------------------


def test_who_is_here_is_for_approved_participants_and_the_organizer(
    client, auth, make_event, organizer, buyer, supplier, register
):
    event = make_event(admission="approval")
    register(supplier, event)  # pending
    auth.login(supplier)
    assert client.get(f"/events/{event.id}/participants").status_code == 403
    auth.login_as("buyer")
    assert client.get(f"/events/{event.id}/participants").status_code == 403
    auth.login(organizer)
    assert client.get(f"/events/{event.id}/participants").status_code == 200


def test_who_is_here_lists_the_other_side_with_what_they_bring_and_filters(
    client, auth, event, buyer, supplier, make_participant, register
):
    other_buyer = make_participant("buyer", name="Greta Gent", title="Flood sensors for the Scheldt")
    register(buyer, event)
    register(other_buyer, event)
    register(supplier, event)
    auth.login(supplier)
    page = client.get(f"/events/{event.id}/participants").get_data(as_text=True)
    assert "Bart Buyer" in page and "Greta Gent" in page
    assert "Smart traffic lights for cyclists" in page
    assert ">Sofie Supplier</h3>" not in page  # not oneself
    searched = client.get(f"/events/{event.id}/participants?q=scheldt").get_data(as_text=True)
    assert "Greta Gent" in searched and "Bart Buyer" not in searched
    suppliers = client.get(f"/events/{event.id}/participants?role=supplier").get_data(as_text=True)
    assert "Greta Gent" not in suppliers
    assert "Nobody matches these filters." in suppliers


def test_an_item_taken_back_to_draft_after_registering_is_no_longer_shown(
    client, auth, event, buyer, make_participant, register, organizer
):
    other_buyer = make_participant("buyer", name="Greta Gent", title="Flood sensors for the Scheldt")
    register(buyer, event)
    registration = register(other_buyer, event)
    need = registration.items[0]
    need.status = NeedStatus.DRAFT
    need.title = "Secret draft about the Scheldt"
    db.session.commit()
    auth.login(buyer)
    page = client.get(f"/events/{event.id}/participants?role=buyer").get_data(as_text=True)
    assert "Greta Gent" in page and "Scheldt" not in page
    assert "Greta Gent" not in client.get(f"/events/{event.id}/participants?role=buyer&q=scheldt").get_data(
        as_text=True
    )
    auth.login(organizer)
    assert "Scheldt" not in client.get(f"/events/{event.id}/dashboard").get_data(as_text=True)
    assert registration.shown_items == [] and registration.items == [need]


def test_who_is_here_is_paginated(client, auth, event, supplier, make_participant, register, monkeypatch):
    import matchmaker.events.routes as routes

    monkeypatch.setattr(routes, "PARTICIPANTS_PER_PAGE", 2)
    names = ["Anna Aalst", "Bram Brugge", "Cas Charleroi"]
    for name in names:
        register(make_participant("buyer", name=name, title=f"Need of {name}"), event)
    register(supplier, event)
    auth.login(supplier)
    pages = [client.get(f"/events/{event.id}/participants?page={n}").get_data(as_text=True) for n in (1, 2)]
    shown = [[name for name in names if name in page] for page in pages]
    assert sorted(shown[0] + shown[1]) == names and len(shown[0]) == 2 and len(shown[1]) == 1
    assert 'aria-label="Pages"' in pages[0] and "page=2" in pages[0]


def test_admitted_at_once_without_mail_when_the_participant_chose_none(event, buyer, register, outbox):
    notifications_service.set_email_mode(buyer, EmailMode.NONE)
    register(buyer, event)
    assert outbox == []
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == buyer.id)).all()
    assert kinds == ["registration_approved"]


def test_admitted_at_once_the_participant_gets_a_confirmation_mail(event, buyer, register, outbox):
    register(buyer, event)
    assert [m.to for m in outbox] == [buyer.email]
    assert event.title in outbox[0].body


def test_download_my_data_includes_registrations_requests_and_notifications(
    client, auth, event, buyer, supplier, register
):
    rb = register(buyer, event)
    register(supplier, event)
    requests_service.send_request(supplier, event, rb.id, "Personal message")
    auth.login(buyer)
    data = client.get("/account/data/export.json").get_json()
    events = data["data"]["events"]
    assert events[0]["event"] == event.title and events[0]["role"] == "buyer"
    assert events[0]["meeting_requests"][0]["message"] == "Personal message"
    assert events[0]["meeting_requests"][0]["direction"] == "received"
    kinds = {n["kind"] for n in data["data"]["notifications"]["notifications"]}
    assert kinds == {"registration_approved", "request_received_about"}  # it says about which items


def test_deleting_an_account_removes_its_registrations_requests_and_notifications(
    event, buyer, supplier, register
):
    from matchmaker.models import Notification
    from matchmaker.services import accounts
    from tests.factories import PASSWORD

    rb = register(buyer, event)
    register(supplier, event)
    requests_service.send_request(supplier, event, rb.id, "Hello")
    supplier_id = supplier.id
    accounts.delete_account(supplier, PASSWORD)
    assert db.session.scalars(sa.select(Registration.user_id)).all() == [buyer.id]
    assert db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == supplier_id)
        )
        == 0
    )


@pytest.mark.postgres
def test_the_last_place_goes_to_one_of_two_simultaneous_registrations(app, make_event, make_participant):
    from matchmaker.models import Event, User

    require_postgres()
    event_id = make_event(capacity_suppliers=1).id
    users = [make_participant("supplier", name=f"Racer {n}").id for n in range(2)]

    def registers(user_id):
        def run():
            user = db.session.get(User, user_id)
            items = registrations_service.eligible_items(user, "supplier")
            registrations_service.register(
                user,
                db.session.get(Event, event_id),
                registrations_service.RegistrationInput("supplier", [i.id for i in items]),
            )

        return run

    results = race(app, registers(users[0]), registers(users[1]))
    assert results.count("ok") == 1
    assert "full" in next(r for r in results if r != "ok").message
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1


def test_the_organizers_list_is_sorted_paged_and_filtered_without_loading_everyone(
    client, auth, event, organizer, make_participant, register, monkeypatch
):
    """The organizer's unfiltered list is ordered by organisation and name from one light query; what people
    bring is loaded for the page shown, and the role filter still applies."""
    import matchmaker.events.routes as routes

    monkeypatch.setattr(routes, "PARTICIPANTS_PER_PAGE", 2)
    for role, name in [("supplier", "Zoë Zele"), ("buyer", "bart Beveren"), ("buyer", "Anna Aalst")]:
        register(make_participant(role, name=name, title=f"Item of {name}"), event)
    directory = registrations_service.who_is_here(organizer, event)
    assert isinstance(directory.others, registrations_service.LazyRegistrations)
    # "Agency of Anna Aalst" < "Agency of bart Beveren" < "Start-up of Zoë Zele", whatever the case.
    assert [r.user.display_name for r in directory.others[0:3]] == ["Anna Aalst", "bart Beveren", "Zoë Zele"]
    assert directory.others[2].user.display_name == "Zoë Zele" and len(directory.others) == 3
    auth.login(organizer)
    first = client.get(f"/events/{event.id}/participants").get_data(as_text=True)
    assert "Item of Anna Aalst" in first and "Item of bart Beveren" in first and "Zoë Zele" not in first
    second = client.get(f"/events/{event.id}/participants?page=2").get_data(as_text=True)
    assert "Item of Zoë Zele" in second
    suppliers = client.get(f"/events/{event.id}/participants?role=supplier").get_data(as_text=True)
    assert "Zoë Zele" in suppliers and "Anna Aalst" not in suppliers
