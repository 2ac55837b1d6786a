"""Link previews (issue 18): public pages name a picture for Open Graph and X's large summary card, an
absolute address of the hashed static file, with its size, type and text alternative; the file is what it
says. Private pages, which are not indexed, say none of it."""

import io
from html.parser import HTMLParser

import pytest
from PIL import Image


class Metas(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.values: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta" and (attributes.get("property") or attributes.get("name")):
            self.values[attributes.get("property") or attributes["name"]] = attributes.get("content", "")


@pytest.mark.parametrize("path", ["/nl/", "/fr/catalogue/offerings", "/en/events/"])
def test_public_pages_name_their_preview_picture(client, path):
    metas = Metas(client.get(path).get_data(as_text=True)).values
    image = metas["og:image"]
    assert image.startswith("http://localhost/static/img/og-image") and image.endswith(".png")
    assert "/nl/" not in image and "/fr/" not in image and "/en/" not in image  # one address for all
    assert metas["og:image:type"] == "image/png"
    assert metas["twitter:card"] == "summary_large_image"
    assert metas["og:image:alt"].strip()
    response = client.get(image.removeprefix("http://localhost"))
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "immutable" in response.headers["Cache-Control"] or image.endswith("/og-image.png")
    picture = Image.open(io.BytesIO(response.data))
    assert picture.format == "PNG"
    assert picture.size == (int(metas["og:image:width"]), int(metas["og:image:height"])) == (1200, 630)


def test_a_site_below_a_path_keeps_its_root_in_the_picture_address(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "SERVER_BASE_URL", "https://matchmaker.example/platform")
    html = client.get("/nl/", base_url="http://localhost/platform/").get_data(as_text=True)
    image = Metas(html).values["og:image"]
    assert image.startswith("https://matchmaker.example/platform/static/img/og-image"), image
    assert (
        client.get(
            image.removeprefix("https://matchmaker.example/platform"), base_url="http://localhost/platform/"
        ).status_code
        == 200
    )


def test_private_pages_have_no_preview(client):
    metas = Metas(client.get("/nl/auth/login").get_data(as_text=True)).values
    assert "og:image" not in metas and "twitter:card" not in metas
