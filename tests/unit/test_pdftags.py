"""The structure tree of pdftags.py where the layout breaks things apart (issue 18): a table that goes on over
four pages is one table with its header cells tagged once (repeated on the next pages as an artifact), a
paragraph split over two pages is one paragraph. Read back with qpdf and poppler (tests/pdfcheck.py)."""

import io
import re

from reportlab.lib.pagesizes import A6
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import SimpleDocTemplate, TableStyle

from matchmaker import pdftags
from matchmaker.pdftags import Paragraph, TaggedCanvas
from tests.pdfcheck import Pdf, assert_tagged, roles

STYLE = ParagraphStyle("p", fontName="Helvetica", fontSize=9, leading=11)


def _pdf(story, tmp_path) -> Pdf:
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A6, title="Test", lang="en").build(story, canvasmaker=TaggedCanvas)
    return Pdf(buffer.getvalue(), tmp_path)


def test_a_table_over_four_pages_is_one_table_with_its_header_once(tmp_path):
    data = [
        ["Time", "Who"],
        *([f"{9 + n // 3}:{n % 3 * 20:02d}", Paragraph(f"Person {n}", STYLE)] for n in range(40)),
    ]
    table = pdftags.table(data, header_rows=1, repeatRows=1)
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 1, "black"), ("SPAN", (0, 5), (1, 5))]))
    pdf = _pdf([Paragraph("Agenda", STYLE, role="H1"), table], tmp_path)
    assert pdf.pages == 4
    for page in (2, 3, 4):  # the header is printed again on each page ...
        assert pdf.text(page).startswith("Time Who")
    tree = assert_tagged(pdf)  # ... as an artifact there: every MCID belongs to its one element
    assert [kid["role"] for kid in tree["kids"]] == ["H1", "Table"]
    table_element = tree["kids"][1]
    assert len(table_element["kids"]) == 41 and len(roles(tree, "TH")) == 2
    pages = {page for row in table_element["kids"] for cell in row["kids"] for page, _mcid in cell["mcids"]}
    assert len(pages) == 4
    spanned = table_element["kids"][5]["kids"]
    assert len(spanned) == 1 and spanned[0]["element"]["/A"]["/ColSpan"] == 2
    last = table_element["kids"][-1]["kids"]
    assert [cell["role"] for cell in last] == ["TD", "TD"]


def test_a_paragraph_split_over_two_pages_is_one_paragraph(tmp_path):
    long_text = " ".join(f"word{n}" for n in range(600))
    pdf = _pdf([Paragraph("Title", STYLE, role="H1"), Paragraph(long_text, STYLE)], tmp_path)
    assert pdf.pages >= 2
    tree = assert_tagged(pdf)
    assert [kid["role"] for kid in tree["kids"]] == ["H1", "P"]
    assert len({page for page, _mcid in tree["kids"][1]["mcids"]}) == pdf.pages


def test_the_lines_of_a_paragraph_are_read_apart_and_a_cut_address_whole(tmp_path):
    """A wrapped paragraph and one with forced line breaks read with a space between their lines in poppler's
    structure text (the glyphs of the marked content without their positions), the last line without one;
    an address too long for its line, which reportlab cuts, reads whole. The page's text is unchanged."""
    narrow = ParagraphStyle("narrow", STYLE, rightIndent=50)
    address = "https://meet.example.org/a-very-long-address-of-an-online-meeting"
    story = [
        Paragraph("Smart traffic lights for the cyclists of Brussels", narrow),
        Paragraph(
            "<b>Bart Buyer</b><br/>Agency of Bart Buyer<br/><font color='#4f5b66'>Buyer</font>", narrow
        ),
        Paragraph(address, narrow),
        Paragraph(f"2<br/><font size='7'><link href=\"{address}\">{address}</link></font>", narrow),
    ]
    pdf = _pdf(story, tmp_path)
    tree = assert_tagged(pdf)
    assert [kid["role"] for kid in tree["kids"]] == ["P"] * 4 and len(roles(tree, "Link")) == 1
    text = pdf.structure_text()
    assert '"Smart traffic lights for the cyclists of Brussels"' in text, text
    assert '"Bart Buyer Agency of Bart Buyer Buyer"' in text, text
    assert f'"{address}"' in text, text
    assert f'"2 {address}"' in text, text
    assert "Smart traffic lights for the cyclists of Brussels Bart Buyer Agency" in pdf.text(1)


def test_the_words_either_side_of_a_page_break_are_read_apart(tmp_path):
    long_text = " ".join(f"word{n}" for n in range(600))
    pdf = _pdf([Paragraph(long_text, STYLE)], tmp_path)
    assert pdf.pages >= 2
    assert_tagged(pdf)
    text = pdf.structure_text()
    assert f'"{long_text}"' not in text  # one marked sequence a page ...
    words = "".join(re.findall(r'"(.*)"', text))  # ... and its pages' texts, joined, are the paragraph's
    assert words == long_text, words[:200]
