"""Every page of the demo platform meets WCAG 2.1 AA in the browser, as every demo role sees it.

The crawl (tests/crawl.py, with the Flask test client) finds the pages; the browser visits one page per
Flask endpoint and runs axe on it, in English, and on a sample of ten pages in Dutch and French too
(switched with the language form, as a visitor does; there without the colour-contrast rule, whose styles
were checked in English a moment before). One test per role, each reporting its own
violations, with a screenshot of each failing page under artifacts/screenshots/. The demo is seeded once for
the module, and every role's crawl plans which pages each role checks: an endpoint for the first role that
reaches it, the home page for every role (the navigation differs per role), and each role's sample of two
pages in every language.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests import crawl
from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD

SAMPLE_PER_ROLE = 2  # five roles: ten pages also checked in Dutch and French

# One worker takes the whole module, so the demo is seeded and every role crawled once for the plan; the other
# worker runs the rest of the suite meanwhile.
pytestmark = pytest.mark.xdist_group("a11y-crawl")


@dataclass
class RolePlan:
    reached: int  # endpoints the role's crawl reached
    pages: list[tuple[str, str]]  # (endpoint, url) that this role checks
    sample: list[str]  # endpoints also checked in Dutch and French


def _sample(endpoints: list[str]) -> list[str]:
    """A few endpoints spread over the sorted list (the home page has its own language test)."""
    choices = [endpoint for endpoint in sorted(endpoints) if endpoint != "pages.home"]
    if not choices:
        return []
    picks = [choices[(i + 1) * len(choices) // (SAMPLE_PER_ROLE + 1)] for i in range(SAMPLE_PER_ROLE)]
    return list(dict.fromkeys(picks))


def plan_checks(app) -> dict[str, RolePlan]:
    plans: dict[str, RolePlan] = {}
    checked: set[str] = set()
    for role in crawl.ROLES:
        # One query string an endpoint finds every endpoint that two found (and costs 14 s of CPU, not 22).
        pages = crawl.crawl(app, role, ids_per_route=1, queries_per_endpoint=1).one_page_per_endpoint()
        sample = _sample(list(pages))
        new = [
            (endpoint, found.url)
            for endpoint, found in sorted(pages.items())
            if endpoint not in checked or endpoint in sample or endpoint == "pages.home"
        ]
        checked |= set(pages)
        plans[role.name] = RolePlan(reached=len(pages), pages=new, sample=sample)
    return plans


@pytest.fixture(scope="module")
def plans(live_server) -> Iterator[dict[str, RolePlan]]:
    """The demo and what each role checks on it. Seeded and planned once per worker; should pytest set the
    module up again (after another module's test emptied the tables), the rows are put back as they were."""
    app = live_server.app

    def seed_and_plan() -> dict[str, RolePlan]:
        password = app.config["DEMO_PASSWORD"]
        # The demo accounts get the tests' password, so that log_in() works, and read English.
        app.config["DEMO_PASSWORD"] = PASSWORD
        try:
            crawl.seed(app, language="en")
        finally:
            app.config["DEMO_PASSWORD"] = password
        return plan_checks(app)

    yield crawl.seeded_once("demo with the axe crawl's plans", app, seed_and_plan)
    live_server.reset()


def _check(page, check_a11y, name: str, failures: list[str], contrast: bool = True) -> None:
    try:
        check_a11y(page, contrast=contrast)
    except AssertionError as error:
        screenshot(page, name)
        failures.append(f"{name}: {error}")


def _switch_language(page, language: str) -> None:
    with page.expect_navigation():
        page.locator(f"form.language-switch button[value={language}]").click()
    assert page.locator("html").get_attribute("lang") == language


@pytest.mark.parametrize("role", crawl.ROLES, ids=crawl.ROLE_IDS)
def test_every_page_of_the_role_passes_axe(role, plans, tab, check_a11y):
    # The plan checks every endpoint and ten pages in three languages (one test less: on two xdist workers a
    # test of its own set the seeded module up twice).
    assert plans[role.name].reached >= 15, f"the crawl found only {plans[role.name].reached} endpoints"
    assert sum(len(plan.pages) for plan in plans.values()) >= 80
    assert sum(len(plan.sample) for plan in plans.values()) == SAMPLE_PER_ROLE * len(crawl.ROLES)
    plan = plans[role.name]
    page = tab.take()  # the worker's tab, as the journeys' `page` (a new context cost 0.8 s of CPU)
    failures: list[str] = []
    try:
        if role.email:
            log_in(page, role.email)
        for endpoint, url in plan.pages:
            response = page.goto(url)
            assert response is not None and response.status == 200, f"{role.name}: {url}"
            name = f"crawl-{role.name}-{re.sub(r'[^a-z0-9]+', '-', endpoint)}"
            _check(page, check_a11y, name, failures)
            if endpoint in plan.sample:
                for language in ("nl", "fr"):  # the colours were checked in English just before
                    _switch_language(page, language)
                    _check(page, check_a11y, f"{name}-{language}", failures, contrast=False)
                _switch_language(page, "en")
    finally:
        tab.put_back()
    assert not page.problems, f"the browser reported errors: {page.problems}"
    assert not failures, f"{len(failures)} of {len(plan.pages)} pages fail axe:\n\n" + "\n\n".join(failures)
