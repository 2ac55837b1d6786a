"""In the browser: an organizer attaches a presentation to a past event (a disguised program refused first),
and an anonymous visitor finds it on the event page under "programme and presentations of that day" and
downloads it. The pages pass axe."""

import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.models import EventStatus
from matchmaker.services import accounts
from matchmaker.services import events as events_service
from matchmaker.services.event_rules import local_now
from matchmaker.services.events import EventInput
from tests import documents_files as files
from tests.e2e.conftest import forget_intended_status, log_in
from tests.factories import PASSWORD

PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


@pytest.fixture
def past_event(live_app):
    with live_app.app_context(), live_app.test_request_context():
        organizer = accounts.create_user(
            "olivia@example.org", PASSWORD, "Olivia Organizer", ("organizer",), language="en", confirmed=True
        )
        day = local_now().date() + timedelta(days=5)
        event = events_service.create_event(
            organizer, EventInput(title="Circular building meet & greet", venue_address="Gent", table_count=2)
        )
        events_service.add_day(organizer, event, day, time(9, 0), time(11, 0), 20)
        events_service.change_status(organizer, event, EventStatus.REGISTRATION_OPEN)
        delta = timedelta(days=12)  # it took place a week ago
        event.days[0].day = day - delta
        for slot in event.slots:
            slot.starts_at -= delta
            slot.ends_at -= delta
        event.status = EventStatus.CLOSED
        db.session.commit()
        return event.id


@pytest.fixture
def small_limit(live_app):
    """Documents of at most 200 kB, so that a file over the limit stays small."""
    before = live_app.config["DOCUMENT_MAX_BYTES"]
    live_app.config["DOCUMENT_MAX_BYTES"] = 200 * 1024
    yield
    live_app.config["DOCUMENT_MAX_BYTES"] = before


def test_an_organizer_attaches_a_presentation_that_a_visitor_downloads(
    page, check_a11y, past_event, small_limit
):
    materials = f"/events/{past_event}/materials"
    log_in(page, "olivia@example.org", materials)
    check_a11y(page, "event-materials-empty")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)

    # A file over the limit is refused in the page, before it is sent.
    page.get_by_label("File").set_input_files(
        files=[{"name": "huge.pdf", "mimeType": "application/pdf", "buffer": files.PDF + b"\0" * 300_000}]
    )
    page.get_by_label("Title").fill("Huge")
    page.get_by_role("button", name="Add the document").click()
    expect(page.get_by_text("The file is larger than 200 kB. Upload a smaller file.")).to_be_visible()
    assert posts == []

    # A Windows program named like a PDF is refused, on the same page, with the reason.
    page.get_by_label("File").set_input_files(
        files=[{"name": "slides.pdf", "mimeType": "application/pdf", "buffer": files.WINDOWS_EXE}]
    )
    page.get_by_label("Title").fill("Presentation of the city of Ghent")
    page.get_by_role("button", name="Add the document").click()
    expect(page.locator(".error-summary")).to_contain_text(
        "Programs and scripts are not accepted", use_inner_text=True
    )
    check_a11y(page, "event-materials-refused")
    forget_intended_status(page, 422)

    slides = files.ooxml("pptx")
    page.get_by_label("File").set_input_files(
        files=[{"name": "Ghent – circular.pptx", "mimeType": PPTX, "buffer": slides}]
    )
    page.get_by_label("Title").fill("Presentation of the city of Ghent")
    page.get_by_label("What it is").select_option("presentation")
    page.get_by_role("radio", name="Everyone, once the event is over (its participants before that)").check()
    page.get_by_role("button", name="Add the document").click()
    expect(page.locator(".flash-messages")).to_contain_text("was added to the event", use_inner_text=True)
    assert "Ghent – circular.pptx" in page.locator("main table").inner_text()
    check_a11y(page, "event-materials-one")

    page.get_by_role("link", name=re.compile(r"^Change\b.*Presentation of the city of Ghent")).click()
    page.get_by_role("heading", name="Versions").wait_for()
    check_a11y(page, "event-material")

    page.context.clear_cookies()  # an anonymous visitor
    page.goto(f"/events/{past_event}")
    section = page.get_by_role("region", name="Programme and presentations of that day")
    link = section.get_by_role("link", name="Presentation of the city of Ghent")
    check_a11y(page, "event-page-with-materials")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "Ghent – circular.pptx"
    with open(download.path(), "rb") as saved:
        assert saved.read() == slides
