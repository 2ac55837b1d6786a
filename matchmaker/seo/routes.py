"""/robots.txt, the sitemaps, /.well-known/security.txt and /favicon.ico.

Absolute addresses come from SERVER_BASE_URL (`links.base_url`): search engines must be given the public
address, whatever host name the request came in on."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from flask import Response, abort, current_app, send_from_directory, stream_with_context

from matchmaker.links import base_url, path
from matchmaker.seo import bp
from matchmaker.services import sitemap

TEXT = "text/plain; charset=utf-8"
XML = "application/xml; charset=utf-8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
# Crawlers ask for these files often; an hour keeps them fresh enough (a new offering shows up within it).
SHORT_CACHE = "public, max-age=3600"
# The icon's address has no version in it: a week, so that a new icon reaches everyone without a rename.
ICON_CACHE = "public, max-age=604800"

# Paths (on the site, without language) that search engines should leave alone: forms to log in and register,
# accounts, administration, messages, what is behind a login, per-person pages, the site search (results pages
# are not content), and the pages below an event, item or organisation (agendas, dashboards, edit forms).
PRIVATE_PATHS = (
    "/account/",
    "/admin/",
    "/auth/",
    "/messages/",
    "/notifications/",
    "/matches/",
    "/outcomes/",
    "/jobs/",
    "/calendar/",
    "/search",
    "/language",
    "/contact/sent",
    "/healthz",
    "/catalogue/exchange",
    "/catalogue/cpv/",
    "/catalogue/themes",
    "/catalogue/offerings/mine",
    "/catalogue/offerings/new",
    "/catalogue/offerings/*/",
    "/catalogue/needs/mine",
    "/catalogue/needs/new",
    "/catalogue/needs/*/",
    "/events/manage",
    "/events/new",
    "/events/*/",
    "/organisations/mine",
    "/organisations/new",
    "/organisations/join",
    "/organisations/invitations/",
    "/organisations/join-requests/",
    "/organisations/*/",
    "/tracker/organisations/*/",
    "/newsletter/admin",
    "/newsletter/announce/",
    "/newsletter/confirm/",
    "/newsletter/manage/",
    "/newsletter/unsubscribe/",
    "/newsletter/check-your-mailbox",
    "/charter/sign",
    "/knowledge/manage",
    "/knowledge/support",
)
# Logos are shown on public pages: they stay open below "/organisations/*/".
ALLOWED_BELOW_PRIVATE = ("/organisations/*/logo.png",)
# Exports and downloads (CSV, PDF, calendars, JSON): files, not pages (RFC 9309's "*" and "$").
EXPORT_PATTERNS = ("/*.csv$", "/*.pdf$", "/*.ics$", "/*.json$")


def _root_path() -> str:
    """The site's path on its host ("" at the root, "/matchmaker" under a prefix), from SERVER_BASE_URL."""
    return urlsplit(base_url()).path.rstrip("/")


@bp.get("/robots.txt")
def robots():
    root = _root_path()
    prefixes = ["", *(f"/{code}" for code in current_app.config["LANGUAGES"])]
    lines = ["# Matchmaker: public offerings, needs, events and organisations are open to search engines."]
    lines.append("")
    # Everything else is allowed. The Allow lines come first: RFC 9309 takes the longest matching rule, older
    # parsers (Python's urllib.robotparser among them) the first one.
    lines.append("User-agent: *")
    lines += [f"Allow: {root}{prefix}{allowed}" for prefix in prefixes for allowed in ALLOWED_BELOW_PRIVATE]
    lines += [f"Disallow: {root}{prefix}{private}" for prefix in prefixes for private in PRIVATE_PATHS]
    lines += [f"Disallow: {root}{pattern}" for pattern in EXPORT_PATTERNS]
    lines += ["", f"Sitemap: {base_url()}/sitemap.xml", ""]
    response = Response("\n".join(lines), content_type=TEXT)
    response.headers["Cache-Control"] = SHORT_CACHE
    return response


@bp.get("/sitemap.xml")
def sitemap_index():
    """The sitemap index: one sitemap per language, cut in parts of at most URLS_PER_SITEMAP addresses."""
    count = sitemap.plan().sitemaps
    base = base_url()
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n']
    for language in current_app.config["LANGUAGES"]:
        for number in range(1, count + 1):
            location = base + path("seo.sitemap_part", language=language, number=number)
            parts.append(f"  <sitemap><loc>{escape(location)}</loc></sitemap>\n")
    parts.append("</sitemapindex>\n")
    return _xml("".join(parts))


@bp.get("/sitemap-<language>-<int:number>.xml")
def sitemap_part(language: str, number: int):
    """Part `number` of the sitemap of `language`: each page's address under /<language>/, with its
    alternates in every language and the unprefixed address as x-default."""
    languages = current_app.config["LANGUAGES"]
    if language not in languages:
        abort(404)
    the_plan = sitemap.plan()
    if not 1 <= number <= the_plan.sitemaps:
        abort(404)
    return _xml(stream_with_context(_urlset(language, languages, the_plan, number)))


def _urlset(language: str, languages, the_plan: sitemap.Plan, number: int) -> Iterator[str]:
    base = base_url()
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">\n'
    chunk = []
    for entry in sitemap.entries(the_plan, number):
        if entry.languages is not None and language not in entry.languages:
            continue  # not written in this language: listed in the sitemaps of its own languages
        site_path = path(entry.endpoint, **dict(entry.values))
        lines = [f"<url><loc>{escape(f'{base}/{language}{site_path}')}</loc>"]
        if entry.lastmod:
            lines.append(f"<lastmod>{entry.lastmod.strftime('%Y-%m-%dT%H:%M:%SZ')}</lastmod>")
        for code in languages if entry.languages is None else [c for c in languages if c in entry.languages]:
            href = quoteattr(f"{base}/{code}{site_path}")
            lines.append(f'<xhtml:link rel="alternate" hreflang="{code}" href={href}/>')
        lines.append(f'<xhtml:link rel="alternate" hreflang="x-default" href={quoteattr(base + site_path)}/>')
        chunk.append("".join(lines) + "</url>\n")
        if len(chunk) >= 500:
            yield "".join(chunk)
            chunk = []
    chunk.append("</urlset>\n")
    yield "".join(chunk)


def _xml(body) -> Response:
    response = Response(body, content_type=XML)
    response.headers["Cache-Control"] = SHORT_CACHE
    return response


@bp.get("/.well-known/security.txt")
def security_txt():
    """RFC 9116: whom to tell about a vulnerability, until when this file holds, in which languages."""
    config = current_app.config
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=config["SECURITY_TXT_DAYS"])
    contacts = config["SECURITY_CONTACT"] or f"mailto:security@{urlsplit(base_url()).hostname or 'localhost'}"
    lines = [f"Contact: {contact.strip()}" for contact in contacts.split(",") if contact.strip()]
    lines.append(f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    if config["SECURITY_POLICY_URL"]:
        lines.append(f"Policy: {config['SECURITY_POLICY_URL']}")
    lines.append("Preferred-Languages: " + ", ".join(config["LANGUAGES"]))
    lines.append(f"Canonical: {base_url()}/.well-known/security.txt")
    response = Response("\n".join(lines) + "\n", content_type=TEXT)
    response.headers["Cache-Control"] = SHORT_CACHE
    return response


@bp.get("/favicon.ico")
def favicon():
    """Browsers and feed readers ask for /favicon.ico whatever the page says."""
    response = send_from_directory(
        current_app.static_folder, "img/favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=604800
    )
    response.headers["Cache-Control"] = ICON_CACHE
    return response
