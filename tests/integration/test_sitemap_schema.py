"""The sitemap index and every sitemap are valid against the Sitemaps protocol's own XML schemas (issue 18),
read by lxml (libxml2), with the hreflang alternates' XHTML `link` element declared (tests/data/sitemaps)."""

from pathlib import Path

import pytest
from lxml import etree

from matchmaker.extensions import db
from matchmaker.models.content import Page

SCHEMAS = Path(__file__).parent.parent / "data" / "sitemaps"


@pytest.fixture(scope="module")
def urlset_schema() -> etree.XMLSchema:
    """sitemap.xsd with the XHTML link element beside it (its <xsd:any> checks that namespace strictly)."""
    driver = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:import namespace="http://www.sitemaps.org/schemas/sitemap/0.9"
                 schemaLocation="{(SCHEMAS / "sitemap.xsd").as_uri()}"/>
      <xs:import namespace="http://www.w3.org/1999/xhtml"
                 schemaLocation="{(SCHEMAS / "xhtml-link.xsd").as_uri()}"/>
    </xs:schema>"""
    return etree.XMLSchema(etree.fromstring(driver.encode()))


@pytest.fixture(scope="module")
def index_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "siteindex.xsd")))


def _valid(schema: etree.XMLSchema, body: bytes) -> None:
    document = etree.fromstring(body)
    assert schema.validate(document), "\n".join(str(error) for error in schema.error_log)


def test_the_index_and_every_sitemap_are_valid(client, urlset_schema, index_schema, supplier, buyer, event):
    """Every kind of address: the fixed pages, an offering and a need (the participants bring them), an
    event, organisations and a content page."""
    db.session.add(Page(slug="how-it-works", title_nl="Zo werkt het", body_nl="Tekst", published=True))
    db.session.commit()
    index = client.get("/sitemap.xml")
    _valid(index_schema, index.data)
    locations = etree.fromstring(index.data).findall(".//{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    assert len(locations) == 3
    for location in locations:
        part = client.get(location.text.removeprefix("http://localhost"))
        _valid(urlset_schema, part.data)
        urls = etree.fromstring(part.data)
        assert len(urls) > 10 and urls.find(".//{http://www.w3.org/1999/xhtml}link") is not None


@pytest.mark.parametrize(
    "broken",
    [
        '<xhtml:link rel="alternate" hreflang="not a language" href="https://example.org/fr/"/>',
        '<xhtml:meta name="x"/>',  # not an element of a sitemap's extensions
    ],
)
def test_the_schemas_refuse_what_a_sitemap_must_not_hold(urlset_schema, broken):
    body = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">'
        f"<url><loc>https://example.org/nl/</loc><lastmod>2026-12-07T10:00:00Z</lastmod>{broken}</url></urlset>"
    )
    assert not urlset_schema.validate(etree.fromstring(body.encode()))
    assert urlset_schema.validate(etree.fromstring(body.replace(broken, "").encode()))
