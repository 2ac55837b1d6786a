"""Crawl the demo platform with the Flask test client, as each demo role sees it.

Shared by tests/integration/test_crawl.py (no 500s, no broken links, page structure, empty forms,
garbage query parameters) and tests/e2e/test_crawl_a11y.py (axe on one page per endpoint).

The crawl is breadth-first from "/" over internal <a href> links and redirects, GET only. To stay
fast it collapses URLs that differ only in numeric ids (the first few per route) and in query strings
(the first few per endpoint). It never follows a link that logs out.
"""

import re
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TypeVar
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from matchmaker import demo
from matchmaker.extensions import db
from matchmaker.services import accounts, user_sessions


@dataclass(frozen=True)
class Role:
    name: str
    email: str | None  # None: an anonymous visitor
    language: str  # the language the crawl reads the pages in (every language gets crawled by someone)


ROLES = (
    Role("anonymous", None, "fr"),
    Role("admin", "admin@example.org", "en"),
    Role("organizer", "organizer@example.org", "nl"),
    Role("buyer", "buyer@example.org", "nl"),
    Role("supplier", "supplier@example.org", "fr"),
)
ROLE_IDS = [role.name for role in ROLES]

BASE = "http://localhost"
NEVER_FOLLOW = ("/auth/logout",)


# --- demo data -------------------------------------------------------------------------------------


def seed(app: Flask, language: str | None = None) -> None:
    """Run every demo step once; with `language`, every demo account reads that language."""
    with app.app_context():
        demo.seed_demo_data()
        for role in ROLES:
            if role.email:
                accounts.get_user_by_email(role.email).language = language or role.language
        db.session.commit()
        db.session.remove()


def user_id(app: Flask, email: str) -> str:
    with app.app_context():
        found = user_sessions.start_session(accounts.get_user_by_email(email))
        db.session.remove()
        return found


def log_in(client: FlaskClient, app: Flask, role: Role) -> None:
    with client.session_transaction() as session:
        session.clear()
        if role.email:
            session["_user_id"] = user_id(app, role.email)
            session["_fresh"] = True


def client_for(app: Flask, role: Role) -> FlaskClient:
    client = app.test_client()
    # Anonymous visitors choose their language through the browser's Accept-Language.
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = role.language
    log_in(client, app, role)
    return client


class Snapshot:
    """Every row of every table, to put the demo back exactly as it was after forms changed it."""

    def __init__(self, app: Flask):
        self.app = app
        with app.app_context():
            self.rows = {
                table.name: [dict(row._mapping) for row in db.session.execute(sa.select(table))]
                for table in db.metadata.sorted_tables
            }
            db.session.remove()

    def restore(self) -> None:
        from tests.helpers import empty_tables

        with self.app.app_context():
            empty_tables()
            for table in db.metadata.sorted_tables:
                if self.rows[table.name]:
                    db.session.execute(sa.insert(table), self.rows[table.name])
            if db.engine.dialect.name == "postgresql":
                # Every sequence in one statement (one round trip where there were some 80 a restore).
                settings = [
                    f"setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                    f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                    for table in db.metadata.sorted_tables
                    for column in table.primary_key.columns
                    if column.autoincrement is True
                    or (column.autoincrement == "auto" and isinstance(column.type, sa.Integer))
                ]
                if settings:
                    db.session.execute(sa.text("SELECT " + ", ".join(settings)))
            db.session.commit()
            db.session.remove()


T = TypeVar("T")
_SEEDED: dict[str, tuple[object, Snapshot]] = {}  # this worker's shared data: what built it, its rows


def seeded_once(key: str, app: Flask, build: Callable[[], T]) -> T:
    """Data that the tests of this worker share and only read: made by `build()` the first time `key` is asked
    for, every row then saved; the next times its rows are put back as they were (in emptied tables, a tenth
    of a second where building took seconds). Returns what `build` returned the first time."""
    if key in _SEEDED:
        result, rows = _SEEDED[key]
        rows.restore()
        return result  # type: ignore[return-value]
    result = build()
    _SEEDED[key] = (result, Snapshot(app))
    return result


# --- HTML -------------------------------------------------------------------------------------------


@dataclass
class Form:
    page: str  # the URL the form was found on
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # (name, type), buttons left out

    @property
    def key(self) -> tuple:
        return (self.action, tuple(sorted(name for name, _ in self.fields)))


class PageParser(HTMLParser):
    """The little the crawl needs: links, forms, <h1> count, <title>, <html lang>."""

    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.h1 = 0
        self.title: str | None = None
        self.lang: str | None = None
        self._in_title = False
        self._form: Form | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "title":
            self._in_title = True
            self.title = self.title or ""
        elif tag == "h1":
            self.h1 += 1
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "form":
            action = urljoin(self.url, attributes.get("action") or self.url)
            self._form = Form(self.url, action, (attributes.get("method") or "get").lower())
            self.forms.append(self._form)
        elif tag in ("input", "select", "textarea") and self._form is not None and attributes.get("name"):
            kind = attributes.get("type", "text") if tag == "input" else tag
            if kind not in ("submit", "button", "image", "reset"):
                self._form.fields.append((attributes["name"], kind))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data


# --- the crawl --------------------------------------------------------------------------------------


@dataclass
class Page:
    url: str  # path and query
    referrer: str | None
    status: int
    mimetype: str
    endpoint: str | None
    location: str | None = None
    h1: int = 0
    title: str | None = None
    lang: str | None = None
    forms: list[Form] = field(default_factory=list)
    html: str = ""  # the page as served (HTML pages answered with 200 only), for validators

    @property
    def is_html(self) -> bool:
        return self.mimetype == "text/html"


@dataclass
class Crawl:
    role: Role
    pages: dict[str, Page] = field(default_factory=dict)
    collapsed: int = 0  # URLs left out because they only differ in ids or query strings
    truncated: bool = False  # the page limit was reached

    def forms(self, app: Flask | None = None, ids_per_route: int | None = None) -> list[Form]:
        """Every distinct form with method post on the crawled pages (distinct action and fields).

        With `app` and `ids_per_route`, forms are collapsed as the crawl collapses pages: of the forms whose
        actions reach the same route with the same fields and differ only in numeric ids, the first
        `ids_per_route` ids (a buyer's matches page holds one interest form per match: 177 of them)."""
        seen: dict[tuple, Form] = {}
        ids_seen: dict[tuple, set] = {}
        for page in self.pages.values():
            for form in page.forms:
                if form.method != "post" or form.key in seen:
                    continue
                if app is not None and ids_per_route is not None:
                    route, ids = _route_and_ids(app, internal_path(form.page, form.action) or "/", "POST")
                    if route is not None:
                        known = ids_seen.setdefault((route, form.key[1]), set())
                        if ids not in known and len(known) >= ids_per_route:
                            continue
                        known.add(ids)
                seen[form.key] = form
        return list(seen.values())

    def one_page_per_endpoint(self) -> dict[str, Page]:
        """The first HTML page answered with 200 for every endpoint."""
        found: dict[str, Page] = {}
        for page in self.pages.values():
            if page.endpoint and page.status == 200 and page.is_html:
                found.setdefault(page.endpoint, page)
        return found


def internal_path(url: str, href: str) -> str | None:
    """The local path and query `href` points at from `url`, or None for other sites and schemes."""
    target = urldefrag(urljoin(BASE + url, href.strip()))[0]
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or parts.netloc != "localhost":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def endpoint_of(app: Flask, url: str) -> tuple[str | None, dict]:
    """(endpoint, arguments) a GET of `url` reaches, (None, {}) when none does."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, arguments = adapter.match(urlsplit(url).path, method="GET")
    except RequestRedirect as redirect:
        return endpoint_of(app, internal_path(url, redirect.new_url) or "/")
    except HTTPException:
        return None, {}
    return endpoint, arguments


def _route_and_ids(app: Flask, url: str, method: str) -> tuple[tuple | None, tuple]:
    """(endpoint with its non-numeric arguments, numeric arguments) that `method` on `url` reaches."""
    try:
        endpoint, arguments = app.url_map.bind("localhost").match(urlsplit(url).path, method=method)
    except HTTPException:
        return None, ()
    numeric = {name for name, value in arguments.items() if isinstance(value, int)}
    route = (endpoint, tuple(sorted((k, str(v)) for k, v in arguments.items() if k not in numeric)))
    return route, tuple(sorted((k, v) for k, v in arguments.items() if k in numeric))


def crawl(
    app: Flask,
    role: Role,
    max_pages: int = 400,
    ids_per_route: int = 3,
    queries_per_endpoint: int = 4,
) -> Crawl:
    client = client_for(app, role)
    result = Crawl(role)
    queue: deque[tuple[str, str | None]] = deque([("/", None)])
    seen = {"/"}
    ids_seen: dict[tuple, set] = {}
    queries: Counter = Counter()

    def admit(url: str) -> bool:
        """False for URLs that add nothing: another numeric id, or another query string, of a known route."""
        endpoint, arguments = endpoint_of(app, url)
        if endpoint is None or endpoint == "static":
            return True  # a broken link or a file: fetch it to find out, it costs one request
        numeric = {name for name, value in arguments.items() if isinstance(value, int)}
        route = (endpoint, tuple(sorted((k, str(v)) for k, v in arguments.items() if k not in numeric)))
        ids = tuple(sorted((k, v) for k, v in arguments.items() if k in numeric))
        known = ids_seen.setdefault(route, set())
        if ids not in known and len(known) >= ids_per_route:
            return False
        known.add(ids)
        if urlsplit(url).query:
            if queries[endpoint] >= queries_per_endpoint:
                return False
            queries[endpoint] += 1
        return True

    def enqueue(url: str | None, referrer: str) -> None:
        if url is None or url in seen or url.startswith(NEVER_FOLLOW):
            return
        seen.add(url)
        if admit(url):
            queue.append((url, referrer))
        else:
            result.collapsed += 1

    while queue:
        if len(result.pages) >= max_pages:
            result.truncated = True
            break
        url, referrer = queue.popleft()
        response = client.get(url)
        endpoint = endpoint_of(app, url)[0]
        page = Page(url, referrer, response.status_code, response.mimetype or "", endpoint)
        result.pages[url] = page
        if 300 <= response.status_code < 400 and response.location:
            page.location = internal_path(url, response.location)
            enqueue(page.location, url)
        elif page.is_html:
            parser = PageParser(url)
            text = response.get_data(as_text=True)
            if response.status_code == 200:
                page.html = text
            parser.feed(text)
            parser.close()
            page.h1, page.title, page.lang, page.forms = parser.h1, parser.title, parser.lang, parser.forms
            for href in parser.links:
                enqueue(internal_path(url, href), url)
        response.close()
    return result


# --- bad input --------------------------------------------------------------------------------------

HUGE_NUMBER = "9" * 23
# Besides the parameters the crawled links use: names list pages commonly read.
COMMON_PARAMETERS = ("page", "q", "sort", "order", "status", "theme", "kind", "type", "language", "year")
# Query parameters that pages read as ids or counts (issue 14, finding 7: ?to= reached the database).
ID_PARAMETERS = ("to", "from", "event", "need", "offering", "need_id", "offering_id", "registration", "table")
ID_PARAMETERS += ("buyer", "supplier", "organisation", "per_page", "per_item", "limit", "min_score")
# Beyond PostgreSQL's INTEGER, just beyond 64 bits (SQLite), and a digit that isdigit() accepts but int()
# refuses; far beyond 64 bits is HUGE_NUMBER (a 20-digit number took the same paths: one request a page less).
OUT_OF_RANGE = ("2147483648", "9223372036854775808", "²")


def garbage_urls(crawl_result: Crawl) -> list[tuple[str, str]]:
    """(endpoint, URL) pairs: one crawled URL per GET endpoint with nonsense in its query parameters.

    Negative, non-numeric and huge numbers, a 5,000-character search, unknown filter values, parameters
    given twice.
    """
    names_per_endpoint: dict[str, set[str]] = {}
    base_per_endpoint: dict[str, str] = {}
    for page in crawl_result.pages.values():
        if page.endpoint is None or page.endpoint == "static" or page.status >= 400:
            continue
        path, _, query = page.url.partition("?")
        base_per_endpoint.setdefault(page.endpoint, path)
        names_per_endpoint.setdefault(page.endpoint, set()).update(name for name, _ in parse_qsl(query))
    urls = []
    for endpoint, path in base_per_endpoint.items():
        names = sorted(names_per_endpoint[endpoint] | set(COMMON_PARAMETERS) | set(ID_PARAMETERS))
        for value in ("-1", HUGE_NUMBER, *OUT_OF_RANGE):
            urls.append((endpoint, f"{path}?{urlencode(dict.fromkeys(names, value))}"))
        urls.append((endpoint, f"{path}?{urlencode({**dict.fromkeys(names, 'abc'), 'q': 'x' * 5000})}"))
        twice = [(name, value) for name in names for value in ("", "zz-unknown' OR 1=1 --\x00")]
        urls.append((endpoint, f"{path}?{urlencode(twice)}"))
    return urls


def made_up_urls(app: Flask, method: str) -> list[tuple[str, str]]:
    """(endpoint, URL) for every route answering `method`, its arguments filled with made-up values.

    Numbers that may or may not be ids (0, 1, 2), and for text arguments (tokens, codes, slugs) unknown,
    long and odd ones: routes reached from a mail or by hand, which no crawl finds.
    """
    numbers = ("0", "1", "2")
    texts = ("nonsense", "x" * 300, "%00", "csv", "json")
    urls = []
    for rule in app.url_map.iter_rules():
        if method not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        names = sorted(rule._converters)  # the arguments in the path (not the defaults)
        for index in range(max(len(numbers), len(texts))):
            values = {}
            for name in names:
                converter = type(rule._converters[name]).__name__
                choices = numbers if "Integer" in converter else texts
                values[name] = choices[index % len(choices)]
            path = rule.rule
            for name, value in values.items():
                path = re.sub(rf"<(?:[a-z]+:)?{name}>", value, path)
            urls.append((rule.endpoint, path))
            if not names:
                break
    return sorted(set(urls))
