"""What an uploaded file is, decided by its content: never by its name or the browser's Content-Type.

Accepted: PDF, the office formats of Microsoft Office (docx, xlsx, pptx: OOXML) and of LibreOffice (odt, ods,
odp: ODF), and PNG, JPEG and WebP images. Everything else is refused, with a translated message: SVG (an
image that can carry scripts), HTML, programs, macro-enabled office files, office files with embedded
objects, ActiveX controls or external templates, archives that are not one of the office formats, and files
whose content matches no accepted type.

The office formats are zip archives. Their central directory is read first (it lists every member with its
sizes) and refused when the members would unpack to more than MAX_UNPACKED_BYTES, one member would grow more
than MAX_RATIO times, or there are more than MAX_MEMBERS: a zip bomb is refused before anything is unpacked.
Only the few small members that tell the format apart are read after that, each with a bounded read.

Embedded objects (issue 19). In OOXML every part that Office loads is reached through a relationship, so the
.rels parts (and the member names) are enough: OLE objects, embedded packages, ActiveX controls, altChunks
and attached templates are refused, and so is any relationship to an outside target except a hyperlink or an
Excel link to another workbook (an external template or OLE link is fetched, and run, when the file is
opened). One embedding is ordinary: the workbook that holds a chart's data, reached from a chart part; it is
checked like an upload of its own and may embed nothing. In ODF an object is a folder of OpenDocument XML
("Object 1/content.xml", a chart or a formula) with its picture in ObjectReplacements/; a member named
"Object N" (an OLE object) or anything but XML and pictures in an object folder is refused, as are manifest
entries of OLE objects or scripts. Macros can also be called from content.xml and styles.xml without being in
the file (an event such as "on open", or a link to a vnd.sun.star.script: URL that runs a script installed on
the reader's computer): those two parts are read as a stream of XML events, never whole, and refused at the
first script element or script URL. The XML parts are parsed with expat (protected against entity expansion
since 2.4.1) and refused when they declare a DTD.
"""

import io
import posixpath
import re
import struct
import warnings
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from matchmaker.services.kernel import Invalid

MAX_MEMBERS = 5000
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_RATIO = 200  # unpacked size / packed size of one member (text compresses 10-20 times, a bomb 1000 times)
_SMALL_MEMBER = 1024 * 1024  # [Content_Types].xml, mimetype: read at most this much
_RELS_MEMBER = 8 * 1024 * 1024  # one .rels part (a sheet with tens of thousands of hyperlinks stays under)
_RELS_TOTAL = 32 * 1024 * 1024  # all .rels parts together
_CHART_DATA_MAX = 16 * 1024 * 1024  # the workbook behind a chart, checked as an upload of its own
MAX_PIXELS = 100_000_000  # a photo of 100 megapixels is large already; more is a decompression bomb


@dataclass(frozen=True)
class FileType:
    mime_type: str
    extension: str  # without the dot
    label: str  # short, for people (a lazy translation where it is not a name): "PDF", "Word", "PNG image"

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")


PDF = FileType("application/pdf", "pdf", "PDF")
PNG = FileType("image/png", "png", "PNG")
JPEG = FileType("image/jpeg", "jpg", "JPEG")
WEBP = FileType("image/webp", "webp", "WebP")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel")
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx", "PowerPoint"
)
ODT = FileType("application/vnd.oasis.opendocument.text", "odt", _l("OpenDocument text"))
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", "ods", _l("OpenDocument spreadsheet"))
ODP = FileType("application/vnd.oasis.opendocument.presentation", "odp", _l("OpenDocument presentation"))
ACCEPTED = (PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, PNG, JPEG, WEBP)
BY_MIME = {t.mime_type: t for t in ACCEPTED}
EXTENSIONS = {t.extension for t in ACCEPTED} | {"jpeg"}

# OOXML: the member that holds the main part of each kind, and the main part's content type.
_OOXML = (
    ("word/document.xml", "wordprocessingml.document.main", DOCX),
    ("xl/workbook.xml", "spreadsheetml.sheet.main", XLSX),
    ("ppt/presentation.xml", "presentationml.presentation.main", PPTX),
)
_ODF = {t.mime_type: t for t in (ODT, ODS, ODP)}


class FileRefused(Invalid):
    """An upload that is not an accepted document; the message says why, in the user's language."""

    field = "file"


def accepted_list() -> str:
    return _(
        "PDF, Word, Excel, PowerPoint, OpenDocument (text, spreadsheet, presentation), PNG, JPEG or WebP"
    )


def _unknown() -> FileRefused:
    return FileRefused(
        _("This kind of file is not accepted. Upload a %(types)s file.", types=accepted_list())
    )


def sniff(data: bytes) -> FileType:
    """The accepted type of these bytes, or FileRefused saying why they are not accepted."""
    if not data:
        raise FileRefused(_("The file is empty."))
    head = data[:1024]
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _image(data, PNG, "PNG")
    if data.startswith(b"\xff\xd8\xff"):
        return _image(data, JPEG, "JPEG")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _image(data, WEBP, "WEBP")
    if data.startswith(b"PK\x03\x04"):
        return _zipped(data)
    if (
        data.startswith(b"MZ")
        or data.startswith(b"\x7fELF")
        or data[:4]
        in (
            b"\xfe\xed\xfa\xce",
            b"\xfe\xed\xfa\xcf",
            b"\xce\xfa\xed\xfe",
            b"\xcf\xfa\xed\xfe",
            b"\xca\xfe\xba\xbe",
        )
        or data.startswith(b"#!")
    ):
        raise FileRefused(
            _("Programs and scripts are not accepted. Upload a %(types)s file.", types=accepted_list())
        )
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise FileRefused(
            _(
                "Old Office files (.doc, .xls, .ppt) can hold macros and are not accepted. "
                "Save the file as PDF or in the current format (.docx, .xlsx, .pptx) and upload that."
            )
        )
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head.lower() or (lowered.startswith(b"<?xml") and b"svg" in data[:4096].lower()):
        raise FileRefused(
            _("SVG images can hold scripts and are not accepted. Upload a PNG, JPEG or WebP image or a PDF.")
        )
    raise _unknown()


def _image(data: bytes, expected: FileType, pillow_format: str) -> FileType:
    """An image whose signature says `expected`: Pillow reads its header and checks its structure."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=(pillow_format,)) as image:
                width, height = image.size
                if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                    raise FileRefused(_("The image has too many pixels. Upload a smaller image."))
                image.verify()
    except FileRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRefused(_("The image has too many pixels. Upload a smaller image.")) from None
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        TypeError,
        IndexError,
        KeyError,
        struct.error,
    ):
        raise FileRefused(
            _("The image is damaged or incomplete. Upload it again or choose another.")
        ) from None
    return expected


def _zipped(data: bytes, embedded: bool = False) -> FileType:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error):
        raise _unknown() from None
    _refuse_bombs(members)
    names = {member.filename for member in members}
    try:
        if "[Content_Types].xml" in names:
            return _ooxml(archive, names, embedded)
        if "mimetype" in names:
            return _odf(archive, names)
    except (
        zipfile.BadZipFile,
        OSError,
        ValueError,
        EOFError,
        struct.error,
        NotImplementedError,
        RuntimeError,
        ElementTree.ParseError,
    ):
        raise _unknown() from None
    raise FileRefused(
        _(
            "Zip archives are not accepted, only the office formats built on them. Upload a %(types)s file.",
            types=accepted_list(),
        )
    )


def _refuse_bombs(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise _bomb()
    total = 0
    for member in members:
        total += member.file_size
        if total > MAX_UNPACKED_BYTES:
            raise _bomb()
        if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise _bomb()
    packed = sum(member.compress_size for member in members)
    if total > 1024 * 1024 and total > MAX_RATIO * max(packed, 1):
        raise _bomb()


def _bomb() -> FileRefused:
    return FileRefused(
        _("The file would unpack to far more than its size, as a zip bomb does, and was refused.")
    )


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as member:
        return member.read(_SMALL_MEMBER)


def _ooxml(archive: zipfile.ZipFile, names: set[str], embedded: bool = False) -> FileType:
    types = _read_small(archive, "[Content_Types].xml").lower()
    if b"macroenabled" in types or any(name.lower().endswith("vbaproject.bin") for name in names):
        raise _macros()
    for member, content_type, file_type in _OOXML:
        if member in names and content_type.encode() in types:
            chart_data = _ooxml_relationships(archive, names)
            _ooxml_embeddings(archive, names, set() if embedded else chart_data)
            return file_type
    raise _unknown()


# Relationship types (the last segment of the Type URI, lowercased) whose target is an object, a control, a
# chunk of another format that Word converts, or a template: refused whether inside the file or outside.
_REFUSED_RELATIONSHIPS = {
    "oleobject",
    "control",
    "activexcontrol",
    "activexcontrolbinary",
    "afchunk",
    "attachedtemplate",
}
# The only relationships that may point outside the file: links the reader follows or updates on request.
_EXTERNAL_ALLOWED = {"hyperlink", "externallinkpath"}


def _ooxml_relationships(archive: zipfile.ZipFile, names: set[str]) -> set[str]:
    """Refuses objects, controls, templates and outside targets; returns the (lowercased) chart data parts."""
    chart_data: set[str] = set()
    read = 0
    for name in sorted(n for n in names if n.lower().endswith(".rels")):
        data = _read_xml(archive, name, _RELS_MEMBER)
        read += len(data)
        if read > _RELS_TOTAL:
            raise _unknown()
        source_folder = posixpath.dirname(posixpath.dirname(name))  # word/_rels/x.rels -> word
        # expat protects against entity expansion and ElementTree loads no external entity; DTDs are refused
        for relation in ElementTree.fromstring(data).iter():  # noqa: S314
            if relation.tag.rsplit("}", 1)[-1] != "Relationship":  # in any namespace, to be safe
                continue
            kind = relation.get("Type", "").strip().rstrip("/").rsplit("/", 1)[-1].lower()
            target = relation.get("Target", "")
            if relation.get("TargetMode", "").strip().lower() == "external":
                if kind not in _EXTERNAL_ALLOWED:
                    raise _embedded()
                continue
            if kind in _REFUSED_RELATIONSHIPS:
                raise _embedded()
            if kind == "package":
                part = _resolve(source_folder, target)
                if posixpath.basename(source_folder.lower()) != "charts" or not part.endswith(".xlsx"):
                    raise _embedded()
                chart_data.add(part)
    return chart_data


def _resolve(source_folder: str, target: str) -> str:
    """The part a relationship's target names, as a lowercased member name."""
    target = target.replace("\\", "/").split("#", 1)[0]
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(source_folder, target)
    return posixpath.normpath(path).lstrip("/").lower()


def _ooxml_embeddings(archive: zipfile.ZipFile, names: set[str], chart_data: set[str]) -> None:
    """Refuses ActiveX parts and any embedding but a chart's workbook, which must pass as an upload."""
    for name in names:
        folders = [folder.lower() for folder in name.split("/")[:-1]]
        if "activex" in folders:
            raise _embedded()
        if "embeddings" not in folders or name.endswith("/"):
            continue
        if name.lower() not in chart_data:
            raise _embedded()
        info = archive.getinfo(name)
        if info.file_size > _CHART_DATA_MAX:
            raise _embedded()
        with archive.open(info) as member:
            workbook = member.read(_CHART_DATA_MAX + 1)
        if not workbook.startswith(b"PK\x03\x04"):
            raise _embedded()
        try:
            if _zipped(workbook, embedded=True) is not XLSX:
                raise _embedded()
        except FileRefused as refused:
            if refused.message == _macros().message:
                raise
            raise _embedded() from None


def _read_xml(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A small XML part, read whole (at most `limit` bytes) and refused when it declares a DTD."""
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise _unknown()
    _NoDtd.check(data, b"")
    return data


class _NoDtd(io.RawIOBase):
    """A member read as a stream for the XML parser, refused at a DTD (entities are how XML parts grow).

    Only UTF-8 parts are read (OOXML and ODF write nothing else): a UTF-16 part would hide "<!DOCTYPE".
    """

    def __init__(self, member):
        self.member, self.tail, self.first = member, b"", True

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.member.read(min(len(buffer), 64 * 1024))
        self.check(data, self.tail, first=self.first)
        self.first, self.tail = False, data[-16:]
        buffer[: len(data)] = data
        return len(data)

    @staticmethod
    def check(data: bytes, tail: bytes, first: bool = True) -> None:
        if first and (data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\0" in data[:4]):
            raise _unknown()
        lowered = (tail + data).lower()
        if b"<!doctype" in lowered or b"<!entity" in lowered:
            raise _unknown()


_OFFICE_NS = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_SCRIPT_NS = "{urn:oasis:names:tc:opendocument:xmlns:script:1.0}"
_PRESENTATION_NS = "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}"
_MANIFEST_NS = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
_OBJECT_FOLDER = re.compile(r"object \d+", re.IGNORECASE)
_MACRO_FOLDERS = ("basic/", "scripts/", "dialogs/")
_SCRIPT_URLS = ("vnd.sun.star.script:", "macro:", "vnd.sun.star.basic:")
_PICTURE_SUFFIXES = (
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svm",
    ".wmf",
    ".emf",
    ".webp",
    ".tif",
    ".tiff",
    ".bmp",
)


def _odf(archive: zipfile.ZipFile, names: set[str]) -> FileType:
    mimetype = _read_small(archive, "mimetype").strip().decode("ascii", "replace")
    file_type = _ODF.get(mimetype)
    if file_type is None or "content.xml" not in names:
        raise _unknown()
    if any(name.lower().startswith(_MACRO_FOLDERS) for name in names):
        raise _macros()
    for name in names:
        _odf_member(name)
    if "META-INF/manifest.xml" in names:
        _odf_manifest(_read_xml(archive, "META-INF/manifest.xml", _SMALL_MEMBER))
    for part in ("content.xml", "styles.xml"):
        if part in names:
            _odf_scripts(archive, part)
    return file_type


def _odf_member(name: str) -> None:
    """Refuses OLE objects ("Object 1" as a file) and what is not OpenDocument XML in an object's folder."""
    if name.lower().startswith("objectreplacements/") or name.endswith("/"):
        return
    *folders, last = name.split("/")
    if _OBJECT_FOLDER.fullmatch(last):
        raise _embedded()
    if any(_OBJECT_FOLDER.fullmatch(folder) for folder in folders):
        lowered = last.lower()
        in_pictures = any(folder.lower() == "pictures" for folder in folders)
        if not (
            lowered.endswith(".xml")
            or lowered == "mimetype"
            or (in_pictures and lowered.endswith(_PICTURE_SUFFIXES))
        ):
            raise _embedded()


def _odf_manifest(data: bytes) -> None:
    for entry in ElementTree.fromstring(data).iter(f"{_MANIFEST_NS}file-entry"):  # noqa: S314 (as above)
        media_type = (entry.get(f"{_MANIFEST_NS}media-type") or "").lower()
        path = (entry.get(f"{_MANIFEST_NS}full-path") or "").lower()
        if path.startswith(_MACRO_FOLDERS) or "script" in media_type or "basic" in media_type:
            raise _macros()
        if "oleobject" in media_type or "ole-object" in media_type or "msdownload" in media_type:
            raise _embedded()


def _odf_scripts(archive: zipfile.ZipFile, part: str) -> None:
    """Refuses script elements, events that call macros and links to script URLs, reading a stream."""
    with archive.open(part) as member:
        stream = io.BufferedReader(_NoDtd(member))
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):  # noqa: S314
            if event == "end":
                element.clear()
                continue
            tag = element.tag
            if tag in (f"{_OFFICE_NS}script", f"{_SCRIPT_NS}event-listener"):
                raise _macros()
            if (
                tag == f"{_PRESENTATION_NS}event-listener"
                and element.get(f"{_PRESENTATION_NS}action") == "execute"  # starts a program
            ):
                raise _embedded()
            for value in element.attrib.values():
                if value.strip().lower().startswith(_SCRIPT_URLS):
                    raise _macros()


def _embedded() -> FileRefused:
    return FileRefused(
        _(
            "Documents with embedded objects, controls or external templates are not accepted. "
            "Save a copy without them (or as PDF) and upload that."
        )
    )


def _macros() -> FileRefused:
    return FileRefused(
        _(
            "Office files with macros are not accepted. "
            "Save the file without macros (or as PDF) and upload that."
        )
    )
