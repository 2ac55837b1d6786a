"""What search engines see (issue 18): the language in the URL, hreflang, canonical links, descriptions and
Open Graph, noindex on private pages, robots.txt, the sitemaps, security.txt and the favicon."""

import re
import urllib.robotparser
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models.content import Page
from matchmaker.services import sitemap as sitemap_service
from tests.factories import PASSWORD

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


class Head(HTMLParser):
    """The <link> and <meta> elements of a page, and its <html lang>."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[dict] = []
        self.metas: list[dict] = []
        self.anchors: list[str] = []
        self.lang = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "link":
            self.links.append(attributes)
        elif tag == "meta":
            self.metas.append(attributes)
        elif tag == "a" and attributes.get("href"):
            self.anchors.append(attributes["href"])

    def meta(self, key: str, value: str) -> list[str]:
        return [m.get("content") for m in self.metas if m.get(key) == value]

    def rel(self, rel: str) -> list[dict]:
        return [link for link in self.links if link.get("rel") == rel]

    def alternates(self) -> dict[str, str]:
        return {link["hreflang"]: link["href"] for link in self.rel("alternate") if "hreflang" in link}


def head(response) -> Head:
    assert response.status_code == 200, response.status_code
    return Head(response.get_data(as_text=True))


@pytest.fixture
def supplier(make_supplier):
    return make_supplier()


@pytest.fixture
def buyer(make_buyer):
    return make_buyer()


# --- the language in the URL --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_prefix_sets_the_language_and_every_link_keeps_it(client, language):
    response = client.get(f"/{language}/catalogue/offerings", headers={"Accept-Language": "nl"})
    page = head(response)
    assert page.lang == language
    assert response.headers["Content-Language"] == language
    site_links = [href for href in page.anchors if href.startswith("/")]
    assert f"/{language}/events/" in site_links
    assert all(href.startswith(f"/{language}/") for href in site_links), site_links
    stylesheets = [link["href"] for link in page.rel("stylesheet")]
    assert stylesheets and all(href.startswith("/static/") for href in stylesheets)  # one address for all


def test_the_prefix_wins_over_the_users_saved_language(client, auth):
    auth.login_as("supplier", language="en")
    response = client.get("/fr/catalogue/offerings")
    assert head(response).lang == "fr"


def test_unprefixed_pages_keep_their_language_from_the_browser_and_say_so(client):
    response = client.get("/catalogue/offerings", headers={"Accept-Language": "fr"})
    assert head(response).lang == "fr"
    assert response.headers["Content-Language"] == "fr"
    assert {"accept-language", "cookie"} <= {value.lower() for value in response.vary}
    prefixed = client.get("/fr/catalogue/offerings", headers={"Accept-Language": "nl"})
    assert "accept-language" not in {value.lower() for value in prefixed.vary}


def test_the_bare_prefix_redirects_to_its_home_page(client):
    response = client.get("/nl?x=1")
    assert response.status_code == 308
    assert response.headers["Location"] == "/nl/?x=1"
    assert client.get("/nl/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/xx/", "/NL/", "/nl/nl/", "/nl/../", "/nl/..%2F..%2Fetc/passwd", "/fr/%00"]
)
def test_odd_prefixes_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_the_language_switch_keeps_the_page_and_moves_it_under_the_new_prefix(client, auth):
    user = auth.login_as("supplier", language="nl")
    response = client.post("/nl/language", data={"language": "fr", "next": "/catalogue/offerings?page=2"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/fr/catalogue/offerings?page=2"
    db.session.refresh(user)
    assert user.language == "fr"  # saved as before: mails and unprefixed links follow it
    with client.session_transaction() as session:
        assert session["language"] == "fr"


def test_the_language_switch_reads_the_referrer_without_its_prefix(client):
    response = client.post(
        "/fr/language", data={"language": "en"}, headers={"Referer": "http://localhost/fr/events/"}
    )
    assert response.headers["Location"] == "/en/events/"


def test_the_language_switch_never_leaves_the_site(client):
    response = client.post("/nl/language", data={"language": "en", "next": "//evil.example/x"})
    assert response.headers["Location"] == "/en/"


def test_a_site_served_below_a_path_keeps_its_root_before_the_language(client):
    root = "http://localhost/platform/"
    page = head(client.get("/fr/events/", base_url=root))
    assert "/platform/fr/catalogue/offerings" in page.anchors
    switched = client.post("/fr/language", data={"language": "nl", "next": "/events/"}, base_url=root)
    assert switched.headers["Location"] == "/platform/nl/events/"
    bare = client.get("/en", base_url=root)
    assert bare.headers["Location"] == "/platform/en/"


def test_one_login_covers_every_prefix(client, make_user):
    make_user(email="ann@example.org")
    response = client.post(
        "/fr/auth/login", data={"email": "ann@example.org", "password": PASSWORD, "next": "/events/"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/fr/events/"  # a form's `next` stays under the prefix
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Path=/;" in cookie or cookie.endswith("Path=/") for cookie in cookies)
    for path in ("/nl/account/", "/en/account/", "/account/"):
        assert client.get(path).status_code == 200


def test_the_login_page_sends_back_to_the_prefixed_page(client):
    response = client.get("/fr/notifications/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/fr/auth/login?next=")
    assert "%2Ffr%2Fnotifications%2F" in response.headers["Location"]


def test_forms_work_under_a_prefix_with_csrf(app, database, make_user):
    from tests.helpers import make_test_app

    csrf_app = make_test_app(database, WTF_CSRF_ENABLED=True)
    with csrf_app.app_context():
        client = csrf_app.test_client()
        form = client.get("/fr/catalogue/offerings").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        refused = client.post("/en/language", data={"language": "en", "next": "/events/"})
        assert refused.status_code == 400
        response = client.post(
            "/en/language", data={"language": "en", "next": "/events/", "csrf_token": token}
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/en/events/"
        db.session.remove()
        db.engine.dispose()


# --- the head of the pages ----------------------------------------------------------------------------------


def test_a_public_page_has_alternates_canonical_description_and_open_graph(client, supplier, make_offering):
    offering = make_offering(supplier, summary="Sensors that measure the air in every classroom.")
    page = head(client.get(f"/fr/catalogue/offerings/{offering.id}"))
    path = f"/catalogue/offerings/{offering.id}"
    assert page.alternates() == {
        "nl": f"http://localhost/nl{path}",
        "fr": f"http://localhost/fr{path}",
        "en": f"http://localhost/en{path}",
        "x-default": f"http://localhost{path}",
    }
    assert [link["href"] for link in page.rel("canonical")] == [f"http://localhost/fr{path}"]
    assert page.meta("name", "description") == ["Sensors that measure the air in every classroom."]
    assert page.meta("property", "og:description") == ["Sensors that measure the air in every classroom."]
    assert page.meta("property", "og:title") == [offering.title]
    assert page.meta("property", "og:url") == [f"http://localhost/fr{path}"]
    assert page.meta("property", "og:type") == ["website"]
    assert page.meta("property", "og:site_name") == ["Matchmaker"]
    assert page.meta("property", "og:locale") == ["fr_BE"]
    assert sorted(page.meta("property", "og:locale:alternate")) == ["en_GB", "nl_BE"]
    assert page.meta("name", "robots") == []


def test_the_unprefixed_page_is_its_own_canonical_the_x_default(client):
    page = head(client.get("/events/"))
    assert [link["href"] for link in page.rel("canonical")] == ["http://localhost/events/"]
    assert page.alternates()["x-default"] == "http://localhost/events/"


def test_addresses_come_from_the_public_base_url(client, monkeypatch, app):
    monkeypatch.setitem(app.config, "SERVER_BASE_URL", "https://matchmaker.example/platform/")
    page = head(client.get("/nl/events/"))
    assert page.alternates()["en"] == "https://matchmaker.example/platform/en/events/"
    assert [link["href"] for link in page.rel("canonical")] == [
        "https://matchmaker.example/platform/nl/events/"
    ]


def test_the_canonical_link_keeps_the_page_of_a_list_only(client):
    page = head(client.get("/nl/catalogue/offerings?page=2"))
    assert [link["href"] for link in page.rel("canonical")] == [
        "http://localhost/nl/catalogue/offerings?page=2"
    ]
    assert page.alternates()["fr"] == "http://localhost/fr/catalogue/offerings?page=2"
    first = head(client.get("/nl/catalogue/offerings?page=1"))
    assert [link["href"] for link in first.rel("canonical")] == ["http://localhost/nl/catalogue/offerings"]


def test_filtered_and_searched_lists_are_not_indexed(client):
    page = head(client.get("/nl/catalogue/offerings?q=sensor&page=2"))
    assert page.meta("name", "robots") == ["noindex"]
    assert page.rel("canonical") == []


@pytest.mark.parametrize(
    "path",
    ["/", "/catalogue/offerings", "/catalogue/needs", "/events/", "/initiative", "/charter/", "/tracker/"],
)
def test_the_main_public_pages_have_a_description_and_are_indexable(client, path):
    page = head(client.get("/en" + path))
    (description,) = page.meta("name", "description")
    assert len(description) > 40
    assert page.meta("name", "robots") == []
    assert len(page.rel("canonical")) == 1


def test_lists_describe_themselves(client):
    offerings = head(client.get("/en/catalogue/offerings")).meta("name", "description")
    needs = head(client.get("/en/catalogue/needs")).meta("name", "description")
    home = head(client.get("/en/")).meta("name", "description")
    assert len({offerings[0], needs[0], home[0]}) == 3


def test_an_event_page_is_described_by_its_description_without_markup(client, make_event):
    event = make_event(description="A **morning** of one-to-one meetings about smart mobility.")
    (description,) = head(client.get(f"/en/events/{event.id}")).meta("name", "description")
    assert description == "A morning of one-to-one meetings about smart mobility."


def test_long_descriptions_are_cut_at_a_word(client, supplier, make_offering):
    offering = make_offering(supplier, summary="word " * 99)
    (description,) = head(client.get(f"/en/catalogue/offerings/{offering.id}")).meta("name", "description")
    assert len(description) <= 301 and description.endswith("word…")


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/forgot-password", "/search?q=x"])
def test_forms_and_search_results_are_not_indexed(client, path):
    page = head(client.get("/nl" + path))
    assert page.meta("name", "robots") == ["noindex"]
    assert page.rel("canonical") == [] and page.alternates() == {}


@pytest.mark.parametrize("path", ["/account/", "/notifications/", "/messages/", "/matches/", "/admin/"])
def test_pages_behind_a_login_are_not_indexed(client, auth, path):
    auth.login_as("admin")
    page = head(client.get("/nl" + path))
    assert page.meta("name", "robots") == ["noindex"]


def test_error_pages_are_not_indexed(client):
    response = client.get("/nl/catalogue/offerings/999999")
    assert response.status_code == 404
    page = Head(response.get_data(as_text=True))
    assert page.meta("name", "robots") == ["noindex"]
    assert page.rel("canonical") == []


def test_every_page_links_the_icon(client):
    page = head(client.get("/fr/events/"))
    assert "/favicon.ico" in [link["href"] for link in page.rel("icon")]


# --- robots.txt ---------------------------------------------------------------------------------------------


def _robots(client) -> urllib.robotparser.RobotFileParser:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(response.get_data(as_text=True).splitlines())
    return parser


@pytest.mark.parametrize("prefix", ["", "/nl", "/fr", "/en"])
def test_robots_allow_the_public_site_and_keep_out_of_private_areas(client, prefix):
    robots = _robots(client)
    for public in ("/", "/catalogue/offerings", "/catalogue/offerings/5", "/events/7", "/organisations/3"):
        assert robots.can_fetch("*", prefix + public), public
    private_paths = (
        "/account/",
        "/admin/users",
        "/auth/login",
        "/messages/4",
        "/notifications/",
        "/search?q=a",
    )
    for private in private_paths:
        assert not robots.can_fetch("*", prefix + private), private


def test_robots_keep_out_of_exports_and_the_pages_below_items(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    for rule in ("Disallow: /*.csv$", "Disallow: /nl/events/*/", "Disallow: /fr/catalogue/offerings/*/"):
        assert rule in text.splitlines()
    assert "Allow: /en/organisations/*/logo.png" in text.splitlines()


def test_robots_point_at_the_sitemap_on_the_public_address(client, monkeypatch, app):
    monkeypatch.setitem(app.config, "SERVER_BASE_URL", "https://matchmaker.example/platform")
    robots = _robots(client)
    assert robots.site_maps() == ["https://matchmaker.example/platform/sitemap.xml"]
    assert not robots.can_fetch("*", "/platform/nl/account/")


# --- the sitemaps -------------------------------------------------------------------------------------------


def _xml(client, path: str) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "application/xml"
    return ET.fromstring(response.get_data())  # noqa: S314 - our own sitemap


def _sitemaps(client) -> list[str]:
    index = _xml(client, "/sitemap.xml")
    assert index.tag == f"{SITEMAP}sitemapindex"
    return [element.findtext(f"{SITEMAP}loc") for element in index.findall(f"{SITEMAP}sitemap")]


def _urls(client, language: str = "nl") -> dict[str, ET.Element]:
    """Every <url> of the language's sitemaps, by <loc>."""
    urls = {}
    for location in _sitemaps(client):
        if f"/sitemap-{language}-" not in location:
            continue
        urlset = _xml(client, location.removeprefix("http://localhost"))
        assert urlset.tag == f"{SITEMAP}urlset"
        for url in urlset.findall(f"{SITEMAP}url"):
            loc = url.findtext(f"{SITEMAP}loc")
            assert loc not in urls, f"listed twice: {loc}"
            urls[loc] = url
    return urls


@pytest.fixture
def catalogue(supplier, buyer, make_supplier, make_offering, make_need, make_event, make_organisation):
    suspended = make_supplier()
    suspended.organisation.verification = "suspended"
    how = {"title_nl": "Zo werkt het", "body_nl": "Tekst", "title_fr": "Comment", "body_fr": "Texte"}
    db.session.add(Page(slug="how-it-works", published=True, **how))  # in French too: in the French sitemap
    db.session.add(Page(slug="not-yet", title_nl="Nog niet", body_nl="Tekst", published=False))
    db.session.commit()
    return {
        "published": make_offering(supplier),
        "draft": make_offering(supplier, status="draft"),
        "suspended_offering": make_offering(suspended),
        "open_need": make_need(buyer),
        "closed_need": make_need(buyer, status="closed"),
        "members_need": make_need(buyer, registered_only=True),
        "public_event": make_event(),
        "draft_event": make_event(open_registration=False),
        "suspended": suspended.organisation,
        "supplier": supplier.organisation,
    }


def test_the_index_lists_one_sitemap_per_language_on_the_public_address(client):
    assert _sitemaps(client) == [
        "http://localhost/sitemap-nl-1.xml",
        "http://localhost/sitemap-fr-1.xml",
        "http://localhost/sitemap-en-1.xml",
    ]


def test_the_sitemaps_list_public_pages_only(client, catalogue):
    urls = _urls(client, "fr")
    base = "http://localhost/fr"
    c = catalogue
    for listed in (
        "/",
        "/catalogue/offerings",
        "/catalogue/needs",
        "/events/",
        "/charter/",
        "/tracker/",
        "/tracker/domains/mow",
        f"/catalogue/offerings/{c['published'].id}",
        f"/catalogue/needs/{c['open_need'].id}",
        f"/events/{c['public_event'].id}",
        f"/organisations/{c['supplier'].id}",
        "/initiative/how-it-works",
    ):
        assert base + listed in urls, listed
    for hidden in (
        f"/catalogue/offerings/{c['draft'].id}",
        f"/catalogue/offerings/{c['suspended_offering'].id}",
        f"/catalogue/needs/{c['closed_need'].id}",
        f"/catalogue/needs/{c['members_need'].id}",
        f"/events/{c['draft_event'].id}",
        f"/organisations/{c['suspended'].id}",
        "/initiative/not-yet",
        "/auth/login",
    ):
        assert base + hidden not in urls, hidden
    for loc in urls:  # every listed page answers, to anyone
        assert client.get(loc.removeprefix("http://localhost")).status_code == 200, loc


def test_each_address_has_its_alternates_and_last_change(client, catalogue):
    offering = catalogue["published"]
    path = f"/catalogue/offerings/{offering.id}"
    url = _urls(client, "en")[f"http://localhost/en{path}"]
    links = {link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")}
    assert links == {
        "nl": f"http://localhost/nl{path}",
        "fr": f"http://localhost/fr{path}",
        "en": f"http://localhost/en{path}",
        "x-default": f"http://localhost{path}",
    }
    assert all(link.get("rel") == "alternate" for link in url.findall(f"{XHTML}link"))
    lastmod = url.findtext(f"{SITEMAP}lastmod")
    assert lastmod == offering.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_sitemaps_are_cut_in_parts_that_together_list_everything_once(client, catalogue, monkeypatch):
    everything = set(_urls(client, "nl"))
    monkeypatch.setattr(sitemap_service, "URLS_PER_SITEMAP", 7)
    parts = [location for location in _sitemaps(client) if "-nl-" in location]
    assert len(parts) == -(-len(everything) // 7) > 2
    assert set(_urls(client, "nl")) == everything
    assert client.get(f"/sitemap-nl-{len(parts) + 1}.xml").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/sitemap-nl-0.xml", "/sitemap-nl-2.xml", "/sitemap-xx-1.xml", "/sitemap-nl-99999999999999999.xml"],
)
def test_sitemaps_that_do_not_exist_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_a_sitemap_costs_the_same_queries_however_large_the_catalogue(client, app, supplier, make_offering):
    def queries_for(path: str) -> int:
        statements = []

        def count(*_args):
            statements.append(1)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    make_offering(supplier)
    few = queries_for("/sitemap-nl-1.xml")
    for _ in range(12):
        make_offering(supplier)
    assert queries_for("/sitemap-nl-1.xml") == few


# --- security.txt and the favicon ---------------------------------------------------------------------------


def _fields(text: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition(": ")
            fields.setdefault(name, []).append(value)
    return fields


def test_security_txt_follows_rfc_9116(client):
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.content_type == "text/plain; charset=utf-8"
    fields = _fields(response.get_data(as_text=True))
    assert fields["Contact"] == ["mailto:security@localhost"]
    assert fields["Preferred-Languages"] == ["nl, fr, en"]
    assert fields["Canonical"] == ["http://localhost/.well-known/security.txt"]
    (expires,) = fields["Expires"]
    moment = datetime.strptime(expires, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    now = datetime.now(UTC)
    assert now + timedelta(days=30) < moment < now + timedelta(days=365)


def test_security_txt_takes_its_contacts_and_policy_from_the_configuration(client, monkeypatch, app):
    monkeypatch.setitem(app.config, "SECURITY_CONTACT", "mailto:cert@example.org, https://example.org/report")
    monkeypatch.setitem(app.config, "SECURITY_POLICY_URL", "https://example.org/disclosure")
    fields = _fields(client.get("/.well-known/security.txt").get_data(as_text=True))
    assert fields["Contact"] == ["mailto:cert@example.org", "https://example.org/report"]
    assert fields["Policy"] == ["https://example.org/disclosure"]


def test_the_favicon_is_an_icon_kept_for_long(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO header: reserved 0, type 1 (icon)
    assert "max-age=604800" in response.headers["Cache-Control"]
    assert "accept-language" not in {value.lower() for value in response.vary}  # the same in every language


def test_the_files_crawlers_ask_for_are_cached_for_an_hour_in_every_language(client):
    for path in ("/robots.txt", "/sitemap.xml", "/sitemap-nl-1.xml", "/.well-known/security.txt"):
        response = client.get(path, headers={"Accept-Language": "fr"})
        assert response.headers["Cache-Control"] == "public, max-age=3600", path
        assert "accept-language" not in {value.lower() for value in response.vary}, path
