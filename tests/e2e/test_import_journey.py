"""In the browser: an organizer uploads a CSV of offerings; the job's page shows the import waiting, follows
it with its script until it is done, then shows the report and offers it as a file. Checked with axe."""

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Job, Offering, Organisation
from matchmaker.services import accounts, themes
from matchmaker.tasks import dispatch
from matchmaker.tasks.runner import run_job
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

CSV = (
    "organisation,title,summary,description,status,themes,cpv_codes\n"
    "Hydrosense,Boei voor zuurstof,Meet zuurstof.,Een **boei**.,published,water,35125100\n"
    "Hydrosense,Boei voor nitraat,Meet nitraat.,Een boei.,draft,water,\n"
)


def _organizer(live_app) -> None:
    with live_app.app_context():
        accounts.create_user(
            "an@matchmaker.example",
            PASSWORD,
            "An Peeters",
            roles=("organizer",),
            confirmed=True,
            language="en",
        )
        db.session.add(Organisation(name="Hydrosense", kind="sme", description=""))
        db.session.commit()
        themes.ensure_default_themes()


def test_an_import_is_followed_on_its_job_page_until_its_report(page, check_a11y, live_app, monkeypatch):
    _organizer(live_app)
    # The job waits, as it would for a worker process, until the test runs it below.
    held: list[int] = []
    monkeypatch.setattr(dispatch, "_run_eagerly", lambda app, job_id: held.append(job_id))
    log_in(page, "an@matchmaker.example", "/catalogue/exchange")
    page.select_option("#kind", "offerings")
    page.set_input_files(
        "#file", files=[{"name": "boeien.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_url("**/jobs/*")
    assert page.get_by_role("heading", level=1).inner_text() == "Catalogue import"
    assert page.get_by_role("status").inner_text().startswith("Waiting to start")
    assert page.get_by_label("Progress").get_attribute("value") == "0"
    assert page.get_by_role("link", name="Refresh this page").is_visible()
    check_a11y(page, "job-import-waiting")

    (job_id,) = held
    with live_app.app_context():
        assert run_job(job_id) == "done"
        db.session.remove()
    # The page's script sees the job finish and loads the page again, with the report.
    page.get_by_role("heading", name="Result").wait_for(timeout=15_000)
    assert page.get_by_role("status").first.inner_text().startswith("Done")
    assert "2 rows imported: 2 created, 0 updated." in page.locator(".job-result").inner_text()
    assert page.get_by_label("Progress").get_attribute("value") == "100"
    check_a11y(page, "job-import-done")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="import-report.csv").click()
    report = download_info.value.path().read_text(encoding="utf-8-sig")
    assert report.splitlines()[1:] == ["2,Boei voor zuurstof,created,", "3,Boei voor nitraat,created,"]
    with live_app.app_context():
        titles = set(db.session.scalars(sa.select(Offering.title)))
        assert titles == {"Boei voor zuurstof", "Boei voor nitraat"}
        assert db.session.get(Job, job_id).status == "done"
        db.session.remove()
