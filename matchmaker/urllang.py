"""The language in the URL: /nl/..., /fr/... and /en/... for every page (issue 18).

Search engines send no cookie and, mostly, no Accept-Language: with the language only in the session or the
browser they saw the Dutch site alone. Now every page also lives under a language prefix:

- `LanguagePrefix`, a WSGI middleware, moves a leading "/nl", "/fr" or "/en" from PATH_INFO to SCRIPT_NAME and
  records the language in the environ. Routing sees the same paths as before (no route or template changes)
  and `url_for` builds every link of that request under the same prefix, because it puts SCRIPT_NAME in front.
  "/nl" alone redirects to "/nl/"; "/xx/" and "/NL/" are not languages and stay plain paths (404).
- `i18n.select_locale` takes the URL's language first (`url_language`).
- Unprefixed URLs keep working as before (mails link to them: `matchmaker.links` builds them without a
  request, so that a mail opens in the recipient's own language); their responses say `Vary: Accept-Language,
  Cookie`, since the language then comes from the browser or the session. Every HTML response says
  `Content-Language`.
- Static files, /favicon.ico, /robots.txt and the sitemaps keep one address for every language.
- A redirect to a site path without a prefix (the `next` of a form is `request.path`, which never holds the
  prefix) stays under the request's prefix, so that a form or a login does not take the reader out of the
  language they chose in the URL.
- `seo_head` gives the base template the canonical link, the hreflang alternates, Open Graph's locales and
  whether the page may be indexed.
"""

from dataclasses import dataclass, field

from flask import Flask, current_app, has_request_context, request, url_for
from jinja2 import pass_context
from werkzeug.exceptions import HTTPException
from werkzeug.urls import iri_to_uri

LANGUAGES = ("nl", "fr", "en")
ENV_LANGUAGE = "matchmaker.url_language"  # the URL's language, when the path had a prefix
ENV_ROOT = "matchmaker.root_without_language"  # SCRIPT_NAME before the prefix was moved into it

# Open Graph wants a territory: the site is Belgian (English as in the EU's institutions).
OG_LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_GB"}
# The picture of link previews: the platform's name (static/img/og-image.svg rendered once), 1200 x 630 as
# Open Graph and X's large summary card ask; served under its hashed static name like every static file.
OG_IMAGE = "img/og-image.png"
OG_IMAGE_SIZE = (1200, 630)

# The pages search engines may index: public, the same for every visitor, in the sitemap or listing what is.
# Anything else (forms to log in or register, accounts, administration, messages, anything behind a login,
# the site search, error pages) says noindex.
INDEXABLE_ENDPOINTS = frozenset(
    {
        "pages.home",
        "catalogue.browse_offerings",
        "catalogue.browse_needs",
        "catalogue.offering",
        "catalogue.need",
        "events.index",
        "events.detail",
        "organisations.detail",
        "content.index",
        "content.page",
        "content.events_by_theme",
        "content.contact",
        "charter.index",
        "tracker.index",
        "tracker.domain",
        "tracker.organisation",
        "newsletter.subscribe",
        "knowledge.index",
        "knowledge.article",
    }
)
# The query parameters that make another page of the same list; any other (filters, a search, tracking
# parameters) gives a variant that is not indexed (noindex: its links are still followed).
CANONICAL_PARAMETERS = ("page",)
# Addresses with one place on the site whatever the language: static files (cached once, not three times, and
# served by any static file server that knows nothing of the prefixes) and the files crawlers look for.
ROOT_ENDPOINTS = frozenset(
    {"static", "seo.favicon", "seo.robots", "seo.sitemap_index", "seo.sitemap_part", "seo.security_txt"}
)


class LanguagePrefix:
    """WSGI middleware: "/fr/catalogue/offerings" is routed as "/catalogue/offerings" under SCRIPT_NAME
    "/fr"."""

    def __init__(self, app, languages=LANGUAGES):
        self.app = app
        self.languages = frozenset(languages)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        segment, slash, rest = path[1:].partition("/")
        if path.startswith("/") and segment in self.languages:
            root = environ.get("SCRIPT_NAME", "")
            if not slash:  # "/nl": the home page is "/nl/", so that relative links resolve under the prefix
                query = environ.get("QUERY_STRING", "")
                location = iri_to_uri(f"{root}/{segment}/" + (f"?{query}" if query else ""))
                start_response("308 Permanent Redirect", [("Location", location), ("Content-Length", "0")])
                return [b""]
            environ[ENV_ROOT] = root
            environ[ENV_LANGUAGE] = segment
            environ["SCRIPT_NAME"] = f"{root}/{segment}"
            environ["PATH_INFO"] = "/" + rest
        return self.app(environ, start_response)


def url_language() -> str | None:
    """The language of the request's URL prefix, None for an unprefixed URL (or outside a request)."""
    if not has_request_context():
        return None
    return request.environ.get(ENV_LANGUAGE)


def root_without_language() -> str:
    """The site's own root path (SCRIPT_NAME) without the language prefix: "" at the host's root."""
    environ = request.environ
    return environ.get(ENV_ROOT, environ.get("SCRIPT_NAME", "")).rstrip("/")


def split_language(path: str) -> tuple[str | None, str]:
    """("fr", "/catalogue") for "/fr/catalogue", (None, path) when the path has no language prefix."""
    segment, _slash, rest = path[1:].partition("/")
    if path.startswith("/") and segment in LANGUAGES:
        return segment, "/" + rest
    return None, path


def in_language(language: str, site_path: str) -> str:
    """The path of a site path ("/events/?page=2", with or without a prefix) under `language`'s prefix,
    on the request's own root."""
    return f"{root_without_language()}/{language}{split_language(site_path)[1]}"


# --- responses ---------------------------------------------------------------------------------------------


def _is_root_file() -> bool:
    endpoint = request.endpoint or ""
    return endpoint in ROOT_ENDPOINTS or endpoint.endswith(".static")


def _set_language_headers(response):
    language = url_language()
    if response.mimetype == "text/html":
        from matchmaker.i18n import current_language

        response.headers["Content-Language"] = current_language()
    if language is None and not _is_root_file():
        # The language (and what is shown) came from the browser's Accept-Language or from the session.
        response.vary.update(("Accept-Language", "Cookie"))
    elif language is not None and response.status_code in (301, 302, 303, 307, 308):
        _keep_prefix_in_redirect(response)
    return response


def _keep_prefix_in_redirect(response) -> None:
    """A redirect to a site path without a prefix (a form's `next`, which is `request.path`) goes under the
    request's prefix. Paths built by `url_for` already carry it; absolute addresses are left alone."""
    location = response.headers.get("Location", "")
    if not location.startswith("/") or location.startswith("//"):
        return
    root = root_without_language()
    if root and location.startswith(root + "/"):
        if split_language(location[len(root) :])[0]:
            return  # already under a language (the language switch sends to another one)
        return  # a path on the site's root that was built with it: not a `next` (those lack the root)
    if split_language(location)[0]:
        return
    response.headers["Location"] = request.script_root + location


def _unprefixed_root_links(app: Flask) -> None:
    """`url_for` of a ROOT_ENDPOINTS endpoint drops the language segment."""
    build = app.url_for

    def url_for(endpoint: str, /, **values):
        url = build(endpoint, **values)
        if (endpoint in ROOT_ENDPOINTS or endpoint.endswith(".static")) and has_request_context():
            language = request.environ.get(ENV_LANGUAGE)
            if language:
                prefixed = request.script_root
                position = url.find(prefixed + "/")
                if position != -1:
                    url = url[:position] + root_without_language() + url[position + len(prefixed) :]
        return url

    app.url_for = url_for  # type: ignore[method-assign]


# --- the head of every page --------------------------------------------------------------------------------


@dataclass
class SeoHead:
    language: str
    indexable: bool
    canonical: str = ""
    alternates: list[tuple[str, str]] = field(default_factory=list)  # (hreflang, absolute URL)
    og_locale: str = ""
    og_locale_alternates: list[str] = field(default_factory=list)
    image: str = ""  # absolute URL of the link preview's picture
    image_size: tuple[int, int] = OG_IMAGE_SIZE


def _canonical_query() -> tuple[str, bool]:
    """The query string kept in canonical links (the page of a list, from 2 on) and whether the request had
    other parameters (then it is a variant: a filter, a search, a tracking parameter)."""
    from matchmaker.routing import parse_int

    kept = []
    other = False
    for name in request.args:
        if name not in CANONICAL_PARAMETERS:
            other = True
    page = parse_int(request.args.get("page"), 2, None)
    if page:
        kept.append(f"page={page}")
    return ("?" + "&".join(kept)) if kept else "", other


def _is_error_page(context) -> bool:
    error = context.get("error")
    status = context.get("status")
    return isinstance(error, HTTPException) or (isinstance(status, int) and status >= 400)


@pass_context
def seo_head(context) -> SeoHead:
    from matchmaker.i18n import current_language
    from matchmaker.links import base_url

    language = current_language()
    indexable = (
        request.method == "GET" and request.endpoint in INDEXABLE_ENDPOINTS and not _is_error_page(context)
    )
    head = SeoHead(language=language, indexable=indexable)
    if not indexable:
        return head
    if context.get("seo_noindex"):
        head.indexable = False  # e.g. an article shown in another language than its address says
        return head
    query, variant = _canonical_query()
    if variant:
        head.indexable = False  # noindex (its links are still followed)
        return head
    # SERVER_BASE_URL is the public address; it holds the site's root path ("/matchmaker") if it has one.
    base = base_url()
    path = request.path + query
    # A page written in some languages only (a knowledge-base article) names those (`seo_languages`).
    languages = [
        code for code in current_app.config["LANGUAGES"] if code in (context.get("seo_languages") or [code])
    ]
    alternates = [(code, f"{base}/{code}{path}") for code in languages]
    alternates.append(("x-default", base + path))
    head.alternates = alternates
    # Each page of the cluster is its own canonical: the prefixed page in its language, and the unprefixed
    # one (x-default, whose language follows the browser) itself: hreflang must point at canonical pages.
    head.canonical = f"{base}/{url_language()}{path}" if url_language() else base + path
    head.og_locale = OG_LOCALES.get(language, language)
    head.og_locale_alternates = [OG_LOCALES[code] for code in languages if code != language]
    image = url_for("static", filename=OG_IMAGE)  # on the site's root (no language), hashed
    root = root_without_language()
    head.image = base + (image[len(root) :] if root and image.startswith(root + "/") else image)
    return head


def init_app(app: Flask) -> None:
    app.wsgi_app = LanguagePrefix(app.wsgi_app, app.config["LANGUAGES"])  # type: ignore[method-assign]
    app.after_request(_set_language_headers)
    _unprefixed_root_links(app)
    app.jinja_env.globals.update(seo_head=seo_head)
