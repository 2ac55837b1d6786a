"""Across the whole demo platform, as every demo role sees it: bad input gets a clear answer, never a 500.

One seed of the demo data for the module; each role's crawl (tests/crawl.py) follows every internal link
breadth-first from the home page and is made once, before any form changes the data. The form tests put
every row back as it was afterwards, so the order of the tests does not matter.
"""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from matchmaker.extensions import db
from tests import crawl
from tests.helpers import empty_tables, make_test_app

# One worker runs the whole module: it seeds the demo and crawls each role once for all of its tests.
pytestmark = pytest.mark.xdist_group("crawl")

# A number no database column holds, for ids and form fields.
HUGE = crawl.HUGE_NUMBER
# What an empty or hostile submission of a form holds.
FORM_VARIANTS = {
    "nothing": lambda fields: {},
    "empty fields": lambda fields: {name: "" for name, _ in fields},
    "huge numbers and 5000 characters": lambda fields: {
        name: HUGE if kind == "number" else "x" * 5000 for name, kind in fields
    },
}


class DemoSite:
    def __init__(self, app: Flask):
        self.app = app
        crawl.seed(app)
        self.snapshot = crawl.Snapshot(app)
        self._crawls: dict[str, crawl.Crawl] = {}
        self.nu_errors: dict[str, list[dict]] | None = None  # the Nu HTML Checker's, per page text

    def crawl(self, role: crawl.Role) -> crawl.Crawl:
        """The role's crawl of the demo as seeded (made once)."""
        if role.name not in self._crawls:
            self._crawls[role.name] = crawl.crawl(self.app, role)
        return self._crawls[role.name]


@pytest.fixture(scope="module")
def site(database) -> Iterator[DemoSite]:
    app = make_test_app(database)
    yield DemoSite(app)
    with app.app_context():
        empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=crawl.ROLES, ids=crawl.ROLE_IDS)
def role(request) -> crawl.Role:
    return request.param


def _describe(pages: list[crawl.Page]) -> str:
    return "\n".join(f"  {page.status} {page.url} (linked from {page.referrer})" for page in pages)


def test_the_crawl_reaches_the_pages_of_the_role(site, role):
    result = site.crawl(role)
    endpoints = set(result.one_page_per_endpoint())
    assert not result.truncated, "the crawl hit its page limit: raise it or collapse more"
    expected = {"pages.home", "catalogue.browse_offerings", "events.index", "tracker.index", "content.page"}
    if role.email:
        expected |= {"account.profile", "notifications.index", "events.detail"}
    if role.name == "admin":
        expected |= {"admin.users", "admin.user", "content.admin_edit_page", "catalogue.themes"}
    if role.name == "organizer":
        expected |= {"events.manage", "events.dashboard", "schedules.overview", "matches.overview"}
    if role.name in ("buyer", "supplier"):
        expected |= {"organisations.mine", "matches.index", "agendas.participant_agenda"}
    assert expected <= endpoints, f"not reached: {sorted(expected - endpoints)}"


def test_no_page_answers_a_server_error(site, role):
    failing = [page for page in site.crawl(role).pages.values() if page.status >= 500]
    assert not failing, "server errors:\n" + _describe(failing)


def test_no_link_is_broken(site, role):
    """A link (or redirect) the platform shows leads to a page that exists, answers GET and may be seen."""
    broken = [page for page in site.crawl(role).pages.values() if page.status in (403, 404, 405)]
    assert not broken, "broken links:\n" + _describe(broken)


def test_every_page_has_one_h1_a_title_and_a_language(site, role):
    wrong = [
        f"  {page.url}: {page.h1} <h1>, title {page.title!r}, lang {page.lang!r}"
        for page in site.crawl(role).pages.values()
        if page.is_html
        and not 300 <= page.status < 400
        and (page.h1 != 1 or not (page.title or "").strip() or page.lang != role.language)
    ]
    message = "pages without one <h1>, a <title> and <html lang> in the reader's language:\n"
    assert not wrong, message + "\n".join(wrong)


def test_garbage_in_query_strings_never_gives_a_server_error(site, role):
    client = crawl.client_for(site.app, role)
    failing = []
    for endpoint, url in crawl.garbage_urls(site.crawl(role)):
        response = client.get(url)
        if response.status_code >= 500:
            failing.append(f"  {response.status_code} {endpoint}: {url[:300]}")
        response.close()
    assert not failing, "server errors on bad query strings:\n" + "\n".join(failing)


def test_ids_out_of_range_answer_not_found(site, role):
    """An id no database column can hold, in any path with ids, is a missing page, not a crash."""
    client = crawl.client_for(site.app, role)
    urls = {
        re.sub(r"/\d+(?=/|\.|$)", f"/{HUGE}", page.url.partition("?")[0])
        for page in site.crawl(role).pages.values()
        if re.search(r"/\d+(/|\.|$)", page.url.partition("?")[0])
    }
    wrong = []
    for url in sorted(urls):
        response = client.get(url)
        if response.status_code != 404:
            wrong.append(f"  {response.status_code} {url}")
        response.close()
    assert not wrong, "ids out of range should answer 404:\n" + "\n".join(wrong)


def test_forms_submitted_empty_or_with_nonsense_never_give_a_server_error(site, role):
    """Every post form the role sees, sent with nothing, empty fields, huge numbers and very long texts.

    A form shown again with its errors answers 422 (the platform's convention), not 200. Forms that differ
    only in the ids of their action (one per match, theme, registration) are sent for the first three ids
    of their route, as the crawl fetches pages: the five roles sent 1,821 POSTs, now 1,017 (the buyer 753,
    now 225).

    The submissions change the data (a form without fields is a button that acts): every row is put back
    afterwards. The log-in is renewed before each one, as a form may log out or change the account.
    """
    forms = [
        form
        for form in site.crawl(role).forms(site.app, ids_per_route=3)
        if not crawl.internal_path(form.page, form.action).startswith(crawl.NEVER_FOLLOW)
    ]
    assert forms or role.name == "anonymous"
    client = crawl.client_for(site.app, role)
    failing = []
    try:
        for form in forms:
            action = crawl.internal_path(form.page, form.action)
            for variant, make_data in FORM_VARIANTS.items():
                crawl.log_in(client, site.app, role)
                response = client.post(action, data=make_data(form.fields))
                if response.status_code >= 500 or response.status_code == 405:
                    failing.append(f"  {response.status_code} POST {action} ({variant}), form on {form.page}")
                elif response.status_code == 200 and "error-summary" in response.get_data(as_text=True):
                    failing.append(f"  200 with errors, not 422: POST {action} ({variant}), on {form.page}")
                response.close()
    finally:
        site.snapshot.restore()
    assert not failing, f"{len(forms)} forms; wrong answers:\n" + "\n".join(failing)


def test_every_route_with_made_up_arguments_never_gives_a_server_error(site, role):
    """Routes no link leads to (tokens from mails, JSON for scripts) and ids that may not exist or be
    the role's: GET, and POST with an empty body, answer something other than a 500. Rows are put back.

    A GET of a URL the role's crawl fetched already is not asked again: the crawl asked it as this role, of
    the same data, and test_no_page_answers_a_server_error holds its answer to the same rule (a fifth of
    the GETs, up to a third for the administrator)."""
    client = crawl.client_for(site.app, role)
    crawled = site.crawl(role).pages
    failing = []
    try:
        for method in ("GET", "POST"):
            for endpoint, url in crawl.made_up_urls(site.app, method):
                if method == "GET" and url in crawled:
                    continue
                if method == "POST":  # the previous one may have logged out or changed the account
                    crawl.log_in(client, site.app, role)
                response = client.open(url, method=method)
                if response.status_code >= 500:
                    failing.append(f"  {response.status_code} {method} {url[:200]} ({endpoint})")
                response.close()
    finally:
        site.snapshot.restore()
    assert not failing, "server errors:\n" + "\n".join(failing)


# --- the Nu HTML Checker ------------------------------------------------------------------------------

NU_CHECKER = Path(__file__).resolve().parents[2] / ".cache/node/node_modules/vnu-jar/build/dist/vnu.jar"


def _nu_checker() -> list[str]:
    """The command that runs the W3C's Nu HTML Checker (vnu.jar, installed by `make test` from npm), or a
    skip where it cannot run; CI sets MATCHMAKER_REQUIRE_NU_CHECKER, where that is a failure."""
    java = shutil.which("java")
    if java and NU_CHECKER.exists():
        # One short run over a few hundred pages: the optimizing compiler and the parallel collector cost more
        # CPU than they save there (11 s -> 5 s of CPU for the crawl's 582 pages, the same messages).
        return [java, "-Xss8m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(NU_CHECKER)]
    reason = f"the Nu HTML Checker needs java and {NU_CHECKER} (make test installs it)"
    if os.environ.get("MATCHMAKER_REQUIRE_NU_CHECKER"):
        pytest.fail(reason)
    pytest.skip(reason)


def _nu_errors(site: DemoSite, tmp_path_factory) -> dict[str, list[dict]]:
    """The checker's errors on every role's crawled HTML pages (answered with 200), per HTML text: one run of
    the checker (one Java start) for the whole module, each distinct page once."""
    if site.nu_errors is not None:
        return site.nu_errors
    command = _nu_checker()
    texts = {page.html for role in crawl.ROLES for page in site.crawl(role).pages.values() if page.html}
    folder = tmp_path_factory.mktemp("nu-checker")
    files, paths = {}, []
    for number, text in enumerate(sorted(texts)):
        path = folder / f"page-{number}.html"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
        files[f"file:{path}"] = text  # as the checker names the file
    run = subprocess.run(
        [*command, "--errors-only", "--format", "json", "--stdout", "--exit-zero-always", *paths],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    errors: dict[str, list[dict]] = {}
    for message in json.loads(run.stdout)["messages"]:
        if message.get("type") == "error" or message.get("subType") == "fatal":
            # A message about no page of ours (the checker's own trouble) fails every role's test.
            text = files.get(message.get("url"))
            for key in [text] if text is not None else texts:
                errors.setdefault(key, []).append(message)
    site.nu_errors = errors
    return errors


@pytest.mark.output_check
def test_every_page_passes_the_nu_html_checker(site, role, tmp_path_factory):
    """Issue 18: no crawled page has an HTML error (duplicate ids, invalid attributes, misplaced elements),
    as the W3C's Nu HTML Checker reads it. Every HTML page the role's crawl answered with 200."""
    pages = [page for page in site.crawl(role).pages.values() if page.html]
    assert len(pages) > 20, "the crawl gave the checker too few pages"
    errors = _nu_errors(site, tmp_path_factory)
    found = [
        f"  {page.url}: {m.get('message')} [{(m.get('extract') or '').strip()[:80]}]"
        for page in pages
        for m in errors.get(page.html, [])
    ]
    assert not found, f"{len(found)} HTML errors on {len(pages)} pages:\n" + "\n".join(found[:60])
