"""Browser tests: the app served on a free local port, driven by Playwright in Debian's Chromium.

Chromium is /usr/bin/chromium (installed by .ci/run); axe-core comes from the npm registry
(`make test` installs it under .cache/node). Without them these tests are skipped, unless
MATCHMAKER_REQUIRE_BROWSER is set (as in CI), where a missing browser is an error.
"""

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

from matchmaker.demo.catalogue import seed_demo_catalogue
from matchmaker.extensions import db
from matchmaker.services import mail
from tests.crawl import seeded_once
from tests.factories import PASSWORD
from tests.helpers import empty_tables, make_test_app

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE = Path(__file__).resolve().parents[2] / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# What Playwright says when a page navigates away while a script runs in it.
NAVIGATION_SIGNS = ("documentElement", "Execution context was destroyed", "navigat", "Target closed")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# A full-page screenshot costs about 0.2 s: the journeys keep one of each page they check, for people to
# look at, when MATCHMAKER_SCREENSHOTS is set, and one of every page that fails axe always.
SCREENSHOTS = bool(os.environ.get("MATCHMAKER_SCREENSHOTS"))


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("MATCHMAKER_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    @property
    def outbox(self) -> list[mail.SentMail]:
        return self.app.extensions["mail_outbox"]

    def reset(self) -> None:
        """Empty tables and an empty outbox, for the next test."""
        with self.app.app_context():
            db.session.rollback()
            empty_tables()
            db.session.remove()
        self.outbox.clear()


@pytest.fixture(scope="session")
def live_server(database) -> Iterator[LiveServer]:
    app = make_test_app(database, WTF_CSRF_ENABLED=True, SERVER_BASE_URL="http://127.0.0.1")
    server = LiveServer(app)
    # Links in mails point at the live server.
    app.config["SERVER_BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live_app(live_server) -> Iterator:
    """The live server's app, with empty tables and an empty outbox after each test."""
    yield live_server.app
    live_server.reset()


@pytest.fixture
def demo_catalogue(live_app) -> None:
    """The demo catalogue (matchmaker.demo.catalogue) in the live server's empty tables: seeded by the first
    test of this worker that asks for it, its rows put back as they were for the next ones (seeding took 5-8 s
    a test, putting back takes 0.1 s). Ask for it before any fixture that adds rows: it starts from empty
    tables. live_app empties them after the test as before."""

    def seed() -> None:
        with live_app.app_context(), live_app.test_request_context():
            seed_demo_catalogue()
            db.session.commit()

    seeded_once("demo catalogue", live_app, seed)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    _require(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM} (install Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems(list):
    """Console errors (CSP violations, JS errors) and failed requests seen by a page."""


VIEWPORT = {"width": 1280, "height": 900}


def open_page(browser, live_server) -> tuple:
    """A fresh browser context and page on the live server, recording the problems the page reports."""
    # The browser asks for English, the texts the journeys look for; language journeys switch explicitly.
    # Reduced motion switches off Bootstrap's colour transitions: axe, run right after a click on a button,
    # otherwise may measure a colour halfway (a contrast failure that only shows on a loaded machine).
    context = browser.new_context(
        base_url=live_server.url, locale="en-BE", viewport=VIEWPORT, reduced_motion="reduce"
    )
    page = context.new_page()
    page.problems = PageProblems()
    # The listeners read page.problems when called: a reused page gets a new list for every test.
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    return context, page


class Tab:
    """One browser tab that the tests of this worker take in turn, put back between them as a new one.

    A new context and page for every test cost about 0.8 s of CPU (a renderer process started, its fonts,
    stylesheets and scripts loaded and compiled cold): more than the rest of a short test. Between tests the
    tab leaves the app for about:blank and loses what a test may have left: cookies, web storage, the HTTP
    cache, granted permissions, the viewport, listeners the test added, other pages. A test that changed
    something this cannot put back (emulated media) gets a new context after it, and so does one whose
    tab did not come back cleanly."""

    def __init__(self, browser, live_server):
        self.browser = browser
        self.live_server = live_server
        self.context = None
        self.page = None
        self._cdp = None
        self._added: list[tuple[str, object]] = []
        self._dirty = False

    def take(self):
        if self.page is None:
            self.context, self.page = open_page(self.browser, self.live_server)
            self._cdp = self.context.new_cdp_session(self.page)
            self._watch()
        self.page.problems = PageProblems()
        self._added.clear()
        self._dirty = False
        return self.page

    def _watch(self) -> None:
        """Note the listeners a test adds and what it changes that has no undo."""
        page, context, added = self.page, self.context, self._added
        on, once, emulate_media = page.on, page.once, page.emulate_media
        grant_permissions = context.grant_permissions

        def watched_on(event, handler):
            added.append((event, handler))
            return on(event, handler)

        def watched_once(event, handler):
            added.append((event, handler))
            return once(event, handler)

        def watched_emulate_media(*args, **kwargs):
            self._dirty = True
            return emulate_media(*args, **kwargs)

        def watched_grant_permissions(*args, **kwargs):
            self._dirty = True
            return grant_permissions(*args, **kwargs)

        page.on, page.once, page.emulate_media = watched_on, watched_once, watched_emulate_media
        context.grant_permissions = watched_grant_permissions

    def put_back(self) -> None:
        """Leave the app and forget the test; when that fails, close the tab (the next test opens another)."""
        if self.page is None:
            return
        if self._dirty:
            self.close()
            return
        page, context = self.page, self.context
        try:
            for event, handler in self._added:
                with contextlib.suppress(KeyError, ValueError):  # a `once` listener that has run
                    page.remove_listener(event, handler)
            for other in context.pages:
                if other != page:
                    other.close()
            if page.url.startswith(self.live_server.url):
                page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
            page.goto("about:blank")
            context.clear_cookies()
            self._cdp.send("Network.clearBrowserCache")
            self._cdp.send(
                "Storage.clearDataForOrigin",
                {"origin": self.live_server.url, "storageTypes": "all"},
            )
            if page.viewport_size != VIEWPORT:
                page.set_viewport_size(VIEWPORT)
        except PlaywrightError:
            self.close()

    def close(self) -> None:
        if self.context is not None:
            with contextlib.suppress(PlaywrightError):
                self.context.close()
        self.context = self.page = self._cdp = None


@pytest.fixture(scope="session")
def tab(browser, live_server) -> Iterator[Tab]:
    tab = Tab(browser, live_server)
    yield tab
    tab.close()


@pytest.fixture
def page(tab, live_app) -> Iterator:
    page = tab.take()
    yield page
    tab.put_back()
    assert not page.problems, f"the browser reported errors: {page.problems}"


@pytest.fixture(scope="session")
def axe_source() -> str:
    _require(AXE.exists(), f"axe-core not found at {AXE} (run `make test`, which installs it)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def check_a11y(axe_source):
    """Run axe-core's WCAG 2.1 A/AA rules on the page; fail with a readable list of violations."""

    def run_axe(page, contrast: bool) -> dict:
        # Evaluated through the DevTools protocol, so the page's Content-Security-Policy stays in force.
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        # Only what the check reports comes back: axe's full result (every rule with its passes, incomplete
        # and inapplicable entries, each node's HTML) was serialized by Chromium and checked field by field
        # by Playwright on every check, and nothing read it.
        return page.evaluate(
            "([tags, contrast]) => axe.run(document, "
            "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], "
            "rules: {'color-contrast': {enabled: contrast}}})"
            ".then((result) => ({violations: result.violations.map((v) => ({id: v.id, impact: v.impact, "
            "help: v.help, nodes: v.nodes.map((n) => ({target: n.target}))}))}))",
            [WCAG_TAGS, contrast],
        )

    def check(page, name: str | None = None, contrast: bool = True) -> None:
        """`contrast=False` leaves out the colour-contrast rule (70-85% of a check's time) for a page whose
        styles were just checked with it: the same page in another language (a translation changes texts,
        not colours)."""
        # A click on a form's button may still be navigating when the check starts: axe then loses its
        # document halfway ("reading 'documentElement'", "Execution context was destroyed"). The check
        # waits for the page to load and runs again on the page that arrived.
        for attempt in range(3):
            page.wait_for_load_state("load")
            try:
                result = run_axe(page, contrast)
                break
            except PlaywrightError as exc:
                if attempt == 2 or not any(sign in str(exc) for sign in NAVIGATION_SIGNS):
                    raise
                page.wait_for_timeout(100)
        if name and (SCREENSHOTS or result["violations"]):
            screenshot(page, name)
        violations = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in result["violations"]
        ]
        assert not violations, f"axe found WCAG 2.1 AA violations on {page.url}:\n" + json.dumps(
            violations, indent=2
        )

    return check


def screenshot(page, name: str) -> Path:
    """Keep a full-page screenshot under artifacts/screenshots for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, email: str, next_path: str | None = None) -> None:
    """Log in through the login form as a fresh visitor (no cookies), optionally landing on `next_path`."""
    page.context.clear_cookies()
    page.goto(f"/auth/login?next={next_path}" if next_path else "/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()
    if next_path:
        page.wait_for_url(f"**{next_path}")
    else:
        page.wait_for_load_state()
    assert "/auth/login" not in page.url, "login failed"


def forget_intended_status(page, status: int = 422) -> None:
    """Chromium logs a page's 4xx status as a console error; a form shown again with 422 is intended."""
    page.problems[:] = [p for p in page.problems if f"status of {status}" not in p]
