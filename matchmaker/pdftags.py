"""Tagged PDFs from reportlab (issue 18): a structure tree beside what reportlab draws, so that screen
readers and reflowing viewers read headings, paragraphs, tables, figures and links instead of loose glyphs.

reportlab (the open-source 5.x) writes no structure tree. This module adds one, as ISO 32000-1 (14.7-14.8)
describes it and PDF/UA-1 (ISO 14289-1) asks for:
- every piece of content drawn on a page is either in a marked-content sequence with an MCID that belongs to
  one structure element (`Tagger.mark`), or an artifact (`Tagger.artifact`: table rules and backgrounds, cut
  marks, running footers with page numbers);
- the catalog gets /StructTreeRoot (with /ParentTree and /ParentTreeNextKey) and /MarkInfo <</Marked true>>;
  every page its /StructParents and /Tabs /S; every link annotation a /StructParent, a /Contents text and a
  /Link element that holds it (an OBJR);
- standard structure types only (Document, Sect, Div, H1, H2, P, Table, TR, TH, TD, Figure, Link), so no role
  map; table header cells say /Scope /Column, spanned cells their /ColSpan; figures carry /Alt; a part in
  another language than the document carries /Lang.

How it is used: draw on a `TaggedCanvas` (or a `canvasmaker` built on it); platypus paragraphs are this
module's `Paragraph` (which marks itself, role "P" or a heading, and ends each of its lines but the last with
a space glyph, so that its lines are read apart where text is read without positions: a cell's name,
organisation and role); tables are made by `table()`, whose `TableTags` (the table's `renderCB`) makes the
Table/TR/TH/TD elements from the table's data and spans and marks each cell, also when the table is split
over pages (a repeated header row is an artifact the second time). Content drawn inside a marked sequence
belongs to it (a paragraph in a table cell is the cell's).

A leaf: imports reportlab only.
"""

from __future__ import annotations

from contextlib import contextmanager

from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import Flowable
from reportlab.platypus import Paragraph as _Paragraph


class Element:
    """A structure element: its type, its parent, its kids in reading order (elements, marked content as
    (page number, MCID), annotations as ("annot", reference, page number)) and its attributes."""

    __slots__ = ("actual", "alt", "attributes", "kids", "lang", "page", "parent", "ref", "role")

    def __init__(
        self,
        role: str,
        parent: Element | None,
        attributes: str = "",
        lang: str = "",
        alt: str = "",
        actual: str = "",
    ):
        self.role = role
        self.parent = parent
        self.kids: list = []
        self.attributes = attributes  # already PDF syntax: "<</O /Table /Scope /Column>>"
        self.lang = lang
        self.alt = alt
        self.actual = actual  # the text as it reads, where the drawing cuts it (a name on two lines)
        self.ref = None
        self.page: int | None = None  # the page of its first marked content (/Pg)
        if parent is not None:
            parent.kids.append(self)


class _StructObject(pdfdoc.PDFObject):
    """An indirect object written as prepared PDF syntax, with references resolved when the file is written
    (reportlab's own dictionaries are slow for the tens of thousands of cells of a large agenda print)."""

    def __init__(self, build):
        self.build = build

    def format(self, document):
        return self.build(document)


def _number(document, ref) -> int:
    return document.idToObjectNumberAndVersion[ref.name][0]


def _text(value: str, document) -> bytes:
    return pdfdoc.PDFString(value).format(document)


class Tagger:
    """The structure tree of one canvas's document, built while it draws."""

    def __init__(self, canvas: Canvas):
        self.canvas = canvas
        self.document = Element("Document", None)
        self.container = self.document
        self.parent_tree: dict[int, list[Element]] = {}  # page number -> elements by MCID
        self.annotations: list[tuple[object, Element]] = []  # (annotation reference, its Link element)
        self._link_urls: dict[int, str] = {}
        self._open = False

    # building the tree
    def element(self, role: str, parent: Element | None = None, **kwargs) -> Element:
        return Element(role, parent or self.container, **kwargs)

    def section(self, role: str = "Sect", lang: str = "") -> Element:
        """Start a part of the document (a participant's agenda): what follows is in it."""
        self.container = Element(role, self.document, lang=lang)
        return self.container

    @contextmanager
    def inside(self, element: Element):
        """Elements made and content marked meanwhile go into `element`."""
        previous, self.container = self.container, element
        try:
            yield element
        finally:
            self.container = previous

    # marking content
    @contextmanager
    def mark(self, role: str = "P", element: Element | None = None, **kwargs):
        """The content drawn meanwhile is one marked-content sequence of `element` (a new `role` element in
        the current container when none is given). Inside another sequence or an artifact it is that one's."""
        if self._open:
            yield element
            return
        if element is None:
            element = self.element(role, **kwargs)
        page = self.canvas.getPageNumber()
        mcids = self.parent_tree.setdefault(page, [])
        mcid = len(mcids)
        mcids.append(element)
        element.kids.append((page, mcid))
        if element.page is None:
            element.page = page
        self.canvas._code.append(f"/{element.role} <</MCID {mcid}>> BDC")
        self._open = True
        previous, self.container = self.container, element  # a link in it is its kid
        try:
            yield element
        finally:
            self._open = False
            self.container = previous
            self.canvas._code.append("EMC")

    @contextmanager
    def artifact(self, kind: str = "Layout"):
        """What is drawn meanwhile is not content: rules, backgrounds, cut marks (Layout), running page
        numbers (Pagination)."""
        if self._open:
            yield
            return
        self.canvas._code.append(f"/Artifact <</Type /{kind}>> BDC")
        self._open = True
        try:
            yield
        finally:
            self._open = False
            self.canvas._code.append("EMC")

    def link(self, annotation_ref, url: str) -> None:
        """A link annotation; a link's text broken over lines has one annotation a line, all in one Link."""
        last = self.container.kids[-1] if self.container.kids else None
        if isinstance(last, Element) and last.role == "Link" and self._link_urls.get(id(last)) == url:
            element = last
        else:
            element = Element("Link", self.container)
            self._link_urls[id(element)] = url
        element.kids.append(("annot", annotation_ref, self.canvas.getPageNumber()))
        self.annotations.append((annotation_ref, element))

    def next_annotation_key(self) -> int:
        return len(self.annotations)

    # writing it
    def finish(self) -> None:
        """Give reportlab's document the tree (once every page has been added, before it is written)."""
        doc = self.canvas._doc
        pages = doc.Pages.pages
        page_refs = [doc.Reference(page) for page in pages]
        first_page_key = len(self.annotations)  # the links' keys come first: 0, 1, ... as they were made
        for index, page in enumerate(pages):
            page.__NoDefault__ = [*page.__NoDefault__, "StructParents", "Tabs"]
            page.StructParents = first_page_key + index
            page.Tabs = pdfdoc.PDFName("S")  # the tab order of links follows the structure

        root = _StructObject(None)
        root_ref = doc.Reference(root)
        elements: list[Element] = []
        stack = [self.document]
        while stack:  # depth first, in reading order
            element = stack.pop()
            elements.append(element)
            element.ref = doc.Reference(_StructObject(self._element_writer(element, root_ref, page_refs)))
            stack.extend(kid for kid in reversed(element.kids) if isinstance(kid, Element))

        parent_tree = self.parent_tree
        links = [element for _annotation_ref, element in self.annotations]

        def write_parent_tree(document) -> bytes:
            nums = [b"%d %d 0 R" % (key, _number(document, element.ref)) for key, element in enumerate(links)]
            for index in range(len(pages)):
                mcids = parent_tree.get(index + 1, [])
                refs = b" ".join(b"%d 0 R" % _number(document, e.ref) for e in mcids)
                nums.append(b"%d [%s]" % (first_page_key + index, refs))
            return b"<< /Nums [" + b" ".join(nums) + b"] >>"

        parent_tree_ref = doc.Reference(_StructObject(write_parent_tree))
        next_key = first_page_key + len(pages)
        document_element = self.document

        def write_root(document) -> bytes:
            return b"<< /Type /StructTreeRoot /K %d 0 R /ParentTree %d 0 R /ParentTreeNextKey %d >>" % (
                _number(document, document_element.ref),
                _number(document, parent_tree_ref),
                next_key,
            )

        root.build = write_root
        doc.Catalog.StructTreeRoot = root_ref
        doc.Catalog.MarkInfo = pdfdoc.PDFDictionary({"Marked": pdfdoc.PDFtrue})

    @staticmethod
    def _element_writer(element: Element, root_ref, page_refs: list):
        def write(document) -> bytes:
            parent = element.parent.ref if element.parent is not None else root_ref
            out = [
                b"<< /Type /StructElem /S /%s /P %d 0 R" % (element.role.encode(), _number(document, parent))
            ]
            if element.page is not None:
                out.append(b"/Pg %d 0 R" % _number(document, page_refs[element.page - 1]))
            kids = []
            for kid in element.kids:
                if isinstance(kid, Element):
                    kids.append(b"%d 0 R" % _number(document, kid.ref))
                elif kid[0] == "annot":
                    _tag, annotation_ref, page = kid
                    kids.append(
                        b"<< /Type /OBJR /Obj %d 0 R /Pg %d 0 R >>"
                        % (_number(document, annotation_ref), _number(document, page_refs[page - 1]))
                    )
                else:
                    page, mcid = kid
                    if page == element.page:
                        kids.append(b"%d" % mcid)
                    else:
                        kids.append(
                            b"<< /Type /MCR /Pg %d 0 R /MCID %d >>"
                            % (_number(document, page_refs[page - 1]), mcid)
                        )
            if kids:
                out.append(b"/K [" + b" ".join(kids) + b"]")
            if element.attributes:
                out.append(b"/A " + element.attributes.encode())
            if element.lang:
                out.append(b"/Lang " + _text(element.lang, document))
            if element.alt:
                out.append(b"/Alt " + _text(element.alt, document))
            if element.actual:
                out.append(b"/ActualText " + _text(element.actual, document))
            return b" ".join(out) + b" >>"

        return write


class TaggedCanvas(Canvas):
    """A reportlab canvas with a structure tree (`self.tagger`), written with the file."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tagger = Tagger(self)

    def linkURL(self, url, rect, relative=0, thickness=0, color=None, dashArray=None, kind="URI", **kw):
        # Read as its address by a screen reader; found in the tree through its /Link element.
        kw["StructParent"] = self.tagger.next_annotation_key()
        kw["Contents"] = pdfdoc.PDFString(url)
        super().linkURL(url, rect, relative, thickness, color, dashArray, kind, **kw)
        self.tagger.link(self._annotationrefs[-1], url)

    def save(self):
        self.tagger.finish()
        super().save()


class _LineEnds(PDFTextObject):
    """A paragraph's text object that draws a space glyph at the end of the lines given, before moving to the
    next line: text extraction without the glyphs' positions (poppler's structure text, screen readers
    reading the marked content) reads the lines apart ("Bart Buyer Agency of Bart Buyer", not
    "Bart BuyerAgency of Bart Buyer"). The space draws nothing, and the next line starts where it did.
    reportlab ends each line of a paragraph with one `_textOut(..., TStar)` (a line of frags: its last)."""

    def __init__(self, canvas, x, y, spaced: list[bool]):
        super().__init__(canvas, x, y)
        self._spaced = spaced  # one a drawn line, in order

    def _textOut(self, text, TStar=0):
        if TStar and self._spaced and self._spaced.pop(0) and not text.endswith((" ", "\xa0")):
            text += " "
        super()._textOut(text, TStar)


def _spaced_line_ends(paragraph: _Paragraph, continues: bool) -> list[bool]:
    """Which of a wrapped paragraph's drawn lines end between two words (a space at their end): every line
    but the last (unless the paragraph goes on in its next part, on the next page), except where reportlab
    cut a word too long for the line (an address) - that word is read whole. In a paragraph of frags
    (markup) such a cut is not told apart from a wrap: there only the forced breaks (<br/>) then get one."""
    from reportlab.platypus.paragraph import _SplitWord, _SplitWordEnd

    lines = paragraph.blPara.lines
    cut_words = getattr(paragraph, "_splitLongWordCount", 0) > 0
    if paragraph.blPara.kind == 0:  # (extra space, words) a line; a cut word's parts but its last are marked
        spaced = [
            not (words and isinstance(words[-1], _SplitWord) and not isinstance(words[-1], _SplitWordEnd))
            for _extra, words in lines
        ]
    else:  # FragLines (a line without frags draws nothing); a <br/> is the line's last frag
        spaced = [
            not cut_words or line.lineBreak or getattr(line.words[-1], "lineBreak", False)
            for line in lines
            if line.words
        ]
    if spaced and not continues:
        spaced[-1] = False
    return spaced


class Paragraph(_Paragraph):
    """A platypus paragraph that marks itself as a `role` element (P, H1, H2...); its parts, when it is
    split over two pages, are one element."""

    def __init__(self, text, style=None, *args, role: str = "P", **kwargs):
        super().__init__(text, style, *args, **kwargs)
        self.role = role
        self._element = [None]  # shared with its split parts
        self._continues = False  # a part of a split paragraph that is not its last

    def split(self, available_width, available_height):
        parts = super().split(available_width, available_height)
        for index, part in enumerate(parts):
            if isinstance(part, Paragraph):
                part.role, part._element = self.role, self._element
                part._continues = self._continues or index < len(parts) - 1
        return parts

    def beginText(self, x, y):
        if getattr(self.canv, "tagger", None) is None:
            return super().beginText(x, y)
        return _LineEnds(self.canv, x, y, _spaced_line_ends(self, self._continues))

    def draw(self):
        tagger = getattr(self.canv, "tagger", None)
        if tagger is None:
            return super().draw()
        with tagger.mark(self.role, element=self._element[0]) as element:
            if self._element[0] is None:
                self._element[0] = element
            return super().draw()


class Figure(Flowable):
    """A drawing (a QR code) as a Figure element with its text alternative."""

    def __init__(self, drawing: Flowable, alt: str):
        super().__init__()
        self.drawing = drawing
        self.alt = alt

    def wrap(self, available_width, available_height):
        self.width, self.height = self.drawing.wrap(available_width, available_height)
        return self.width, self.height

    def draw(self):
        tagger = getattr(self.canv, "tagger", None)
        if tagger is None:
            self.drawing.drawOn(self.canv, 0, 0)
            return
        with tagger.mark("Figure", alt=self.alt):
            self.drawing.drawOn(self.canv, 0, 0)


class TableTags:
    """A platypus Table's `renderCB`: the Table, TR and TH/TD elements of the table as it was made (its
    first `header_rows` rows are header cells of their columns), each cell's drawing marked as its content,
    rules and backgrounds as artifacts. The parts of a table split over pages share it (reportlab passes it
    on), and their rows are the same row lists, by which a part's row is found."""

    def __init__(self, header_rows: int = 1):
        self.header_rows = header_rows
        self.whole = None  # the table as it was made (its parts are drawn, not it, when it is split)
        self.cells: dict[tuple[int, int], Element] | None = None
        self.rows: dict[int, int] = {}  # id(row list) -> row number in the whole table
        self.drawn: set[int] = set()
        self._cell = None

    def _build(self, table, tagger: Tagger) -> None:
        table = self.whole or table
        whole = table._cellvalues
        columns = len(whole[0]) if whole else 0
        covered: set[tuple[int, int]] = set()
        spans: dict[tuple[int, int], tuple[int, int]] = {}
        for _command, (x0, y0), (x1, y1) in table._spanCmds:
            x0, x1 = sorted(v + columns if v < 0 else v for v in (x0, x1))
            y0, y1 = sorted(v + len(whole) if v < 0 else v for v in (y0, y1))
            spans[x0, y0] = (x1 - x0 + 1, y1 - y0 + 1)
            covered |= {(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)} - {(x0, y0)}
        element = tagger.element("Table")
        self.cells = {}
        for r, row in enumerate(whole):
            self.rows[id(row)] = r
            tr = Element("TR", element)
            header = r < self.header_rows
            for c in range(columns):
                if (c, r) in covered:
                    continue
                attributes = []
                if header:
                    attributes.append("/Scope /Column")
                columns_spanned, rows_spanned = spans.get((c, r), (1, 1))
                if columns_spanned > 1:
                    attributes.append(f"/ColSpan {columns_spanned}")
                if rows_spanned > 1:
                    attributes.append(f"/RowSpan {rows_spanned}")
                self.cells[r, c] = Element(
                    "TH" if header else "TD",
                    tr,
                    attributes=f"<</O /Table {' '.join(attributes)}>>" if attributes else "",
                )

    def __call__(self, table, command: str, *args) -> None:
        tagger = getattr(table.canv, "tagger", None)
        if tagger is None:
            return
        if command == "startTable" and self.cells is None:
            self._build(table, tagger)
        elif command in ("startBG", "startLines"):
            self._cell = tagger.artifact()
            self._cell.__enter__()
        elif command == "startCell":
            row_number, column = args[0], args[1]
            row = self.rows.get(id(table._cellvalues[row_number]))
            element = self.cells.get((row, column)) if row is not None else None
            if element is None or (row < self.header_rows and (row, column) in self.drawn):
                self._cell = tagger.artifact()  # a header row repeated on the next page
            else:
                self.drawn.add((row, column))
                self._cell = tagger.mark(element=element)
            self._cell.__enter__()
        elif command in ("endBG", "endLines", "endCell") and self._cell is not None:
            self._cell.__exit__(None, None, None)
            self._cell = None


def table(data, header_rows: int = 1, **kwargs):
    """A platypus Table tagged by a `TableTags` (its first `header_rows` rows are column headers)."""
    from reportlab.platypus import Table

    tags = TableTags(header_rows)
    made = Table(data, renderCB=tags, **kwargs)
    tags.whole = made
    return made
