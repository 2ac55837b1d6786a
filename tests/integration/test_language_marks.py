"""Text in another language than the page is marked with its language (WCAG 3.1.2, issue 18): an English
offering's title and summary on a Dutch page carry lang="en", so that a screen reader reads them with an
English voice; text in the page's own language carries no mark."""

import re

import pytest

from matchmaker.services.catalogue import update_search_text


@pytest.fixture
def english_offering(make_supplier, make_offering):
    offering = make_offering(
        make_supplier(),
        title="Smart traffic cameras for intersection safety",
        summary="Cameras that see near-misses between cyclists and lorries.",
        language="en",
    )
    update_search_text(offering)
    return offering


def _marked(html: str, text: str) -> str | None:
    """The lang attribute of the first element in the page's body whose text starts with `text` (None: no
    attribute)."""
    match = re.search(r"<(\w+)([^>]*)>\s*" + re.escape(text), html.partition("<body")[2])
    assert match, text
    lang = re.search(r'\slang="(\w+)"', match.group(2))
    return lang.group(1) if lang else None


@pytest.mark.parametrize(
    "path",
    [
        "/nl/catalogue/offerings/{id}",
        "/nl/catalogue/offerings",
        "/nl/catalogue/offerings?q=cameras",
        "/nl/search?q=cameras",
    ],
)
def test_an_english_title_on_a_dutch_page_says_it_is_english(client, english_offering, path):
    html = client.get(path.format(id=english_offering.id)).get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert _marked(html, english_offering.title) == "en"


def test_the_same_title_on_an_english_page_carries_no_mark(client, english_offering):
    html = client.get(f"/en/catalogue/offerings/{english_offering.id}").get_data(as_text=True)
    assert _marked(html, english_offering.title) is None
    assert _marked(html, english_offering.summary) is None
    dutch = client.get(f"/nl/catalogue/offerings/{english_offering.id}").get_data(as_text=True)
    assert _marked(dutch, english_offering.summary) == "en"
