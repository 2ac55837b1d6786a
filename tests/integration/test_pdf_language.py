"""The PDFs say their language and title and are tagged (issue 18), and the organizer's print of every
participant's agenda gives each participant their own language and their own page numbers. Read back with
tools nobody here wrote: qpdf (the document catalog, the structure tree, the page content streams, --check)
and poppler (pdfinfo's "Tagged" and its print of the structure with its text, pdftotext); CI installs both
(.ci/run)."""

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import AttendanceMode
from tests.badges import download_badges
from tests.factories import EVENT_DAY, add_day
from tests.pdfcheck import Pdf, assert_tagged, roles

pytestmark = pytest.mark.usefixtures("request_context")


def _assert_described(pdf: Pdf, language: str, title: str) -> None:
    assert pdf.catalog["/Lang"] == f"u:{language}"
    assert pdf.info["Title"] == title
    assert pdf.info["Author"] == "Matchmaker" and pdf.info["Creator"] == "Matchmaker"
    assert pdf.info["Subject"]
    preferences = pdf.catalog["/ViewerPreferences"]
    if isinstance(preferences, str):  # an indirect object
        preferences = pdf.object(preferences)["value"]
    assert preferences["/DisplayDocTitle"] is True  # viewers show the title, not the file name


@pytest.fixture
def languages_pair(pair):
    """The buyer reads French, the supplier Dutch (the organizer English: make_user's default)."""
    rb, rs = pair
    rb.user.language = "fr"
    rs.user.language = "nl"
    db.session.commit()
    return rb, rs


def test_the_participants_agenda_says_its_language_and_title(
    client, auth, event, meeting, languages_pair, tmp_path
):
    _rb, rs = languages_pair
    auth.login(rs.user)
    pdf = Pdf(client.get(f"/events/{event.id}/agenda.pdf").data, tmp_path)
    _assert_described(pdf, "nl", f"Agenda: {event.title}")
    assert pdf.info["Subject"] == "Agenda van Sofie Supplier"
    text = pdf.text(1)
    assert "Agenda van Sofie Supplier" in text and "Gesprek met" in text
    assert "/Lang" not in pdf.content(1)  # the page is in the document's language: nothing to mark


def test_the_badges_say_their_language_and_title(client, auth, event, organizer, languages_pair, tmp_path):
    auth.login(organizer)
    pdf = Pdf(download_badges(client, event.id), tmp_path)
    _assert_described(pdf, "en", f"Badges: {event.title}")
    assert pdf.info["Subject"] == "Name badges"
    organizer.language = "fr"
    db.session.commit()
    pdf = Pdf(download_badges(client, event.id), tmp_path)
    _assert_described(pdf, "fr", f"Badges : {event.title}")


def _numbering(language: str, page: int, pages: int) -> str:
    with force_locale(language):
        return _("Page %(page)s of %(pages)s", page=page, pages=pages)


def test_the_combined_agendas_are_each_in_the_participants_language_numbered_per_participant(
    client, auth, event, organizer, meeting, languages_pair, tmp_path
):
    for extra in range(1, 5):  # five mornings: each agenda takes more than one page
        add_day(event, EVENT_DAY + timedelta(days=extra))
    db.session.commit()
    auth.login(organizer)
    pdf = Pdf(client.get(f"/events/{event.id}/agenda/participants.pdf").data, tmp_path)
    _assert_described(pdf, "en", f"Agenda: {event.title}")  # mixed languages: the organizer's
    assert pdf.pages % 2 == 0
    per_person = pdf.pages // 2
    assert per_person >= 2
    buyer_pages = range(1, per_person + 1)  # by name: Bart Buyer first
    supplier_pages = range(per_person + 1, pdf.pages + 1)

    buyer_text = pdf.text(buyer_pages[0], buyer_pages[-1])
    assert "Agenda de Bart Buyer" in buyer_text and "Rendez-vous avec" in buyer_text
    assert "Les heures sont les heures locales de Bruxelles." in buyer_text
    assert "Sofie Supplier" in buyer_text  # her meetings with him
    with force_locale("fr"):
        from flask_babel import format_date

        french_day = format_date(EVENT_DAY, "full")
    assert french_day in buyer_text
    for word in ("Agenda of", "Agenda van", "Meeting with", "Gesprek met"):
        assert word not in buyer_text, word

    supplier_text = pdf.text(supplier_pages[0], supplier_pages[-1])
    assert "Agenda van Sofie Supplier" in supplier_text and "Gesprek met" in supplier_text
    assert "De tijden zijn lokale tijden in Brussel." in supplier_text
    for word in ("Agenda of", "Agenda de", "Meeting with", "Rendez-vous avec"):
        assert word not in supplier_text, word

    # the page numbers restart with each participant, in their language: "Page 1 of 2", not "page 3"
    for language, pages in (("fr", buyer_pages), ("nl", supplier_pages)):
        for number, page in enumerate(pages, start=1):
            text = pdf.text(page)
            assert _numbering(language, number, per_person) in text, (page, text[-80:])
            # the page number is a running footer: an artifact, not the agenda's text
            assert "/Artifact <</Type /Pagination>> BDC" in pdf.content(page)

    # each participant's agenda is a section in their language (the document's is English), with a heading,
    # a table per day whose five column headers are tagged once, even where a table goes on to the next page
    tree = assert_tagged(pdf)
    sections = roles(tree, "Sect")
    assert [section["element"].get("/Lang") for section in sections] == ["u:fr", "u:nl"]
    for section in sections:
        assert [kid["role"] for kid in section["kids"]][:3] == ["H1", "P", "P"]
        tables = roles(section, "Table")
        assert len(tables) == 5  # five days
        for table in tables:
            assert len(roles(table, "TH")) == 5


def test_one_participants_agenda_from_the_organizer_is_in_their_language(
    client, auth, event, organizer, meeting, languages_pair, tmp_path
):
    rb, _rs = languages_pair
    auth.login(organizer)
    pdf = Pdf(client.get(f"/events/{event.id}/agenda/participants.pdf?registration={rb.id}").data, tmp_path)
    _assert_described(pdf, "fr", f"Agenda : {event.title}")
    assert pdf.info["Subject"] == "Agenda de Bart Buyer"
    assert pdf.pages == 1
    text = pdf.text(1)
    assert "Agenda de Bart Buyer" in text and _numbering("fr", 1, 1) in text
    assert "/Lang" not in pdf.content(1)


def test_the_agenda_is_tagged_with_headings_a_table_a_figure_and_its_links(
    client, auth, event, meeting, languages_pair, tmp_path
):
    """The structure a screen reader reads: the event's title as heading, the day as a sub-heading, the
    meetings as a table with column headers (a free slot's label spanning the four columns after its time),
    the QR code as a figure with its text alternative, the online meeting's link as a link in the tree."""
    _rb, rs = languages_pair
    event.attendance_mode = AttendanceMode.ONLINE
    event.meeting_link_pattern = "https://meet.example.org/{event}-{meeting}"
    db.session.commit()
    auth.login(rs.user)
    pdf = Pdf(client.get(f"/events/{event.id}/agenda.pdf").data, tmp_path)
    tree = assert_tagged(pdf)
    assert [kid["role"] for kid in tree["kids"]] == ["Sect"]
    section = tree["kids"][0]
    assert "/Lang" not in section["element"]  # the document's language (Dutch)
    assert [kid["role"] for kid in section["kids"]] == [
        "H1",
        "P",
        "P",
        "Figure",
        "P",
        "P",
        "P",
        "H2",
        "Table",
    ]
    db.session.refresh(rs)
    figure = section["kids"][3]["element"]
    assert figure["/Alt"].startswith("u:") and figure["/Alt"].endswith(f" {rs.checkin_code}")
    table = section["kids"][-1]
    rows = table["kids"]
    assert {kid["role"] for kid in rows} == {"TR"}
    assert [cell["role"] for cell in rows[0]["kids"]] == ["TH"] * 5
    assert all(cell["element"]["/A"]["/Scope"] == "/Column" for cell in rows[0]["kids"])
    for row in rows[1:]:  # every row covers the five columns: a meeting's five cells or a time and a label
        spans = [cell["element"].get("/A", {}).get("/ColSpan", 1) for cell in row["kids"]]
        assert sum(spans) == 5 and set(spans) <= {1, 4}, spans
    links = roles(tree, "Link")
    assert len(links) == 1
    annotation = links[0]["kids"][0]["annotation"]
    link = annotation["/A"]["/URI"]
    assert link.startswith("u:https://meet.example.org/") or link.startswith("b:")
    assert annotation["/Contents"] == link  # read out as its address
    text = pdf.structure_text()
    assert re.search(rf'H1 \(block\)\s+"{re.escape(event.title)}"', text)
    assert re.search(r'TH:\s+/Scope /Column\s+"Tijd"', text)
    assert '"Gesprek met"' in text and '"Smart traffic lights for cyclists"' in text


def test_the_badges_are_tagged_one_division_a_badge(client, auth, event, organizer, languages_pair, tmp_path):
    auth.login(organizer)
    pdf = Pdf(download_badges(client, event.id), tmp_path)
    tree = assert_tagged(pdf)
    badges = tree["kids"]
    assert [badge["role"] for badge in badges] == ["Div", "Div"]
    for badge, registration in zip(
        badges, sorted(languages_pair, key=lambda r: r.user.display_name), strict=True
    ):
        db.session.refresh(registration)
        roles = [kid["role"] for kid in badge["kids"]]
        assert roles == ["P", "P", "P", "P", "Figure", "P"]  # event, name, organisation, role; QR code, code
        event_title, name = (kid["element"]["/ActualText"] for kid in badge["kids"][:2])
        assert (event_title, name) == (f"u:{event.title}", f"u:{registration.user.display_name}")
        assert (
            badge["kids"][4]["element"]["/Alt"]
            == f"u:QR code of the check-in code {registration.checkin_code}"
        )


def test_the_lines_of_a_table_cell_are_read_apart(client, auth, event, meeting, pair, tmp_path):
    """A cell of several lines (the name, organisation and role of the other participant) is read with a
    space between its lines, not as "Bart BuyerAgency of Bart BuyerBuyer" (poppler's structure text, as a
    screen reader gets it: the glyphs of the marked content, in order, without their positions)."""
    _rb, rs = pair
    auth.login(rs.user)
    pdf = Pdf(client.get(f"/events/{event.id}/agenda.pdf").data, tmp_path)
    assert_tagged(pdf)
    text = pdf.structure_text()
    assert re.search(r'"Bart Buyer\s+Agency of Bart Buyer\s+Buyer"', text), text
    assert "BuyerAgency" not in text and "BuyerBuyer" not in text
    assert "Bart Buyer Agency of Bart Buyer Buyer" in pdf.text(1)  # the page's text as before


def test_a_name_on_two_lines_of_a_badge_is_read_apart(
    client, auth, event, organizer, make_participant, register, tmp_path
):
    """The badge's name in two lines (and its organisation) reads with a space where the line was broken, in
    poppler's structure text too (beside the element's ActualText, which not every reader takes)."""
    name = "Maximiliaan Alexander Vandenbroucke-Verstraeten de Wilde van Oudenaarde"
    register(make_participant("supplier", name=name), event)
    db.session.commit()
    auth.login(organizer)
    pdf = Pdf(download_badges(client, event.id, "86x54"), tmp_path)
    assert_tagged(pdf)
    text = pdf.structure_text()
    assert f'"{name}"' in text, text
    assert re.search(r'"Start-up of Maximiliaan( \S+)+"', text), text  # as much as the badge holds, apart
    assert "Maximiliaan Alexander" in pdf.text(1)
