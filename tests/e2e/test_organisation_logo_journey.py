"""In the browser: an organisation's administrator uploads a logo on the edit page, sees it there and on the
organisation's public page, then removes it. The pages pass axe."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Organisation
from matchmaker.services import accounts
from tests.e2e.conftest import forget_intended_status, log_in
from tests.factories import PASSWORD


@pytest.fixture
def startup(live_app):
    with live_app.app_context():
        admin = accounts.create_user(
            "stan@example.org", PASSWORD, "Stan Startup", ("supplier",), language="en", confirmed=True
        )
        organisation = Organisation(
            name="Lumen Robotics", kind="startup", enterprise_number="0417497106", verification="verified"
        )
        db.session.add(organisation)
        db.session.add(Membership(user=admin, organisation=organisation, role=MembershipRole.ADMIN))
        db.session.commit()
        return organisation.id


def _logo_png() -> bytes:
    image = Image.new("RGB", (480, 240), (20, 90, 160))
    image.paste((250, 200, 0), (40, 40, 200, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_an_administrator_uploads_and_removes_the_logo(page, check_a11y, live_server, startup):
    edit = f"/organisations/{startup}/edit"
    log_in(page, "stan@example.org", edit)
    check_a11y(page, "organisation-logo-none")

    # An SVG is refused at the field, on the same page.
    page.locator("#logo-logo").set_input_files(
        files=[
            {
                "name": "logo.svg",
                "mimeType": "image/svg+xml",
                "buffer": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            }
        ]
    )
    page.get_by_role("button", name="Upload the logo").click()
    expect(page.locator(".error-summary")).to_contain_text("SVG images are not accepted", use_inner_text=True)
    check_a11y(page, "organisation-logo-refused")
    forget_intended_status(page, 422)

    page.locator("#logo-logo").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": _logo_png()}]
    )
    page.get_by_role("button", name="Upload the logo").click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "The logo of Lumen Robotics was saved.", use_inner_text=True
    )
    preview = page.get_by_role("img", name="Current logo of Lumen Robotics")
    preview.wait_for()
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 256
    check_a11y(page, "organisation-logo-uploaded")

    page.goto(f"/organisations/{startup}")
    logo = page.locator("main img.org-logo")
    assert logo.get_attribute("alt") == ""  # the organisation's name is the heading beside it
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 256
    check_a11y(page, "organisation-page-with-logo")

    page.goto(edit)
    page.get_by_role("button", name="Remove the logo").click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "The logo of Lumen Robotics was removed.", use_inner_text=True
    )
    assert "Lumen Robotics has no logo yet." in page.locator("main").inner_text()
