"""No script holds up the first paint of the public pages Lighthouse measures (issue 18, make lighthouse):
every script of the home page, the catalogue and an event page is deferred (or async, or a module)."""

from html.parser import HTMLParser

import pytest


class Scripts(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.blocking: list[str] = []
        self.count = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag != "script" or attributes.get("type") in ("application/json", "application/ld+json"):
            return
        self.count += 1
        if not ("defer" in attributes or "async" in attributes or attributes.get("type") == "module"):
            self.blocking.append(attributes.get("src") or "inline script")


@pytest.mark.parametrize("path", ["/nl/", "/nl/catalogue/offerings", "/nl/events/{event}"])
def test_public_pages_have_no_render_blocking_script(client, auth, event, buyer, path):
    for logged_in in (False, True):  # a visitor, and a participant who sees the registration form
        if logged_in:
            auth.login(buyer)
        response = client.get(path.format(event=event.id))
        assert response.status_code == 200
        scripts = Scripts(response.get_data(as_text=True))
        assert scripts.count >= 2 and scripts.blocking == []
