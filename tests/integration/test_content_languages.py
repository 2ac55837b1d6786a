"""An initiative page announces only the languages it is written in (issue 18): its hreflang alternates and
the sitemaps name Dutch (which stands in for a missing translation) and its translations; shown in Dutch
under another language's address, it is not indexed."""

import re
from xml.etree import ElementTree as ET

import pytest

from matchmaker.extensions import db
from matchmaker.models.content import Page

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture
def pages(app):
    db.session.add_all(
        [
            Page(slug="dutch-only", title_nl="Alleen Nederlands", body_nl="Tekst", published=True),
            Page(
                slug="dutch-french",
                title_nl="Tweetalig",
                body_nl="Tekst",
                title_fr="Bilingue",
                body_fr="Texte",
                title_en="Title without a text",  # no body: not written in English
                published=True,
            ),
        ]
    )
    db.session.commit()


def _alternates(html: str) -> list[str]:
    return re.findall(r'<link rel="alternate" hreflang="([^"]+)"', html)


def _indexed(html: str) -> bool:
    return '<meta name="robots" content="noindex">' not in html


@pytest.mark.parametrize(
    ("path", "alternates", "indexed"),
    [
        ("/nl/initiative/dutch-only", ["nl", "x-default"], True),
        ("/fr/initiative/dutch-only", [], False),  # Dutch text on a French address
        ("/en/initiative/dutch-only", [], False),
        ("/nl/initiative/dutch-french", ["nl", "fr", "x-default"], True),
        ("/fr/initiative/dutch-french", ["nl", "fr", "x-default"], True),
        ("/en/initiative/dutch-french", [], False),
    ],
)
def test_a_page_names_only_the_languages_it_is_written_in(client, pages, path, alternates, indexed):
    html = client.get(path).get_data(as_text=True)
    assert _alternates(html) == alternates
    assert _indexed(html) is indexed


def _sitemap(client, language: str) -> dict[str, list[str]]:
    """The initiative pages of a language's sitemap, with their alternates' languages."""
    urlset = ET.fromstring(client.get(f"/sitemap-{language}-1.xml").data)  # noqa: S314 - our own sitemap
    found = {}
    for url in urlset.findall(f"{SITEMAP}url"):
        loc = url.findtext(f"{SITEMAP}loc")
        if "/initiative/dutch-" in loc:
            found[loc.rsplit("/", 1)[1]] = [link.get("hreflang") for link in url.findall(f"{XHTML}link")]
    return found


def test_the_sitemaps_list_a_page_in_its_languages_only(client, pages):
    dutch_french = ["nl", "fr", "x-default"]
    assert _sitemap(client, "nl") == {"dutch-only": ["nl", "x-default"], "dutch-french": dutch_french}
    assert _sitemap(client, "fr") == {"dutch-french": dutch_french}
    assert _sitemap(client, "en") == {}
