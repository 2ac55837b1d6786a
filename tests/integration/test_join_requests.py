"""Joining an organisation without an invitation: mail domains of government organisations (joining at
once) and requests to join any organisation (its administrators decide)."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import (
    JoinRequest,
    JoinRequestStatus,
    MailDomain,
    Membership,
    MembershipRole,
    OutboxMail,
    User,
    utcnow,
)
from matchmaker.services import Conflict, NotFound, ServiceError
from matchmaker.services import joining as service
from tests.helpers import race, require_postgres

GOV_NUMBER = "0316380940"  # passes the mod-97 check


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def in_request(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def agency(make_user, make_organisation):
    """A verified government organisation whose administrator has an address at mow.vlaanderen.be."""
    admin = make_user(roles=("buyer",), email="ann@mow.vlaanderen.be", display_name="Ann Admin")
    organisation = make_organisation(
        admins=(admin,),
        kind="government",
        name="Departement MOW",
        policy_domain="mow",
        enterprise_number=GOV_NUMBER,
    )
    return organisation, admin


@pytest.fixture
def startup(make_user, make_organisation):
    admin = make_user(display_name="Stan Startup", language="en")
    second = make_user(display_name="Sofie Second", language="nl")
    organisation = make_organisation(admins=(admin, second), kind="startup", name="Lumen Robotics")
    return organisation, admin, second


def declare(organisation, domain, by):
    db.session.add(MailDomain(organisation_id=organisation.id, domain=domain, created_by_id=by.id))
    db.session.commit()


# --- declaring mail domains -----------------------------------------------------------------------


def test_an_administrator_declares_the_domain_of_their_own_address(client, auth, agency):
    organisation, admin = agency
    auth.login(admin)
    response = client.post(
        f"/organisations/{organisation.id}/domains", data={"domain": " @MOW.Vlaanderen.BE. "}
    )
    assert response.status_code == 302
    declared = db.session.scalar(sa.select(MailDomain))
    assert (declared.domain, declared.organisation_id, declared.created_by_id) == (
        "mow.vlaanderen.be",
        organisation.id,
        admin.id,
    )
    page = client.get("/organisations/mine").get_data(as_text=True)
    assert "@mow.vlaanderen.be" in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a mail domain"),
        ("localhost", "at least one dot"),
        ("not a domain.be", "at least one dot"),
        ("-bad.example.be", "at least one dot"),
        ("a..example.be", "at least one dot"),
        ("example.123", "at least one dot"),
        ("gmail.com", "public mail service"),
        ("Telenet.be", "public mail service"),
        ("hotmail.com", "public mail service"),
        ("vlaanderen.be", "shared by many government bodies"),
        ("a" * 300 + ".be", "253 characters"),
    ],
)
def test_a_domain_that_cannot_identify_the_organisation_is_refused(client, auth, agency, typed, message):
    organisation, admin = agency
    auth.login(admin)
    response = client.post(f"/organisations/{organisation.id}/domains", data={"domain": typed})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert count(MailDomain) == 0


def test_the_refused_domain_is_kept_in_the_form(client, auth, agency):
    organisation, admin = agency
    auth.login(admin)
    response = client.post(f"/organisations/{organisation.id}/domains", data={"domain": "gmail.com"})
    assert response.status_code == 422
    assert 'value="gmail.com"' in response.get_data(as_text=True)


def test_a_domain_declared_by_another_organisation_is_refused_clearly(
    client, auth, agency, make_user, make_organisation
):
    organisation, admin = agency
    rival_admin = make_user(roles=("buyer",), email="rik@mow.vlaanderen.be")
    rival = make_organisation(admins=(rival_admin,), kind="government", name="Agentschap Rivaal")
    declare(rival, "mow.vlaanderen.be", rival_admin)
    auth.login(admin)
    response = client.post(f"/organisations/{organisation.id}/domains", data={"domain": "mow.vlaanderen.be"})
    assert response.status_code == 422
    assert "already declared by Agentschap Rivaal" in response.get_data(as_text=True)
    assert count(MailDomain) == 1


def test_an_administrator_cannot_claim_the_domain_of_another_body(client, auth, agency):
    organisation, admin = agency
    auth.login(admin)
    response = client.post(
        f"/organisations/{organisation.id}/domains", data={"domain": "omgeving.vlaanderen.be"}
    )
    assert response.status_code == 422
    assert "your own confirmed address only" in response.get_data(as_text=True)
    assert count(MailDomain) == 0


def test_a_platform_administrator_may_declare_any_domain(client, auth, agency, make_user):
    organisation, _admin = agency
    auth.login(make_user(roles=("admin",)))
    response = client.post(f"/organisations/{organisation.id}/domains", data={"domain": "wegenenverkeer.be"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(MailDomain.domain)) == "wegenenverkeer.be"


def test_the_database_keeps_a_domain_to_one_organisation(agency, make_organisation):
    organisation, admin = agency
    other = make_organisation(kind="government")
    declare(organisation, "mow.vlaanderen.be", admin)
    db.session.add(MailDomain(organisation_id=other.id, domain="mow.vlaanderen.be"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_an_administrator_removes_a_domain(client, auth, agency):
    organisation, admin = agency
    declare(organisation, "mow.vlaanderen.be", admin)
    declared = db.session.scalar(sa.select(MailDomain))
    auth.login(admin)
    response = client.post(f"/organisations/domains/{declared.id}/remove")
    assert response.status_code == 302
    assert count(MailDomain) == 0


def test_only_the_organisations_administrators_manage_its_domains(
    client, auth, agency, make_user, make_organisation
):
    organisation, admin = agency
    declare(organisation, "mow.vlaanderen.be", admin)
    declared = db.session.scalar(sa.select(MailDomain))
    other_admin = make_user(roles=("buyer",), email="bob@omgeving.vlaanderen.be")
    make_organisation(admins=(other_admin,), kind="government")
    member = make_user(roles=("buyer",), email="mia@mow.vlaanderen.be")
    db.session.add(Membership(user=member, organisation=organisation))
    db.session.commit()
    for intruder in (other_admin, member):
        auth.login(intruder)
        assert client.get(f"/organisations/{organisation.id}/domains").status_code == 403
        data = {"domain": "omgeving.vlaanderen.be"}
        assert client.post(f"/organisations/{organisation.id}/domains", data=data).status_code == 403
        assert client.post(f"/organisations/domains/{declared.id}/remove").status_code == 403
    auth.logout()
    response = client.post(f"/organisations/{organisation.id}/domains", data={"domain": "x.be"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert [d.domain for d in db.session.scalars(sa.select(MailDomain))] == ["mow.vlaanderen.be"]


def test_only_government_organisations_have_mail_domains(client, auth, startup):
    organisation, admin, _second = startup
    auth.login(admin)
    assert client.get(f"/organisations/{organisation.id}/domains").status_code == 404
    assert 'id="mail-domains"' not in client.get("/organisations/mine").get_data(as_text=True)


# --- joining at once by mail domain ---------------------------------------------------------------


def test_a_confirmed_address_in_a_verified_agencys_domain_joins_at_once(
    client, auth, agency, make_user, outbox
):
    organisation, admin = agency
    declare(organisation, "mow.vlaanderen.be", admin)
    newcomer = make_user(roles=(), email="nina@mow.vlaanderen.be", display_name="Nina New")
    auth.login(newcomer)
    page = client.get("/organisations/mine").get_data(as_text=True)
    assert "Join Departement MOW" in page
    response = client.post("/organisations/mine/join-by-domain", data={"organisation_id": organisation.id})
    assert response.status_code == 302
    newcomer = reload(newcomer)
    assert newcomer.membership.organisation_id == organisation.id
    assert newcomer.membership.role == MembershipRole.MEMBER
    assert newcomer.has_role("buyer")
    assert [m.to for m in outbox] == [admin.email]
    assert "Nina New" in outbox[0].body and "mow.vlaanderen.be" in outbox[0].body


@pytest.mark.parametrize(
    ("verification", "confirmed", "email"),
    [
        ("unverified", True, "nina@mow.vlaanderen.be"),
        ("suspended", True, "nina@mow.vlaanderen.be"),
        ("verified", False, "nina@mow.vlaanderen.be"),
        ("verified", True, "nina@wegen.mow.vlaanderen.be"),  # a subdomain does not match
        ("verified", True, "nina@vlaanderen.be"),
    ],
)
def test_joining_by_domain_needs_a_confirmed_address_of_a_verified_agency(
    client, auth, agency, make_user, verification, confirmed, email
):
    organisation, admin = agency
    organisation.verification = verification
    db.session.commit()
    declare(organisation, "mow.vlaanderen.be", admin)
    newcomer = make_user(roles=(), email=email, confirmed=confirmed)
    auth.login(newcomer)
    assert "Join Departement MOW" not in client.get("/organisations/mine").get_data(as_text=True)
    response = client.post(
        "/organisations/mine/join-by-domain", data={"organisation_id": organisation.id}, follow_redirects=True
    )
    assert response.status_code == 200
    assert reload(newcomer).membership is None


def test_joining_by_domain_refuses_another_organisation_than_offered(
    client, auth, agency, make_user, make_organisation
):
    organisation, admin = agency
    declare(organisation, "mow.vlaanderen.be", admin)
    other = make_organisation(kind="government", name="Other agency")
    newcomer = make_user(roles=(), email="nina@mow.vlaanderen.be")
    auth.login(newcomer)
    response = client.post(
        "/organisations/mine/join-by-domain", data={"organisation_id": other.id}, follow_redirects=True
    )
    assert "does not let you join this organisation directly" in response.get_data(as_text=True)
    assert reload(newcomer).membership is None


def test_joining_by_domain_closes_a_pending_request(in_request, agency, startup, make_user):
    organisation, admin = agency
    declare(organisation, "mow.vlaanderen.be", admin)
    newcomer = make_user(roles=(), email="nina@mow.vlaanderen.be")
    join_request = service.request_to_join(newcomer, startup[0])
    service.join_by_mail_domain(newcomer, organisation.id)
    assert reload(join_request).status == JoinRequestStatus.WITHDRAWN


# --- asking to join -------------------------------------------------------------------------------


def test_mine_without_organisation_offers_a_search_not_only_an_invitation(client, auth):
    auth.login_as("organizer", language="en")
    page = client.get("/organisations/mine").get_data(as_text=True)
    assert 'action="/organisations/join"' in page
    assert "ask to join it" in page


def test_the_search_finds_organisations_by_name_and_enterprise_number(
    client, auth, agency, startup, make_organisation
):
    make_organisation(name="Lumen Suspended", verification="suspended")
    auth.login_as("supplier", with_organisation=False)
    page = client.get("/organisations/join?q=lumen").get_data(as_text=True)
    assert "Lumen Robotics" in page and "Lumen Suspended" not in page
    page = client.get("/organisations/join?q=0316.380.940").get_data(as_text=True)
    assert "Departement MOW" in page and "Lumen Robotics" not in page
    page = client.get("/organisations/join?q=%25").get_data(as_text=True)  # LIKE wildcards are escaped
    assert "Lumen Robotics" not in page


@pytest.mark.parametrize("query", ["energie", "ÉNERGIE", "bruxelles énergie", "Energie  Bruxelles"])
def test_the_search_ignores_accents_case_and_word_order(client, auth, make_organisation, query):
    make_organisation(name="Bruxelles Énergie", kind="government")
    make_organisation(name="Energy Lab", kind="startup")
    auth.login_as("supplier", with_organisation=False)
    page = client.get("/organisations/join", query_string={"q": query}).get_data(as_text=True)
    assert "Bruxelles Énergie" in page and "Energy Lab" not in page


def test_a_renamed_organisation_is_found_by_its_new_name(client, auth, make_organisation):
    organisation = make_organisation(name="Oude Naam", kind="startup")
    organisation.name = "Nieuwe Stroom"
    db.session.commit()
    auth.login_as("supplier", with_organisation=False)
    assert "Nieuwe Stroom" in client.get("/organisations/join?q=stroom").get_data(as_text=True)
    assert "Nieuwe Stroom" not in client.get("/organisations/join?q=oude").get_data(as_text=True)


def test_asking_to_join_mails_each_administrator_in_their_language(client, auth, startup, make_user, outbox):
    organisation, admin, second = startup
    user = auth.login(make_user(display_name="Rita Request"))
    response = client.post(f"/organisations/{organisation.id}/join", data={"message": "I run the lab."})
    assert response.status_code == 302
    join_request = db.session.scalar(sa.select(JoinRequest))
    assert (
        join_request.user_id,
        join_request.organisation_id,
        join_request.status,
        join_request.message,
    ) == (
        user.id,
        organisation.id,
        "pending",
        "I run the lab.",
    )
    assert sorted(m.to for m in outbox) == sorted([admin.email, second.email])
    assert all("Rita Request" in m.body and "I run the lab." in m.body for m in outbox)
    languages = dict(db.session.execute(sa.select(OutboxMail.to, OutboxMail.language)).all())
    assert languages == {admin.email: "en", second.email: "nl"}
    # The requester sees the pending request on their page and can withdraw it.
    page = client.get("/organisations/mine").get_data(as_text=True)
    assert "You asked to join Lumen Robotics" in page
    assert f"/organisations/join-requests/{join_request.id}/withdraw" in page


def test_deactivated_administrators_get_no_request_and_cannot_be_the_only_one(
    client, auth, startup, make_user, make_organisation, outbox
):
    organisation, admin, second = startup
    second.active = False
    gone = make_user(display_name="Gone Admin")
    gone.active = False
    orphan = make_organisation(admins=(gone,), kind="startup", name="Orphan Labs")
    db.session.commit()
    auth.login(make_user(display_name="Rita Request", language="en"))
    client.post(f"/organisations/{organisation.id}/join", data={"message": "Hello."})
    assert [m.to for m in outbox] == [admin.email]
    assert "has no administrator yet" in service.request_problem(make_user(), orphan)


def test_a_too_long_message_is_refused_and_kept(client, auth, startup, make_user):
    organisation, *_ = startup
    auth.login(make_user())
    response = client.post(f"/organisations/{organisation.id}/join", data={"message": "x" * 1001})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "under 1000 characters" in page and "x" * 1001 in page
    assert count(JoinRequest) == 0


def test_line_breaks_count_as_one_character_as_in_the_browser(client, auth, startup, make_user):
    organisation, *_ = startup
    auth.login(make_user())
    message = "ab\r\n" * 300  # 1200 characters sent, 900 as the browser counts them
    response = client.post(f"/organisations/{organisation.id}/join", data={"message": message})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(JoinRequest.message)) == ("ab\n" * 300).strip()


def test_one_open_request_at_a_time(client, auth, startup, agency, make_user):
    auth.login(make_user())
    client.post(f"/organisations/{startup[0].id}/join", data={"message": ""})
    response = client.post(f"/organisations/{agency[0].id}/join", data={"message": ""})
    assert response.status_code == 422
    assert "You already asked to join Lumen Robotics" in response.get_data(as_text=True)
    assert count(JoinRequest) == 1


def test_the_database_allows_one_pending_request_per_person(startup, agency, make_user):
    user = make_user()
    db.session.add(JoinRequest(user_id=user.id, organisation_id=startup[0].id))
    db.session.commit()
    db.session.add(JoinRequest(user_id=user.id, organisation_id=agency[0].id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # Decided requests do not count.
    first = db.session.scalar(sa.select(JoinRequest))
    first.status, first.decided_at = JoinRequestStatus.WITHDRAWN, utcnow()
    db.session.add(JoinRequest(user_id=user.id, organisation_id=agency[0].id))
    db.session.commit()
    assert count(JoinRequest) == 2


def test_the_database_refuses_a_decided_request_without_a_date(startup, make_user):
    db.session.add(JoinRequest(user_id=make_user().id, organisation_id=startup[0].id, status="accepted"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_member_of_an_organisation_cannot_ask_to_join_another(client, auth, startup):
    auth.login_as("buyer", language="en")
    response = client.post(f"/organisations/{startup[0].id}/join", data={"message": "hi"})
    assert response.status_code == 422
    assert "You already belong to" in response.get_data(as_text=True)
    assert count(JoinRequest) == 0


def test_an_organisation_without_administrator_sends_to_the_platform_administrators(
    client, auth, make_user, make_organisation
):
    orphan = make_organisation(name="Orphan Labs")
    auth.login(make_user())
    page = client.get(f"/organisations/{orphan.id}/join").get_data(as_text=True)
    assert "has no administrator yet" in page and 'href="/contact"' in page
    response = client.post(f"/organisations/{orphan.id}/join", data={"message": ""})
    assert response.status_code == 422
    assert count(JoinRequest) == 0


def test_a_suspended_organisation_cannot_be_asked(client, auth, make_user, make_organisation):
    admin = make_user()
    suspended = make_organisation(admins=(admin,), verification="suspended")
    auth.login(make_user())
    assert client.get(f"/organisations/{suspended.id}/join").status_code == 404
    assert client.post(f"/organisations/{suspended.id}/join", data={"message": ""}).status_code == 404


def test_a_person_asks_at_most_five_times_a_day(in_request, startup, make_user):
    user = make_user()
    for _ in range(service.MAX_REQUESTS_PER_DAY):
        service.withdraw_request(user, service.request_to_join(user, startup[0]))
    with pytest.raises(ServiceError, match="the most we allow"):
        service.request_to_join(user, startup[0])


def test_anonymous_visitors_are_sent_to_log_in(client, startup):
    organisation, *_ = startup
    for method, path in [
        ("get", "/organisations/join"),
        ("get", f"/organisations/{organisation.id}/join"),
        ("post", f"/organisations/{organisation.id}/join"),
        ("post", "/organisations/join-requests/1/accept"),
        ("post", "/organisations/join-requests/1/withdraw"),
        ("post", "/organisations/mine/join-by-domain"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


# --- the administrators' decision -----------------------------------------------------------------


@pytest.fixture
def pending(in_request, startup, make_user):
    """Rita's pending request to join the start-up."""
    rita = make_user(roles=(), display_name="Rita Request", language="en")
    return service.request_to_join(rita, startup[0], "Please let me in.")


def test_administrators_see_pending_requests_and_members_do_not(client, auth, startup, pending, make_user):
    organisation, admin, _second = startup
    auth.login(admin)
    page = client.get("/organisations/mine").get_data(as_text=True)
    assert "Rita Request" in page and "Please let me in." in page
    assert f"/organisations/join-requests/{pending.id}/accept" in page
    member = make_user()
    db.session.add(Membership(user=member, organisation=organisation))
    db.session.commit()
    auth.login(member)
    page = client.get("/organisations/mine").get_data(as_text=True)
    assert "Rita Request" not in page


def test_accepting_makes_a_member_and_mails_the_requester(client, auth, startup, pending, outbox):
    organisation, admin, _second = startup
    outbox.clear()
    auth.login(admin)
    response = client.post(f"/organisations/join-requests/{pending.id}/accept", follow_redirects=True)
    assert "Rita Request is now a member" in response.get_data(as_text=True)
    join_request = reload(pending)
    assert (join_request.status, join_request.decided_by_id) == ("accepted", admin.id)
    assert join_request.decided_at is not None
    rita = db.session.get(User, join_request.user_id)
    assert rita.membership.organisation_id == organisation.id
    assert rita.membership.role == MembershipRole.MEMBER
    assert rita.has_role("supplier") and not rita.has_role("buyer")
    assert [m.to for m in outbox] == [rita.email]
    assert "You are now a member of Lumen Robotics" in outbox[0].subject


def test_accepting_into_a_government_organisation_makes_a_buyer(in_request, agency, make_user):
    organisation, admin = agency
    rita = make_user(roles=())
    join_request = service.request_to_join(rita, organisation)
    service.accept_request(admin, join_request)
    assert reload(rita).has_role("buyer")


def test_declining_mails_the_reason(client, auth, startup, pending, outbox):
    _organisation, admin, _second = startup
    outbox.clear()
    auth.login(admin)
    page = client.get(f"/organisations/join-requests/{pending.id}/decline").get_data(as_text=True)
    assert "Please let me in." in page
    response = client.post(
        f"/organisations/join-requests/{pending.id}/decline", data={"reason": "Not one of us."}
    )
    assert response.status_code == 302
    join_request = reload(pending)
    assert (join_request.status, join_request.reason, join_request.decided_by_id) == (
        "declined",
        "Not one of us.",
        admin.id,
    )
    assert db.session.get(User, join_request.user_id).membership is None
    assert len(outbox) == 1 and "declined" in outbox[0].subject and "Not one of us." in outbox[0].body


def test_a_too_long_reason_is_refused_and_kept(client, auth, startup, pending):
    auth.login(startup[1])
    response = client.post(f"/organisations/join-requests/{pending.id}/decline", data={"reason": "r" * 1001})
    assert response.status_code == 422
    assert "r" * 1001 in response.get_data(as_text=True)
    assert reload(pending).status == "pending"


def test_another_organisations_administrator_gets_403(client, auth, pending):
    auth.login_as("supplier")  # the administrator of another start-up
    assert client.post(f"/organisations/join-requests/{pending.id}/accept").status_code == 403
    assert client.get(f"/organisations/join-requests/{pending.id}/decline").status_code == 403
    assert client.post(f"/organisations/join-requests/{pending.id}/decline", data={}).status_code == 403
    assert reload(pending).status == "pending"


def test_a_plain_member_cannot_decide(client, auth, startup, pending, make_user):
    member = make_user()
    db.session.add(Membership(user=member, organisation=startup[0]))
    db.session.commit()
    auth.login(member)
    assert client.post(f"/organisations/join-requests/{pending.id}/accept").status_code == 403
    assert reload(pending).status == "pending"


def test_a_request_decided_twice_is_decided_once_with_a_clear_message(client, auth, startup, pending):
    _organisation, admin, second = startup
    auth.login(admin)
    client.post(f"/organisations/join-requests/{pending.id}/accept")
    second.language = "en"  # (the page speaks the language of whoever is logged in)
    db.session.commit()
    auth.login(second)  # the other administrator clicks on the same request a moment later
    page = client.post(f"/organisations/join-requests/{pending.id}/accept", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Rita Request&#39;s request was already accepted." in page
    response = client.post(
        f"/organisations/join-requests/{pending.id}/decline", data={"reason": "no"}, follow_redirects=True
    )
    assert "already accepted" in response.get_data(as_text=True)
    assert reload(pending).status == "accepted"
    assert count(Membership) == 3  # the two administrators and Rita, once


def test_a_decision_on_a_request_read_before_another_decided_it_loses(in_request, startup, pending):
    """The second administrator's page (and session) still hold the request as pending."""
    _organisation, admin, second = startup
    stale = db.session.get(JoinRequest, pending.id)
    with db.engine.begin() as other_connection:  # the first administrator's decline, in another transaction
        other_connection.execute(
            sa.update(JoinRequest)
            .where(JoinRequest.id == pending.id)
            .values(status="declined", decided_at=utcnow(), decided_by_id=admin.id)
        )
    assert stale.status == "pending"
    with pytest.raises(Conflict, match="already declined"):
        service.accept_request(second, stale)
    assert db.session.get(User, pending.user_id).membership is None


def test_a_requester_who_joined_elsewhere_meanwhile_is_not_let_in(
    in_request, startup, pending, make_organisation
):
    _organisation, admin, _second = startup
    rita = db.session.get(User, pending.user_id)
    make_organisation(members=(rita,), name="Elsewhere")
    with pytest.raises(Conflict, match="joined an organisation meanwhile"):
        service.accept_request(admin, pending)
    assert reload(pending).status == JoinRequestStatus.WITHDRAWN
    assert reload(rita).membership.organisation.name == "Elsewhere"


def test_the_requester_withdraws_their_request(client, auth, pending):
    rita = db.session.get(User, pending.user_id)
    auth.login(rita)
    response = client.post(f"/organisations/join-requests/{pending.id}/withdraw")
    assert response.status_code == 302
    assert reload(pending).status == "withdrawn"
    # Now another organisation can be asked.
    assert "You asked to join" not in client.get("/organisations/mine").get_data(as_text=True)


def test_nobody_else_withdraws_a_request(client, auth, startup, pending, make_user):
    for other in (make_user(), startup[1]):
        auth.login(other)
        assert client.post(f"/organisations/join-requests/{pending.id}/withdraw").status_code == 404
    assert reload(pending).status == "pending"
    with pytest.raises(NotFound):
        service.withdraw_request(startup[1], pending)


def test_a_decided_request_cannot_be_withdrawn(in_request, startup, pending):
    service.decline_request(startup[1], pending)
    with pytest.raises(Conflict):
        service.withdraw_request(db.session.get(User, pending.user_id), pending)


# --- races (PostgreSQL) ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_administrators_accepting_at_the_same_moment_let_the_person_in_once(app, startup, make_user):
    require_postgres()
    organisation, admin, second = startup
    rita = make_user(roles=(), display_name="Rita Request")
    with app.test_request_context():
        request_id = service.request_to_join(rita, organisation).id

    def accept(by):
        return lambda: service.accept_request(
            db.session.get(User, by), db.session.get(JoinRequest, request_id)
        )

    results = race(app, accept(admin.id), accept(second.id), language="en")
    assert results.count("ok") == 1, results
    assert "already accepted" in next(r for r in results if r != "ok").message
    assert db.session.scalar(sa.select(sa.func.count()).where(Membership.user_id == rita.id)) == 1


@pytest.mark.postgres
def test_accepting_and_declining_at_the_same_moment_leaves_one_decision(app, startup, make_user):
    require_postgres()
    organisation, admin, second = startup
    rita = make_user(roles=())
    with app.test_request_context():
        request_id = service.request_to_join(rita, organisation).id
    results = race(
        app,
        lambda: service.accept_request(
            db.session.get(User, admin.id), db.session.get(JoinRequest, request_id)
        ),
        lambda: service.decline_request(
            db.session.get(User, second.id), db.session.get(JoinRequest, request_id)
        ),
        language="en",
    )
    assert results.count("ok") == 1, results
    db.session.expire_all()
    final = db.session.get(JoinRequest, request_id).status
    joined = db.session.get(User, rita.id).membership is not None
    assert (final, joined) in (("accepted", True), ("declined", False))


@pytest.mark.postgres
def test_two_requests_of_one_person_at_the_same_moment_leave_one_pending(app, startup, agency, make_user):
    require_postgres()
    rita_id = make_user(roles=()).id
    ids = (startup[0].id, agency[0].id)

    def ask(organisation_id):
        return lambda: service.request_to_join(
            db.session.get(User, rita_id), db.session.get(type(startup[0]), organisation_id)
        )

    results = race(app, *(ask(i) for i in ids), language="en")
    assert results.count("ok") == 1, results
    assert count(JoinRequest) == 1


@pytest.mark.postgres
def test_two_organisations_declaring_one_domain_at_the_same_moment_get_it_once(
    app, make_user, make_organisation
):
    require_postgres()
    admins = [make_user(roles=(), email=f"a{i}@mow.vlaanderen.be") for i in range(2)]
    organisations = [make_organisation(admins=(a,), kind="government") for a in admins]
    pairs = [(a.id, o.id) for a, o in zip(admins, organisations, strict=True)]

    def declare_as(user_id, organisation_id):
        return lambda: service.declare_mail_domain(
            db.session.get(User, user_id),
            db.session.get(type(organisations[0]), organisation_id),
            "mow.vlaanderen.be",
        )

    results = race(app, *(declare_as(*p) for p in pairs), language="en")
    assert results.count("ok") == 1, results
    assert "already declared by" in next(r for r in results if r != "ok").message
    assert count(MailDomain) == 1


def test_joining_by_invitation_closes_a_pending_request_elsewhere(in_request, agency, startup, make_user):
    from matchmaker.services import organisations as organisations_service

    organisation, admin = agency
    company, _, _ = startup
    person = make_user(display_name="Pia Person", language="en")
    pending = service.request_to_join(person, company, "Hello")
    invitation = organisations_service.invite_member(admin, organisation, person.email, "member")
    token = "x"
    invitation.token_hash = organisations_service.hash_token(token)
    db.session.commit()
    organisations_service.accept_invitation(person, token)
    assert reload(pending).status == JoinRequestStatus.WITHDRAWN
    assert service.pending_requests(company) == []
