"""Safe Markdown: what users write in descriptions is rendered to HTML, then sanitised with nh3.

Raw HTML in the source is allowed through Markdown but nh3 keeps only a small set of harmless tags and
attributes, drops scripts, event handlers and javascript: URLs, and marks every link rel="nofollow".
Headings start at <h3> so that user text never competes with the page's own <h1>/<h2>.
"""

import html
import threading

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align", "scope"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer"

# Headings level 1 and 2 in user text become level 3 and 4, and so on.
_HEADING_SHIFT = {f"h{n}": f"h{min(n + 2, 6)}" for n in range(1, 7)}


# Building a Markdown converter (its parsers and extensions) costs more than converting a short text: each
# thread keeps one per kind and resets it between texts (a converter is not safe to share between threads).
_converters = threading.local()


def _convert(text: str, extensions: tuple[str, ...], output_format: str = "xhtml") -> str:
    key = (extensions, output_format)
    cache = _converters.__dict__.setdefault("by_kind", {})
    converter = cache.get(key)
    if converter is None:
        converter = cache[key] = md.Markdown(extensions=list(extensions), output_format=output_format)
    try:
        return converter.convert(text)
    finally:
        converter.reset()


def _shift_headings(markup: str) -> str:
    for level in range(6, 0, -1):  # from h6 down so a shifted tag is not shifted twice
        new = _HEADING_SHIFT[f"h{level}"]
        markup = markup.replace(f"<h{level}>", f"<{new}>").replace(f"</h{level}>", f"</{new}>")
    return markup


def render_markdown(text: str | None) -> Markup:
    """Markdown source -> sanitised HTML, safe to insert in a template."""
    if not text or not text.strip():
        return Markup("")
    rendered = _convert(text, ("sane_lists", "tables", "fenced_code"), output_format="html")
    cleaned = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS | {"h1", "h2"},  # shifted below; nh3 runs first so shifting sees only safe markup
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return Markup(_shift_headings(cleaned))  # noqa: S704 - sanitised by nh3 just above


def markdown_to_text(text: str | None) -> str:
    """The visible words of a Markdown text, without markup (for summaries and search)."""
    if not text:
        return ""
    stripped = nh3.clean(_convert(text, ("sane_lists", "tables")), tags=set())
    return html.unescape(stripped).strip()
