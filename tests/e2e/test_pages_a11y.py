"""Public pages render in the browser without errors and without WCAG 2.1 AA violations."""

import pytest
from playwright.sync_api import expect


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_home_page_is_accessible_in_every_language(page, check_a11y, language):
    page.goto("/")
    page.locator(f"form.language-switch button[value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)  # waits for the page in that language
    check_a11y(page, f"home-{language}")
