"""Public pages render in the browser without errors and without WCAG 2.1 AA violations."""

import pytest
from playwright.sync_api import expect


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_home_page_is_accessible_in_every_language(page, check_a11y, language):
    page.goto("/")
    page.locator(f"form.language-switch button[value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)  # waits for the page in that language
    check_a11y(page, f"home-{language}")


LOW_CONTRAST = (
    '<!doctype html><html lang="en"><head><title>Check</title></head><body><main><h1>Check</h1>'
    '<p style="color:#bbb;background:#fff">Pale grey on white</p>{extra}</main></body></html>'
)


def test_the_check_finds_poor_contrast_unless_told_the_colours_were_checked(page, check_a11y):
    """check_a11y's contrast=False leaves out the colour-contrast rule, and only that rule."""
    page.set_content(LOW_CONTRAST.format(extra=""))
    with pytest.raises(AssertionError, match="color-contrast"):
        check_a11y(page)
    check_a11y(page, contrast=False)
    page.set_content(LOW_CONTRAST.format(extra='<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'))
    with pytest.raises(AssertionError, match="image-alt") as refused:
        check_a11y(page, contrast=False)
    assert "color-contrast" not in str(refused.value)
