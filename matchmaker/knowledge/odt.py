"""A small OpenDocument text writer for the templates the knowledge base ships (issue 19).

The templates are kept as plain text in matchmaker/knowledge/templates/<name>.<lang>.md (we write them; the
repository holds no binary office files) and turned into .odt files when the knowledge base is seeded, so that
buyers download a document they can fill in with LibreOffice, Word or any other office suite. Only what the
templates use is supported: `# ` and `## ` headings, `- ` list items, `[ ] ` lines to tick, `____` lines to
fill in, and paragraphs.
"""

import io
import zipfile
from xml.sax.saxutils import escape

MIMETYPE = "application/vnd.oasis.opendocument.text"

_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""

_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
)

_STYLES = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles {_NS} office:version="1.2">
 <office:styles>
  <style:default-style style:family="paragraph">
   <style:paragraph-properties fo:margin-bottom="0.2cm"/>
   <style:text-properties fo:font-family="'Liberation Sans', Arial, sans-serif"
     fo:font-size="11pt" fo:language="{{language}}" fo:country="BE"/>
  </style:default-style>
  <style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph"
    style:default-outline-level="1">
   <style:paragraph-properties fo:margin-top="0.4cm" fo:margin-bottom="0.3cm"/>
   <style:text-properties fo:font-size="17pt" fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph"
    style:default-outline-level="2">
   <style:paragraph-properties fo:margin-top="0.4cm" fo:margin-bottom="0.2cm"/>
   <style:text-properties fo:font-size="13pt" fo:font-weight="bold"/>
  </style:style>
 </office:styles>
</office:document-styles>
"""


def _line(text: str) -> str:
    text = text.rstrip()
    if text.startswith("## "):
        return f'<text:h text:style-name="Heading_20_2" text:outline-level="2">{escape(text[3:])}</text:h>'
    if text.startswith("# "):
        return f'<text:h text:style-name="Heading_20_1" text:outline-level="1">{escape(text[2:])}</text:h>'
    if text.startswith("[ ] "):
        return f"<text:p>\u2610 {escape(text[4:])}</text:p>"
    return f"<text:p>{escape(text)}</text:p>"


def _body(source: str) -> str:
    parts: list[str] = []
    items: list[str] = []
    for raw in source.strip().splitlines():
        if raw.startswith("- "):
            items.append(f"<text:list-item><text:p>{escape(raw[2:].rstrip())}</text:p></text:list-item>")
            continue
        if items:
            parts.append("<text:list>" + "".join(items) + "</text:list>")
            items = []
        if raw.strip():
            parts.append(_line(raw))
    if items:
        parts.append("<text:list>" + "".join(items) + "</text:list>")
    return "\n".join(parts)


def build_odt(source: str, title: str, language: str) -> bytes:
    """The .odt file of a template's text, with its title and language in its metadata."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_NS} office:version="1.2">'
        f"<office:body><office:text>{_body(source)}</office:text></office:body></office:document-content>"
    )
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {_NS} office:version="1.2">'
        "<office:meta>"
        f"<dc:title>{escape(title)}</dc:title><dc:language>{escape(language)}</dc:language>"
        "<meta:generator>Matchmaker</meta:generator></office:meta></office:document-meta>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        for name, text in (
            ("content.xml", content),
            ("styles.xml", _STYLES.replace("{language}", language)),
            ("meta.xml", meta),
            ("META-INF/manifest.xml", _MANIFEST),
        ):
            archive.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
