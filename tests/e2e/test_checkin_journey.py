"""In the browser, on the event day (issue 16): a participant's agenda shows their QR code, which the vendored
jsQR reads back as their check-in code; at the entrance, on a phone, the organizer checks one participant in
by the code, finds another by name and checks them in, and undoes a mistake. Every page passes axe's WCAG 2.1
AA rules; MATCHMAKER_SCREENSHOTS=1 keeps the check-in page at a phone's size in artifacts/screenshots."""

import re
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from matchmaker.extensions import db
from matchmaker.models import Event, EventDay, EventStatus, EventTable, Organisation, Registration
from matchmaker.services import accounts, checkin
from matchmaker.services.events import regenerate_slots
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

EVENT_DAY = date.today() + timedelta(days=1)
JSQR = Path(__file__).resolve().parents[2] / "static" / "vendor" / "jsqr" / "dist" / "jsQR.js"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def day(live_app):
    """A published event of Olivia's with three approved participants, and their codes."""
    with live_app.test_request_context():
        organizer = accounts.create_user(
            "olivia@example.org", PASSWORD, "Olivia Organizer", ("organizer",), language="en", confirmed=True
        )
        event = Event(
            title="Smart mobility meet & greet",
            venue_address="Havenlaan 88, 1000 Brussel",
            organizer_id=organizer.id,
            status=EventStatus.AGENDA_PUBLISHED,
        )
        event.days = [EventDay(day=EVENT_DAY, start_time=time(9, 0), end_time=time(11, 0), slot_minutes=20)]
        event.tables = [EventTable(number=n, name=f"T{n}") for n in range(1, 3)]
        db.session.add(event)
        db.session.flush()
        regenerate_slots(event)
        codes = {}
        for n, (name, role) in enumerate(
            [("Zoë Janssens", "supplier"), ("Bart Buyer", "buyer"), ("Carla Claes", "supplier")]
        ):
            user = accounts.create_user(
                f"p{n}@example.org", PASSWORD, name, (role,), language="en", confirmed=True
            )
            organisation = Organisation(
                name=f"{name.split()[0]} org", kind="government" if role == "buyer" else "startup"
            )
            db.session.add(organisation)
            db.session.flush()
            registration = Registration(
                event_id=event.id,
                user_id=user.id,
                organisation_id=organisation.id,
                role=role,
                status="approved",
            )
            db.session.add(registration)
            db.session.commit()
            codes[name] = checkin.checkin_code(registration)
        return event.id, codes


def test_the_agendas_qr_code_reads_back_as_the_check_in_code(page, check_a11y, day):
    event_id, codes = day
    log_in(page, "p0@example.org", f"/events/{event_id}/agenda")
    figure = page.locator(".agenda-checkin")
    assert codes["Zoë Janssens"] in figure.inner_text()
    check_a11y(page, "agenda-with-checkin-code")
    # Decode the QR image in the page with the vendored jsQR (evaluated through DevTools: the page's CSP
    # stays as it is).
    page.evaluate(JSQR.read_text(encoding="utf-8"))
    read = page.evaluate(
        """() => new Promise((resolve) => {
            const img = document.querySelector('.agenda-checkin-qr');
            const draw = () => {
                const canvas = document.createElement('canvas');
                canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
                const context = canvas.getContext('2d');
                context.fillStyle = '#fff'; context.fillRect(0, 0, canvas.width, canvas.height);
                context.drawImage(img, 0, 0);
                const data = context.getImageData(0, 0, canvas.width, canvas.height);
                const code = jsQR(data.data, canvas.width, canvas.height);
                resolve(code ? code.data : null);
            };
            if (img.complete) draw(); else img.addEventListener('load', draw);
        })"""
    )
    assert read == codes["Zoë Janssens"]


def test_an_organizer_checks_people_in_on_a_phone(page, check_a11y, day, live_app):
    event_id, codes = day
    page.set_viewport_size(PHONE)
    log_in(page, "olivia@example.org", f"/events/{event_id}/check-in")
    assert page.get_by_text("0 of 3 participants arrived").is_visible()
    check_a11y(page)

    # By the code, typed as it is read aloud: lower case, with a space.
    code = codes["Zoë Janssens"]
    page.get_by_label("Check-in code").fill(f"{code[:3].lower()} {code[3:]}")
    with page.expect_navigation():
        page.get_by_role("button", name="Check in", exact=True).click()
    assert page.get_by_text("Zoë Janssens (Zoë org) is checked in.").is_visible()
    assert page.get_by_text("1 of 3 participants arrived").is_visible()

    # By name.
    page.get_by_label("Name or organisation").fill("bart")
    with page.expect_navigation():
        page.locator("#search").get_by_role("button", name="Search").click()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"^Check in\s*: Bart Buyer$")).click()
    assert page.get_by_text("Bart Buyer (Bart org) is checked in.").is_visible()
    assert page.get_by_role("button", name=re.compile(r"^Undo\s*: Bart Buyer$")).first.is_visible()

    # A mistake: Zoë is not here after all.
    latest = page.locator("section", has=page.get_by_role("heading", name="Latest check-ins"))
    with page.expect_navigation():
        latest.get_by_role("button", name=re.compile(r"^Undo\s*: Zoë Janssens$")).click()
    assert page.get_by_text("Zoë Janssens is no longer checked in.").is_visible()
    assert page.get_by_text("1 of 3 participants arrived").is_visible()
    check_a11y(page, "checkin-phone")
    # Big targets: the main button and the search results' buttons are at least 44 px high.
    assert page.get_by_role("button", name="Check in", exact=True).bounding_box()["height"] >= 44
    # Without scrolling sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with live_app.app_context():
        event = db.session.get(Event, event_id)
        arrived = {db.session.get(Registration, rid).user.display_name for rid in checkin.arrived_ids(event)}
        db.session.remove()
    assert arrived == {"Bart Buyer"}


def _camera_video(code: str, path: Path) -> Path:
    """A Y4M video (what Chromium's fake camera plays) of a badge's QR code held in front of the camera."""
    from matchmaker import qrcodes

    width, height, module = 640, 480, 10
    rows = qrcodes.modules(code)
    size = (len(rows) + 2 * qrcodes.QUIET_ZONE) * module
    top, left = (height - size) // 2, (width - size) // 2
    luma = bytearray([235]) * (width * height)  # a light wall, the badge in the middle
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                for y in range(
                    top + (qrcodes.QUIET_ZONE + r) * module, top + (qrcodes.QUIET_ZONE + r + 1) * module
                ):
                    start = y * width + left + (qrcodes.QUIET_ZONE + c) * module
                    luma[start : start + module] = bytes([16]) * module
    chroma = bytes([128]) * (width * height // 4)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * 5)
    return path


def test_the_camera_reads_a_badge_and_checks_the_person_in(browser, day, live_server, live_app, tmp_path):
    """Chromium's fake camera shows Carla's QR code: the page reads it (the vendored jsQR, or the browser's
    BarcodeDetector) and submits her code in the same form as typing does."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    event_id, codes = day
    video = _camera_video(codes["Carla Claes"], tmp_path / "badge.y4m")
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    # A browser of its own (the session's has no fake camera), from the session's Playwright.
    camera_browser = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    try:
        context = camera_browser.new_context(base_url=live_server.url, locale="en-BE", viewport=PHONE)
        context.grant_permissions(["camera"])
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(page, "olivia@example.org", f"/events/{event_id}/check-in")
        with page.expect_navigation():
            page.get_by_role("button", name="Scan with the camera").click()
        assert page.get_by_text("Carla Claes (Carla org) is checked in.").is_visible()
        assert page.get_by_text("1 of 3 participants arrived").is_visible()
    finally:
        camera_browser.close()
    assert not errors
