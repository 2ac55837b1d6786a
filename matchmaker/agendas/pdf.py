"""The personal agenda as an A4 PDF (reportlab), in the reader's language.

Every PDF the platform writes (these and the badges) says its language in the document catalog (/Lang: the
platform's plain language codes "nl", "fr", "en", the same as the pages' `<html lang>`; the texts are not
written for one region) and carries a title (shown in the viewer's title bar: DisplayDocTitle), subject,
author and creator. The organizer's print of everyone's agendas gives each participant their pages in their
own language, page numbers counted per participant ("Page 1 of 2" of that agenda); the document's /Lang is
the participants' language when they share one, else the organizer's, and each participant's part in
another language is a section (Sect) with its own /Lang.

The files are tagged (pdftags.py: the structure tree reportlab does not write): each participant's agenda is
a section with the event's title as its heading (H1), a heading per day (H2), the meetings as a table whose
header cells name their columns, the check-in QR code as a figure with its text alternative; table rules,
backgrounds and the footer (the page numbers) are artifacts.

The text font is embedded: DejaVu Sans from the system when present, else the Bitstream Vera that ships with
reportlab (both cover the accents of Dutch and French names and the en dash), else Helvetica.
"""

import io
import logging
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from matchmaker.i18n import current_language
from matchmaker.models import ParticipantRole, RegistrationStatus
from matchmaker.pdftags import Figure, Paragraph, TaggedCanvas
from matchmaker.pdftags import table as tagged_table
from matchmaker.services.agendas import Agenda

log = logging.getLogger(__name__)
SYSTEM_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_fonts_lock = threading.Lock()
_fonts: tuple[str, str] | None = None


def _candidates() -> list[tuple[str, Path, Path]]:
    import reportlab

    bundled = Path(reportlab.__file__).parent / "fonts"
    return [
        ("DejaVuSans", SYSTEM_DEJAVU / "DejaVuSans.ttf", SYSTEM_DEJAVU / "DejaVuSans-Bold.ttf"),
        ("Vera", bundled / "Vera.ttf", bundled / "VeraBd.ttf"),
    ]


def fonts() -> tuple[str, str]:
    """(regular, bold) font names, registered with reportlab once per process."""
    global _fonts
    with _fonts_lock:
        if _fonts is None:
            _fonts = _register_fonts()
        return _fonts


def _register_fonts() -> tuple[str, str]:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, regular, bold in _candidates():
        if regular.is_file() and bold.is_file():
            try:
                pdfmetrics.registerFont(TTFont(f"Agenda-{name}", str(regular)))
                pdfmetrics.registerFont(TTFont(f"Agenda-{name}-Bold", str(bold)))
            except Exception:  # a broken font file: try the next one
                log.warning("Cannot use the font %s for agenda PDFs", regular, exc_info=True)
                continue
            regular_name, bold_name = f"Agenda-{name}", f"Agenda-{name}-Bold"
            # <b> in paragraphs picks the bold face of the family.
            for is_bold, is_italic, face in (
                (0, 0, regular_name),
                (1, 0, bold_name),
                (0, 1, regular_name),
                (1, 1, bold_name),
            ):
                addMapping(regular_name, is_bold, is_italic, face)
            return regular_name, bold_name
    return "Helvetica", "Helvetica-Bold"


def _p(text: str) -> str:
    return escape(text or "")


CREATOR = "Matchmaker"


def pdf_language(language: str | None = None) -> str:
    """The /Lang of a PDF: one of the platform's languages (plain "nl", "fr", "en", as the pages' lang)."""
    language = language or current_language()
    return (
        language
        if language in current_app.config["LANGUAGES"]
        else current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def agenda_pdf(agenda: Agenda, compress: bool = True) -> bytes:
    """One participant's agenda, in the reader's language (the participant downloads it)."""
    language = pdf_language()
    with force_locale(language):
        subject = _("Agenda of %(name)s", name=agenda.registration.user.display_name)
    return _agendas_pdf([(agenda, language)], agenda.event, language, subject, compress)


def agendas_pdf(agendas: list[Agenda], event, compress: bool = True) -> bytes:
    """Several participants' agendas, each from a new page (the organizer's print for the welcome desk), each
    in that participant's own language with its own page numbers."""
    parts = [(agenda, pdf_language(agenda.registration.user.language)) for agenda in agendas]
    languages = {language for _agenda, language in parts}
    language = languages.pop() if len(languages) == 1 else pdf_language()
    with force_locale(language):
        if len(agendas) == 1:
            subject = _("Agenda of %(name)s", name=agendas[0].registration.user.display_name)
        else:
            subject = _("Participants' agendas")
    return _agendas_pdf(parts, event, language, subject, compress)


def _agendas_pdf(
    parts: list[tuple[Agenda, str]], event, language: str, subject: str, compress: bool
) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    regular, bold = fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=11.5, alignment=TA_LEFT)
    styles = {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "strong": ParagraphStyle("strong", parent=base, fontName=bold),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=16, leading=20, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10.5, leading=14),
        "heading": ParagraphStyle(
            "heading", parent=base, fontName=bold, fontSize=12, leading=15, spaceBefore=8, spaceAfter=4
        ),
    }
    muted = colors.HexColor("#4f5b66")
    buffer = io.BytesIO()
    with force_locale(language):
        title = _("Agenda: %(title)s", title=event.title)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
        subject=subject,
        author=CREATOR,
        creator=CREATOR,
        lang=language,
        displayDocTitle=True,
        pageCompression=1 if compress else 0,
    )
    person_marker = _person_flowable(language)
    story: list = []
    for index, (agenda, agenda_language) in enumerate(parts):
        if story:
            story.append(PageBreak())
        story.append(person_marker((index, agenda_language)))
        with force_locale(agenda_language):  # labels, headings and dates in the participant's language
            story += _agenda_story(agenda, styles, A4[0] - 30 * mm)
    if not story:
        with force_locale(language):
            story.append(Paragraph(_p(_("No meetings are scheduled yet.")), base))

    def footer(canvas, person: tuple[int, str] | None, page: int, pages: int) -> None:
        page_language = person[1] if person else language
        with force_locale(page_language):
            note = _("Times are local times in Brussels.")
            numbering = _("Page %(page)s of %(pages)s", page=page, pages=pages)
        with canvas.tagger.artifact("Pagination"):  # a running footer, not the agenda's content
            canvas.saveState()
            canvas.setFont(regular, 7.5)
            canvas.setFillColor(muted)
            canvas.drawString(15 * mm, 9 * mm, note)
            canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, numbering)
            canvas.restoreState()

    doc.build(story, canvasmaker=_person_canvas(footer, language))
    return buffer.getvalue()


def _person_flowable(language: str):
    from reportlab.platypus import Flowable

    class Person(Flowable):
        """Marks where a participant's agenda starts: the pages from here on are theirs (their number and
        language), until the next marker, and so is a new section of the structure tree (with its /Lang when
        it is not the document's)."""

        def __init__(self, person: tuple[int, str]):
            super().__init__()
            self.person = person

        def wrap(self, available_width, available_height):
            return 0, 0

        def draw(self):
            self.canv.person = self.person
            person_language = self.person[1]
            self.canv.tagger.section(lang="" if person_language == language else person_language)

    return Person


def _person_canvas(footer, language: str):
    """A tagged reportlab canvas that keeps its pages until the end, then writes each page's footer with its
    number among its participant's pages ("Page 1 of 2") in that participant's language."""
    from reportlab.pdfgen.canvas import Canvas

    class PersonCanvas(TaggedCanvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.person = None
            self._kept_pages: list[tuple[dict, tuple[int, str] | None]] = []

        def showPage(self):
            self._kept_pages.append((dict(self.__dict__), self.person))
            self._startPage()

        def save(self):
            totals: dict = {}
            for _state, person in self._kept_pages:
                totals[person] = totals.get(person, 0) + 1
            seen: dict = {}
            for state, person in self._kept_pages:
                self.__dict__.update(state)
                seen[person] = seen.get(person, 0) + 1
                footer(self, person, seen[person], totals[person])
                Canvas.showPage(self)
            TaggedCanvas.save(self)

    return PersonCanvas


def _table_cell(row) -> str:
    """The table, and the meeting's online link under it (the PDF is the participant's or organizers')."""
    text = _p(row.meeting.table.label)
    if row.hybrid_place:  # whether to travel: both kinds of meeting may carry a link (AgendaRow.hybrid_place)
        place = _("Online") if row.hybrid_place == "online" else _("At the venue")
        text += f"<br/><font size='7'>{_p(place)}</font>"
    if row.online_link:
        link = _p(row.online_link)
        text += f"<br/><font size='7'><link href=\"{link}\">{link}</link></font>"
    return text


def _checkin_block(code: str, styles: dict):
    """The participant's check-in code: its QR code (qrcodes.py: the code only) and the code in text."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    from matchmaker import qrcodes

    subtitle = styles["subtitle"]
    text = [  # three paragraphs, which a screen reader reads apart
        Paragraph(_p(_("Your check-in code")), subtitle),
        Paragraph(f"<b>{_p(' '.join(code))}</b>", ParagraphStyle("code", subtitle, fontSize=16, leading=20)),
        Paragraph(
            f"<font size='8'>{_p(_('Show it at the entrance, on your phone or printed.'))}</font>", subtitle
        ),
    ]
    qr_code = Figure(qrcodes.flowable(code, 26 * mm), _("QR code of the check-in code %(code)s", code=code))
    block = Table(  # layout only: a figure and paragraphs side by side, no table in the structure
        [[qr_code, text]],
        colWidths=[30 * mm, 100 * mm],
        hAlign="LEFT",
    )
    block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    return block


def _agenda_story(agenda: Agenda, styles: dict, width: float) -> list:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, TableStyle

    base, small, strong = styles["base"], styles["small"], styles["strong"]
    heading = styles["heading"]
    muted = colors.HexColor("#4f5b66")
    event = agenda.event
    registration = agenda.registration
    story = [Paragraph(_p(event.title), styles["title"], role="H1")]
    who = registration.user.display_name
    if registration.organisation_name:
        who += f" ({registration.organisation_name})"
    story.append(Paragraph(_p(_("Agenda of %(name)s", name=who)), styles["subtitle"]))
    if event.venue_address:
        story.append(Paragraph(_p(event.venue_address), styles["subtitle"]))
    story.append(Spacer(1, 4 * mm))
    if registration.checkin_code and registration.status == RegistrationStatus.APPROVED:
        story.append(_checkin_block(registration.checkin_code, styles))
        story.append(Spacer(1, 3 * mm))

    if not agenda.published:
        story.append(Paragraph(_p(_("The agenda is not published yet.")), base))
    col_widths = [27 * mm, 15 * mm, 50 * mm, 48 * mm, width - 140 * mm]
    for day in agenda.days:
        story.append(Paragraph(_p(format_date(day.day.day, "full")), heading, role="H2"))
        header = [
            Paragraph(_p(h), strong)
            for h in (_("Time"), _("Table"), _("Meeting with"), _("Brings"), _("Contact"))
        ]
        data = [header]
        style = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor("#c9d1d9")),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        for row in day.rows:
            time_text = f"{row.slot.starts_at:%H:%M}–{row.slot.ends_at:%H:%M}"
            index = len(data)
            if row.meeting and row.other:
                other = row.other
                who_cell = f"<b>{_p(other.name)}</b>"
                if other.organisation:
                    who_cell += f"<br/>{_p(other.organisation)}"
                role = _("Buyer") if other.role == ParticipantRole.BUYER else _("Supplier")
                who_cell += f"<br/><font color='#4f5b66'>{_p(role)}</font>"
                brings = "<br/>".join(_p(item.title) for item in other.items)
                contact = "<br/>".join(_p(v) for v in (other.email, other.website) if v)
                data.append(
                    [
                        Paragraph(_p(time_text), strong),
                        Paragraph(_table_cell(row), strong),
                        Paragraph(who_cell, base),
                        Paragraph(brings, small),
                        Paragraph(contact, small),
                    ]
                )
            else:
                if row.kind == "free":
                    label = _("Free")
                elif row.kind == "break":
                    label = row.slot.label or _("Break")
                else:
                    label = row.slot.label or _("Plenary session")
                data.append([Paragraph(_p(time_text), base), Paragraph(_p(label), base), "", "", ""])
                style.append(("SPAN", (1, index), (-1, index)))
                style.append(("TEXTCOLOR", (0, index), (-1, index), muted))
                if row.kind != "free":
                    style.append(("BACKGROUND", (0, index), (-1, index), colors.HexColor("#f1f3f5")))
        table = tagged_table(data, header_rows=1, colWidths=col_widths, repeatRows=1)
        table.setStyle(TableStyle(style))
        story.append(table)
    if agenda.cancelled:
        story.append(Paragraph(_p(_("Cancelled meetings")), heading, role="H2"))
        for meeting, other in agenda.cancelled:
            text = (
                f"{format_date(meeting.slot.starts_at.date(), 'medium')} "
                f"{meeting.slot.starts_at:%H:%M}–{meeting.slot.ends_at:%H:%M}: {other.name}"
            )
            if other.organisation:
                text += f" ({other.organisation})"
            story.append(Paragraph(_p(text), base))
    return story
