"""Agendas: the participant's page and PDF, the organizer's master grid, table sheets and CSV, and who may
see which."""

import csv
import io
import re

import pytest

from matchmaker.extensions import db
from matchmaker.models import EventStatus, Organisation, Registration
from matchmaker.services import events as events_service
from tests.factories import EVENT_DAY, add_meeting
from tests.helpers import cancel_meeting, slot_at

pytestmark = pytest.mark.usefixtures("request_context")


@pytest.fixture
def app_overrides() -> dict:
    return {"AGENDA_PDF_COMPRESS": False}  # so the test can read the PDF's text


def pdf_text(pdf: bytes) -> str:
    """The text shown by an uncompressed reportlab PDF: every string drawn, decoded with each embedded
    font's ToUnicode map (the font subsets number non-ASCII characters from 1)."""
    maps = []
    for cmap in re.findall(rb"beginbfchar(.*?)endbfchar", pdf, re.S):
        pairs = re.findall(rb"<([0-9A-Fa-f]{2})> <([0-9A-Fa-f]{4})>", cmap)
        maps.append({int(code, 16): chr(int(uni, 16)) for code, uni in pairs})
    strings = []
    for raw in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", pdf):
        data = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m.group(1), 8)]), raw)
        data = re.sub(rb"\\(.)", rb"\1", data)
        strings.append(data)
    return "\n".join(
        "".join(mapping.get(b, chr(b)) for b in data) for mapping in maps or [{}] for data in strings
    )


# --- the participant's agenda --------------------------------------------------------------------------


def test_the_agenda_shows_every_slot_with_the_meeting_and_the_other_party(
    client, auth, event, meeting, supplier, buyer
):
    buyer_org = db.session.get(Organisation, meeting.first_registration.organisation_id)
    buyer_org.website = "https://mow.vlaanderen.be"
    db.session.commit()
    auth.login(supplier)
    response = client.get(f"/events/{event.id}/agenda")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    assert "Bart Buyer" in page and "Agency of Bart Buyer" in page
    assert "Smart traffic lights for cyclists" in page  # the need the buyer brought
    assert f"mailto:{buyer.email}" in page and "https://mow.vlaanderen.be" in page
    # every slot in order: 9:00 free, 9:20 the meeting at table 2, 10:00 the coffee break
    times = re.findall(r'<time datetime="[^"]+T(\d\d:\d\d):00">', page)
    starts = times[::2]
    assert starts == ["09:00", "09:20", "09:40", "10:00", "10:20", "10:40", "11:00", "11:20", "11:40"]
    rows = re.findall(r'<tr class="agenda-row agenda-(\w+)">', page)
    assert rows == ["free", "meeting", "free", "break", "free", "free", "free", "free", "free"]
    assert "Coffee" in page
    assert re.search(r'agenda-table-label" data-label="Table">2</td>', page)


def test_the_other_side_sees_the_supplier_and_its_offering(client, auth, event, meeting, buyer):
    auth.login(buyer)
    page = client.get(f"/events/{event.id}/agenda").get_data(as_text=True)
    assert "Sofie Supplier" in page and "Start-up of Sofie Supplier" in page
    assert "Cyclist detection with radar" in page


def test_before_publication_the_agenda_says_so_and_shows_no_meeting(client, auth, event, pair, supplier):
    rb, rs = pair
    add_meeting(rb, rs, slot_at(event, EVENT_DAY, 9, 20), published=False)
    auth.login(supplier)
    page = client.get(f"/events/{event.id}/agenda").get_data(as_text=True)
    assert "The agenda is not published yet." in page
    assert "Bart Buyer" not in page
    assert "/calendar/" not in page  # no feed link before there is anything to follow
    pdf = client.get(f"/events/{event.id}/agenda.pdf").data
    assert "The agenda is not published yet." in pdf_text(pdf) and "Bart Buyer" not in pdf_text(pdf)


def test_a_published_event_without_meetings_for_me_shows_free_slots(
    client, auth, event, meeting, make_participant, register
):
    events_service.change_status(event.organizer, event, EventStatus.REGISTRATION_CLOSED)
    events_service.change_status(event.organizer, event, EventStatus.AGENDA_PUBLISHED)
    lonely = make_participant("supplier", name="Lonely Lotte")
    # registration is closed by now: the row as a registration on behalf would leave it
    db.session.add(Registration(event_id=event.id, user_id=lonely.id, role="supplier", status="approved"))
    db.session.commit()
    auth.login(lonely)
    page = client.get(f"/events/{event.id}/agenda").get_data(as_text=True)
    assert "not published yet" not in page
    assert "You have 0 meetings." in page
    assert re.findall(r'<tr class="agenda-row agenda-(\w+)">', page).count("free") == 8
    assert "Bart Buyer" not in page and "Sofie Supplier" not in page


def test_the_pdf_holds_the_agenda_with_accents(client, auth, event, pair, supplier, buyer):
    rb, rs = pair
    buyer.display_name = "Géraldine Dupont"
    db.session.get(Organisation, rb.organisation_id).name = "Brussel–Zuid"
    db.session.commit()
    add_meeting(rb, rs, slot_at(event, EVENT_DAY, 9, 20), table_number=3)
    auth.login(supplier)
    response = client.get(f"/events/{event.id}/agenda.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    assert response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    assert "Géraldine Dupont" in text and "Brussel–Zuid" in text
    assert "Smart traffic lights for cyclists" in text and buyer.email in text
    assert "09:20–09:40" in text and "Coffee" in text
    assert b"/FontFile2" in response.data  # a TrueType font is embedded (DejaVu or Vera)


# --- who may see what ----------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in(client, event, meeting):
    for path in ("agenda", "agenda.pdf", "agenda.ics", "agenda/grid", "agenda/tables", "agenda/meetings.csv"):
        response = client.get(f"/events/{event.id}/{path}")
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_a_user_without_a_registration_gets_404_for_an_agenda(client, auth, event, meeting):
    auth.login_as("supplier")
    for path in ("agenda", "agenda.pdf", "agenda.ics", f"agenda/meetings/{meeting.id}.ics"):
        assert client.get(f"/events/{event.id}/{path}").status_code == 404, path


def test_another_participant_sees_only_their_own_agenda(
    client, auth, event, meeting, make_participant, register
):
    third = make_participant("supplier", name="Third Theo")
    register(third, event)
    auth.login(third)
    page = client.get(f"/events/{event.id}/agenda").get_data(as_text=True)
    assert "Bart Buyer" not in page and "Sofie Supplier" not in page
    assert "Bart Buyer" not in pdf_text(client.get(f"/events/{event.id}/agenda.pdf").data)
    assert client.get(f"/events/{event.id}/agenda/meetings/{meeting.id}.ics").status_code == 404


def test_a_draft_events_agenda_is_404_for_a_participant(client, auth, make_event, make_participant):
    draft = make_event(open_registration=False)
    auth.login(make_participant("supplier"))
    assert client.get(f"/events/{draft.id}/agenda").status_code == 404
    assert client.get("/events/999999/agenda").status_code == 404


@pytest.mark.parametrize("path", ["agenda/grid", "agenda/tables", "agenda/meetings.csv"])
def test_organizer_pages_are_refused_to_participants_and_other_organizers(
    client, auth, event, meeting, supplier, make_user, path
):
    auth.login(supplier)  # a participant of this event
    assert client.get(f"/events/{event.id}/{path}").status_code == 403
    auth.login_as("buyer")  # a non-participant
    assert client.get(f"/events/{event.id}/{path}").status_code == 403
    auth.login(make_user(roles=("organizer",)))  # an organizer of other events
    assert client.get(f"/events/{event.id}/{path}").status_code == 403


def test_organizer_pages_of_a_draft_are_404_to_others(client, auth, make_event, make_user):
    draft = make_event(open_registration=False)
    auth.login(make_user(roles=("organizer",)))
    assert client.get(f"/events/{draft.id}/agenda/grid").status_code == 404


# --- the organizer's views -----------------------------------------------------------------------------


def test_the_master_grid_shows_every_active_meeting_published_or_not(
    client, auth, event, pair, meeting, organizer, make_participant, register
):
    _rb, rs = pair
    draft_pair = register(make_participant("buyer", name="Unpublished Ursula"), event)
    add_meeting(draft_pair, rs, slot_at(event, EVENT_DAY, 11, 0), table_number=4, published=False)
    auth.login(organizer)
    response = client.get(f"/events/{event.id}/agenda/grid")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Bart Buyer" in page and "Sofie Supplier" in page and "Unpublished Ursula" in page
    assert page.count("grid-unpublished") == 1 and "not published" in page
    assert "Table 4" in page and "Coffee" in page
    assert page.count('<td class="grid-cell grid-meeting') == 2


def test_an_admin_sees_the_master_grid(client, auth, event, meeting):
    auth.login_as("admin")
    assert client.get(f"/events/{event.id}/agenda/grid").status_code == 200


def test_table_sheets_show_one_table_per_section(client, auth, event, meeting, organizer):
    auth.login(organizer)
    page = client.get(f"/events/{event.id}/agenda/tables").get_data(as_text=True)
    assert page.count('<section class="table-sheet"') == 4  # the event has 4 tables
    single = client.get(f"/events/{event.id}/agenda/tables?table={meeting.table_id}").get_data(as_text=True)
    assert single.count('<section class="table-sheet"') == 1
    assert "Bart Buyer" in single and "Sofie Supplier" in single
    other_table = next(t for t in event.tables if t.id != meeting.table_id)
    other = client.get(f"/events/{event.id}/agenda/tables?table={other_table.id}").get_data(as_text=True)
    assert "Bart Buyer" not in other


def test_a_table_of_another_event_gives_404(client, auth, event, make_event, organizer):
    elsewhere = make_event(title="Other event")
    auth.login(organizer)
    assert client.get(f"/events/{event.id}/agenda/tables?table={elsewhere.tables[0].id}").status_code == 404


def test_the_csv_lists_meetings_and_defuses_formulas(client, auth, event, pair, meeting, organizer, buyer):
    buyer.display_name = '=HYPERLINK("http://evil")'
    db.session.get(Organisation, pair[1].organisation_id).name = "+32 Start-up"
    db.session.commit()
    auth.login(organizer)
    response = client.get(f"/events/{event.id}/agenda/meetings.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 2
    header, row = rows
    assert len(header) == 12
    start, end, table, name1, org1, _role1, name2, org2, _role2, source, locked, published = row
    assert start == f"{EVENT_DAY.isoformat()} 09:20" and end == f"{EVENT_DAY.isoformat()} 09:40"
    assert table == "2"
    names = {name1, name2}
    assert '\'=HYPERLINK("http://evil")' in names and "Sofie Supplier" in names
    assert "'+32 Start-up" in {org1, org2}
    assert source and locked and published


def test_cancelled_meetings_are_not_in_the_grid_or_csv(client, auth, event, meeting, organizer):
    cancel_meeting(meeting)
    auth.login(organizer)
    assert "Bart Buyer" not in client.get(f"/events/{event.id}/agenda/grid").get_data(as_text=True)
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/events/{event.id}/agenda/meetings.csv").data.decode("utf-8-sig"))
        )
    )
    assert len(rows) == 1


def test_the_event_page_and_my_events_link_to_my_agenda(client, auth, event, meeting, supplier):
    auth.login(supplier)
    agenda = f'href="/events/{event.id}/agenda"'
    assert agenda in client.get(f"/events/{event.id}").get_data(as_text=True)
    assert agenda in client.get("/events/").get_data(as_text=True)
    auth.login_as("buyer")  # not registered: no link
    assert agenda not in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_the_dashboard_links_to_the_organizer_views(client, auth, event, organizer):
    auth.login(organizer)
    page = client.get(f"/events/{event.id}/dashboard").get_data(as_text=True)
    for path in ("agenda/grid", "agenda/tables", "agenda/meetings.csv"):
        assert f'href="/events/{event.id}/{path}"' in page


def test_the_organizer_prints_every_participants_agenda(
    client, auth, event, pair, meeting, organizer, make_participant, register
):
    _rb, rs = pair
    register(make_participant("supplier", name="Zoe Without Meetings"), event)
    auth.login(organizer)
    response = client.get(f"/events/{event.id}/agenda/participants.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    for name in ("Agenda of Bart Buyer", "Agenda of Sofie Supplier", "Agenda of Zoe Without Meetings"):
        assert name in text
    assert text.index("Agenda of Bart Buyer") < text.index("Agenda of Sofie Supplier")  # by name
    assert len(re.findall(rb"/Type /Page\b", response.data)) == 3  # one page each
    one = pdf_text(client.get(f"/events/{event.id}/agenda/participants.pdf?registration={rs.id}").data)
    assert "Agenda of Sofie Supplier" in one and "Agenda of Bart Buyer" not in one
    assert "Bart Buyer" in one  # her meeting
    assert client.get(f"/events/{event.id}/agenda/participants.pdf?registration=999999").status_code == 404
    auth.login(rs.user)
    assert client.get(f"/events/{event.id}/agenda/participants.pdf").status_code == 403


def test_one_participants_agenda_loads_only_their_meetings(
    client, auth, event, pair, meeting, organizer, make_participant, register, monkeypatch
):
    """The organizer's PDF of one participant read every meeting of the event (7,000 at 500 participants)."""
    from matchmaker.services import agendas as agendas_service

    rb, rs = pair
    other = register(make_participant("supplier", name="Olga Other"), event)
    add_meeting(rb, other, slot_at(event, EVENT_DAY, 9, 40), table_number=1)  # not Sofie's
    loaded: list[list[int]] = []
    load = agendas_service._load_meetings

    def watched(query):
        meetings = load(query)
        loaded.append([m.id for m in meetings])
        return meetings

    monkeypatch.setattr(agendas_service, "_load_meetings", watched)
    everyone = {
        a.registration.id: [row.meeting.id for row in a.meetings]
        for a in agendas_service.event_agendas(event)
    }
    [mine] = agendas_service.event_agendas(event, rs.id)
    assert [row.meeting.id for row in mine.meetings] == everyone[rs.id] == [meeting.id]
    assert len(loaded[0]) == 2 and loaded[1] == [meeting.id]


def test_a_website_that_is_not_a_web_address_is_not_linked(client, auth, event, meeting, supplier):
    organisation = db.session.get(Organisation, meeting.first_registration.organisation_id)
    organisation.website = "javascript:alert(1)"
    db.session.commit()
    auth.login(supplier)
    page = client.get(f"/events/{event.id}/agenda").get_data(as_text=True)
    assert "javascript:alert" not in page


def test_plenary_sessions_show_in_the_agenda_grid_and_pdf(
    client, auth, make_event, make_participant, register, organizer
):
    from datetime import time

    event = make_event()
    events_service.add_block(
        organizer, event.days[0], "plenary", "Keynote by the minister", time(11, 0), time(11, 40)
    )
    rb = register(make_participant("buyer", name="Bart Buyer"), event)
    rs = register(make_participant("supplier", name="Sofie Supplier"), event)
    add_meeting(rb, rs, slot_at(event, EVENT_DAY, 9, 20))
    auth.login(rs.user)
    page = client.get(f"/events/{event.id}/agenda").get_data(as_text=True)
    rows = re.findall(r'<tr class="agenda-row agenda-(\w+)">', page)
    assert rows == ["free", "meeting", "free", "break", "free", "free", "plenary", "free"]
    assert "Keynote by the minister" in page
    assert "Keynote by the minister" in pdf_text(client.get(f"/events/{event.id}/agenda.pdf").data)
    auth.login(organizer)
    grid = client.get(f"/events/{event.id}/agenda/grid").get_data(as_text=True)
    assert '<tr class="grid-plenary">' in grid and "Keynote by the minister" in grid
