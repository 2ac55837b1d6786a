"""The QR codes printed on the badges and the agendas (issue 16) decode, with a decoder nobody here wrote, to
each participant's own check-in code (qrcodes.py: the code only, never a URL), on that participant's badge:
the page is drawn by poppler and read by zxing-cpp (tests/qrcheck.py), as a phone at the entrance would."""

import pytest

from matchmaker.checkin.badges import A4, BADGE_SIZES, grid
from matchmaker.extensions import db
from matchmaker.models import EventStatus, RegistrationStatus
from tests.badges import download_badges
from tests.qrcheck import qr_codes

pytestmark = pytest.mark.usefixtures("request_context")

NAMES = ("Zoë Ørsted-Müller", "Ζωή Παπαδοπούλου", "Дмитрий Иванов", "François Lefèvre", "Anna Adams")


@pytest.fixture
def participants(event, make_participant, register):
    """Eleven approved participants (more than one sheet of cards), and one pending who gets no badge."""
    registrations = [register(make_participant("supplier", name=name), event) for name in NAMES]
    registrations += [register(make_participant("buyer", name=f"Buyer {n:02d}"), event) for n in range(6)]
    pending = register(make_participant("supplier", name="Pending Person"), event)
    pending.status = RegistrationStatus.PENDING
    db.session.commit()
    return registrations


def _cell(index: int, size_key: str) -> tuple[int, tuple[float, float, float, float]]:
    """The page (from 1) and the box (left, top, right, bottom in points from the page's top left corner) of
    the `index`th badge in name order: the sheets are filled row by row, the grid centred on A4."""
    size = BADGE_SIZES[size_key]
    columns, rows = grid(size)
    page, place = divmod(index, columns * rows)
    row, column = divmod(place, columns)
    left = (A4[0] - columns * size.width) / 2 + column * size.width
    top = (A4[1] - rows * size.height) / 2 + row * size.height
    return page + 1, (left, top, left + size.width, top + size.height)


@pytest.mark.parametrize("size", sorted(BADGE_SIZES))
def test_every_badge_carries_the_qr_code_of_its_own_participant(
    client, auth, organizer, event, participants, size, tmp_path
):
    auth.login(organizer)
    found = qr_codes(download_badges(client, event.id, size), tmp_path)
    for registration in participants:
        db.session.refresh(registration)
    assert len(found) == len(participants)  # one a badge, none for the pending participant
    assert sorted(code.text for code in found) == sorted(r.checkin_code for r in participants)
    people = sorted(participants, key=lambda r: r.user.display_name.casefold())
    for index, registration in enumerate(people):
        page, (left, top, right, bottom) = _cell(index, size)
        [code] = [c for c in found if c.page == page and left < c.x < right and top < c.y < bottom]
        assert code.text == registration.checkin_code, registration.user.display_name


def test_one_reprinted_badge_carries_its_participants_code(
    client, auth, organizer, event, participants, tmp_path
):
    auth.login(organizer)
    one = participants[1]
    found = qr_codes(download_badges(client, event.id, "a6", registration=one.id), tmp_path)
    db.session.refresh(one)
    assert [(code.page, code.text) for code in found] == [(1, one.checkin_code)]


def test_each_participants_agenda_carries_their_own_code(client, auth, event, participants, tmp_path):
    event.status = EventStatus.AGENDA_PUBLISHED
    db.session.commit()
    for number, registration in enumerate(participants[:4]):
        auth.login(registration.user)
        response = client.get(f"/events/{event.id}/agenda.pdf")
        assert response.status_code == 200
        folder = tmp_path / str(number)
        folder.mkdir()
        found = qr_codes(response.data, folder)
        db.session.refresh(registration)
        assert registration.checkin_code
        assert [code.text for code in found] == [registration.checkin_code]
