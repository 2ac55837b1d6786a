"""The organizer's check-in page (issue 16): a code typed or scanned, a name found, undo, the counts, who
may use it, the no-show action after the doors, and the QR code with its short code on the
participant's agenda."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Absence, EventStatus, Meeting
from matchmaker.services import checkin
from tests.badges import request_badges
from tests.factories import EVENT_DAY, add_meeting
from tests.helpers import slot_at

pytestmark = pytest.mark.usefixtures("request_context")


@pytest.fixture
def people(event, pair, make_participant, register):
    """The pair (buyer, supplier) and a third participant, Zoë, all approved and with their codes."""
    rb, rs = pair
    rz = register(make_participant("supplier", name="Zoë Zuiderveld"), event)
    for registration in (rb, rs, rz):
        checkin.checkin_code(registration)
    return rb, rs, rz


def url(event, tail=""):
    return f"/events/{event.id}/check-in{tail}"


def test_the_page_has_the_code_form_the_counts_and_the_badge_sizes(client, auth, organizer, event, people):
    auth.login(organizer)
    response = client.get(url(event))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="code"' in html and "Check-in code" in html and ">Check in</button>" in html
    assert "0 of 3 participants arrived" in html
    assert (
        'name="q"' in html and 'name="size"' in html and "vendor/jsqr/dist/jsQR." in html
    )  # (under a hashed name once static files are built)
    # Only this page may use the camera.
    assert "camera=(self)" in response.headers["Permissions-Policy"]
    assert "camera=()" in client.get(f"/events/{event.id}").headers["Permissions-Policy"]


def test_a_typed_code_checks_the_participant_in_and_a_second_time_says_so(
    client, auth, organizer, event, people
):
    rb, _rs, _rz = people
    auth.login(organizer)
    typed = f" {rb.checkin_code[:3].lower()}-{rb.checkin_code[3:]}"
    response = client.post(url(event), data={"code": typed}, follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Bart Buyer (Agency of Bart Buyer) is checked in." in html
    assert "1 of 3 participants arrived" in html
    assert checkin.arrived_ids(event) == {rb.id}
    again = client.post(url(event), data={"code": rb.checkin_code}, follow_redirects=True)
    assert again.status_code == 200
    assert "Bart Buyer is already checked in." in again.get_data(as_text=True)
    assert checkin.arrived_ids(event) == {rb.id}


@pytest.mark.parametrize("code", ["", "   ", "QQQ999", "x" * 500, "<script>"])
def test_a_bad_code_is_a_clear_message_on_the_form(client, auth, organizer, event, people, code):
    auth.login(organizer)
    response = client.post(url(event), data={"code": code})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert (
        "No participant of this event has the code" in html
        or "Enter the code" in html
        or ("six letters and digits" in html)
    )
    assert "<script>" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert checkin.arrived_ids(event) == set()


def test_a_bad_code_is_told_in_the_users_language(app, client, auth, organizer, event, people):
    """The message goes through the catalogue of the user's language (French here): what the French
    catalogue says for it is on the page, in a page that says it is French."""
    organizer.language = "fr"
    db.session.commit()
    auth.login(organizer)
    response = client.post(url(event), data={"code": "QQQ999"}, headers={"Accept-Language": "fr"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        from flask_babel import gettext, refresh

        refresh()
        expected = gettext("No participant of this event has the code %(code)s.", code="QQQ999")
        label = gettext("Check-in code")
    shown = html.replace("&#39;", "'")  # apostrophes as the browser shows them
    assert expected in shown and label in shown
    assert expected.startswith("Aucun participant")  # the French catalogue has it


def test_a_code_of_another_event_is_not_found(
    client, auth, organizer, event, people, make_event, register, make_participant
):
    other = make_event(title="Another event")
    stranger = register(make_participant("buyer", name="Elsewhere Person"), other)
    auth.login(organizer)
    response = client.post(url(event), data={"code": checkin.checkin_code(stranger)})
    assert response.status_code == 422
    assert checkin.arrived_ids(other) == set() and checkin.arrived_ids(event) == set()


def test_a_name_search_lists_matches_with_check_in_and_undo(client, auth, organizer, event, people):
    rb, _rs, rz = people
    auth.login(organizer)
    html = client.get(url(event) + "?q=zoe").get_data(as_text=True)  # without the accent
    assert (
        "Zoë Zuiderveld" in html
        and "Bart Buyer" not in html.split('id="search"', 1)[1].split("</section>")[0]
    )
    response = client.post(url(event, f"/{rz.id}?q=zoe"), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Zoë Zuiderveld (Start-up of Zoë Zuiderveld) is checked in." in html
    assert checkin.arrived_ids(event) == {rz.id}
    # Now listed with Undo.
    search = html.split('id="search"', 1)[1].split("</section>")[0]
    assert f"/check-in/{rz.id}/undo" in search and ">Check in<" not in search
    # Searching by organisation, several words, in any case.
    html = client.get(url(event) + "?q=AGENCY+bart").get_data(as_text=True)
    assert f'/check-in/{rb.id}"' in html or f"/check-in/{rb.id}?" in html


def test_undo_takes_the_arrival_back(client, auth, organizer, event, people):
    rb, _rs, _rz = people
    checkin.check_in(organizer, rb)
    auth.login(organizer)
    response = client.post(url(event, f"/{rb.id}/undo"), follow_redirects=True)
    assert "Bart Buyer is no longer checked in." in response.get_data(as_text=True)
    assert checkin.arrived_ids(event) == set()
    again = client.post(url(event, f"/{rb.id}/undo"), follow_redirects=True)
    assert again.status_code == 200 and "Bart Buyer is not checked in." in again.get_data(as_text=True)


def test_the_latest_check_ins_are_listed_with_undo(client, auth, organizer, event, people):
    rb, rs, _rz = people
    checkin.check_in(organizer, rb)
    checkin.check_in(organizer, rs)
    auth.login(organizer)
    html = client.get(url(event)).get_data(as_text=True)
    latest = html.split('id="latest-heading"', 1)[1].split("</section>")[0]
    assert latest.index("Sofie Supplier") < latest.index("Bart Buyer")  # newest first
    assert f"/check-in/{rb.id}/undo" in latest and f"/check-in/{rs.id}/undo" in latest
    assert "2 of 3 participants arrived" in html


@pytest.mark.parametrize("who", ["other_organizer", "participant", "anonymous"])
def test_only_the_events_managers_use_the_page(client, auth, event, people, make_user, who):
    rb, rs, _rz = people
    if who == "other_organizer":
        auth.login(make_user(roles=("organizer",)))
        expected = 403
    elif who == "participant":
        auth.login(rs.user)
        expected = 403
    else:
        expected = 302  # to the login page
    for path in ("", f"/{rb.id}", f"/{rb.id}/undo", "/absent"):
        response = client.post(url(event, path), data={"code": rb.checkin_code, "confirm": "y"})
        assert response.status_code == expected, path
    assert client.get(url(event)).status_code == expected
    assert request_badges(client, event.id).status_code == expected
    assert checkin.arrived_ids(event) == set()


def test_a_draft_event_is_not_found_for_another_organizer(client, auth, make_event, make_user):
    draft = make_event(open_registration=False)
    auth.login(make_user(roles=("organizer",)))
    assert client.get(url(draft)).status_code == 404
    assert request_badges(client, draft.id).status_code == 404


def test_a_registration_of_another_event_is_not_found(
    client, auth, organizer, event, make_event, register, make_participant
):
    other = make_event(title="Another event")
    stranger = register(make_participant("buyer", name="Elsewhere Person"), other)
    auth.login(organizer)
    assert client.post(url(event, f"/{stranger.id}")).status_code == 404
    assert client.post(url(event, f"/{stranger.id}/undo")).status_code == 404
    assert request_badges(client, event.id, registration=stranger.id).status_code == 404


def test_everyone_not_checked_in_is_marked_absent_after_confirming(client, auth, organizer, event, people):
    rb, rs, rz = people
    event.status = EventStatus.AGENDA_PUBLISHED
    meeting = add_meeting(rb, rz, slot_at(event, EVENT_DAY, 9, 20))
    kept = add_meeting(rb, rs, slot_at(event, EVENT_DAY, 9, 40))
    db.session.commit()
    auth.login(organizer)
    # Nobody checked in yet: refused, nothing cancelled.
    refused = client.post(url(event, "/absent"), data={"confirm": "y"})
    assert refused.status_code == 422 and "Nobody is checked in yet" in refused.get_data(as_text=True)
    checkin.check_in(organizer, rb)
    checkin.check_in(organizer, rs)
    auth.login(organizer)
    # Without the confirmation: refused.
    unconfirmed = client.post(url(event, "/absent"), data={})
    assert unconfirmed.status_code == 422 and "Tick the box to confirm." in unconfirmed.get_data(as_text=True)
    assert not db.session.scalars(sa.select(Absence)).all()
    response = client.post(url(event, "/absent"), data={"confirm": "y"}, follow_redirects=True)
    assert "Marked absent: 1 participants; meetings cancelled: 1." in response.get_data(as_text=True)
    assert {a.registration_id for a in db.session.scalars(sa.select(Absence))} == {rz.id}
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).cancelled_at is not None
    assert db.session.get(Meeting, kept.id).cancelled_at is None
    # Late after all: checked in, and told that the cancelled meetings stay cancelled.
    late = client.post(url(event), data={"code": rz.checkin_code}, follow_redirects=True)
    html = late.get_data(as_text=True)
    assert "is checked in." in html and "the meetings cancelled then are not restored" in html
    assert checkin.arrived_ids(event) == {rb.id, rs.id, rz.id}


def test_the_agenda_page_shows_the_qr_code_and_the_short_code(client, auth, event, people):
    rb, _rs, _rz = people
    event.status = EventStatus.AGENDA_PUBLISHED
    db.session.commit()
    auth.login(rb.user)
    html = client.get(f"/events/{event.id}/agenda").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html
    assert rb.checkin_code in html
