"""The home page of a logged-in user: what to do next for their role(s), as counts with links, in a handful of
queries; visitors keep the marketing home (tests/integration/test_home.py)."""

from types import SimpleNamespace

import pytest

from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Organisation, RegistrationStatus, RequestStatus
from matchmaker.services import conversations, matching
from tests.factories import add_request
from tests.helpers import counting, days_ago, move_event_to

pytestmark = pytest.mark.usefixtures("english_request_context")

MAX_QUERIES = (
    10  # the whole request: session and user, notifications, the menu's event teams and the next steps
)
# (unread messages counted once for the page and the menu's badge; public questions: one more)


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
    # The slot's time is Brussels time as the event keeps it: shown as it is, not converted again (it read
    # an hour later in winter, two in summer), and without seconds.
    starts = meeting.slot.starts_at
    assert f"the first on {starts.day} {starts:%B} {starts.year}, {starts:%H:%M}<" in html, html


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


def test_a_co_organizer_sees_the_registrations_to_approve_in_the_events_they_help_run(
    client, auth, organizer, event, make_event, make_user, buyer, register
):
    """Issue 16: a co-organizer manages the event as its organizer does, platform role or not, and finds
    its waiting registrations at home; check-in staff do not (they only run the door)."""
    from matchmaker.services import event_team

    registration = register(buyer, event)
    registration.status = RegistrationStatus.PENDING
    db.session.commit()
    make_event(by=organizer, title="Not shared")
    helper = make_user(display_name="Colette Co")
    door = make_user(display_name="Dirk Door")
    event_team.add_member(organizer, event, helper.email, "co_organizer")
    event_team.add_member(organizer, event, door.email, "check_in")
    auth.login(helper)
    html = _home(client)
    assert "1 registration to approve" in html and f'href="/events/{event.id}/dashboard"' in html
    assert "Not shared" not in html
    auth.login(door)
    assert "registration to approve" not in _home(client)


def test_an_administrator_sees_the_verification_and_review_queues(client, auth, make_organisation):
    make_organisation(verification="unverified")
    auth.login_as("admin")
    html = _home(client)
    waiting = db.session.scalar(
        db.select(db.func.count()).select_from(Organisation).where(Organisation.verification == "unverified")
    )
    assert f"{waiting} organisation" in html and 'href="/admin/organisations?verification=unverified"' in html
    assert "0 3%-norm figures wait for review" in html and 'href="/admin/reviews"' in html


COMPLETE_PROFILE = {
    "description": "We build things.",
    "website": "https://example.org",
    "logo_version": "v1",
}


def test_nothing_to_do_shows_a_helpful_empty_state(client, auth, make_user, make_organisation, make_offering):
    from tests.factories import Party

    user = make_user(roles=("supplier",))
    organisation = make_organisation(admins=(user,), **COMPLETE_PROFILE)
    make_offering(Party(user, organisation))  # nobody to propose it to
    auth.login(user)
    html = _home(client)
    assert "Nothing waits for you right now." in html
    assert "Publish your first" not in html and "Complete your organisation profile" not in html


# --------------------------------------------------------------------------------------------------
# Messages, public questions and the organisation's profile (issue 15 audit)


@pytest.fixture
def quiet_buyer(make_buyer, make_supplier, make_need):
    """A buyer whose complete organisation has an open need with public questions and nothing else waiting,
    and a supplier (the need is in neither's proposals: nothing to propose it to)."""
    from tests.factories import SENSOR_NEED

    buyer = make_buyer()
    for name, value in COMPLETE_PROFILE.items():
        setattr(buyer.organisation, name, value)
    need = make_need(buyer, {**SENSOR_NEED, "cpv": ()}, public_questions=True)
    private = make_need(buyer, {**SENSOR_NEED, "cpv": ()}, title="Private questions only")
    supplier = make_supplier()
    db.session.commit()
    return SimpleNamespace(buyer=buyer, supplier=supplier, need=need, private_need=private)


def _nothing_else_waits(client, auth, quiet_buyer) -> None:
    auth.login(quiet_buyer.buyer.user)
    assert "Nothing waits for you right now." in _home(client)


def test_unread_messages_are_counted_and_link_to_the_messages(client, auth, quiet_buyer):
    _nothing_else_waits(client, auth, quiet_buyer)
    supplier = quiet_buyer.supplier.user
    conversation = conversations.start_conversation(supplier, quiet_buyer.private_need, "Hello?")
    conversations.reply(quiet_buyer.supplier.user, conversation, "Anyone there?")
    auth.login(quiet_buyer.buyer.user)
    html = _home(client)
    assert "2 unread messages" in html and 'href="/messages/"' in html
    assert "Nothing waits for you right now." not in html
    client.get(f"/messages/{conversation.id}")  # read
    html = _home(client)
    assert "unread message" not in html and "Nothing waits for you right now." in html


def test_public_questions_waiting_for_the_buyers_answer_link_to_the_need(client, auth, quiet_buyer):
    _nothing_else_waits(client, auth, quiet_buyer)
    question = conversations.ask_question(quiet_buyer.supplier.user, quiet_buyer.need, "Which sizes?")
    auth.login(quiet_buyer.buyer.user)
    html = _home(client)
    assert "1 public question waits for your answer" in html
    assert f'href="/catalogue/needs/{quiet_buyer.need.id}#questions"' in html
    assert "Nothing waits for you right now." not in html
    # The asker's home does not count it: it is the buyer's to answer.
    auth.login(quiet_buyer.supplier.user)
    assert "public question" not in _home(client)
    conversations.answer_question(quiet_buyer.buyer.user, question, "All of them.")
    auth.login(quiet_buyer.buyer.user)
    assert "public question" not in _home(client)


@pytest.mark.parametrize(
    ("missing", "shown"),
    [
        (("logo_version",), ["Logo"]),
        (("description",), ["Description"]),
        (("website",), ["Website"]),
        (("logo_version", "description", "website"), ["Logo", "Description", "Website"]),
    ],
)
def test_an_organisation_administrator_is_told_what_its_profile_lacks(
    client, auth, quiet_buyer, missing, shown
):
    organisation = quiet_buyer.buyer.organisation
    for name in missing:
        setattr(organisation, name, "" if name == "description" else None)
    db.session.commit()
    auth.login(quiet_buyer.buyer.user)
    html = _home(client)
    assert "Complete your organisation profile" in html
    assert f'href="/organisations/{organisation.id}/edit"' in html
    lacks = html.split('id="profile-lacks"', 1)[1].split("</ul>", 1)[0]
    assert [item for item in ("Logo", "Description", "Website") if f"<li>{item}</li>" in lacks] == shown
    assert "Nothing waits for you right now." not in html


def test_only_administrators_are_asked_to_complete_the_profile(client, auth, quiet_buyer, make_user):
    organisation = quiet_buyer.buyer.organisation
    organisation.website = None
    colleague = make_user(roles=("buyer",))
    db.session.add(Membership(user=colleague, organisation=organisation, role=MembershipRole.MEMBER))
    db.session.commit()
    auth.login(colleague)
    html = _home(client)
    assert "Complete your organisation profile" not in html
    assert f'href="/organisations/{organisation.id}/edit"' not in html


def test_a_complete_profile_asks_for_nothing(client, auth, quiet_buyer):
    _nothing_else_waits(client, auth, quiet_buyer)
    assert "Complete your organisation profile" not in _home(client)


def test_the_home_of_a_busy_participant_stays_cheap(
    client, auth, event, buyer, pair, meeting, make_participant, register, make_event, make_meeting, make_need
):
    """Requests, meetings to come, a survey to fill in, proposals, unread messages, public questions and an
    incomplete profile: a bounded number of queries, whatever the number of events and items."""
    from tests.factories import SENSOR_NEED, Party

    rb, rs = pair
    add_request(event, rs, rb, RequestStatus.PENDING)
    past = make_event(title="Last month")
    rb_past, rs_past = register(buyer, past), register(make_participant("supplier"), past)
    make_meeting(past, rb_past, rs_past)
    move_event_to(past, days_ago(30))
    supplier = make_participant("supplier")
    party = Party(buyer, buyer.organisation)
    for n in range(3):
        need = make_need(party, SENSOR_NEED, title=f"Need {n}")
        conversations.start_conversation(supplier, need, f"About need {n}")
        need = make_need(party, SENSOR_NEED, public_questions=True, title=f"Public need {n}")
        conversations.ask_question(supplier, need, f"A question about need {n}")
    auth.login(buyer)
    html = _home(client)
    assert "meeting request to answer" in html and "upcoming meeting" in html and "outcome survey" in html
    assert "3 unread messages" in html and "3 public questions wait for your answer" in html
    assert "Complete your organisation profile" in html
    with counting() as statements:
        _home(client)
    assert len(statements) <= MAX_QUERIES, "\n".join(statements)
    # The menu's badges and the next steps share one count of the unread messages.
    assert sum("count(conversation_message.id)" in statement for statement in statements) == 1
