"""The home page of a logged-in user: what to do next for their role(s), as counts with links, in a handful of
queries; visitors keep the marketing home (tests/integration/test_home.py)."""

import pytest

from matchmaker.extensions import db
from matchmaker.models import Organisation, RegistrationStatus, RequestStatus
from matchmaker.services import matching
from tests.factories import add_request
from tests.helpers import counting, days_ago, move_event_to

pytestmark = pytest.mark.usefixtures("english_request_context")

MAX_QUERIES = 9  # the whole request: session, user, notifications and the next steps


def _home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_visitor_still_gets_the_marketing_home(client):
    html = _home(client)
    assert "For public buyers" in html and "What to do next" not in html


def test_a_user_without_organisation_is_asked_to_register_or_join_one(client, auth):
    auth.login_as("supplier", with_organisation=False)
    html = _home(client)
    assert "Complete your organisation" in html and 'href="/organisations/mine"' in html
    assert "For public buyers" not in html  # not the marketing page


def test_a_supplier_without_a_published_offering_is_asked_to_publish_one(client, auth):
    auth.login_as("supplier")
    html = _home(client)
    assert "Publish your first offering" in html and 'href="/catalogue/offerings/new"' in html


def test_an_unverified_government_buyer_learns_it_waits_for_verification(
    client, auth, make_user, make_organisation
):
    user = make_user(roles=("buyer",))
    make_organisation(admins=(user,), kind="government", verification="unverified", name="Agentschap Test")
    auth.login(user)
    html = _home(client)
    assert "Publish your first need" in html and 'href="/catalogue/needs/new"' in html
    assert "Your organisation waits for verification" in html and "Agentschap Test" in html


def _shown_unanswered(user) -> int:
    page = matching.my_proposals(user, "en")
    return sum(1 for group in page.items for p in group.proposals if p.my_interest is None)


def test_new_proposals_count_those_the_proposals_page_shows_unanswered(client, auth, catalogue):
    buyer = catalogue.buyer
    expected = _shown_unanswered(buyer.user)
    assert expected >= 2
    assert matching.unanswered_count(buyer.user) == expected
    auth.login(buyer.user)
    assert f"{expected} new proposals" in _home(client)
    matching.set_interest(buyer.user, catalogue.bus_need.id, catalogue.bus_offering.id, "interested")
    assert matching.unanswered_count(buyer.user) == expected - 1 == _shown_unanswered(buyer.user)
    # The supplier side answered nothing: its own count is untouched by the buyer's answer.
    supplier = catalogue.bus_supplier.user
    assert matching.unanswered_count(supplier) == _shown_unanswered(supplier) >= 1


def test_meeting_requests_received_and_upcoming_meetings_link_to_their_event(
    client, auth, event, buyer, pair, meeting
):
    rb, rs = pair
    add_request(event, rs, rb, RequestStatus.PENDING)
    auth.login(buyer)
    html = _home(client)
    assert "1 meeting request to answer" in html and f'href="/events/{event.id}/requests"' in html
    assert "1 upcoming meeting" in html and f'href="/events/{event.id}/agenda"' in html


def test_an_outcome_survey_waits_after_the_event(client, auth, event, buyer, pair, make_meeting):
    rb, rs = pair
    make_meeting(event, rb, rs)
    move_event_to(event, days_ago(10))
    auth.login(buyer)
    html = _home(client)
    assert "1 outcome survey waits for you" in html and f'href="/outcomes/events/{event.id}"' in html
    assert "0 of 1 meetings rated" in html
    assert "upcoming meeting" not in html


def test_an_organizer_sees_registrations_to_approve_in_their_events(
    client, auth, organizer, event, make_event, make_user, buyer, register
):
    registration = register(buyer, event)
    registration.status = RegistrationStatus.PENDING
    db.session.commit()
    someone_else = make_user(roles=("organizer",))
    make_event(by=someone_else, title="Not mine")
    auth.login(organizer)
    html = _home(client)
    assert "1 registration to approve" in html and f'href="/events/{event.id}/dashboard"' in html
    assert "Not mine" not in html


def test_an_administrator_sees_the_verification_and_review_queues(client, auth, make_organisation):
    make_organisation(verification="unverified")
    auth.login_as("admin")
    html = _home(client)
    waiting = db.session.scalar(
        db.select(db.func.count()).select_from(Organisation).where(Organisation.verification == "unverified")
    )
    assert f"{waiting} organisation" in html and 'href="/admin/organisations?verification=unverified"' in html
    assert "0 3%-norm figures wait for review" in html and 'href="/admin/reviews"' in html


def test_nothing_to_do_shows_a_helpful_empty_state(client, auth, make_user, make_organisation, make_offering):
    from tests.factories import Party

    user = make_user(roles=("supplier",))
    organisation = make_organisation(admins=(user,))
    make_offering(Party(user, organisation))  # nobody to propose it to
    auth.login(user)
    html = _home(client)
    assert "Nothing waits for you right now." in html
    assert "Publish your first" not in html


def test_the_home_of_a_busy_participant_stays_cheap(
    client, auth, event, buyer, pair, meeting, make_participant, register, make_event, make_meeting
):
    """Requests, meetings to come, a survey to fill in and proposals: a bounded number of queries, whatever
    the number of events and items."""
    rb, rs = pair
    add_request(event, rs, rb, RequestStatus.PENDING)
    past = make_event(title="Last month")
    rb_past, rs_past = register(buyer, past), register(make_participant("supplier"), past)
    make_meeting(past, rb_past, rs_past)
    move_event_to(past, days_ago(30))
    auth.login(buyer)
    html = _home(client)
    assert "meeting request to answer" in html and "upcoming meeting" in html and "outcome survey" in html
    with counting() as statements:
        _home(client)
    assert len(statements) <= MAX_QUERIES, "\n".join(statements)
