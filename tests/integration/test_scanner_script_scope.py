"""The camera scanner's library (the vendored jsQR, static/vendor/jsqr) is loaded by the check-in page and by
no other page (issue 16): it is 130 KB of script that only the entrance needs, and only that page may use the
camera (its Permissions-Policy). Checked on the pages an organizer has open on the event day."""

import re

import pytest

from matchmaker.extensions import db
from matchmaker.models import EventStatus

JSQR = re.compile(r"jsqr", re.IGNORECASE)
# Served under a name with its content's hash (static_files.py): jsQR.3f2a9c1b7d4e.js.
SCRIPT = re.compile(r"/static/vendor/jsqr/dist/jsQR(\.[0-9a-f]+)?\.js")


@pytest.fixture
def published(event, meeting):
    event.status = EventStatus.AGENDA_PUBLISHED
    db.session.commit()
    return event


def _scripts(body: str) -> list[str]:
    return re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", body)


def test_the_check_in_page_loads_the_scanner(client, auth, organizer, published):
    auth.login(organizer)
    response = client.get(f"/events/{published.id}/check-in")
    assert response.status_code == 200
    [src] = [src for src in _scripts(response.get_data(as_text=True)) if SCRIPT.fullmatch(src)]
    assert "camera=(self)" in response.headers["Permissions-Policy"]
    script = client.get(src)
    assert script.status_code == 200 and b"jsQR" in script.data
    script.close()


@pytest.mark.parametrize(
    "path",
    [
        "",  # the event page
        "/agenda/grid",
        "/agenda/tables",
        "/schedule",
        "/schedule/grid",
        "/live",
        "/live/board",
        "/online",
    ],
)
def test_the_organizers_other_pages_do_not_load_the_scanner(client, auth, organizer, published, path):
    auth.login(organizer)
    response = client.get(f"/events/{published.id}{path}")
    assert response.status_code == 200, path
    body = response.get_data(as_text=True)
    assert not JSQR.search(body), [src for src in _scripts(body) if JSQR.search(src)]
    assert "camera=(self)" not in response.headers.get("Permissions-Policy", "")


@pytest.mark.parametrize("path", ["/agenda", "/now"])
def test_a_participants_agenda_and_now_view_do_not_load_it(client, auth, published, pair, path):
    """The agenda shows the participant's own QR code (an image): it is read by the entrance, not by them."""
    auth.login(pair[0].user)
    response = client.get(f"/events/{published.id}{path}")
    assert response.status_code == 200, path
    assert not JSQR.search(response.get_data(as_text=True))
