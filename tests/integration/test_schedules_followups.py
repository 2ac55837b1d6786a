"""After the scheduler: one way to publish (dashboard or schedule page), participants who cancel a meeting
or their participation, the event tabs, the run's translated phases, calendar reminders and sequences,
late participants with suggested meetings, and a quiet solver in the command."""

import os
import re
import subprocess
import sys

import icalendar
import pytest
import sqlalchemy as sa
from flask import g

from matchmaker import scheduling as engine
from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventStatus,
    Meeting,
    MeetingAttendee,
    MeetingSource,
    Notification,
    Registration,
    RegistrationStatus,
    RunStatus,
    SchedulingRun,
)
from matchmaker.services import ServiceError
from matchmaker.services import scheduling as service
from matchmaker.services.scheduling import cancellations
from tests.factories import Setup, add_request
from tests.helpers import FAST_SCHEDULER, race, require_postgres

pytestmark = pytest.mark.usefixtures("english_request_context")


@pytest.fixture
def app_overrides() -> dict:
    return dict(FAST_SCHEDULER)


def meetings(event: Event, active: bool = True) -> list[Meeting]:
    db.session.expire_all()
    query = sa.select(Meeting).where(Meeting.event_id == event.id)
    if active:
        query = query.where(Meeting.cancelled_at.is_(None))
    return list(db.session.scalars(query.order_by(Meeting.id)))


def notifications(kind: str) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.kind == kind)))


def published(setup: Setup, organizer) -> list[Meeting]:
    service.start_run(organizer, setup.event, "full", False, time_limit=5)
    service.publish(organizer, setup.event)
    return meetings(setup.event)


def meetings_of(registration: Registration, event: Event) -> list[Meeting]:
    return [
        m for m in meetings(event) if registration.id in (m.first_registration_id, m.second_registration_id)
    ]


def feed(client, auth, registration: Registration) -> icalendar.Calendar:
    auth.login(registration.user)
    assert client.get(f"/events/{registration.event_id}/agenda").status_code == 200
    db.session.refresh(registration)
    response = client.get(f"/calendar/{registration.calendar_token}.ics")
    assert response.status_code == 200
    return icalendar.Calendar.from_ical(response.data)


def forget_cached_user() -> None:
    """The test's own request context shares `g` with the client's requests: a service that rendered a
    mail there cached the anonymous user in it, which the next request would take for its own."""
    g.pop("_login_user", None)


def vevent(calendar: icalendar.Calendar, uid: str):
    return next(e for e in calendar.walk("VEVENT") if str(e["uid"]) == uid)


# --- one way to publish ---------------------------------------------------------------------------------


def test_the_dashboard_publishes_through_the_schedule_once(client, auth, setup: Setup, organizer):
    service.start_run(organizer, setup.event, "full", False, time_limit=5)
    event = db.session.get(Event, setup.event.id)
    event.status = EventStatus.REGISTRATION_CLOSED
    db.session.commit()
    auth.login(organizer)
    response = client.post(
        f"/events/{setup.event.id}/status", data={"status": "agenda_published"}, follow_redirects=True
    )
    assert "The agenda is published; 7 participants are notified." in response.text
    assert all(m.published and m.locked for m in meetings(setup.event))
    assert db.session.get(Event, setup.event.id).status == EventStatus.AGENDA_PUBLISHED
    told = [n.user_id for n in notifications("agenda_published")]
    assert sorted(told) == sorted(r.user_id for r in setup.everyone)  # each exactly once
    assert all(n.url == f"/events/{setup.event.id}/agenda" for n in notifications("agenda_published"))
    # The schedule page has nothing left to publish: nobody is told twice.
    with pytest.raises(ServiceError, match="no changes"):
        service.publish(organizer, setup.event)
    assert len(notifications("agenda_published")) == 7


@pytest.mark.postgres
def test_publishing_from_the_dashboard_and_the_schedule_at_once_tells_everyone_once(
    app, setup: Setup, organizer, make_user
):
    require_postgres()
    from matchmaker.models import User
    from matchmaker.services import events as events_service

    admin = make_user(roles=("admin",), language="en")
    service.start_run(organizer, setup.event, "full", False, time_limit=5)
    event = db.session.get(Event, setup.event.id)
    event.status = EventStatus.REGISTRATION_CLOSED
    db.session.commit()
    event_id, organizer_id, admin_id = event.id, organizer.id, admin.id

    def from_dashboard():
        events_service.publish_agenda(db.session.get(User, organizer_id), db.session.get(Event, event_id))

    def from_schedule():
        service.publish(db.session.get(User, admin_id), db.session.get(Event, event_id))

    results = race(app, from_dashboard, from_schedule, language="en")
    assert "ok" in results, results
    assert all(r == "ok" or "no changes" in r.message or "stage" in r.message for r in results), results
    db.session.expire_all()
    told = [n.user_id for n in notifications("agenda_published")]
    assert sorted(told) == sorted(r.user_id for r in setup.everyone)  # each exactly once
    assert all(m.published and m.locked for m in meetings(setup.event))


def test_the_dashboard_asks_to_review_before_publishing(client, auth, setup: Setup, organizer):
    event = db.session.get(Event, setup.event.id)
    event.status = EventStatus.REGISTRATION_CLOSED
    db.session.commit()
    auth.login(organizer)
    page = client.get(f"/events/{setup.event.id}/dashboard").text
    assert "Review them first on the schedule page." in page
    assert f'href="/events/{setup.event.id}/schedule"' in page


def test_counts_of_one_read_in_the_singular(client, auth, make_event, make_participant, register):
    event = make_event()
    buyer = register(make_participant("buyer", name="Bea"), event)
    supplier = register(make_participant("supplier", name="Sam"), event)
    service.add_meeting(event.organizer, event, buyer, supplier, event.meeting_slots[0], event.tables[0])
    auth.login(event.organizer)
    response = client.post(f"/events/{event.id}/schedule/publish", follow_redirects=True)
    assert "The agenda is published; 2 participants are notified." in response.text
    response = client.post(
        f"/events/{event.id}/schedule/participants/{supplier.id}/withdraw", follow_redirects=True
    )
    assert "Sam&#39;s registration is cancelled; 1 meeting is cancelled." in response.text
    # Bea was told at once, so there is nothing left to publish.
    assert [n.user_id for n in notifications("meeting_cancelled_withdrawn")] == [buyer.user_id]
    response = client.post(f"/events/{event.id}/schedule/publish", follow_redirects=True)
    assert "There are no changes to publish." in response.text
    # A meeting the organizer removes is told at the next publication, to those still taking part.
    sid_user = make_participant("supplier", name="Sid")
    sid = service.add_late_participant(event.organizer, event, sid_user.email, "supplier")
    meeting = service.add_meeting(event.organizer, event, buyer, sid, event.meeting_slots[1], event.tables[0])
    service.publish(event.organizer, event)
    service.remove_meeting(event.organizer, meeting)
    service.withdraw_from_event(sid_user, sid)
    auth.login(event.organizer)
    response = client.post(f"/events/{event.id}/schedule/publish", follow_redirects=True)
    assert "The changes are published; 1 participant is notified." in response.text


# --- a participant cancels a meeting ------------------------------------------------------------------------


def test_a_participant_cancels_a_meeting_with_a_reason(client, auth, setup: Setup, organizer):
    meeting = published(setup, organizer)[0]
    mine, theirs = meeting.first_registration, meeting.second_registration
    uid = meeting.uid
    auth.login(mine.user)
    agenda = client.get(f"/events/{setup.event.id}/agenda").text
    cancel_url = f"/events/{setup.event.id}/agenda/meetings/{meeting.id}/cancel"
    assert cancel_url in agenda and "I cannot come" in agenda
    confirm = client.get(cancel_url)
    assert confirm.status_code == 200 and "Cancel this meeting?" in confirm.text
    assert theirs.user.display_name in confirm.text
    response = client.post(cancel_url, data={"reason": "  Ill,   sorry  "}, follow_redirects=True)
    assert "is cancelled; they and the organizer are told." in response.text
    cancelled = db.session.get(Meeting, meeting.id)
    assert cancelled.cancelled_at is not None and cancelled.sequence == 1 and not cancelled.notice_pending
    assert cancelled.cancel_reason == "Ill, sorry"
    assert not db.session.scalars(
        sa.select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id)
    ).all()
    other = notifications("meeting_cancelled_reason")
    assert [n.user_id for n in other] == [theirs.user_id]
    assert other[0].params["reason"] == "Ill, sorry" and other[0].url == f"/events/{setup.event.id}/agenda"
    assert [n.user_id for n in notifications("meeting_cancelled_organizer_reason")] == [organizer.id]
    # The meeting is gone from the agenda and listed as cancelled; the calendar drops it.
    agenda = client.get(f"/events/{setup.event.id}/agenda").text
    assert "Cancelled meetings" in agenda and cancel_url not in agenda
    entry = vevent(feed(client, auth, theirs), uid)
    assert str(entry["status"]) == "CANCELLED" and int(entry["sequence"]) == 1
    # Nothing is left for "publish changes": the two were told already.
    with pytest.raises(ServiceError, match="no changes"):
        service.publish(organizer, setup.event)


def test_without_a_reason_the_plain_notices_go(client, auth, setup: Setup, organizer):
    meeting = published(setup, organizer)[0]
    auth.login(meeting.second_registration.user)
    response = client.post(
        f"/events/{setup.event.id}/agenda/meetings/{meeting.id}/cancel", data={"reason": ""}
    )
    assert response.status_code == 302
    assert [n.user_id for n in notifications("meeting_cancelled")] == [meeting.first_registration.user_id]
    assert [n.user_id for n in notifications("meeting_cancelled_organizer")] == [organizer.id]


def test_cancelling_twice_counts_once(setup: Setup, organizer):
    meeting = published(setup, organizer)[0]
    first, second = meeting.first_registration.user, meeting.second_registration.user
    service.cancel_own_meeting(first, meeting)
    with pytest.raises(ServiceError, match="cancelled already"):
        service.cancel_own_meeting(second, db.session.get(Meeting, meeting.id))
    assert db.session.get(Meeting, meeting.id).sequence == 1
    assert len(notifications("meeting_cancelled")) == 1


def test_a_meeting_that_has_begun_cannot_be_cancelled(setup: Setup, organizer, monkeypatch):
    meeting = published(setup, organizer)[0]
    monkeypatch.setattr(cancellations, "local_now", lambda: meeting.slot.starts_at)
    with pytest.raises(ServiceError, match="begun"):
        service.cancel_own_meeting(meeting.first_registration.user, meeting)
    assert db.session.get(Meeting, meeting.id).cancelled_at is None


def test_a_too_long_reason_is_refused_and_nothing_changes(client, auth, setup: Setup, organizer):
    meeting = published(setup, organizer)[0]
    auth.login(meeting.first_registration.user)
    response = client.post(
        f"/events/{setup.event.id}/agenda/meetings/{meeting.id}/cancel", data={"reason": "x" * 201}
    )
    assert response.status_code == 422 and "Keep the reason under 200 characters." in response.text
    assert db.session.get(Meeting, meeting.id).cancelled_at is None


def test_the_freed_slot_is_filled_by_the_next_fill_run_without_the_cancelled_pair(
    setup: Setup, organizer, make_participant
):
    meeting = published(setup, organizer)[0]
    freed_slot = meeting.slot
    kept, leaving = meeting.first_registration, meeting.second_registration
    if kept.role != "buyer":
        kept, leaving = leaving, kept
    service.cancel_own_meeting(leaving.user, meeting)
    # The buyer who was left is free in that slot only; a late supplier asks for them.
    buyer = db.session.get(Registration, kept.id)
    buyer.available_slots = [freed_slot]
    db.session.commit()
    late_user = make_participant("supplier", name="Late Lou")
    late = service.add_late_participant(organizer, setup.event, late_user.email, "supplier", 3)
    add_request(setup.event, late, buyer)
    result = service.start_run(organizer, setup.event, "fill", False, 5)
    assert result.status == RunStatus.DONE
    new = [m for m in meetings(setup.event) if not m.published]
    assert [(m.slot_id, {m.first_registration_id, m.second_registration_id}) for m in new] == [
        (freed_slot.id, {buyer.id, late.id})
    ]
    # The request behind the cancelled meeting is still accepted, yet the pair is not brought back.
    pair = (meeting.first_registration_id, meeting.second_registration_id)
    assert not [
        m for m in meetings(setup.event) if (m.first_registration_id, m.second_registration_id) == pair
    ]


@pytest.mark.parametrize("who", ["another participant", "the organizer", "a stranger"])
def test_only_the_two_parties_may_cancel_a_meeting(client, auth, setup: Setup, organizer, make_user, who):
    meeting = published(setup, organizer)[0]
    parties = {meeting.first_registration_id, meeting.second_registration_id}
    if who == "another participant":
        user = next(r.user for r in setup.everyone if r.id not in parties)
    elif who == "the organizer":
        user = organizer
    else:
        user = make_user(roles=("supplier",))
    auth.login(user)
    url = f"/events/{setup.event.id}/agenda/meetings/{meeting.id}/cancel"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"reason": "not mine"}).status_code == 404
    assert db.session.get(Meeting, meeting.id).cancelled_at is None
    with pytest.raises(ServiceError):
        service.cancel_own_meeting(user, meeting)


def test_a_meeting_of_another_event_or_not_published_is_not_found(
    client, auth, setup: Setup, organizer, make_event
):
    service.start_run(organizer, setup.event, "full", False, time_limit=5)
    meeting = meetings(setup.event)[0]
    auth.login(meeting.first_registration.user)
    # Not published yet: no agenda to cancel from.
    assert client.get(f"/events/{setup.event.id}/agenda/meetings/{meeting.id}/cancel").status_code == 404
    service.publish(organizer, setup.event)
    other = make_event(title="Another day")
    forget_cached_user()
    response = client.get(f"/events/{other.id}/agenda/meetings/{meeting.id}/cancel")
    assert response.status_code == 404, response.headers.get("Location")


# --- a participant cannot come at all -----------------------------------------------------------------------


def test_a_participant_who_cannot_come_cancels_every_meeting(client, auth, setup: Setup, organizer):
    published(setup, organizer)
    leaving = setup.suppliers[0]
    theirs = meetings_of(leaving, setup.event)
    assert len(theirs) >= 2
    others = {m.other(leaving.id).user_id for m in theirs}
    auth.login(leaving.user)
    confirm = client.get(f"/events/{setup.event.id}/agenda/withdraw")
    assert confirm.status_code == 200 and "Cancel your participation?" in confirm.text
    response = client.post(
        f"/events/{setup.event.id}/agenda/withdraw", data={"reason": "Strike"}, follow_redirects=True
    )
    assert f"Your participation is cancelled and {len(theirs)} meetings with it" in response.text
    assert db.session.get(Registration, leaving.id).status == RegistrationStatus.CANCELLED
    for m in theirs:
        row = db.session.get(Meeting, m.id)
        assert row.cancelled_at is not None and row.sequence == 1 and row.cancel_reason == "Strike"
    assert not meetings_of(leaving, setup.event)
    assert sorted(n.user_id for n in notifications("meeting_cancelled_reason")) == sorted(others)
    withdrew = notifications("participant_withdrew_reason")
    assert [n.user_id for n in withdrew] == [organizer.id] and withdrew[0].params["reason"] == "Strike"
    # Their agenda no longer offers to cancel, and the page refuses now.
    assert client.get(f"/events/{setup.event.id}/agenda/withdraw").status_code == 404


def test_nobody_withdraws_someone_else(client, auth, setup: Setup, organizer, make_user):
    published(setup, organizer)
    auth.login(make_user(roles=("buyer",)))
    assert client.post(f"/events/{setup.event.id}/agenda/withdraw", data={}).status_code == 404
    with pytest.raises(ServiceError, match="not yours"):
        service.withdraw_from_event(setup.buyers[1].user, setup.buyers[0])
    assert db.session.get(Registration, setup.buyers[0].id).status == RegistrationStatus.APPROVED


def test_before_publishing_participants_cannot_cancel(client, auth, setup: Setup, organizer):
    service.start_run(organizer, setup.event, "full", False, time_limit=5)
    auth.login(setup.buyers[0].user)
    assert client.get(f"/events/{setup.event.id}/agenda/withdraw").status_code == 404
    with pytest.raises(ServiceError, match="once the agenda is published"):
        service.withdraw_from_event(setup.buyers[0].user, setup.buyers[0])


# --- the event's tabs ---------------------------------------------------------------------------------------


def tabs(html: str) -> dict[str, bool]:
    """The event tabs of a page: their addresses, and whether each is the current page."""
    nav = html.split('class="event-nav')[1].split("</nav>")[0]
    return {
        href: "aria-current" in attributes
        for attributes, href in re.findall(r'<a class="nav-link[^"]*"([^>]*?)href="([^"]+)"', nav, re.S)
    }


def test_the_tabs_offer_my_agenda_once_published_and_the_schedule_to_the_organizer(
    client, auth, setup: Setup, organizer
):
    agenda, schedule = f"/events/{setup.event.id}/agenda", f"/events/{setup.event.id}/schedule"
    auth.login(setup.buyers[0].user)
    assert agenda not in tabs(client.get(f"/events/{setup.event.id}").text)
    published(setup, organizer)
    forget_cached_user()
    seen = tabs(client.get(f"/events/{setup.event.id}").text)
    assert agenda in seen and schedule not in seen
    assert tabs(client.get(agenda).text)[agenda] is True
    auth.login(organizer)
    seen = tabs(client.get(f"/events/{setup.event.id}/dashboard").text)
    assert schedule in seen and agenda not in seen
    assert tabs(client.get(schedule).text)[schedule] is True


# --- the run's phases ---------------------------------------------------------------------------------------


def test_every_engine_message_maps_to_a_phase(setup: Setup):
    instance, _context = service.build_instance(setup.event)
    messages = []
    engine.solve(instance, time_limit=5, progress=lambda _f, message: messages.append(message))
    assert messages
    assert all(service.engine_phase(m) for m in messages), messages


def test_a_running_run_shows_its_phase_in_words_of_the_page(client, auth, setup: Setup, organizer):
    run = SchedulingRun(event_id=setup.event.id, status=RunStatus.RUNNING, progress=0.4, message="placing")
    db.session.add(run)
    db.session.commit()
    auth.login(organizer)
    page = client.get(f"/events/{setup.event.id}/schedule").text
    assert "Placing the meetings in slots and tables" in page
    status = client.get(f"/events/{setup.event.id}/schedule/runs/{run.id}.json").get_json()
    assert status["message"] == "Placing the meetings in slots and tables" and status["phase"] == "placing"


def test_unknown_engine_words_are_not_shown(setup: Setup):
    assert service.engine_phase("something new from the engine") == ""
    assert service.phase_label("") == "" and service.phase_label("nonsense") == ""


# --- calendar ---------------------------------------------------------------------------------------------


def test_each_meeting_in_the_feed_has_a_reminder_and_a_cancelled_one_none(
    client, auth, setup: Setup, organizer
):
    meeting = published(setup, organizer)[0]
    registration = meeting.first_registration
    theirs = meetings_of(registration, setup.event)
    calendar = feed(client, auth, registration)
    for m in theirs:
        alarms = vevent(calendar, m.uid).walk("VALARM")
        assert len(alarms) == 1
        assert str(alarms[0]["action"]) == "DISPLAY"
        assert alarms[0]["trigger"].to_ical() == b"-PT15M"
        assert str(alarms[0]["description"]).startswith("Meeting with")
    service.cancel_own_meeting(registration.user, db.session.get(Meeting, meeting.id))
    assert not vevent(feed(client, auth, registration), meeting.uid).walk("VALARM")


def test_a_new_table_in_the_same_slot_raises_the_sequence(client, auth, setup: Setup, organizer):
    meeting = published(setup, organizer)[0]
    taken = {m.table_id for m in meetings(setup.event) if m.slot_id == meeting.slot_id}
    table = next(t for t in setup.event.tables if t.id not in taken)
    service.move_meeting(organizer, meeting, meeting.slot, table)
    service.publish(organizer, setup.event)
    entry = vevent(feed(client, auth, meeting.first_registration), meeting.uid)
    assert int(entry["sequence"]) == 1 and table.label in str(entry["location"])


def test_a_swap_of_tables_in_one_slot_raises_both_sequences(setup: Setup, organizer):
    first = published(setup, organizer)[0]
    # A second meeting in the same slot at another table, between two people free then.
    pairs = {(m.first_registration_id, m.second_registration_id) for m in meetings(setup.event)}
    busy = {
        rid
        for m in meetings(setup.event)
        if m.slot_id == first.slot_id
        for rid in (m.first_registration_id, m.second_registration_id)
    }
    buyer, supplier = next(
        (b, s)
        for b in setup.buyers
        for s in setup.suppliers
        if not {b.id, s.id} & busy and tuple(sorted((b.id, s.id))) not in pairs
    )
    taken = {m.table_id for m in meetings(setup.event) if m.slot_id == first.slot_id}
    table = next(t for t in setup.event.tables if t.id not in taken)
    second = service.add_meeting(organizer, setup.event, buyer, supplier, first.slot, table)
    service.publish(organizer, setup.event)
    first, second = db.session.get(Meeting, first.id), db.session.get(Meeting, second.id)
    tables = (first.table_id, second.table_id)
    service.swap_meetings(organizer, first, second)
    db.session.expire_all()
    first, second = db.session.get(Meeting, first.id), db.session.get(Meeting, second.id)
    assert (first.sequence, second.sequence) == (1, 1)
    assert (second.table_id, first.table_id) == tables and first.slot_id == second.slot_id


def test_renaming_a_table_raises_the_sequence_of_its_published_meetings(
    client, auth, setup: Setup, organizer
):
    from matchmaker.services import events as events_service

    meeting = published(setup, organizer)[0]
    at_table = [m.id for m in meetings(setup.event) if m.table_id == meeting.table_id]
    elsewhere = [m.id for m in meetings(setup.event) if m.table_id != meeting.table_id]
    data = events_service.event_input_from(setup.event)
    number = meeting.table.number
    data.table_names = [("Vito corner" if n == number else "") for n in range(1, data.table_count + 1)]
    events_service.update_event(organizer, setup.event, data)
    db.session.expire_all()
    assert all(db.session.get(Meeting, i).sequence == 1 for i in at_table)
    assert all(db.session.get(Meeting, i).sequence == 0 for i in elsewhere)
    entry = vevent(feed(client, auth, meeting.first_registration), meeting.uid)
    assert int(entry["sequence"]) == 1 and "Vito corner" in str(entry["location"])
    # Saving the event again without a change leaves the calendars alone.
    events_service.update_event(organizer, setup.event, events_service.event_input_from(setup.event))
    db.session.expire_all()
    assert all(db.session.get(Meeting, i).sequence == 1 for i in at_table)


# --- late participants ------------------------------------------------------------------------------


def test_a_late_participant_gets_suggested_meetings_and_those_concerned_are_told(
    client, auth, setup: Setup, organizer, make_participant, monkeypatch
):
    from matchmaker.services import matching

    class Rec:
        def __init__(self, registration):
            self.registration, self.score = registration, 0.5

    asked = []

    def recommend(registration, candidates, language):
        asked.append(registration.id)
        return [Rec(c) for c in candidates if c.role != registration.role]

    monkeypatch.setattr(matching, "recommend_participants", recommend)
    before = {(m.id, m.slot_id, m.table_id) for m in published(setup, organizer)}
    late_user = make_participant("supplier", name="Late Lou", email="lou@example.org")
    auth.login(organizer)
    response = client.post(
        f"/events/{setup.event.id}/schedule/late",
        data={"email": "lou@example.org", "role": "supplier", "max_meetings": "2"},
        follow_redirects=True,
    )
    assert "Fill the free slots with suggested meetings" in response.text
    assert "1 participant has no meeting yet" in response.text
    late = db.session.scalars(sa.select(Registration).where(Registration.user_id == late_user.id)).one()
    response = client.post(
        f"/events/{setup.event.id}/schedule/runs",
        data={"mode": "fill", "suggestions": "y", "time_limit": "5"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert asked == [late.id]  # suggestions only for whoever has no meeting yet
    new = [m for m in meetings(setup.event) if not m.published]
    assert len(new) == 2 and all(late.id in (m.first_registration_id, m.second_registration_id) for m in new)
    assert all(m.source == MeetingSource.SUGGESTED for m in new)
    assert before < {(m.id, m.slot_id, m.table_id) for m in meetings(setup.event)}
    report = service.publish(organizer, setup.event)
    concerned = {rid for m in new for rid in (m.first_registration_id, m.second_registration_id)}
    user_of = {r.id: r.user_id for r in db.session.scalars(sa.select(Registration))}
    assert {n.user_id for n in notifications("meeting_added")} == {user_of[r] for r in concerned}
    assert len(notifications("meeting_added")) == 4  # one per new meeting and participant
    assert report.notified == 3


# --- the command ------------------------------------------------------------------------------------------


def _first_solver_output(quiet: bool) -> str:
    code = (
        "from matchmaker.services.scheduling import quiet_solver_banner\n"
        + ("quiet_solver_banner()\n" if quiet else "")
        + "import highspy\nhighspy.Highs()\nprint('end')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        check=True,
    )
    return result.stdout


def test_the_solver_banner_is_silenced():
    assert "HiGHS" in _first_solver_output(quiet=False)  # what the command would show otherwise
    assert _first_solver_output(quiet=True) == "end\n"


def test_the_command_output_has_no_solver_banner(runner, setup: Setup, capfd):
    result = runner.invoke(args=["schedules", "run", str(setup.event.id), "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    assert "HiGHS" not in result.output and "HiGHS" not in capfd.readouterr().out
