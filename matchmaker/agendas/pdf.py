"""The personal agenda as an A4 PDF (reportlab), in the reader's language.

The text font is embedded: DejaVu Sans from the system when present, else the Bitstream Vera that ships with
reportlab (both cover the accents of Dutch and French names and the en dash), else Helvetica.
"""

import io
import logging
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from flask_babel import format_date
from flask_babel import gettext as _

from matchmaker.models import ParticipantRole
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


def agenda_pdf(agenda: Agenda, compress: bool = True) -> bytes:
    """One participant's agenda."""
    return agendas_pdf([agenda], agenda.event, compress)


def agendas_pdf(agendas: list[Agenda], event, compress: bool = True) -> bytes:
    """Several participants' agendas, each from a new page (the organizer's print for the welcome desk)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

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
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_("Agenda: %(title)s", title=event.title),
        author="Matchmaker",
        pageCompression=1 if compress else 0,
    )
    story: list = []
    for agenda in agendas:
        if story:
            story.append(PageBreak())
        story += _agenda_story(agenda, styles, A4[0] - 30 * mm)
    if not story:
        story.append(Paragraph(_p(_("No meetings are scheduled yet.")), base))

    footer_text = _("Times are local times in Brussels.")

    def on_page(canvas, document):
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(muted)
        canvas.drawString(15 * mm, 9 * mm, footer_text)
        canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, _("Page %(page)s", page=document.page))
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _agenda_story(agenda: Agenda, styles: dict, width: float) -> list:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    base, small, strong = styles["base"], styles["small"], styles["strong"]
    heading = styles["heading"]
    muted = colors.HexColor("#4f5b66")
    event = agenda.event
    registration = agenda.registration
    story = [Paragraph(_p(event.title), styles["title"])]
    who = registration.user.display_name
    if registration.organisation_name:
        who += f" ({registration.organisation_name})"
    story.append(Paragraph(_p(_("Agenda of %(name)s", name=who)), styles["subtitle"]))
    if event.venue_address:
        story.append(Paragraph(_p(event.venue_address), styles["subtitle"]))
    story.append(Spacer(1, 4 * mm))

    if not agenda.published:
        story.append(Paragraph(_p(_("The agenda is not published yet.")), base))
    col_widths = [27 * mm, 15 * mm, 50 * mm, 48 * mm, width - 140 * mm]
    for day in agenda.days:
        story.append(Paragraph(_p(format_date(day.day.day, "full")), heading))
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
                        Paragraph(_p(row.meeting.table.label), strong),
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
        table = Table(data, colWidths=col_widths, repeatRows=1)
        table.setStyle(TableStyle(style))
        story.append(table)
    if agenda.cancelled:
        story.append(Paragraph(_p(_("Cancelled meetings")), heading))
        for meeting, other in agenda.cancelled:
            text = (
                f"{format_date(meeting.slot.starts_at.date(), 'medium')} "
                f"{meeting.slot.starts_at:%H:%M}–{meeting.slot.ends_at:%H:%M}: {other.name}"
            )
            if other.organisation:
                text += f" ({other.organisation})"
            story.append(Paragraph(_p(text), base))
    return story
