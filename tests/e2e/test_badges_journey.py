"""In the browser, before the event day (issue 16): the organizer asks for the name badges on the check-in
page; the job's page shows them waiting, follows the job with its script until it is done, then offers the
PDF, whose QR codes decode (zxing-cpp, tests/qrcheck.py) to the participants' check-in codes. The check-in
page then lists the badges asked for. Every page passes axe's WCAG 2.1 AA rules."""

from matchmaker.extensions import db
from matchmaker.tasks import dispatch
from matchmaker.tasks.runner import run_job
from tests.e2e.conftest import log_in
from tests.e2e.test_checkin_journey import day  # noqa: F401  (the event with three participants and codes)
from tests.qrcheck import qr_codes


def test_the_organizer_prints_the_badges_through_a_job(
    page,
    check_a11y,
    day,  # noqa: F811  (the imported fixture)
    live_app,
    monkeypatch,
    tmp_path,
):
    event_id, codes = day
    held: list[int] = []
    monkeypatch.setattr(dispatch, "_run_eagerly", lambda app, job_id: held.append(job_id))  # a worker's wait
    log_in(page, "olivia@example.org", f"/events/{event_id}/check-in")
    page.get_by_label("Badge size").select_option(label="A6 lanyard badge, 148 × 105 mm (2 per A4 sheet)")
    page.get_by_role("button", name="Prepare the badges (PDF)").click()
    page.wait_for_url("**/jobs/*")
    assert page.get_by_role("heading", level=1).inner_text() == "Name badges"
    assert page.get_by_role("status").inner_text().startswith("Waiting to start")
    check_a11y(page, "job-badges-waiting")

    (job_id,) = held
    with live_app.app_context():
        assert run_job(job_id) == "done"
        db.session.remove()
    page.get_by_role("heading", name="Result").wait_for(timeout=15_000)
    assert page.get_by_role("status").first.inner_text().startswith("Done")
    result = page.locator(".job-result").inner_text()
    assert "Badges\n3" in result and "A4 sheets\n2" in result
    check_a11y(page, "job-badges-done")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"badges-{event_id}-a6.pdf").click()
    assert download_info.value.suggested_filename == f"badges-{event_id}-a6.pdf"
    pdf = download_info.value.path().read_bytes()
    assert sorted(code.text for code in qr_codes(pdf, tmp_path)) == sorted(codes.values())

    with page.expect_navigation():
        page.get_by_role("link", name="Back to the check-in page").click()
    latest = page.locator("section", has=page.get_by_role("heading", name="Name badges"))
    listed = latest.get_by_role("list", name="Your latest badges")
    assert listed.get_by_role("link", name="Requested").get_attribute("href") == f"/jobs/{job_id}"
    assert listed.inner_text().endswith(": Done")
    check_a11y(page, "checkin-with-badges")
