"""Reminders (issue 16): the day before an event each participant with meetings gets their agenda (a summary,
a link and an .ics file) by mail and in the app; a number of minutes before each meeting, a reminder that says
when, where, with whom and about what. Sent once by the periodic job, even when it runs twice or two workers
run it at the same moment; moved meetings are reminded at their new time, cancelled ones and absent people
never; a user can turn reminder mails off. Times are Brussels time."""

import re
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes, policy

import icalendar
import pytest
import sqlalchemy as sa
from babel.dates import format_date

from matchmaker.extensions import db
from matchmaker.models import (
    Absence,
    AttendanceMode,
    Event,
    EventStatus,
    Meeting,
    Notification,
    NotificationPreference,
    Registration,
    ReminderSent,
)
from matchmaker.services import ServiceError, event_rules, mail, notifications, reminders
from matchmaker.services.event_rules import TZ
from matchmaker.tasks.celery_app import beat_schedule
from matchmaker.tasks.registry import kind_of
from tests.factories import EVENT_DAY, add_meeting
from tests.helpers import cancel_meeting, move_meeting, race, require_postgres, slot_at

pytestmark = pytest.mark.usefixtures("request_context")

DAY_BEFORE = datetime.combine(EVENT_DAY - timedelta(days=1), time(10, 0))


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(EVENT_DAY, time(hour, minute))


@pytest.fixture
def published(event, pair):
    """The default event with its agenda published and a meeting of `pair` at 9:20 at table 2."""
    buyer, supplier = pair
    for registration in pair:
        registration.user.language = "en"
    meeting = add_meeting(buyer, supplier, slot_at(event, EVENT_DAY, 9, 20), table_number=2)
    event = db.session.get(Event, event.id)
    event.status = EventStatus.AGENDA_PUBLISHED
    db.session.commit()
    return event, meeting


def _to(outbox, registration: Registration) -> list[mail.SentMail]:
    return [m for m in outbox if m.to == registration.user.email]


def _parsed(sent: mail.SentMail):
    """The mail as it goes out, read back with Python's email parser."""
    message = message_from_bytes(mail.build_message(sent).as_bytes(), policy=policy.default)
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    return message, plain, html


def _notifications(registration: Registration, kind: str) -> list[Notification]:
    return db.session.scalars(
        sa.select(Notification).where(Notification.user_id == registration.user_id, Notification.kind == kind)
    ).all()


# --- before each meeting -------------------------------------------------------------------------------


def test_a_meeting_reminder_says_when_where_with_whom_and_about_what(published, pair, outbox):
    _event, meeting = published
    buyer, supplier = pair
    outbox.clear()
    assert reminders.send_due_reminders(at(9, 12)) == {"day_before": 0, "meetings": 2}

    [sent] = _to(outbox, supplier)
    message, plain, html = _parsed(sent)
    assert message["Subject"] == "Reminder: 09:20, Table 2, with Bart Buyer"
    assert message["Auto-Submitted"] == "auto-generated"
    assert "your meeting with Bart Buyer (Agency of Bart Buyer)" in plain
    assert "- Where: Havenlaan 88, 1000 Brussel, Table 2" in plain
    assert "(Europe/Brussels)" in plain and "9:20" in plain
    assert "- Their needs: Smart traffic lights for cyclists" in plain
    assert "- Your offerings: Cyclist detection with radar" in plain
    assert "Smart traffic lights for cyclists" in html and "Bart Buyer" in html
    assert f"/events/{meeting.event_id}/agenda" in plain
    assert _to(outbox, buyer)
    [note] = _notifications(supplier, "meeting_reminder")
    assert note.url.endswith(f"/events/{meeting.event_id}/agenda")
    assert "Bart Buyer" in notifications.render_text(note)


def test_an_online_meeting_reminder_carries_its_link(published, pair, outbox):
    event, meeting = published
    event.attendance_mode = AttendanceMode.ONLINE
    event.meeting_link_pattern = "https://meet.example.org/{event}-{meeting}"
    db.session.commit()
    meeting = db.session.get(Meeting, meeting.id)
    link = f"https://meet.example.org/{event.id}-{meeting.id}-{meeting.room_token}"
    outbox.clear()
    reminders.send_due_reminders(at(9, 12))
    [sent] = _to(outbox, pair[0])
    _message, plain, html = _parsed(sent)
    assert f"Join the meeting online: {link}" in plain
    assert f'href="{link}"' in html
    assert "online, Table 2" in sent.subject


@pytest.mark.parametrize("now", [at(9, 5), at(9, 20), at(9, 30), DAY_BEFORE])
def test_no_meeting_reminder_before_it_is_due_or_once_the_meeting_started(published, outbox, now):
    outbox.clear()
    assert reminders.send_due_reminders(now)["meetings"] == 0
    assert not [m for m in outbox if m.subject.startswith("Reminder")]


def test_the_organizer_sets_how_long_before_and_zero_turns_them_off(published, outbox):
    event, _meeting = published
    event.reminder_minutes = 30
    db.session.commit()
    assert reminders.send_due_reminders(at(8, 55))["meetings"] == 2
    event = db.session.get(Event, event.id)
    event.reminder_minutes = 0
    db.session.commit()
    db.session.execute(sa.delete(ReminderSent))
    db.session.commit()
    assert reminders.send_due_reminders(at(9, 15))["meetings"] == 0


def test_a_reminder_is_sent_once_when_the_job_runs_again(published, pair, outbox):
    outbox.clear()
    reminders.send_due_reminders(at(9, 12))
    reminders.send_due_reminders(at(9, 13))
    reminders.send_due_reminders(at(9, 19))
    assert len(_to(outbox, pair[0])) == len(_to(outbox, pair[1])) == 1
    assert len(_notifications(pair[1], "meeting_reminder")) == 1
    assert db.session.scalar(sa.select(sa.func.count(ReminderSent.id))) == 2


def test_a_meeting_moved_later_is_reminded_at_its_new_time(published, pair, outbox):
    event, meeting = published
    outbox.clear()
    move_meeting(db.session.get(Meeting, meeting.id), slot_at(event, EVENT_DAY, 10, 20))
    assert reminders.send_due_reminders(at(9, 12))["meetings"] == 0
    assert reminders.send_due_reminders(at(10, 12))["meetings"] == 2
    [sent] = _to(outbox, pair[1])
    assert sent.subject.startswith("Reminder: 10:20")


def test_a_meeting_moved_after_its_reminder_gets_another_one(published, pair, outbox):
    event, meeting = published
    outbox.clear()
    reminders.send_due_reminders(at(9, 12))
    move_meeting(db.session.get(Meeting, meeting.id), slot_at(event, EVENT_DAY, 10, 20))
    reminders.send_due_reminders(at(10, 15))
    assert [m.subject[:15] for m in _to(outbox, pair[1])] == ["Reminder: 09:20", "Reminder: 10:20"]


def test_a_cancelled_meeting_gets_no_reminder(published, outbox):
    _event, meeting = published
    cancel_meeting(db.session.get(Meeting, meeting.id))
    outbox.clear()
    assert reminders.send_due_reminders(at(9, 12))["meetings"] == 0
    assert outbox == []


def test_an_absent_participant_gets_no_reminder(published, pair, outbox):
    event, _meeting = published
    buyer, supplier = pair
    db.session.add(Absence(event_id=event.id, registration_id=buyer.id))
    db.session.commit()
    outbox.clear()
    reminders.send_due_reminders(at(9, 12))
    assert not _to(outbox, buyer) and not _notifications(buyer, "meeting_reminder")
    assert _to(outbox, supplier)


def test_a_user_who_turned_reminder_mails_off_gets_the_reminder_in_the_app_only(published, pair, outbox):
    buyer, supplier = pair
    settings = notifications.reminder_settings(supplier.user)
    notifications.set_reminder_settings(supplier.user, replace(settings, mails=False))
    notifications.set_email_mode(supplier.user, "daily")
    outbox.clear()
    reminders.send_due_reminders(at(9, 12))
    assert not _to(outbox, supplier)
    assert len(_notifications(supplier, "meeting_reminder")) == 1
    assert _to(outbox, buyer)
    outbox.clear()
    notifications.send_digests()  # nor later in the digest: a reminder that late is no use
    assert not _to(outbox, supplier)


def test_a_digest_reader_gets_reminders_by_mail_at_once(published, pair, outbox):
    notifications.set_email_mode(pair[1].user, "daily")
    outbox.clear()
    reminders.send_due_reminders(at(9, 12))
    assert _to(outbox, pair[1])


def test_the_settings_page_turns_reminder_mails_off(client, auth, pair):
    user = auth.login(pair[1].user)
    assert client.get("/notifications/settings").status_code == 200
    form = {"email_mode": "immediate", "reminder_minutes": "event", "reminder_in_app": "y"}
    response = client.post("/notifications/settings", data=form)
    assert response.status_code == 302
    assert notifications.reminder_settings(db.session.get(type(user), user.id)).mails is False
    client.post("/notifications/settings", data={**form, "reminder_mails": "y"})
    assert notifications.reminder_settings(db.session.get(type(user), user.id)).mails is True


# --- each user's own settings ---------------------------------------------------------------------------


def _choose(registration: Registration, minutes=None, in_app=True, mails=True) -> None:
    notifications.set_reminder_settings(
        registration.user, notifications.ReminderSettings(mails=mails, in_app=in_app, minutes=minutes)
    )


def _reminded(outbox, registration: Registration) -> tuple[int, int]:
    """(meeting reminder mails, meeting reminder notifications) of this participant."""
    mails = [m for m in _to(outbox, registration) if m.subject.startswith("Reminder")]
    return len(mails), len(_notifications(registration, "meeting_reminder"))


def test_a_users_own_lead_time_is_honoured(published, pair, outbox):
    """The event reminds 10 minutes before (its default); the supplier chose 30."""
    buyer, supplier = pair
    _choose(supplier, minutes=30)
    outbox.clear()
    assert reminders.send_due_reminders(at(8, 49))["meetings"] == 0  # 31 minutes before
    assert reminders.send_due_reminders(at(8, 50))["meetings"] == 1
    assert _reminded(outbox, supplier) == (1, 1) and _reminded(outbox, buyer) == (0, 0)
    assert reminders.send_due_reminders(at(9, 9))["meetings"] == 0
    assert reminders.send_due_reminders(at(9, 10))["meetings"] == 1
    assert _reminded(outbox, buyer) == (1, 1) and _reminded(outbox, supplier) == (1, 1)


def test_a_lead_time_shorter_than_the_events_waits(published, pair, outbox):
    buyer, supplier = pair
    _choose(supplier, minutes=5)
    outbox.clear()
    reminders.send_due_reminders(at(9, 12))
    assert _reminded(outbox, buyer) == (1, 1) and _reminded(outbox, supplier) == (0, 0)
    reminders.send_due_reminders(at(9, 15))
    assert _reminded(outbox, supplier) == (1, 1)


def test_the_events_default_applies_when_the_user_chose_nothing(published, pair, outbox):
    """A user with settings of their own (a daily digest) but no lead time follows the organizer's."""
    event, _meeting = published
    buyer, supplier = pair
    event.reminder_minutes = 30
    db.session.commit()
    notifications.set_email_mode(supplier.user, "daily")
    assert db.session.get(NotificationPreference, supplier.user_id).reminder_minutes is None
    outbox.clear()
    assert reminders.send_due_reminders(at(8, 49))["meetings"] == 0
    assert reminders.send_due_reminders(at(8, 50))["meetings"] == 2  # both, the one without a row too
    assert _reminded(outbox, supplier) == (1, 1) and _reminded(outbox, buyer) == (1, 1)


def test_a_users_own_lead_time_holds_when_the_organizer_turned_reminders_off(published, pair, outbox):
    event, _meeting = published
    event.reminder_minutes = 0
    db.session.commit()
    _choose(pair[1], minutes=15)
    outbox.clear()
    assert reminders.send_due_reminders(at(9, 12))["meetings"] == 1
    assert _reminded(outbox, pair[1]) == (1, 1) and _reminded(outbox, pair[0]) == (0, 0)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"minutes": 0}, (0, 0)),  # no reminder before meetings
        ({"in_app": False, "mails": False}, (0, 0)),
        ({"in_app": False}, (1, 0)),  # by mail only
        ({"mails": False}, (0, 1)),  # in the app only
    ],
    ids=["off", "neither-way", "mail-only", "app-only"],
)
def test_a_user_gets_meeting_reminders_only_as_they_chose(published, pair, outbox, choice, expected):
    buyer, supplier = pair
    _choose(supplier, **choice)
    outbox.clear()
    reminders.send_due_reminders(at(9, 12))
    assert _reminded(outbox, supplier) == expected
    assert _reminded(outbox, buyer) == (1, 1)
    rows = db.session.scalars(sa.select(ReminderSent.registration_id)).all()
    assert (supplier.id in rows) == (expected != (0, 0))  # nothing sent, nothing recorded


def test_turning_reminders_on_again_before_the_meeting_brings_its_reminder(published, pair, outbox):
    _choose(pair[1], minutes=0)
    reminders.send_due_reminders(at(9, 12))
    _choose(pair[1], minutes=None)
    outbox.clear()
    assert reminders.send_due_reminders(at(9, 13))["meetings"] == 1
    assert _reminded(outbox, pair[1]) == (1, 1)


def test_a_changed_lead_time_does_not_send_a_meeting_reminder_twice(published, pair, outbox):
    supplier = pair[1]
    _choose(supplier, minutes=30)
    outbox.clear()
    reminders.send_due_reminders(at(8, 55))
    _choose(supplier, minutes=10)
    reminders.send_due_reminders(at(9, 12))
    _choose(supplier, minutes=60)
    reminders.send_due_reminders(at(9, 13))
    assert _reminded(outbox, supplier) == (1, 1)


def test_the_day_before_mail_follows_the_in_app_and_mail_choices(published, pair, outbox):
    buyer, supplier = pair
    _choose(supplier, in_app=False)
    _choose(buyer, in_app=False, mails=False)
    outbox.clear()
    assert reminders.send_due_reminders(DAY_BEFORE)["day_before"] == 1
    assert len(_to(outbox, supplier)) == 1 and not _notifications(supplier, "agenda_reminder")
    assert not _to(outbox, buyer) and not _notifications(buyer, "agenda_reminder")


def _shown(page: str) -> tuple[str, bool, bool]:
    """(the lead time selected, in-app checked, mails checked) on the settings page."""
    select = re.search(r'<select[^>]*name="reminder_minutes".*?</select>', page, re.S).group(0)
    selected = re.findall(r'<option selected value="([^"]*)"', select)

    def checked(name: str) -> bool:
        return "checked" in re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)

    assert len(selected) == 1
    return selected[0], checked("reminder_in_app"), checked("reminder_mails")


def test_the_settings_page_shows_and_saves_the_reminder_choices(client, auth, pair):
    user = auth.login(pair[1].user)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert _shown(page) == ("event", True, True)
    options = re.findall(r'<option[^>]*value="([^"]*)">([^<]*)<', page)
    assert options == [
        ("event", "As the event's organizer set it"),
        ("5", "5 minutes before"),
        ("10", "10 minutes before"),
        ("15", "15 minutes before"),
        ("30", "30 minutes before"),
        ("60", "60 minutes before"),
        ("off", "No reminder before meetings"),
    ]
    form = {"email_mode": "immediate", "reminder_minutes": "30", "reminder_mails": "y"}
    assert client.post("/notifications/settings", data=form).status_code == 302
    assert notifications.reminder_settings(user) == notifications.ReminderSettings(
        mails=True, in_app=False, minutes=30
    )
    assert _shown(client.get("/notifications/settings").get_data(as_text=True)) == ("30", False, True)
    client.post("/notifications/settings", data={**form, "reminder_minutes": "off", "reminder_in_app": "y"})
    assert notifications.reminder_settings(user) == notifications.ReminderSettings(True, True, 0)
    assert _shown(client.get("/notifications/settings").get_data(as_text=True)) == ("off", True, True)


@pytest.mark.parametrize("value", ["45", "0", "1440", "-5", "abc", "", "None"])
def test_the_settings_page_refuses_lead_times_it_does_not_offer(client, auth, pair, value):
    user = auth.login(pair[1].user)
    _choose(pair[1], minutes=15)
    form = {"email_mode": "daily", "reminder_minutes": value, "reminder_in_app": "y"}
    response = client.post("/notifications/settings", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Remind me before each meeting: Choose when you want to be reminded" in page
    assert notifications.reminder_settings(user).minutes == 15
    assert notifications.email_mode(user) == "immediate"  # nothing of the refused form is saved


def test_the_service_refuses_lead_times_it_does_not_offer(pair):
    with pytest.raises(ServiceError, match="among the times offered"):
        _choose(pair[1], minutes=45)
    assert db.session.get(NotificationPreference, pair[1].user_id) is None


def test_the_database_refuses_a_lead_time_no_event_could_set(pair):
    db.session.add(
        NotificationPreference(user_id=pair[1].user_id, email_mode="immediate", reminder_minutes=1441)
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_reminders_are_written_in_the_recipients_language(published, pair, outbox):
    buyer, supplier = pair
    supplier.user.language = "fr"
    buyer.user.language = "nl"
    db.session.commit()
    outbox.clear()
    reminders.send_due_reminders(at(9, 12))
    [french] = _to(outbox, supplier)
    [dutch] = _to(outbox, buyer)
    message_fr, plain_fr, html_fr = _parsed(french)
    message_nl, plain_nl, html_nl = _parsed(dutch)
    assert (message_fr["Content-Language"], message_nl["Content-Language"]) == ("fr", "nl")
    assert '<html lang="fr">' in html_fr and '<html lang="nl">' in html_nl
    assert plain_fr.startswith("Bonjour") and plain_nl.startswith(("Hallo", "Dag", "Beste"))
    # The meeting's day written out in each language (e.g. "mercredi 6 janvier 2027"), not only its hour.
    assert f"{format_date(EVENT_DAY, 'full', locale='fr')}, 09:20\u201309:40" in plain_fr
    assert f"{format_date(EVENT_DAY, 'full', locale='nl')}, 09:20\u201309:40" in plain_nl
    assert format_date(EVENT_DAY, "full", locale="en") not in plain_fr + plain_nl


def test_the_job_uses_brussels_time(published, pair, outbox, monkeypatch):
    """At 9:12 in Brussels the reminder of 9:20 is due; that is 8:12 UTC in winter (7:12 in summer)."""
    brussels = datetime.combine(EVENT_DAY, time(9, 12), tzinfo=TZ)

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return brussels.astimezone(UTC) if tz is None else brussels.astimezone(tz)

    monkeypatch.setattr(event_rules, "datetime", Clock)
    assert event_rules.local_now() == at(9, 12)
    outbox.clear()
    assert reminders.send_due_reminders() == {"day_before": 0, "meetings": 2}


def test_the_periodic_job_runs_every_minute(app, published, outbox):
    kind = kind_of("events.send_reminders")
    assert kind.every == timedelta(minutes=1)
    assert beat_schedule(app)["events.send_reminders"]["schedule"] == timedelta(minutes=1)


# --- the day before ------------------------------------------------------------------------------------


def test_the_day_before_each_participant_gets_their_agenda(published, pair, outbox):
    event, meeting = published
    buyer, supplier = pair
    outbox.clear()
    assert reminders.send_due_reminders(DAY_BEFORE) == {"day_before": 2, "meetings": 0}

    [sent] = _to(outbox, supplier)
    message, plain, html = _parsed(sent)
    assert message["Subject"] == "Tomorrow: Smart mobility meet & greet, your agenda with 1 meeting"
    assert "- 09:20\u201309:40, Table 2: Bart Buyer (Agency of Bart Buyer)" in plain
    assert "Smart traffic lights for cyclists" in plain
    assert f"http://localhost/events/{event.id}/agenda" in plain
    assert "Bart Buyer" in html
    [attached] = list(message.iter_attachments())
    assert attached.get_content_type() == "text/calendar" and attached.get_filename() == "agenda.ics"
    calendar = icalendar.Calendar.from_ical(attached.get_content())
    [entry] = calendar.walk("VEVENT")
    assert str(entry["UID"]) == meeting.uid
    assert entry["DTSTART"].dt == datetime.combine(EVENT_DAY, time(9, 20), tzinfo=TZ)
    assert entry["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert "Bart Buyer" in str(entry["SUMMARY"])
    assert len(_notifications(supplier, "agenda_reminder")) == 1
    assert _to(outbox, buyer)


def test_the_day_before_mail_of_an_online_meeting_carries_its_link_to_its_two_parties_only(
    published, pair, make_participant, register, outbox
):
    """The buyer meets the supplier at 9:20 and another supplier at 9:40, online: each meeting's link goes to
    its two parties, in their day-before mail, and to nobody else."""
    event, meeting = published
    buyer, supplier = pair
    event.status = EventStatus.REGISTRATION_OPEN
    db.session.commit()
    other = register(make_participant("supplier", name="Olga Other"), event)
    other.user.language = "en"
    later = add_meeting(buyer, other, slot_at(event, EVENT_DAY, 9, 40), table_number=1)
    event = db.session.get(Event, event.id)
    event.status = EventStatus.AGENDA_PUBLISHED
    event.attendance_mode = AttendanceMode.ONLINE
    event.meeting_link_pattern = "https://meet.example.org/{event}-{meeting}"
    db.session.commit()
    links = {
        m.id: f"https://meet.example.org/{event.id}-{m.id}-{m.room_token}"
        for m in (db.session.get(Meeting, meeting.id), db.session.get(Meeting, later.id))
    }
    outbox.clear()
    assert reminders.send_due_reminders(DAY_BEFORE)["day_before"] == 3

    def mail_of(registration):
        [sent] = _to(outbox, registration)
        _message, plain, html = _parsed(sent)
        return plain + html + "".join(attachment.content for attachment in sent.attachments)

    buyer_mail, supplier_mail, other_mail = mail_of(buyer), mail_of(supplier), mail_of(other)
    assert f"  Online: {links[meeting.id]}\n" in buyer_mail and f"  Online: {links[later.id]}\n" in buyer_mail
    assert f'href="{links[meeting.id]}"' in supplier_mail and links[later.id] not in supplier_mail
    assert f'href="{links[later.id]}"' in other_mail and links[meeting.id] not in other_mail
    assert meeting.room_token not in other_mail  # nor in the calendar file


def test_the_day_before_mail_is_sent_once(published, pair, outbox):
    outbox.clear()
    reminders.send_due_reminders(DAY_BEFORE)
    reminders.send_due_reminders(DAY_BEFORE + timedelta(hours=5))
    assert len(_to(outbox, pair[1])) == 1


@pytest.mark.parametrize(
    "now",
    [DAY_BEFORE.replace(hour=8, minute=59), DAY_BEFORE - timedelta(days=1), at(8, 0)],
)
def test_no_agenda_reminder_before_nine_on_the_day_before_nor_on_other_days(published, outbox, now):
    outbox.clear()
    assert reminders.send_due_reminders(now)["day_before"] == 0


def test_participants_without_meetings_or_absent_get_no_agenda_reminder(
    published, pair, make_participant, register, outbox
):
    event, _meeting = published
    event.status = EventStatus.REGISTRATION_OPEN  # registered before the agenda was published
    db.session.commit()
    lonely = register(make_participant("supplier", name="Lonely Supplier"), event)
    event.status = EventStatus.AGENDA_PUBLISHED
    db.session.add(Absence(event_id=event.id, registration_id=pair[0].id))
    db.session.commit()
    outbox.clear()
    assert reminders.send_due_reminders(DAY_BEFORE)["day_before"] == 1
    assert not _to(outbox, lonely) and not _to(outbox, pair[0])


def test_an_unpublished_agenda_sends_no_reminders(published, outbox):
    event, _meeting = published
    event.status = EventStatus.REGISTRATION_CLOSED
    db.session.commit()
    outbox.clear()
    assert reminders.send_due_reminders(DAY_BEFORE) == {"day_before": 0, "meetings": 0}
    assert reminders.send_due_reminders(at(9, 12)) == {"day_before": 0, "meetings": 0}


# --- two workers at once (PostgreSQL) ------------------------------------------------------------------


@pytest.mark.parametrize("now", [at(9, 12), DAY_BEFORE])
def test_two_workers_at_once_send_each_reminder_once(app, published, pair, outbox, now):
    require_postgres()
    outbox.clear()
    results = race(
        app,
        lambda: reminders.send_due_reminders(now),
        lambda: reminders.send_due_reminders(now),
        lambda: reminders.send_due_reminders(now),
        catch=Exception,
    )
    assert results == ["ok", "ok", "ok"]
    assert len(_to(outbox, pair[0])) == len(_to(outbox, pair[1])) == 1
    assert db.session.scalar(sa.select(sa.func.count(ReminderSent.id))) == 2
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.kind.in_(["meeting_reminder", "agenda_reminder"])
            )
        )
        == 2
    )
