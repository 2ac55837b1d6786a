"""The event day (issue 16): the organizers' live board and a participant's "now" view.

The clock is set by the tests: `event_rules.local_now` (which the board, the fill run and the "now" view read)
and the no-show's own `local_now` are patched to 9:25 on the event's day, during the 9:20 meetings.
"""

from datetime import datetime, time

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import CheckIn, Event, EventStatus, Meeting, Notification, Registration, User
from matchmaker.services import checkin, event_day, event_rules, scheduling
from matchmaker.services.scheduling import cancellations, corrections
from tests.factories import EVENT_DAY
from tests.helpers import counting, race, require_postgres
from tests.integration.test_page_costs import cost
from tests.integration.test_page_costs import crowd as crowd  # a fixture, used by name

pytestmark = pytest.mark.usefixtures("request_context")

NOW = datetime.combine(EVENT_DAY, time(9, 25))


@pytest.fixture
def clock(monkeypatch):
    """The event's clock at 9:25 on its day (during the 9:20 meetings); `clock.set(...)` moves it."""

    class Clock:
        now = NOW

        def set(self, value: datetime) -> None:
            self.now = value

    c = Clock()
    monkeypatch.setattr(event_rules, "local_now", lambda: c.now)
    monkeypatch.setattr(cancellations, "local_now", lambda: c.now)
    return c


class Day:
    """Two buyers and four suppliers. At 9:20 Bart meets Sofie at table 1 and Bea meets Sam at table 2; at
    9:40 Bea meets Sofie at table 1. Everyone has checked in but Sofie (late) and Nina (no meeting)."""


@pytest.fixture
def day(event, organizer, make_participant, register, make_meeting, clock):
    d = Day()
    d.event = event
    d.organizer = organizer
    people = {
        "bart": ("buyer", "Bart Buyer"),
        "bea": ("buyer", "Bea Buyer"),
        "sofie": ("supplier", "Sofie Supplier"),
        "sam": ("supplier", "Sam Supplier"),
        "stan": ("supplier", "Stan Supplier"),
        "nina": ("supplier", "Nina Newcomer"),
    }
    for key, (role, name) in people.items():
        setattr(d, key, register(make_participant(role, name=name), event))
    d.first = make_meeting(event, d.bart, d.sofie, slot_index=1, table_index=0)  # 9:20, table 1
    d.second = make_meeting(event, d.bea, d.sam, slot_index=1, table_index=1)  # 9:20, table 2
    d.later = make_meeting(event, d.bea, d.sofie, slot_index=2, table_index=0)  # 9:40, table 1
    event.status = EventStatus.AGENDA_PUBLISHED
    db.session.commit()
    for registration in (d.bart, d.bea, d.sam, d.stan):
        checkin.check_in(organizer, registration)
    return d


def _names(attendees) -> dict[str, str]:
    return {a.name: a.state for a in attendees}


def test_the_board_shows_the_meetings_now_and_next_with_arrivals_late_and_empty_tables(day):
    board = event_day.live_board(day.event)
    assert board.now_slot.starts_at.time() == time(9, 20) and board.next_slot.starts_at.time() == time(9, 40)
    rows = {row.table.number: row for row in board.rows}
    assert rows[1].now.meeting.id == day.first.id and rows[2].now.meeting.id == day.second.id
    assert _names(rows[1].now.attendees) == {"Bart Buyer": "arrived", "Sofie Supplier": "waiting"}
    assert [(a.name, seat.meeting.id) for a, seat in board.late] == [("Sofie Supplier", day.first.id)]
    assert [t.number for t in board.empty_now] == [3, 4]
    assert rows[1].next.meeting.id == day.later.id and rows[1].next.late == []  # not begun: not late
    assert [t.number for t in board.empty_next] == [2, 3, 4]
    assert [t.number for t in rows[1].now.free_tables] == [3, 4]
    assert (board.arrived, board.participants) == (4, 6)


def test_the_board_between_slots_and_after_the_day(day, clock):
    clock.set(datetime.combine(EVENT_DAY, time(10, 5)))  # the coffee break
    board = event_day.live_board(day.event)
    assert board.now_slot is None and board.current.kind == "break"
    assert board.next_slot.starts_at.time() == time(10, 20) and board.late == []
    clock.set(datetime.combine(EVENT_DAY, time(13, 0)))
    assert event_day.live_board(day.event).over


def test_the_live_page_and_its_fragment_show_the_board(client, auth, day):
    auth.login(day.organizer)
    page = client.get(f"/events/{day.event.id}/live")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    html = page.get_data(as_text=True)
    assert 'aria-live="polite"' in html and 'id="live-refresh"' in html and "/js/live-board." in html
    assert "Sofie Supplier" in html and "late" in html
    fragment = client.get(f"/events/{day.event.id}/live/board")
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text and "<nav" not in text
    assert "Sofie Supplier" in text and "Move to" in text


def test_a_meeting_moves_to_a_free_table_of_its_slot(client, auth, day):
    auth.login(day.organizer)
    table_3 = next(t for t in day.event.tables if t.number == 3)
    response = client.post(
        f"/events/{day.event.id}/live/meetings/{day.first.id}/move", data={"table": table_3.id}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/live")
    db.session.expire_all()
    moved = db.session.get(Meeting, day.first.id)
    assert (moved.table_id, moved.slot_id) == (table_3.id, day.second.slot_id)
    assert moved.sequence == 1 and not moved.notice_pending  # the parties were told at once (below)


def _moved_notices(registration: Registration) -> list[Notification]:
    return db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == registration.user_id, Notification.kind == "meeting_moved"
        )
    ).all()


def test_a_board_move_tells_the_two_parties_at_once_and_nobody_else(client, auth, day, outbox):
    """On the day nobody may wait for a publication: both parties hear of the new table and time at once,
    by notification and by mail with the updated calendar entry; nothing is sent again afterwards."""
    auth.login(day.organizer)
    table_3 = next(t for t in day.event.tables if t.number == 3)
    outbox.clear()
    response = client.post(
        f"/events/{day.event.id}/live/meetings/{day.first.id}/move",
        data={"table": table_3.id},
        follow_redirects=True,
    )
    assert "The meeting is moved to Table 3; its 2 participants are told." in response.get_data(as_text=True)
    for party, other in ((day.bart, "Sofie Supplier"), (day.sofie, "Bart Buyer")):
        # (Its text is read from the mail: rendering it here would log the test client out.)
        [note] = _moved_notices(party)
        assert note.params["place"] == "Table 3" and "9:20" in note.params["time"]
        assert note.params["name"] == other and note.url == f"/events/{day.event.id}/agenda"
        [sent] = [m for m in outbox if m.to == party.user.email]
        assert sent.subject.startswith("Meeting moved: now") and "9:20" in sent.subject
        assert "Table 3" in sent.subject and other in sent.subject
        assert f"with {other}" in sent.body and "has moved: now" in sent.body and "9:20" in sent.body
        assert "Table 3" in sent.body and "Table 1" not in sent.body
        [invitation] = sent.attachments
        assert "METHOD:REQUEST" in invitation.content and "SEQUENCE:1" in invitation.content
    assert sorted(m.to for m in outbox) == sorted((day.bart.user.email, day.sofie.user.email))
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.kind == "meeting_moved")
        )
        == 2
    )

    outbox.clear()
    refused = client.post(f"/events/{day.event.id}/live/publish", follow_redirects=True)
    assert "There are no changes to publish." in refused.get_data(as_text=True)
    assert event_day.tell_changes_now(db.session.get(Meeting, day.first.id)) == 0
    assert outbox == [] and len(_moved_notices(day.bart)) == len(_moved_notices(day.sofie)) == 1


def test_a_move_on_the_day_is_mailed_at_once_to_a_digest_reader_and_not_to_who_wants_no_mail(day, outbox):
    """A daily digest would bring the move of a meeting on the event day after the meeting: a change less
    than a day away is mailed at once, as reminders are. Who chose no mail at all gets none (the app tells
    them)."""
    from matchmaker.models import EmailMode, NotificationPreference

    db.session.add(NotificationPreference(user_id=day.bart.user.id, email_mode=EmailMode.DAILY))
    db.session.add(NotificationPreference(user_id=day.sofie.user.id, email_mode=EmailMode.NONE))
    db.session.commit()
    outbox.clear()
    meeting = db.session.get(Meeting, day.first.id)
    assert event_day.move_to_free_table(day.organizer, meeting, day.event.tables[2]) == 2
    assert [m.to for m in outbox] == [day.bart.user.email]
    assert outbox[0].subject.startswith("Meeting moved: now")
    assert len(_moved_notices(day.bart)) == len(_moved_notices(day.sofie)) == 1
    [note] = _moved_notices(day.bart)
    assert note.emailed_at is not None  # and so not mailed again in the evening's digest


def test_a_change_days_ahead_waits_for_the_digest_reader_s_digest(day, outbox, clock):
    """Further ahead, the user's choice of a daily digest holds for meeting changes."""
    from datetime import timedelta

    from matchmaker.models import EmailMode, NotificationPreference
    from matchmaker.services.scheduling import notices

    db.session.add(NotificationPreference(user_id=day.bart.user.id, email_mode=EmailMode.DAILY))
    db.session.commit()
    meeting = db.session.get(Meeting, day.first.id)
    days_before = meeting.slot.starts_at - timedelta(days=3)
    clock.set(days_before)
    outbox.clear()
    notices.tell_about_meeting(meeting.registrations[0], meeting, "meeting_moved")
    notices.tell_about_meeting(meeting.registrations[1], meeting, "meeting_moved")
    assert sorted(m.to for m in outbox) == [day.sofie.user.email]  # immediate mail, the default
    [note] = _moved_notices(day.bart)
    assert note.emailed_at is None  # for the digest


def test_a_board_move_of_a_meeting_not_published_yet_tells_nobody(day, outbox):
    """A proposed meeting moves before anyone knew of it: its parties hear of it when it is published."""
    meeting = db.session.get(Meeting, day.first.id)
    meeting.published = False
    db.session.commit()
    outbox.clear()
    event_day.move_to_free_table(day.organizer, meeting, day.event.tables[2])
    assert outbox == [] and not _moved_notices(day.bart) and not _moved_notices(day.sofie)


def test_the_board_offers_to_send_changes_made_elsewhere(client, auth, day, outbox):
    """A move on the schedule page waits for its notice: the board says so and sends it."""
    corrections.move_meeting(
        day.organizer, db.session.get(Meeting, day.later.id), day.later.slot, day.event.tables[3]
    )
    auth.login(day.organizer)
    page = client.get(f"/events/{day.event.id}/live/board").get_data(as_text=True)
    assert "1 changed meeting has not been sent to its participants yet." in page
    assert "Send the changes to the participants" in page
    outbox.clear()
    response = client.post(f"/events/{day.event.id}/live/publish", follow_redirects=True)
    assert "1 participant" not in response.get_data(as_text=True)  # Bea and Sofie: two
    assert "The changes are published; 2 participants are notified." in response.get_data(as_text=True)
    assert len(_moved_notices(day.bea)) == len(_moved_notices(day.sofie)) == 1 and not _moved_notices(
        day.bart
    )
    assert sorted(m.to for m in outbox) == sorted((day.bea.user.email, day.sofie.user.email))
    assert "Send the changes" not in client.get(f"/events/{day.event.id}/live/board").get_data(as_text=True)


def test_with_proposed_meetings_the_pending_changes_go_with_their_publication(client, auth, day):
    """Publishing sends the changes and publishes the proposals: the board has one button, the proposals'."""
    corrections.move_meeting(
        day.organizer, db.session.get(Meeting, day.later.id), day.later.slot, day.event.tables[3]
    )
    corrections.add_meeting(day.organizer, day.event, day.bart, day.stan, day.later.slot, day.event.tables[1])
    auth.login(day.organizer)
    page = client.get(f"/events/{day.event.id}/live/board").get_data(as_text=True)
    assert "1 changed meeting has not been sent to its participants yet." in page
    assert "They are sent with the new meetings when you publish them." in page
    assert "Send the changes to the participants" not in page and "Publish the new meetings" in page


@pytest.mark.postgres
def test_a_notice_the_board_and_a_publication_send_at_once_goes_once(app, day, outbox):
    require_postgres()
    corrections.move_meeting(
        day.organizer, db.session.get(Meeting, day.first.id), day.first.slot, day.event.tables[2]
    )
    ids = (day.event.id, day.first.id, day.organizer.id)
    outbox.clear()

    def from_board():
        event_day.tell_changes_now(db.session.get(Meeting, ids[1]))

    def publishing():
        scheduling.publish(db.session.get(User, ids[2]), db.session.get(Event, ids[0]))

    results = race(app, from_board, from_board, publishing, language="en")
    assert all(r == "ok" or "no changes" in r.message for r in results), results
    db.session.expire_all()
    assert len(_moved_notices(day.bart)) == len(_moved_notices(day.sofie)) == 1
    assert sorted(m.to for m in outbox) == sorted((day.bart.user.email, day.sofie.user.email))


@pytest.mark.parametrize("table", ["taken", "other-event", "abc", "2147483648", ""])
def test_a_move_to_a_table_that_is_not_free_is_refused(client, auth, day, make_event, table):
    auth.login(day.organizer)
    values = {
        "taken": lambda: next(t for t in day.event.tables if t.number == 2).id,
        "other-event": lambda: make_event(title="Other").tables[2].id,
    }
    value = values[table]() if table in values else table
    response = client.post(
        f"/events/{day.event.id}/live/meetings/{day.first.id}/move",
        data={"table": value},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "not free" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Meeting, day.first.id).table_id == day.event.tables[0].id


def test_marking_a_late_participant_absent_frees_their_partners(client, auth, day):
    auth.login(day.organizer)
    response = client.post(f"/events/{day.event.id}/live/participants/{day.sofie.id}/absent")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, day.first.id).cancelled_at is not None
    assert db.session.get(Meeting, day.later.id).cancelled_at is not None
    board = event_day.live_board(day.event)
    assert [r.id for r in board.freed] == [day.bart.id, day.bea.id]  # Bea still meets Sam now, free next
    assert board.late == [] and [r.id for r in board.absent] == [day.sofie.id]
    rows = {row.table.number: row for row in board.rows}
    assert rows[1].now is None


def test_filling_the_gaps_proposes_meetings_with_people_who_came_in_slots_not_begun(client, auth, day):
    auth.login(day.organizer)
    client.post(f"/events/{day.event.id}/live/participants/{day.sofie.id}/absent")
    response = client.post(f"/events/{day.event.id}/live/fill", follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    proposed = db.session.scalars(
        sa.select(Meeting).where(Meeting.event_id == day.event.id, Meeting.published.is_(False))
    ).all()
    assert proposed, response.get_data(as_text=True)
    came = {day.bart.id, day.bea.id, day.sam.id, day.stan.id}
    for meeting in proposed:
        assert meeting.slot.starts_at > NOW
        assert {meeting.first_registration_id, meeting.second_registration_id} <= came
    assert any(day.bart.id in (m.first_registration_id, m.second_registration_id) for m in proposed)
    assert "Publish the new meetings" in response.get_data(as_text=True)

    published = client.post(f"/events/{day.event.id}/live/publish", follow_redirects=True)
    assert "The changes are published" in published.get_data(as_text=True)
    db.session.expire_all()
    assert all(db.session.get(Meeting, m.id).published for m in proposed)


def test_the_live_board_is_for_the_events_managers(client, auth, day, make_user):
    auth.login(day.bart.user)
    assert client.get(f"/events/{day.event.id}/live").status_code == 403
    assert client.get(f"/events/{day.event.id}/live/board").status_code == 403
    assert client.post(f"/events/{day.event.id}/live/fill").status_code == 403
    auth.login(make_user(roles=("organizer",)))
    assert client.get(f"/events/{day.event.id}/live").status_code == 403
    auth.login(make_user(roles=("admin",)))
    assert client.get(f"/events/{day.event.id}/live").status_code == 200


def test_a_participant_sees_their_meeting_now_and_next(client, auth, day):
    view = event_day.participant_now(day.bea)
    assert view.current.meeting.id == day.second.id and view.current.other.name == "Sam Supplier"
    assert view.next.meeting.id == day.later.id and view.remaining == 0 and view.checked_in
    auth.login(day.bea.user)
    html = client.get(f"/events/{day.event.id}/now").get_data(as_text=True)
    current = html.split('id="now-current"')[1].split("</section>")[0]
    assert "09:20–09:40" in current and "Sam Supplier" in current and "Start-up of Sam Supplier" in current
    assert "Table 2" in current and "Cyclist detection with radar" in current  # where, and about what
    upcoming = html.split('id="now-next"')[1].split("</section>")[0]
    assert "09:40" in upcoming and "Sofie Supplier" in upcoming
    agenda = client.get(f"/events/{day.event.id}/agenda").get_data(as_text=True)
    assert f'href="/events/{day.event.id}/now"' in agenda


def test_the_now_view_when_the_day_is_over_and_for_someone_without_meetings(client, auth, day, clock):
    auth.login(day.nina.user)
    assert "You have no more meetings" in client.get(f"/events/{day.event.id}/now").get_data(as_text=True)
    clock.set(datetime.combine(EVENT_DAY, time(13, 0)))
    auth.login(day.bea.user)
    assert "You have no more meetings" in client.get(f"/events/{day.event.id}/now").get_data(as_text=True)


def test_the_now_view_is_only_for_the_events_approved_participants(client, auth, day, make_participant):
    auth.login(make_participant("supplier", name="Outsider"))
    assert client.get(f"/events/{day.event.id}/now").status_code == 404
    auth.login(day.organizer)
    assert client.get(f"/events/{day.event.id}/now").status_code == 404
    day.nina.status = "cancelled"
    db.session.commit()
    auth.login(day.nina.user)
    assert client.get(f"/events/{day.event.id}/now").status_code == 404


def test_the_board_and_the_now_view_cost_the_same_queries_for_5_and_40_participants_a_side(
    client,
    auth,
    crowd,
    organizer,
    theme,
    clock,
):
    event = crowd.event
    event.status = EventStatus.AGENDA_PUBLISHED
    db.session.commit()
    first = event.meeting_slots[0]
    clock.set(first.starts_at.replace(minute=first.starts_at.minute + 5))
    urls = [f"/events/{event.id}/live", f"/events/{event.id}/live/board"]
    counts = {}
    for per_side in (5, 40):
        crowd.grow(per_side, theme)
        db.session.execute(  # half of everyone has arrived
            sa.insert(CheckIn),
            [
                {"event_id": event.id, "registration_id": rid}
                for rid in (crowd.buyers + crowd.suppliers)[::2]
                if not db.session.scalar(sa.select(CheckIn.id).where(CheckIn.registration_id == rid))
            ],
        )
        db.session.commit()
        auth.login(organizer)
        for url in urls:
            counts[per_side, url] = cost(client, url)[0]
        auth.login(crowd.user)
        counts[per_side, "now"] = cost(client, f"/events/{event.id}/now")[0]
    for url in [*urls, "now"]:
        assert counts[40, url] <= counts[5, url], (url, counts)
    with counting() as statements:
        board = event_day.live_board(event)
    assert len(board.rows) == 4 and len(statements) < 15
    assert sum(1 for row in board.rows if row.now) == 4  # 40 a side fill every table of the first slot
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) >= 80
