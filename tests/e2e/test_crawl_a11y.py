"""Every page of the demo platform meets WCAG 2.1 AA in the browser, as every demo role sees it.

The crawl (tests/crawl.py, with the Flask test client) finds the pages; the browser visits one page per
Flask endpoint and role and runs axe on it, in English, and on a sample of ten pages in Dutch and French
too (switched with the language form, as a visitor does). One test for the whole platform: the demo is
seeded once, one browser page serves every role, and every violation is reported together at the end,
with a screenshot of each failing page under artifacts/screenshots/. To stay within a few minutes, an
endpoint already checked for an earlier role is checked again only on the home page, where the
navigation (which differs per role) is, and in the role's sample.
"""

import re

from tests import crawl
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in, screenshot

SAMPLE_PER_ROLE = 2  # five roles: ten pages also checked in Dutch and French


def _sample(endpoints: list[str]) -> list[str]:
    """A few endpoints spread over the sorted list (the home page has its own language test)."""
    choices = [endpoint for endpoint in sorted(endpoints) if endpoint != "pages.home"]
    if not choices:
        return []
    picks = [choices[(i + 1) * len(choices) // (SAMPLE_PER_ROLE + 1)] for i in range(SAMPLE_PER_ROLE)]
    return list(dict.fromkeys(picks))


def _check(page, check_a11y, name: str, failures: list[str]) -> None:
    try:
        check_a11y(page)
    except AssertionError as error:
        screenshot(page, name)
        failures.append(f"{name}: {error}")


def _switch_language(page, language: str) -> None:
    with page.expect_navigation():
        page.locator(f"form.language-switch button[value={language}]").click()
    assert page.locator("html").get_attribute("lang") == language


def test_every_page_of_every_role_passes_axe(page, live_app, check_a11y, monkeypatch):
    # The demo accounts get the tests' password, so that log_in() works, and read English.
    monkeypatch.setitem(live_app.config, "DEMO_PASSWORD", PASSWORD)
    crawl.seed(live_app, language="en")
    failures: list[str] = []
    visited = translated = 0
    checked: set[str] = set()
    for role in crawl.ROLES:
        pages = crawl.crawl(live_app, role, ids_per_route=1, queries_per_endpoint=2).one_page_per_endpoint()
        assert len(pages) >= 15, f"the crawl found only {sorted(pages)} for {role.name}"
        if role.email:
            log_in(page, role.email)
        else:
            page.context.clear_cookies()
        sample = _sample(list(pages))
        new = {
            endpoint: found
            for endpoint, found in pages.items()
            if endpoint not in checked or endpoint in sample or endpoint == "pages.home"
        }
        checked |= set(pages)
        for endpoint, found in sorted(new.items()):
            response = page.goto(found.url)
            assert response is not None and response.status == 200, f"{role.name}: {found.url}"
            name = f"crawl-{role.name}-{re.sub(r'[^a-z0-9]+', '-', endpoint)}"
            _check(page, check_a11y, name, failures)
            visited += 1
            if endpoint in sample:
                for language in ("nl", "fr"):
                    _switch_language(page, language)
                    _check(page, check_a11y, f"{name}-{language}", failures)
                _switch_language(page, "en")
                translated += 1
    print(f"axe ran on {visited} pages, {translated} of them also in nl and fr")
    assert visited >= 80 and translated == SAMPLE_PER_ROLE * len(crawl.ROLES)  # ten
    assert not failures, f"{len(failures)} of {visited} pages fail axe:\n\n" + "\n\n".join(failures)
