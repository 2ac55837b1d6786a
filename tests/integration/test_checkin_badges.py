"""Name badges (issue 16): a PDF of A4 sheets with cut marks, in the common badge sizes, with each approved
participant's name, organisation, role, QR code and check-in code. The organizer asks for them on the check-in
page and a job renders them (500 badges took 5-6 s inside a web request), with its progress on the job's page,
which then offers the file. Checked with tools nobody here wrote: qpdf checks the file's structure, poppler's
pdftotext reads what is printed (CI installs both: .ci/run)."""

import shutil
import subprocess

import pytest
import sqlalchemy as sa

from matchmaker.checkin.badges import A4, BADGE_SIZES, SHEET_MARGIN, fit_lines, grid
from matchmaker.extensions import db
from matchmaker.models import Job, JobFile, JobStatus, Organisation, RegistrationStatus
from matchmaker.services import badges as badges_service
from matchmaker.services import checkin
from matchmaker.tasks import dispatch
from matchmaker.tasks.runner import JobContext, run_job
from tests.badges import download_badges, job_file_links, request_badges

pytestmark = pytest.mark.usefixtures("request_context")

LONG_NAME = "Maximiliaan Alexander Vandenbroucke-Verstraeten de Wilde van Oudenaarde"
NAMES = ("Zoë Ørsted-Müller", "Ζωή Παπαδοπούλου", "Дмитрий Иванов", "François Lefèvre", LONG_NAME)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed here (CI installs it: see .ci/run)")
    return path


@pytest.fixture
def participants(event, make_participant, register):
    registrations = [register(make_participant("supplier", name=name), event) for name in NAMES]
    registrations.append(register(make_participant("buyer", name="Bart Buyer"), event))
    pending = register(make_participant("supplier", name="Pending Person"), event)
    pending.status = RegistrationStatus.PENDING
    db.session.commit()
    return registrations


def _badge_jobs() -> list[Job]:
    return list(db.session.scalars(sa.select(Job).where(Job.kind == badges_service.KIND)))


def _text(pdf: bytes, tmp_path, *options) -> str:
    path = tmp_path / "badges.pdf"
    path.write_bytes(pdf)
    checked = subprocess.run([_tool("qpdf"), "--check", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    out = subprocess.run(
        [_tool("pdftotext"), *options, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return out.stdout.decode()


@pytest.mark.parametrize("size", sorted(BADGE_SIZES))
def test_the_badges_show_every_approved_participant(
    client, auth, organizer, event, participants, size, tmp_path
):
    auth.login(organizer)
    text = _text(download_badges(client, event.id, size), tmp_path)
    words = " ".join(text.split())
    for name in NAMES[:-1]:
        assert name in words, name
    for word in LONG_NAME.split():  # wrapped at spaces: every word whole
        assert word in text.split(), word
    assert "Pending Person" not in text
    assert "SUPPLIER" in text and "BUYER" in text
    for registration in participants:
        db.session.refresh(registration)
        assert registration.checkin_code in text.replace(" ", "")  # printed spaced out, for reading aloud
        assert f"Start-up of {registration.user.display_name}"[:20] in words or registration.role == "buyer"
    columns, rows = grid(BADGE_SIZES[size])
    pages = text.count("\f")
    assert pages == -(-len(participants) // (columns * rows))


def test_the_sizes_fit_on_a4_with_room_for_cut_marks():
    assert grid(BADGE_SIZES["86x54"]) == (2, 5)
    assert grid(BADGE_SIZES["90x54"]) == (2, 5)
    assert grid(BADGE_SIZES["a6"]) == (1, 2)
    for size in BADGE_SIZES.values():
        columns, rows = grid(size)
        assert columns * size.width <= A4[0] - 2 * SHEET_MARGIN
        assert rows * size.height <= A4[1] - 2 * SHEET_MARGIN


def test_a_long_name_shrinks_and_wraps_between_words_never_inside_one():
    from matchmaker.agendas.pdf import fonts

    _regular, bold = fonts()
    lines, size = fit_lines(LONG_NAME, bold, 120, 17, 10, 2)
    assert " ".join(lines) == LONG_NAME and len(lines) >= 2
    assert all(word in LONG_NAME.split() for line in lines for word in line.split())
    # One word too long for any line: smaller, but whole.
    word = "Vandenbroucke-Verstraeten-Oudenaarde"
    lines, size = fit_lines(word, bold, 80, 17, 10, 2)
    assert lines == [word] and size < 10


def test_one_badge_can_be_printed_again(client, auth, organizer, event, participants, tmp_path):
    auth.login(organizer)
    one = participants[0]
    text = _text(download_badges(client, event.id, registration=one.id), tmp_path)
    assert "Zoë Ørsted-Müller" in " ".join(text.split()) and "Bart Buyer" not in text


@pytest.mark.parametrize("size", ["a0", "", "\x00", None])
def test_a_bad_size_is_refused_with_a_message_and_no_job(client, auth, organizer, event, participants, size):
    auth.login(organizer)
    response = request_badges(client, event.id, size)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "Check-in" in page
    assert not _badge_jobs()


@pytest.mark.parametrize("registration", ["abc", "999999"])
def test_a_bad_participant_is_not_a_server_error(client, auth, organizer, event, participants, registration):
    auth.login(organizer)
    response = request_badges(client, event.id, registration=registration)
    if registration == "abc":  # not a number: every badge, as without it
        assert response.status_code == 303
    else:
        assert response.status_code == 404
        assert not _badge_jobs()


def test_an_event_without_participants_gets_one_page_saying_so(client, auth, organizer, make_event, tmp_path):
    empty = make_event(title="Empty event")
    auth.login(organizer)
    text = _text(download_badges(client, empty.id), tmp_path)
    assert "No approved participants yet." in text


def test_a_participant_without_organisation_gets_a_badge(
    client, auth, organizer, event, participants, tmp_path
):
    participants[-1].organisation_id = None
    db.session.commit()
    auth.login(organizer)
    text = _text(download_badges(client, event.id), tmp_path)
    assert "Bart Buyer" in text
    assert db.session.query(Organisation).count() >= 1
    assert checkin.find_by_code(event, participants[-1].checkin_code) == participants[-1]


def test_the_agenda_pdf_carries_the_check_in_code(client, event, participants, auth, tmp_path):
    from matchmaker.models import EventStatus

    event.status = EventStatus.AGENDA_PUBLISHED
    db.session.commit()
    one = participants[0]
    auth.login(one.user)
    text = _text(client.get(f"/events/{event.id}/agenda.pdf").data, tmp_path)
    db.session.refresh(one)
    assert "Your check-in code" in text and one.checkin_code in text.replace(" ", "")


# --- the job --------------------------------------------------------------------------------------------


def test_the_badges_are_made_by_a_job_whose_page_shows_the_result_and_the_file(
    client, auth, organizer, event, participants
):
    auth.login(organizer)
    response = request_badges(client, event.id, "a6")
    assert response.status_code == 303 and response.headers["Location"].startswith("/jobs/")
    [job] = _badge_jobs()
    assert (job.kind, job.status, job.created_by_id) == ("checkin.badges", JobStatus.DONE, organizer.id)
    assert job.result == {"event_id": event.id, "badges": 6, "sheets": 3, "size": "a6"}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Name badges" in page and "Done" in page
    assert "<dt>Badges</dt><dd>6</dd>" in page and "<dt>A4 sheets</dt><dd>3</dd>" in page
    [link] = job_file_links(page)
    download = client.get(link)
    assert download.mimetype == "application/pdf" and download.data.startswith(b"%PDF")
    assert f"filename=badges-{event.id}-a6.pdf" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    # The check-in page links to the organizer's latest badges.
    checkin_page = client.get(f"/events/{event.id}/check-in").get_data(as_text=True)
    assert "Your latest badges" in checkin_page and response.headers["Location"] in checkin_page


def test_the_job_reports_its_progress_sheet_by_sheet(organizer, event, participants, monkeypatch):
    """The job's page shows how far it is: codes first, then each sheet, in the organizer's language."""
    seen: list[tuple[float, str]] = []
    monkeypatch.setattr(
        JobContext, "progress", lambda self, fraction, message="": seen.append((fraction, message))
    )
    job = badges_service.start_badges(organizer, event, "a6")
    db.session.refresh(job)
    assert job.status == JobStatus.DONE
    sheets = [(fraction, message) for fraction, message in seen if "sheets" in message]
    assert [message for _fraction, message in sheets] == ["1 of 3 sheets", "2 of 3 sheets", "3 of 3 sheets"]
    fractions = [fraction for fraction, _message in sheets]
    assert fractions == sorted(fractions) and fractions[0] > 0 and fractions[-1] <= 0.95


def test_the_codes_are_made_by_the_job_not_by_the_request(
    client, auth, organizer, event, participants, monkeypatch
):
    """Asking for the badges stores a job and nothing else: the codes (one commit each) and the PDF are the
    job's work, which a worker does after the request has answered."""
    held: list[int] = []
    monkeypatch.setattr(dispatch, "_run_eagerly", lambda app, job_id: held.append(job_id))  # no worker yet
    auth.login(organizer)
    response = request_badges(client, event.id)
    assert response.status_code == 303
    [job] = _badge_jobs()
    assert held == [job.id] and job.status == JobStatus.QUEUED
    db.session.expire_all()
    assert all(not r.checkin_code for r in checkin.participants(event))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Waiting to start" in page and not job_file_links(page)


def test_a_second_click_while_the_job_waits_joins_it(organizer, event, participants, monkeypatch):
    monkeypatch.setattr(dispatch, "_run_eagerly", lambda app, job_id: None)  # the jobs wait for a worker
    first = badges_service.start_badges(organizer, event, "86x54")
    second = badges_service.start_badges(organizer, event, "86x54")
    other_size = badges_service.start_badges(organizer, event, "a6")
    assert first.id == second.id and other_size.id != first.id


def test_another_organizer_can_neither_start_nor_see_nor_download(
    client, auth, organizer, event, participants, make_user
):
    auth.login(organizer)
    job_page = request_badges(client, event.id).headers["Location"]
    [link] = job_file_links(client.get(job_page).get_data(as_text=True))
    other = make_user(roles=("organizer",))
    auth.login(other)
    assert request_badges(client, event.id).status_code == 403
    assert client.get(job_page).status_code == 404
    assert client.get(link).status_code == 404
    assert client.get(f"{job_page}/status.json").status_code == 404
    assert len(_badge_jobs()) == 1
    # A participant of the event neither.
    auth.login(participants[0].user)
    assert request_badges(client, event.id).status_code == 403
    assert client.get(link).status_code == 404


def test_the_job_refuses_when_its_organizer_no_longer_manages_the_event(
    organizer, event, participants, make_user, monkeypatch
):
    """Checked again when the job runs: the event may have changed hands since the badges were asked for."""
    held: list[int] = []
    monkeypatch.setattr(dispatch, "_run_eagerly", lambda app, job_id: held.append(job_id))
    job = badges_service.start_badges(organizer, event, "86x54")
    event.organizer_id = make_user(roles=("organizer",)).id
    db.session.commit()
    assert run_job(job.id) == "failed"
    db.session.refresh(job)
    assert job.message == "Only the organizer of this event may print its badges."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobFile)) == 0
