"""Mails about meetings say what happened (issue 15): which meeting, when (in the reader's language and the
event's timezone), where (venue and table), with whom and about what, and carry an .ics (METHOD:REQUEST for
an added or moved meeting, METHOD:CANCEL for a cancelled one) with the feed's UID and SEQUENCE."""

from email import message_from_bytes, policy

import icalendar
import pytest

from matchmaker.extensions import db
from matchmaker.models import EventStatus, Meeting, Registration
from matchmaker.services import mail
from matchmaker.services import scheduling as service
from tests.factories import EVENT_DAY, add_meeting
from tests.helpers import slot_at

pytestmark = pytest.mark.usefixtures("request_context")


@pytest.fixture
def people(pair):
    for registration in pair:
        registration.user.language = "en"
    db.session.commit()
    return pair


def _mails_to(outbox, registration: Registration) -> list[mail.SentMail]:
    return [m for m in outbox if m.to == registration.user.email]


def _calendar(sent: mail.SentMail) -> tuple[icalendar.Calendar, object]:
    """The mail as it goes out (parsed back with Python's email parser): its one .ics, and its VEVENT."""
    message = message_from_bytes(mail.build_message(sent).as_bytes(), policy=policy.default)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("plain",)).get_content().strip() == sent.body.strip()
    assert message.get_body(("html",)) is not None
    [attached] = list(message.iter_attachments())
    assert attached.get_content_type() == "text/calendar"
    calendar = icalendar.Calendar.from_ical(attached.get_content())
    assert str(calendar["METHOD"]) == attached.get_param("method")
    [entry] = calendar.walk("VEVENT")
    return calendar, entry


def _feed_entry(registration: Registration, meeting: Meeting):
    from matchmaker.services import agendas

    calendar = icalendar.Calendar.from_ical(agendas.agenda_ical(registration, language="en"))
    return next(e for e in calendar.walk("VEVENT") if str(e["UID"]) == meeting.uid)


def _publish(event, organizer) -> None:
    event = db.session.get(type(event), event.id)
    event.status = EventStatus.REGISTRATION_CLOSED
    db.session.commit()
    service.publish(organizer, event)


def test_the_first_publication_lists_each_meeting_with_its_invitation(event, organizer, people, outbox):
    buyer, supplier = people
    meeting = add_meeting(buyer, supplier, slot_at(event, EVENT_DAY, 9, 20), table_number=2, published=False)
    outbox.clear()
    _publish(event, organizer)

    [sent] = _mails_to(outbox, supplier)
    assert sent.subject.startswith("The agenda of Smart mobility meet & greet is published")
    body = sent.body
    assert "9:20\u202fAM\u20139:40\u202fAM (Europe/Brussels)" in body or "9:20 AM" in body
    assert "Havenlaan 88, 1000 Brussel, Table 2" in body
    assert "Bart Buyer (Agency of Bart Buyer)" in body
    assert "Their needs: Smart traffic lights for cyclists" in body
    calendar, entry = _calendar(sent)
    assert str(calendar["METHOD"]) == "REQUEST" and entry["STATUS"] == "CONFIRMED"
    assert str(entry["UID"]) == meeting.uid
    assert int(entry["SEQUENCE"]) == int(_feed_entry(supplier, meeting)["SEQUENCE"]) == 0
    assert str(entry["ORGANIZER"]).startswith("mailto:")
    assert str(entry["ATTENDEE"]) == f"mailto:{supplier.user.email}"
    assert _mails_to(outbox, buyer)  # both sides hear it


def test_a_moved_meeting_is_mailed_with_its_new_time_and_table_and_a_higher_sequence(
    event, organizer, people, outbox
):
    buyer, supplier = people
    meeting = add_meeting(buyer, supplier, slot_at(event, EVENT_DAY, 9, 20), table_number=2, published=False)
    _publish(event, organizer)
    before = int(_feed_entry(buyer, meeting)["SEQUENCE"])
    outbox.clear()
    table = next(t for t in event.tables if t.number == 3)
    service.move_meeting(organizer, meeting, slot_at(event, EVENT_DAY, 11, 0), table)
    service.publish(organizer, event)

    [sent] = _mails_to(outbox, buyer)
    assert sent.subject.startswith("Meeting moved: now ") and "11:00" in sent.subject
    assert sent.subject.endswith(", Table 3, with Sofie Supplier")
    assert "Your meeting with Sofie Supplier (Start-up of Sofie Supplier) at Smart mobility" in sent.body
    assert "11:00" in sent.body and "Havenlaan 88, 1000 Brussel, Table 3" in sent.body
    assert "Their offerings:" in sent.body and "Your needs: Smart traffic lights for cyclists" in sent.body
    calendar, entry = _calendar(sent)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(entry["UID"]) == meeting.uid
    feed = _feed_entry(buyer, meeting)
    assert int(entry["SEQUENCE"]) == int(feed["SEQUENCE"]) > before
    assert entry["DTSTART"].dt.hour == 11 and str(entry["DTSTART"].dt.tzinfo) == "Europe/Brussels"
    assert len(_mails_to(outbox, supplier)) == 1


def test_a_meeting_cancelled_by_the_other_party_comes_with_a_cancel_file_and_the_reason(
    event, organizer, people, outbox
):
    buyer, supplier = people
    meeting = add_meeting(buyer, supplier, slot_at(event, EVENT_DAY, 9, 20), table_number=2, published=False)
    _publish(event, organizer)
    before = int(_feed_entry(buyer, meeting)["SEQUENCE"])
    outbox.clear()
    service.cancel_own_meeting(supplier.user, db.session.get(Meeting, meeting.id), "Our train is cancelled")

    [sent] = _mails_to(outbox, buyer)
    assert sent.subject.startswith("Meeting cancelled: ") and "9:20" in sent.subject
    assert "Sofie Supplier cancelled your meeting of" in sent.body
    assert "Our train is cancelled" in sent.body and "Table 2" in sent.body
    assert "removes this meeting from your calendar" in sent.body
    calendar, entry = _calendar(sent)
    assert str(calendar["METHOD"]) == "CANCEL" and entry["STATUS"] == "CANCELLED"
    assert str(entry["UID"]) == meeting.uid
    assert int(entry["SEQUENCE"]) == int(_feed_entry(buyer, meeting)["SEQUENCE"]) > before


def test_a_meeting_the_organizer_removes_is_mailed_as_cancelled_at_the_next_publication(
    event, organizer, people, outbox
):
    buyer, supplier = people
    meeting = add_meeting(buyer, supplier, slot_at(event, EVENT_DAY, 9, 20), table_number=2, published=False)
    _publish(event, organizer)
    outbox.clear()
    service.remove_meeting(organizer, meeting)
    service.publish(organizer, event)

    for registration in people:
        [sent] = _mails_to(outbox, registration)
        assert sent.subject.startswith("Meeting cancelled: ") and ", Table 2, with " in sent.subject
        assert " is cancelled. The slot is free in your agenda." in sent.body
        calendar, entry = _calendar(sent)
        assert str(calendar["METHOD"]) == "CANCEL" and str(entry["UID"]) == meeting.uid
        assert int(entry["SEQUENCE"]) == 1


def test_a_new_venue_is_mailed_with_each_meetings_new_where_and_when_and_its_updated_invitation(
    event, organizer, people, make_participant, register, outbox
):
    from matchmaker.services import events as events_service

    buyer, supplier = people
    first = add_meeting(buyer, supplier, slot_at(event, EVENT_DAY, 9, 20), table_number=2, published=False)
    other = register(make_participant("supplier", name="Otto Other", language="en"), event)
    second = add_meeting(buyer, other, slot_at(event, EVENT_DAY, 11, 0), table_number=3, published=False)
    _publish(event, organizer)
    outbox.clear()
    data = events_service.event_input_from(event)
    data.venue_address = "Ellipsgebouw, Koning Albert II-laan 35, 1030 Brussel"
    events_service.update_event(organizer, event, data)

    [sent] = _mails_to(outbox, buyer)
    assert "takes place at another address: Ellipsgebouw" in sent.body
    body = sent.body
    assert "Meeting 1" in body and "Meeting 2" in body
    assert body.index("9:20") < body.index("Meeting 2") < body.index("11:00")
    assert "Ellipsgebouw, Koning Albert II-laan 35, 1030 Brussel, Table 2" in body
    assert "Ellipsgebouw, Koning Albert II-laan 35, 1030 Brussel, Table 3" in body
    assert "Havenlaan 88" not in body
    assert "Sofie Supplier (Start-up of Sofie Supplier)" in body
    message = message_from_bytes(mail.build_message(sent).as_bytes(), policy=policy.default)
    assert "Table 3" in message.get_body(("plain",)).get_content()
    files = [icalendar.Calendar.from_ical(a.get_content()) for a in message.iter_attachments()]
    entries = [next(iter(c.walk("VEVENT"))) for c in files]
    assert [str(e["UID"]) for e in entries] == [first.uid, second.uid]
    for entry, meeting in zip(entries, (first, second), strict=True):
        assert "Ellipsgebouw" in str(entry["LOCATION"])
        assert int(entry["SEQUENCE"]) == int(_feed_entry(buyer, meeting)["SEQUENCE"]) == 1
    [to_supplier] = _mails_to(outbox, supplier)
    assert "Table 2" in to_supplier.body and "Table 3" not in to_supplier.body
    assert len(_mails_to(outbox, other)) == 1


def test_a_named_table_is_called_by_its_name_alone(client, auth, event, organizer, people, outbox):
    """Issue 18: "Tafel Tafel 1" and "Tafel Zaal Jan Breydel" in sheets, grids, calendars and mails."""
    buyer, supplier = people
    meeting = add_meeting(buyer, supplier, slot_at(event, EVENT_DAY, 9, 20), table_number=2, published=False)
    meeting.table.name = "Zaal Jan Breydel"
    db.session.commit()
    outbox.clear()
    _publish(event, organizer)
    [sent] = _mails_to(outbox, supplier)
    assert "Havenlaan 88, 1000 Brussel, Zaal Jan Breydel" in sent.body and "Table Zaal" not in sent.body
    _calendar_file, entry = _calendar(sent)
    assert str(entry["LOCATION"]) == "Havenlaan 88, 1000 Brussel – Zaal Jan Breydel"
    auth.login(organizer)
    for path in ("agenda/grid", "agenda/tables", "schedule/grid"):
        page = client.get(f"/events/{event.id}/{path}").get_data(as_text=True)
        assert "Zaal Jan Breydel" in page and "Table Zaal" not in page, path
        assert "Table 1" in page, path  # an unnamed table is "Table 1", not "1" nor "Table Table 1"
