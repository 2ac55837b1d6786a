"""An event's team (issue 16): the organizer adds co-organizers, who manage the event as they do, and
check-in staff, who only check people in; access follows the team at once; one row per person."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import CheckIn, EventStaff, EventStatus, Notification, SchedulingRun
from matchmaker.services import ServiceError, checkin, event_rules, event_team
from matchmaker.services import events as events_service
from tests.helpers import make_test_app, race, require_postgres

pytestmark = pytest.mark.usefixtures("request_context")


@pytest.fixture
def helper(make_user):
    """A person with an account and no platform role of their own (a volunteer at the door)."""
    return make_user(roles=(), display_name="Hanne Helper", email="hanne@example.org")


def team_url(event, tail=""):
    return f"/events/{event.id}/team{tail}"


def add(event, by, user, role):
    return event_team.add_member(by, event, user.email, role)


# --- adding people -------------------------------------------------------------------------------------


def test_the_organizer_adds_a_co_organizer_who_is_told_in_the_app_and_by_mail(
    client, auth, organizer, event, helper, outbox
):
    auth.login(organizer)
    page = client.get(team_url(event))
    assert page.status_code == 200
    assert "Olivia Organizer" in page.text and "The organizer stays on the team." in page.text
    response = client.post(
        team_url(event), data={"email": " Hanne@Example.org ", "role": "co_organizer"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Hanne Helper is on the team as Co-organizer. They were told so." in response.text
    member = db.session.scalars(sa.select(EventStaff)).one()
    assert (member.event_id, member.user_id, member.role) == (event.id, helper.id, "co_organizer")
    assert event_rules.can_manage(helper, event)
    notification = db.session.scalars(sa.select(Notification).where(Notification.user_id == helper.id)).one()
    assert notification.kind == "event_team_co_organizer"
    assert notification.url == f"/events/{event.id}/dashboard"
    assert [m.to for m in outbox] == ["hanne@example.org"]
    assert "Olivia Organizer added you to the team of Smart mobility meet & greet" in outbox[0].body


@pytest.mark.parametrize(
    ("email", "role", "message"),
    [
        ("nobody@example.org", "check_in", "No active account uses this email address."),
        ("", "check_in", "Enter an email address."),
        ("not an address", "check_in", "Enter an email address such as name@example.be."),
        ("hanne@example.org", "boss", "Choose a role in the team."),
        ("x" * 300 + "@example.org", "check_in", "Enter an email address such as name@example.be."),
    ],
)
def test_a_bad_address_or_role_is_a_clear_message_on_the_form(
    client, auth, organizer, event, helper, email, role, message
):
    auth.login(organizer)
    response = client.post(team_url(event), data={"email": email, "role": role})
    assert response.status_code == 422
    assert message in response.text and "is-invalid" in response.text
    assert db.session.scalar(sa.select(sa.func.count(EventStaff.id))) == 0


def test_the_same_person_twice_or_the_organizer_is_a_message_not_an_error(
    client, auth, organizer, event, helper
):
    add(event, organizer, helper, "check_in")
    auth.login(organizer)
    again = client.post(team_url(event), data={"email": helper.email, "role": "co_organizer"})
    assert again.status_code == 422
    assert "Hanne Helper is already on the team of this event." in again.text
    themselves = client.post(team_url(event), data={"email": organizer.email, "role": "check_in"})
    assert themselves.status_code == 422
    assert "Olivia Organizer organises this event: they are on its team already." in themselves.text
    assert db.session.scalars(sa.select(EventStaff.role)).all() == ["check_in"]


def test_the_database_keeps_one_row_per_event_and_person(event, organizer, helper):
    add(event, organizer, helper, "check_in")
    db.session.add(EventStaff(event_id=event.id, user_id=helper.id, role="co_organizer"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_two_co_organizers_adding_one_person_at_once_record_one_member(
    app, event, organizer, helper, make_user
):
    require_postgres()
    other = make_user(roles=(), display_name="Cora Co")
    add(event, organizer, other, "co_organizer")
    event_id, helper_email, by_ids = event.id, helper.email, (organizer.id, other.id)

    def adds(user_id):
        def run():
            from matchmaker.models import Event, User

            event_team.add_member(
                db.session.get(User, user_id), db.session.get(Event, event_id), helper_email, "check_in"
            )

        return run

    results = race(app, *(adds(user_id) for user_id in by_ids), language="en")
    assert results.count("ok") == 1, results
    refusal = next(r for r in results if r != "ok")
    assert "Hanne Helper is already on the team of this event." in refusal.message
    assert (
        db.session.scalar(sa.select(sa.func.count(EventStaff.id)).where(EventStaff.user_id == helper.id)) == 1
    )


# --- what each role may do ---------------------------------------------------------------------------------


def test_a_co_organizer_edits_the_event_and_runs_the_schedule(client, auth, organizer, setup, helper):
    event = setup.event
    add(event, organizer, helper, "co_organizer")
    auth.login(helper)
    for page in ("edit", "dashboard", "programme", "team", "check-in", "schedule"):
        assert client.get(f"/events/{event.id}/{page}").status_code == 200, page
    form = events_service.event_input_from(event)
    response = client.post(
        f"/events/{event.id}/edit",
        data={
            "title": "Mobility day, as edited by the co-organizer",
            "description": form.description,
            "venue_address": form.venue_address,
            "room_plan_note": "",
            "online_url": "",
            "registration_opens_at": "",
            "registration_closes_at": "",
            "request_deadline": "",
            "capacity_buyers": "",
            "capacity_suppliers": "",
            "admission": "automatic",
            "max_open_requests": "5",
            "table_count": "4",
            "table_names": "",
        },
    )
    assert response.status_code == 302, response.text
    db.session.refresh(event)
    assert event.title == "Mobility day, as edited by the co-organizer"
    run = client.post(
        f"/events/{event.id}/schedule/runs", data={"mode": "full", "time_limit": "5"}, follow_redirects=True
    )
    assert run.status_code == 200 and "The meetings are scheduled" in run.text
    assert db.session.scalars(sa.select(SchedulingRun.started_by_id)).one() == helper.id
    # The co-organizer finds the event among the events they help run.
    teams = client.get("/events/teams")
    assert "Mobility day, as edited by the co-organizer" in teams.text and "Co-organizer" in teams.text
    assert 'href="/events/teams"' in teams.text  # in their menu


def test_an_organizer_who_co_organizes_finds_the_event_among_theirs(
    client, auth, organizer, event, make_user
):
    colleague = make_user(roles=("organizer",), display_name="Colin Colleague")
    add(event, organizer, colleague, "co_organizer")
    auth.login(colleague)
    assert f'href="/events/{event.id}"' in client.get("/events/manage").text
    colleague_staff = make_user(roles=("organizer",))
    add(event, organizer, colleague_staff, "check_in")
    assert events_service.events_managed_by(colleague_staff) == []


def test_check_in_staff_check_people_in_and_undo_but_see_nothing_else(
    client, auth, organizer, event, pair, helper
):
    rb, _rs = pair
    add(event, organizer, helper, "check_in")
    auth.login(helper)
    page = client.get(f"/events/{event.id}/check-in?q=bart")
    assert page.status_code == 200
    assert "Bart Buyer" in page.text
    # The managers' parts of the page are not there: badges, the no-show action, their tabs.
    assert "Name badges" not in page.text and "Mark everyone not checked in as absent" not in page.text
    assert f'href="/events/{event.id}/dashboard"' not in page.text
    assert f'href="/events/{event.id}/team"' not in page.text
    checked = client.post(f"/events/{event.id}/check-in/{rb.id}", data={}, follow_redirects=True)
    assert "Bart Buyer (Agency of Bart Buyer) is checked in." in checked.text
    assert db.session.scalars(sa.select(CheckIn.checked_in_by_id)).one() == helper.id
    code = checkin.checkin_code(pair[1])
    by_code = client.post(f"/events/{event.id}/check-in", data={"code": code}, follow_redirects=True)
    assert "is checked in." in by_code.text
    undone = client.post(f"/events/{event.id}/check-in/{rb.id}/undo", data={}, follow_redirects=True)
    assert "Bart Buyer is no longer checked in." in undone.text
    assert checkin.arrived_ids(event) == {pair[1].id}
    for path in (
        "schedule",
        "dashboard",
        "edit",
        "team",
        "programme",
        "online",
        "registrations/new",
    ):
        assert client.get(f"/events/{event.id}/{path}").status_code == 403, path
    assert client.post(f"/events/{event.id}/check-in/absent", data={"confirm": "y"}).status_code == 403
    assert (
        client.post(team_url(event), data={"email": helper.email, "role": "co_organizer"}).status_code == 403
    )
    assert client.get("/events/manage").status_code == 403
    assert event_rules.can_check_in(helper, event) and not event_rules.can_manage(helper, event)


def test_check_in_staff_read_the_live_board_without_its_actions(
    client, auth, organizer, event, meeting, helper
):
    event.status = EventStatus.AGENDA_PUBLISHED
    db.session.commit()
    add(event, organizer, helper, "check_in")
    auth.login(helper)
    board = client.get(f"/events/{event.id}/live")
    assert board.status_code == 200
    assert "Late now" in board.text and "Fill the gaps" not in board.text and "Mark absent" not in board.text
    assert client.get(f"/events/{event.id}/live/board").status_code == 200
    assert client.post(f"/events/{event.id}/live/fill").status_code == 403
    auth.login(organizer)
    assert "Fill the gaps" in client.get(f"/events/{event.id}/live").text


def test_someone_not_on_the_team_is_refused(client, auth, organizer, event, make_user, make_event, helper):
    other_organizer = make_user(roles=("organizer",))
    draft = make_event(open_registration=False)
    other_event = make_event(title="Another event")
    add(other_event, organizer, helper, "check_in")
    with pytest.raises(ServiceError):
        event_team.add_member(other_organizer, event, other_organizer.email, "co_organizer")
    auth.login(other_organizer)
    assert client.get(team_url(event)).status_code == 403
    assert client.get(f"/events/{event.id}/check-in").status_code == 403
    data = {"email": other_organizer.email, "role": "co_organizer"}
    assert client.post(team_url(event), data=data).status_code == 403
    assert client.get(team_url(draft)).status_code == 404
    # Staff of one event are nobody at another.
    auth.login(helper)
    assert client.get(f"/events/{other_event.id}/check-in").status_code == 200
    assert client.get(f"/events/{event.id}/check-in").status_code == 403
    assert client.get(team_url(draft)).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(EventStaff.id))) == 1


def test_a_member_of_another_events_team_is_not_found_here(
    client, auth, organizer, event, make_event, helper
):
    other_event = make_event(title="Another event")
    member = add(other_event, organizer, helper, "check_in")
    auth.login(organizer)
    assert client.post(team_url(event, f"/{member.id}/remove")).status_code == 404
    assert (
        client.post(team_url(event, f"/{member.id}/role"), data={"role": "co_organizer"}).status_code == 404
    )
    assert db.session.get(EventStaff, member.id).role == "check_in"


# --- changing and removing ---------------------------------------------------------------------------------


def test_removing_a_member_ends_their_access_at_once(client, auth, organizer, event, helper):
    member = add(event, organizer, helper, "check_in")
    auth.login(helper)
    assert client.get(f"/events/{event.id}/check-in").status_code == 200
    auth.login(organizer)
    response = client.post(team_url(event, f"/{member.id}/remove"), follow_redirects=True)
    assert "Hanne Helper is no longer on the team." in response.text
    assert db.session.scalar(sa.select(sa.func.count(EventStaff.id))) == 0
    auth.login(helper)
    assert client.get(f"/events/{event.id}/check-in").status_code == 403
    assert 'href="/events/teams"' not in client.get("/").text


def test_changing_a_role_changes_what_the_member_may_do(client, auth, organizer, event, helper):
    member = add(event, organizer, helper, "check_in")
    auth.login(organizer)
    response = client.post(
        team_url(event, f"/{member.id}/role"), data={"role": "co_organizer"}, follow_redirects=True
    )
    assert "Hanne Helper is now Co-organizer." in response.text
    assert event_rules.can_manage(helper, event)
    refused = client.post(
        team_url(event, f"/{member.id}/role"), data={"role": "owner"}, follow_redirects=True
    )
    assert "Choose a role in the team." in refused.text
    db.session.refresh(member)
    assert member.role == "co_organizer"
    client.post(team_url(event, f"/{member.id}/role"), data={"role": "check_in"})
    assert not event_rules.can_manage(helper, event) and event_rules.can_check_in(helper, event)


def test_the_organizer_cannot_be_removed_and_a_co_organizer_manages_the_team(
    client, auth, organizer, event, helper, make_user
):
    add(event, organizer, helper, "co_organizer")
    newcomer = make_user(roles=(), display_name="Nina Newcomer")
    auth.login(helper)
    page = client.get(team_url(event))
    # The organizer's row has no buttons: one "Remove" button, for the co-organizer's own row.
    assert page.text.count(">Remove<") == 1 and "The organizer stays on the team." in page.text
    assert client.post(team_url(event), data={"email": newcomer.email, "role": "check_in"}).status_code == 302
    assert event_rules.can_check_in(newcomer, event)
    assert event_rules.is_organizer(organizer, event)


def test_deleting_an_account_removes_it_from_the_teams(event, organizer, helper):
    from matchmaker.services import accounts

    add(event, organizer, helper, "check_in")
    assert accounts.export_personal_data(helper)["data"]["event_teams"] == [
        {"event": event.title, "event_id": event.id, "role": "check_in"}
    ]
    db.session.delete(helper)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(EventStaff.id))) == 0


# --- the door, at once -------------------------------------------------------------------------------------


def test_two_check_in_staff_checking_in_one_person_at_once_record_one_arrival(
    app, organizer, event, pair, make_user
):
    """Two volunteers at the door scan the same badge at the same moment: one arrival, the second is told."""
    from matchmaker.models import Registration, User

    require_postgres()
    staff = [make_user(roles=(), display_name=f"Door {n}") for n in range(2)]
    for person in staff:
        add(event, organizer, person, "check_in")
    registration_id = pair[0].id

    def checks_in(user_id):
        def run():
            checkin.check_in(db.session.get(User, user_id), db.session.get(Registration, registration_id))

        return run

    results = race(app, *(checks_in(person.id) for person in staff), language="en")
    assert results.count("ok") == 1, results
    refusal = next(r for r in results if r != "ok")
    assert "Bart Buyer is already checked in." in refusal.message
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 1


# --- forgery -----------------------------------------------------------------------------------------------


def test_every_team_form_needs_its_csrf_token(database, make_user):
    """The team's writes refuse a request without the form's token (the other tests run without CSRF)."""
    from matchmaker.services import user_sessions

    app = make_test_app(database, WTF_CSRF_ENABLED=True)
    with app.app_context():
        try:
            organizer = make_user(roles=("organizer",))
            helper = make_user(roles=())
            from matchmaker.services.events import EventInput

            event = events_service.create_event(
                organizer, EventInput(title="Forgery day", venue_address="Somewhere 1, 1000 Brussel")
            )
            member = add(event, organizer, helper, "check_in")
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = user_sessions.start_session(organizer)
            for path, data in (
                (team_url(event), {"email": "someone@example.org", "role": "check_in"}),
                (team_url(event, f"/{member.id}/role"), {"role": "co_organizer"}),
                (team_url(event, f"/{member.id}/remove"), {}),
            ):
                assert client.post(path, data=data).status_code == 400, path
            assert db.session.get(EventStaff, member.id).role == "check_in"
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_event_tabs_follow_the_team_role(client, auth, organizer, event, pair, helper, make_user):
    """A co-organizer gets the organizers' tabs on every event page, check-in staff the Check-in tab only."""
    co = make_user(roles=(), display_name="Cora Co")
    add(event, organizer, co, "co_organizer")
    add(event, organizer, helper, "check_in")
    auth.login(co)
    for path in ("", "/participants"):
        html = client.get(f"/events/{event.id}{path}").text
        assert f'href="/events/{event.id}/dashboard"' in html and f'href="/events/{event.id}/team"' in html, (
            path
        )
    auth.login(helper)
    html = client.get(f"/events/{event.id}").text
    assert f'href="/events/{event.id}/check-in"' in html
    assert f'href="/events/{event.id}/dashboard"' not in html
    auth.login(pair[0].user)
    html = client.get(f"/events/{event.id}").text
    assert f'href="/events/{event.id}/check-in"' not in html



def test_a_member_is_told_of_a_new_role_and_of_being_removed(organizer, event, helper, outbox):
    """What a member may do at the event changes with their role and ends with their removal: they are told,
    in the app and by mail, as when they were added. Setting the role they already have tells nothing."""
    member = add(event, organizer, helper, "check_in")
    outbox.clear()
    event_team.change_role(organizer, member, "co_organizer")
    event_team.change_role(organizer, member, "co_organizer")
    [told] = outbox
    assert told.to == "hanne@example.org"
    assert "Olivia Organizer made you a co-organizer of Smart mobility meet & greet" in told.body
    event_team.change_role(organizer, member, "check_in")
    assert "made you check-in staff of Smart mobility meet & greet" in outbox[-1].body
    outbox.clear()
    event_team.remove_member(organizer, member)
    [removed] = outbox
    assert "Olivia Organizer removed you from the team of Smart mobility meet & greet." in removed.body
    kinds = db.session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == helper.id).order_by(Notification.id)
    ).all()
    assert kinds == [
        "event_team_check_in",
        "event_team_now_co_organizer",
        "event_team_now_check_in",
        "event_team_removed",
    ]
