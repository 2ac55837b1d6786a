"""Printable name badges (issue 16): an A4 PDF of badges with cut marks, made with reportlab.

Each badge shows the participant's name (large), organisation, role (buyer or supplier, on a coloured band),
the event's title, and the QR code of their check-in code with the code in text beside it (qrcodes.py: the QR
holds the code only). Long names wrap at spaces and shrink to fit; a word is never cut. The font is the agenda
PDF's (DejaVu Sans when installed: accents, Greek and Cyrillic render).

The sizes are the common ones of badge holders, each laid out in a grid centred on A4 with cut marks in the
margins at every cut line:
- 86x54: the ID-1 card size (85.6 × 54 mm, ISO/IEC 7810, "CR80"), for PVC card holders and card sleeves on
  lanyards; 10 a sheet (2 × 5);
- 90x54: clip and magnet name-badge inserts (90 × 54 mm, the usual size of office-supply name badges);
  10 a sheet (2 × 5);
- a6: A6 landscape (148 × 105 mm), the large lanyard badge that is read from across a room; 2 a sheet.

The file is tagged (pdftags.py): each badge is a division (Div) of the structure tree holding, in reading
order, the event, the name, the organisation and the role as paragraphs, the QR code as a figure with its
text alternative and the code in text; cut marks, frames and the role's band are artifacts.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker import qrcodes
from matchmaker.agendas.pdf import CREATOR, fonts, pdf_language
from matchmaker.models import ParticipantRole, Registration
from matchmaker.models.labels import PARTICIPANT_ROLES
from matchmaker.pdftags import TaggedCanvas

MM = 72 / 25.4  # points in a millimetre
A4 = (210 * MM, 297 * MM)


@dataclass(frozen=True)
class BadgeSize:
    width_mm: float
    height_mm: float
    label: object  # a lazy string: "Card (86 × 54 mm)"

    @property
    def width(self) -> float:
        return self.width_mm * MM

    @property
    def height(self) -> float:
        return self.height_mm * MM


BADGE_SIZES: dict[str, BadgeSize] = {
    "86x54": BadgeSize(85.6, 54, _l("Card holder, 86 × 54 mm (10 per A4 sheet)")),
    "90x54": BadgeSize(90, 54, _l("Name badge insert, 90 × 54 mm (10 per A4 sheet)")),
    "a6": BadgeSize(148, 105, _l("A6 lanyard badge, 148 × 105 mm (2 per A4 sheet)")),
}
DEFAULT_SIZE = "86x54"
SHEET_MARGIN = 8 * MM  # room for the cut marks; inside every printer's unprintable edge
CUT_MARK = 5 * MM
CUT_GAP = 1.5 * MM  # between a mark and the badge, so that a cut a little off does not leave a line
ROLE_COLOURS = {ParticipantRole.BUYER: (0.05, 0.30, 0.55), ParticipantRole.SUPPLIER: (0.05, 0.42, 0.25)}


def grid(size: BadgeSize) -> tuple[int, int]:
    """(columns, rows) of badges on an A4 sheet."""
    columns = int((A4[0] - 2 * SHEET_MARGIN) // size.width)
    rows = int((A4[1] - 2 * SHEET_MARGIN) // size.height)
    return max(columns, 1), max(rows, 1)


def fit_lines(
    text: str, font: str, width: float, largest: float, smallest: float, max_lines: int
) -> tuple[list[str], float]:
    """The text in at most `max_lines` lines of at most `width`, at the largest font size that allows it:
    lines break at spaces only. When even `smallest` does not hold it, the size goes on down until the longest
    word fits on a line (a word is never cut) and the lines may be more than `max_lines`."""
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase.pdfmetrics import stringWidth

    words = text.split()
    if not words:
        return [], largest
    size = largest
    while size >= smallest:
        lines = simpleSplit(text, font, size, width)
        if len(lines) <= max_lines and all(stringWidth(line, font, size) <= width for line in lines):
            return lines, size
        size -= 0.5
    longest = max(stringWidth(word, font, 1) for word in words)
    size = min(smallest, width / longest)
    return simpleSplit(text, font, size, width), size


def lines_read_apart(lines: list[str]) -> list[str]:
    """Lines broken at spaces, each but the last ending with its space again: drawn as they were, but read
    apart where the text is read without the glyphs' positions (the marked content of a name on two lines, in
    poppler's structure text or a screen reader that does not take the element's ActualText)."""
    return [f"{line} " for line in lines[:-1]] + lines[-1:]


def shortened(text: str, font: str, size: float, width: float) -> str:
    """The event's title on one line: whole words, then "…" when it is too long (only the title; a name is
    never shortened)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    words = text.split()
    line = " ".join(words)
    while len(words) > 1 and stringWidth(line, font, size) > width:
        words.pop()
        line = " ".join(words) + " …"
    return line


def sheets_needed(count: int, size_key: str) -> int:
    """The A4 sheets that `count` badges take (one page saying there are none for 0)."""
    columns, rows = grid(BADGE_SIZES[size_key])
    return max(1, -(-count // (columns * rows)))


def badges_pdf(
    event,
    registrations: list[Registration],
    size_key: str,
    compress: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The badges of `registrations` (their check-in codes made), sorted by name, on as many A4 sheets as
    they need. `progress(sheets_done, sheets)` is called after each sheet: a few hundred badges take seconds,
    which the job's page shows as they go (services.badges)."""
    size = BADGE_SIZES[size_key]
    regular, bold = fonts()
    buffer = io.BytesIO()
    # The language of the organizer who prints them: the roles on the badges and the metadata are theirs.
    canvas = TaggedCanvas(buffer, pagesize=A4, pageCompression=1 if compress else 0, lang=pdf_language())
    canvas.setTitle(_("Badges: %(title)s", title=event.title))
    canvas.setSubject(_("Name badges"))
    canvas.setAuthor(CREATOR)
    canvas.setCreator(CREATOR)
    canvas.setViewerPreference("DisplayDocTitle", "true")
    columns, rows = grid(size)
    per_sheet = columns * rows
    left = (A4[0] - columns * size.width) / 2
    top = A4[1] - (A4[1] - rows * size.height) / 2
    people = sorted(registrations, key=lambda r: r.user.display_name.casefold())
    if not people:
        with canvas.tagger.mark("P"):
            canvas.setFont(regular, 12)
            canvas.drawString(SHEET_MARGIN, A4[1] - 2 * SHEET_MARGIN, _("No approved participants yet."))
        canvas.showPage()
    for start in range(0, len(people), per_sheet):
        with canvas.tagger.artifact():
            _cut_marks(canvas, left, top, columns, rows, size)
        for index, registration in enumerate(people[start : start + per_sheet]):
            column, row = index % columns, index // columns
            x = left + column * size.width
            y = top - (row + 1) * size.height
            _badge(canvas, event, registration, x, y, size, regular, bold)
        canvas.showPage()
        if progress is not None:
            progress(start // per_sheet + 1, sheets_needed(len(people), size_key))
    canvas.save()
    return buffer.getvalue()


def _cut_marks(canvas, left: float, top: float, columns: int, rows: int, size: BadgeSize) -> None:
    """Short lines in the sheet's margins on the line of every cut, and a hairline frame of each badge."""
    right = left + columns * size.width
    bottom = top - rows * size.height
    canvas.saveState()
    canvas.setLineWidth(0.4)
    canvas.setStrokeColorRGB(0, 0, 0)
    for column in range(columns + 1):
        x = left + column * size.width
        canvas.line(x, top + CUT_GAP, x, top + CUT_GAP + CUT_MARK)
        canvas.line(x, bottom - CUT_GAP, x, bottom - CUT_GAP - CUT_MARK)
    for row in range(rows + 1):
        y = top - row * size.height
        canvas.line(left - CUT_GAP, y, left - CUT_GAP - CUT_MARK, y)
        canvas.line(right + CUT_GAP, y, right + CUT_GAP + CUT_MARK, y)
    # A light frame, in case the badges are cut by hand with scissors.
    canvas.setStrokeColorRGB(0.8, 0.8, 0.8)
    canvas.setLineWidth(0.25)
    canvas.setDash(1, 2)
    for column in range(columns):
        for row in range(rows):
            canvas.rect(left + column * size.width, top - (row + 1) * size.height, size.width, size.height)
    canvas.restoreState()


def _badge(canvas, event, registration: Registration, x, y, size: BadgeSize, regular: str, bold: str) -> None:

    scale = size.height / (54 * MM)  # the A6 badge is the small one, larger
    pad = 4 * MM * scale
    band = 7 * MM * scale
    role = PARTICIPANT_ROLES.get(registration.role, registration.role)
    code = registration.checkin_code or ""
    tagger = canvas.tagger
    # The structure in reading order; drawn in another.
    badge = tagger.element("Div", tagger.document)
    organisation = registration.organisation_name
    event_element = tagger.element("P", badge, actual=event.title)  # the title may be shortened
    name_element = tagger.element("P", badge, actual=registration.user.display_name)  # on two lines
    organisation_element = tagger.element("P", badge, actual=organisation) if organisation else None
    role_element = tagger.element("P", badge)
    if code:
        qr_element = tagger.element(
            "Figure", badge, alt=_("QR code of the check-in code %(code)s", code=code)
        )
        code_element = tagger.element("P", badge)

    # The role on a coloured band at the bottom, white on dark (contrast above 7:1).
    canvas.saveState()
    canvas.setFillColorRGB(*ROLE_COLOURS.get(registration.role, (0.2, 0.2, 0.2)))
    with tagger.artifact():
        canvas.rect(x, y, size.width, band, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    role_size = 9 * scale
    canvas.setFont(bold, role_size)
    with tagger.mark(element=role_element):
        canvas.drawString(x + pad, y + (band - role_size * 0.7) / 2, str(role).upper())
    canvas.restoreState()

    # The QR code on the right, its code under it.
    code_size = 8.5 * scale
    qr_size = min(size.height - band - 2 * pad - code_size * 1.6, size.width * 0.36)
    qr_x = x + size.width - pad - qr_size
    qr_y = y + band + pad + code_size * 1.6
    if code:
        with tagger.mark(element=qr_element):
            qrcodes.draw_on_canvas(canvas, code, qr_x, qr_y, qr_size)
        canvas.setFont(bold, code_size)
        canvas.setFillColorRGB(0, 0, 0)
        spaced = " ".join(code)  # read letter by letter from a badge
        with tagger.mark(element=code_element):
            canvas.drawCentredString(qr_x + qr_size / 2, y + band + pad * 0.8, spaced)

    # The text on the left: the event (small), the name (large), the organisation.
    text_x = x + pad
    text_width = qr_x - pad - text_x
    cursor = y + size.height - pad
    event_size = 6.5 * scale
    canvas.setFillColorRGB(0.31, 0.36, 0.4)
    canvas.setFont(regular, event_size)
    with tagger.mark(element=event_element):
        canvas.drawString(
            text_x, cursor - event_size, shortened(event.title, regular, event_size, text_width)
        )
    cursor -= event_size * 1.6

    name_lines, name_size = fit_lines(
        registration.user.display_name, bold, text_width, 17 * scale, 10 * scale, 2
    )
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(bold, name_size)
    with tagger.mark(element=name_element):
        for line in lines_read_apart(name_lines):
            cursor -= name_size * 1.05
            canvas.drawString(text_x, cursor, line)
    cursor -= name_size * 0.35

    if organisation:
        org_lines, org_size = fit_lines(organisation, regular, text_width, 10 * scale, 7 * scale, 2)
        canvas.setFont(regular, org_size)
        canvas.setFillColorRGB(0.13, 0.15, 0.17)
        with tagger.mark(element=organisation_element):
            for line in lines_read_apart(org_lines):
                cursor -= org_size * 1.2
                if cursor < y + band + pad * 0.5:
                    break
                canvas.drawString(text_x, cursor, line)
