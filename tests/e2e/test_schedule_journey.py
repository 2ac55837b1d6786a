"""In the browser: an organizer opens the schedule of an event with requests, runs the scheduler (a job of
the task queue, in a worker thread as under `make run`) and follows its progress, reviews the grid, locks a
meeting, fills the free slots around it after a new request, and publishes. Every page on the way passes axe's
WCAG 2.1 AA rules."""

from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventDay,
    EventStatus,
    EventTable,
    Meeting,
    MeetingRequest,
    Membership,
    MembershipRole,
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
    Organisation,
    ProgrammeBlock,
    Registration,
    RegistrationStatus,
    RequestStatus,
    utcnow,
)
from matchmaker.services import accounts
from matchmaker.services.events import regenerate_slots
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

EVENT_DAY = date.today() + timedelta(days=30)


def _participant(name: str, role: str, n: int) -> Registration:
    user = accounts.create_user(
        f"{role}{n}@example.org", PASSWORD, name, (role,), language="en", confirmed=True
    )
    organisation = Organisation(name=f"{name} org", kind="government" if role == "buyer" else "startup")
    db.session.add(organisation)
    db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
    if role == "buyer":
        item = Need(
            organisation=organisation,
            title=f"Need of {name}",
            challenge="A challenge",
            status=NeedStatus.OPEN,
        )
    else:
        item = Offering(
            organisation=organisation,
            title=f"Offering of {name}",
            summary="An offering",
            status=OfferingStatus.PUBLISHED,
        )
    db.session.add(item)
    db.session.flush()
    return Registration(
        user_id=user.id, organisation_id=organisation.id, role=role, status=RegistrationStatus.APPROVED
    )


def _wait_for_finished_runs(page, live_app, event_id: int, count: int, seconds: int = 60) -> None:
    from matchmaker.models import RunStatus, SchedulingRun

    for _ in range(seconds * 4):
        with live_app.app_context():
            finished = (
                db.session.query(SchedulingRun)
                .filter_by(event_id=event_id)
                .filter(SchedulingRun.status.in_((RunStatus.DONE, RunStatus.FAILED)))
                .count()
            )
            db.session.remove()
        if finished >= count:
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the scheduler did not finish run {count} within {seconds} s")


def _show_finished_run(page, live_app, event_id: int) -> None:
    """Show the overview of the event's last run once it has finished.

    The page reloads itself when the run it watched finishes, so reloading from the test as well
    races that reload ("not attached to an active page"). Wait for the page to show the run as
    finished instead, and load it ourselves only if the page's own reload did not come.
    """
    from matchmaker.models import SchedulingRun

    with live_app.app_context():
        run_id = (
            db.session.query(SchedulingRun.id)
            .filter_by(event_id=event_id)
            .order_by(SchedulingRun.id.desc())
            .limit(1)
            .scalar()
        )
        db.session.remove()
    finished = page.locator(f"#run-status[data-active='false'][data-status-url$='/runs/{run_id}.json']")
    try:
        finished.wait_for(timeout=10_000)
    except PlaywrightError:
        page.goto(page.url.split("#")[0])
        finished.wait_for(timeout=10_000)


@pytest.fixture
def event_id(live_app):
    with live_app.test_request_context():
        organizer = accounts.create_user(
            "olivia@example.org", PASSWORD, "Olivia Organizer", ("organizer",), language="en", confirmed=True
        )
        event = Event(
            title="Smart mobility meet & greet",
            venue_address="Havenlaan 88, 1000 Brussel",
            organizer_id=organizer.id,
            status=EventStatus.REGISTRATION_CLOSED,
        )
        day = EventDay(day=EVENT_DAY, start_time=time(9, 0), end_time=time(11, 20), slot_minutes=20)
        day.blocks = [
            ProgrammeBlock(kind="break", title="Coffee", start_time=time(10, 0), end_time=time(10, 20))
        ]
        event.days = [day]
        event.tables = [EventTable(number=n, name=f"T{n}") for n in range(1, 4)]
        db.session.add(event)
        db.session.flush()
        regenerate_slots(event)
        buyers = [_participant(f"Buyer {n}", "buyer", n) for n in range(3)]
        suppliers = [_participant(f"Supplier {n}", "supplier", n) for n in range(5)]
        for registration in buyers + suppliers:
            registration.event_id = event.id
            db.session.add(registration)
        db.session.flush()
        for i, supplier in enumerate(suppliers):
            for buyer in (buyers[i % 3], buyers[(i + 1) % 3]):
                db.session.add(
                    MeetingRequest(
                        event_id=event.id,
                        from_registration_id=supplier.id,
                        to_registration_id=buyer.id,
                        status=RequestStatus.ACCEPTED,
                        responded_at=utcnow(),
                    )
                )
        db.session.commit()
        return event.id


@pytest.fixture
def jobs_in_a_thread(live_app):
    """Jobs run in the thread pool of the embedded mode, not inside the request (the tests' eager mode), so
    the page shows a run in progress."""
    live_app.config["TASK_MODE"] = "thread"
    yield
    live_app.config["TASK_MODE"] = "eager"


@pytest.mark.usefixtures("jobs_in_a_thread")
def test_an_organizer_schedules_reviews_and_publishes(page, check_a11y, event_id, live_app):
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "olivia@example.org")
    page.goto("/events/manage")
    page.locator(f"main a[href='/events/{event_id}/schedule']").click()
    page.wait_for_url(f"**/events/{event_id}/schedule")
    page.get_by_text("The scheduler has not run for this event yet.").wait_for()
    check_a11y(page, "schedule-before-run")

    # The scheduler runs in a worker thread; the page shows its progress, then the result.
    page.get_by_label("Time limit in seconds").fill("3")
    page.get_by_role("button", name="Run the scheduler").click()
    page.locator("#run-progress").wait_for()
    assert page.locator("#run-progress").get_attribute("role") == "progressbar"
    assert page.locator("#run-message").get_attribute("aria-live") == "polite"
    page.locator("#certificate").wait_for(timeout=30_000)
    assert page.get_by_text("Proven optimal.").is_visible()
    check_a11y(page, "schedule-after-run")

    # The grid: slots by tables, every meeting a link.
    page.get_by_role("link", name="Grid of slots and tables").click()
    links = page.locator("a.schedule-meeting-link")
    assert links.count() == 10
    check_a11y(page, "schedule-grid")

    # Lock one meeting.
    links.first.click()
    page.get_by_role("button", name="Lock").click()
    page.get_by_text("The meeting is locked.").wait_for()
    check_a11y(page, "schedule-meeting")
    meeting_id = int(page.url.rstrip("/").split("/")[-1])

    # A participant's day.
    page.get_by_role("link", name="Participant's day").click()
    page.get_by_label("Participant").select_option(label="Buyer 0 (Buyer 0 org, buyer)")
    page.get_by_role("button", name="Show", exact=True).click()
    page.get_by_role("table").wait_for()
    check_a11y(page, "schedule-participant")

    # A new request comes in; "fill the free slots only" keeps every meeting and adds it.
    with live_app.app_context():
        locked = db.session.get(Meeting, meeting_id)
        place = (locked.slot_id, locked.table_id)
        buyer = db.session.query(Registration).filter_by(role="buyer").order_by(Registration.id).all()[2]
        supplier = (
            db.session.query(Registration).filter_by(role="supplier").order_by(Registration.id).all()[0]
        )
        db.session.add(
            MeetingRequest(
                event_id=event_id,
                from_registration_id=supplier.id,
                to_registration_id=buyer.id,
                status=RequestStatus.PENDING,
                created_at=datetime.now(),
            )
        )
        db.session.commit()
        db.session.remove()
    page.get_by_role("link", name="Scheduler and publication").click()
    page.get_by_label("Fill the free slots only: keep every meeting as it is").check()
    page.get_by_label("Time limit in seconds").fill("3")
    page.get_by_role("button", name="Run the scheduler").click()
    # The page may still show the first run's certificate: wait for the second run itself to finish.
    _wait_for_finished_runs(page, live_app, event_id, 2)
    _show_finished_run(page, live_app, event_id)
    page.locator("#certificate").wait_for(timeout=30_000)
    with live_app.app_context():
        db.session.expire_all()
        assert db.session.query(Meeting).filter(Meeting.cancelled_at.is_(None)).count() == 11
        locked = db.session.get(Meeting, meeting_id)
        assert (locked.slot_id, locked.table_id) == place and locked.locked
        db.session.remove()

    # Publish: every meeting locked and published, participants notified.
    page.get_by_role("button", name="Publish the agenda").click()
    page.get_by_text("The agenda is published; 8 participants are notified.").wait_for()
    check_a11y(page, "schedule-published")
    with live_app.app_context():
        assert db.session.get(Event, event_id).status == EventStatus.AGENDA_PUBLISHED
        assert all(m.published and m.locked for m in db.session.query(Meeting).all())
        db.session.remove()

    # A late participant: the page offers a fill run with suggested meetings for them.
    with live_app.test_request_context():
        late = _participant("Late Lou", "supplier", 9)
        assert late.user_id
        db.session.commit()
        db.session.remove()
    page.get_by_label("Email address of the participant").fill("supplier9@example.org")
    page.get_by_label("Supplier").check()
    page.get_by_label("Maximum number of meetings").fill("2")
    page.get_by_role("button", name="Register").click()
    page.get_by_text("1 participant has no meeting yet").wait_for()
    check_a11y(page, "schedule-late-fill")
    page.get_by_role("button", name="Fill the free slots with suggested meetings").click()
    _wait_for_finished_runs(page, live_app, event_id, 3)
    with live_app.app_context():
        from matchmaker.models import RunStatus, SchedulingRun

        run = db.session.query(SchedulingRun).order_by(SchedulingRun.id.desc()).first()
        assert (run.mode, run.include_suggestions, run.status) == ("fill", True, RunStatus.DONE)
        db.session.remove()
