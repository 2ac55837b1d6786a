"""Organisations: registering, editing, the public page, invitations and members."""

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, format_date

from matchmaker.extensions import db
from matchmaker.models import Invitation, Membership, MembershipRole, Organisation, utcnow
from matchmaker.services import Invalid, ServiceError
from matchmaker.services import organisations as service

VALID_NUMBER = "0417497106"  # passes the mod-97 check


def startup_form(**overrides) -> dict:
    data = {
        "name": "Lumen Robotics",
        "kind": "startup",
        "enterprise_number": "0417.497.106",
        "website": "https://lumen.example.be",
        "description": "Inspection drones for bridges.",
        "policy_domain": "",
    }
    data.update(overrides)
    return data


def government_form(**overrides) -> dict:
    data = {
        "name": "Departement Omgeving",
        "kind": "government",
        "enterprise_number": "0316.380.940",
        "website": "",
        "description": "",
        "policy_domain": "omg",
    }
    data.update(overrides)
    return data


def invitation_token(mail) -> str:
    match = re.search(r"/organisations/invitations/([A-Za-z0-9_\-]+)", mail.body)
    assert match, mail.body
    return match.group(1)


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


@pytest.fixture
def in_request(app):
    """Services translate their messages, which needs a request (for the language)."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def org_with_admin(make_user, make_organisation):
    admin = make_user(display_name="Ann Admin")
    organisation = make_organisation(admins=(admin,), name="Lumen Robotics", enterprise_number=VALID_NUMBER)
    return organisation, admin


# --- my organisation --------------------------------------------------------------------------------


def test_mine_without_organisation_offers_registration(client, auth):
    auth.login_as("supplier", with_organisation=False)
    response = client.get("/organisations/mine")
    assert response.status_code == 200
    assert b'href="/organisations/new"' in response.data


def test_mine_for_organizer_explains_joining_an_existing_organisation(client, auth):
    auth.login_as("organizer", language="en")
    page = client.get("/organisations/mine").get_data(as_text=True)
    assert 'href="/organisations/new"' not in page
    assert "you join an organisation that is already registered: ask to join it" in page


def test_mine_requires_login(client):
    response = client.get("/organisations/mine")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_mine_lists_members_and_open_invitations_for_admin(client, auth, org_with_admin, make_user):
    organisation, admin = org_with_admin
    colleague = make_user(display_name="Bert Collega")
    db.session.add(Membership(user=colleague, organisation=organisation))
    db.session.commit()
    auth.login(admin)
    client.post(f"/organisations/{organisation.id}/invitations/new", data={"email": "new@example.org",
                                                                            "role": "member"})
    page = client.get("/organisations/mine").get_data(as_text=True)
    assert "Bert Collega" in page and "Ann Admin" in page
    assert "new@example.org" in page


def test_members_do_not_see_invitations(client, auth, org_with_admin, make_user):
    organisation, admin = org_with_admin
    auth.login(admin)
    client.post(f"/organisations/{organisation.id}/invitations/new", data={"email": "new@example.org",
                                                                            "role": "member"},
                follow_redirects=True)
    member = make_user()
    db.session.add(Membership(user=member, organisation=organisation))
    db.session.commit()
    auth.login(member)
    page = client.get("/organisations/mine").get_data(as_text=True)
    assert "new@example.org" not in page


# --- registering --------------------------------------------------------------------------------------


def test_supplier_registers_a_startup_and_becomes_its_admin(client, auth):
    user = auth.login_as("supplier", with_organisation=False)
    response = client.post("/organisations/new", data=startup_form())
    assert response.status_code == 302
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Lumen Robotics"))
    assert organisation.kind == "startup"
    assert reload(user).membership.role == MembershipRole.ADMIN
    assert reload(user).membership.organisation_id == organisation.id


def test_buyer_registers_a_government_entity_with_policy_domain(client, auth):
    auth.login_as("buyer", with_organisation=False)
    client.post("/organisations/new", data=government_form())
    organisation = db.session.scalar(sa.select(Organisation))
    assert (organisation.kind, organisation.policy_domain) == ("government", "omg")


@pytest.mark.parametrize(
    "typed", ["0417.497.106", "BE0417497106", "417497106", "BE 0417 497 106", "0417497106", " 0417-497-106 "]
)
def test_enterprise_number_is_accepted_in_any_usual_notation(client, auth, typed):
    auth.login_as("supplier", with_organisation=False)
    client.post("/organisations/new", data=startup_form(enterprise_number=typed))
    assert db.session.scalar(sa.select(Organisation.enterprise_number)) == VALID_NUMBER


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0417.497.107", "last two digits do not match"),
        ("12345", "has 10 digits"),
        ("abcdefghij", "has 10 digits"),
        ("2417497106", "starts with 0 or 1"),
    ],
)
def test_invalid_enterprise_number_is_refused_with_a_clear_message(client, auth, typed, message):
    auth.login_as("supplier", with_organisation=False, language="en")
    response = client.post("/organisations/new", data=startup_form(enterprise_number=typed))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


@pytest.mark.parametrize(("role", "kind"), [("supplier", "company"), ("supplier", "startup"),
                                            ("supplier", "sme"), ("buyer", "government")])
def test_enterprise_number_is_required_for_legal_entities(client, auth, role, kind):
    auth.login_as(role, with_organisation=False, language="en")
    form = government_form(enterprise_number="") if kind == "government" else startup_form(
        kind=kind, enterprise_number="")
    response = client.post("/organisations/new", data=form)
    assert "Enter the enterprise number" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


@pytest.mark.parametrize("kind", ["research_centre", "other"])
def test_enterprise_number_is_optional_for_research_centres_and_others(client, auth, kind):
    auth.login_as("supplier", with_organisation=False)
    client.post("/organisations/new", data=startup_form(kind=kind, enterprise_number=""))
    organisation = db.session.scalar(sa.select(Organisation))
    assert organisation.kind == kind and organisation.enterprise_number is None


def test_second_registration_of_a_number_suggests_an_invitation(client, auth, org_with_admin):
    auth.login_as("supplier", with_organisation=False, language="en")
    response = client.post("/organisations/new", data=startup_form(name="Lumen Copy"))
    page = response.get_data(as_text=True)
    assert "already registered" in page and "invite you" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_duplicate_number_without_administrator_points_to_platform_admins(
    in_request, make_user, make_organisation
):
    make_organisation(enterprise_number=VALID_NUMBER)
    user = make_user()
    with pytest.raises(Invalid) as refusal:
        service.create_organisation(user, service.OrganisationDetails(**startup_form()))
    assert "platform administrators" in refusal.value.problems["enterprise_number"]


def test_a_registration_racing_another_for_the_same_number_gets_the_same_message(
    in_request, org_with_admin, make_user, monkeypatch
):
    # As if both passed the check before either committed: the unique constraint decides.
    monkeypatch.setattr(service, "check_details", lambda *args, **kwargs: {})
    user = make_user()
    with pytest.raises(Invalid) as refusal:
        service.create_organisation(user, service.OrganisationDetails(**startup_form(name="Lumen Twin")))
    assert "already registered" in refusal.value.problems["enterprise_number"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_buyer_cannot_register_a_startup(client, auth):
    auth.login_as("buyer", with_organisation=False)
    response = client.post("/organisations/new", data=startup_form())
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_supplier_cannot_register_a_government_entity(in_request, make_user):
    supplier = make_user(roles=("supplier",))
    with pytest.raises(Invalid) as refusal:
        service.create_organisation(supplier, service.OrganisationDetails(**government_form()))
    assert "kind" in refusal.value.problems


def test_form_offers_a_buyer_only_the_government_kind(client, auth):
    auth.login_as("buyer", with_organisation=False)
    page = client.get("/organisations/new").get_data(as_text=True)
    assert 'value="government"' in page
    assert 'value="startup"' not in page


def test_policy_domain_is_required_for_government_entities(client, auth):
    auth.login_as("buyer", with_organisation=False, language="en")
    response = client.post("/organisations/new", data=government_form(policy_domain=""))
    assert "Choose the policy domain" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_policy_domain_is_refused_for_other_kinds(client, auth):
    auth.login_as("supplier", with_organisation=False, language="en")
    response = client.post("/organisations/new", data=startup_form(policy_domain="ewi"))
    assert "Only government entities have a policy domain" in response.get_data(as_text=True)


def test_website_without_scheme_gets_https(client, auth):
    auth.login_as("supplier", with_organisation=False)
    client.post("/organisations/new", data=startup_form(website="www.lumen.be"))
    assert db.session.scalar(sa.select(Organisation.website)) == "https://www.lumen.be"


@pytest.mark.parametrize("website", ["not a website", "ftp://files.lumen.be", "https://localhost"])
def test_invalid_website_is_refused(client, auth, website):
    auth.login_as("supplier", with_organisation=False, language="en")
    response = client.post("/organisations/new", data=startup_form(website=website))
    assert "Enter a web address" in response.get_data(as_text=True)


def test_refused_form_keeps_what_was_typed(client, auth):
    auth.login_as("supplier", with_organisation=False)
    response = client.post("/organisations/new", data=startup_form(enterprise_number="0417.497.107"))
    page = response.get_data(as_text=True)
    assert 'value="Lumen Robotics"' in page
    assert 'value="0417.497.107"' in page
    assert "Inspection drones for bridges." in page


def test_member_of_an_organisation_cannot_register_another(client, auth):
    auth.login_as("supplier")
    response = client.post("/organisations/new", data=startup_form())
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


# --- editing and the public page ------------------------------------------------------------------


def test_admin_edits_the_organisation(client, auth, org_with_admin):
    organisation, admin = org_with_admin
    auth.login(admin)
    response = client.post(
        f"/organisations/{organisation.id}/edit",
        data=startup_form(name="Lumen Robotics NV", description="Now also tunnels."),
    )
    assert response.status_code == 302
    organisation = reload(organisation)
    assert (organisation.name, organisation.description) == ("Lumen Robotics NV", "Now also tunnels.")


def test_edit_form_shows_the_number_formatted(client, auth, org_with_admin):
    organisation, admin = org_with_admin
    auth.login(admin)
    page = client.get(f"/organisations/{organisation.id}/edit").get_data(as_text=True)
    assert 'value="0417.497.106"' in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_member_who_is_not_admin_cannot_edit(client, auth, org_with_admin, make_user, method):
    organisation, _ = org_with_admin
    member = make_user()
    db.session.add(Membership(user=member, organisation=organisation))
    db.session.commit()
    auth.login(member)
    response = getattr(client, method)(f"/organisations/{organisation.id}/edit", data=startup_form(name="X"))
    assert response.status_code == 403
    assert reload(organisation).name == "Lumen Robotics"


def test_admin_of_another_organisation_cannot_edit(client, auth, org_with_admin):
    organisation, _ = org_with_admin
    auth.login_as("supplier")
    response = client.post(f"/organisations/{organisation.id}/edit", data=startup_form(name="Hijacked"))
    assert response.status_code == 403
    assert reload(organisation).name == "Lumen Robotics"


def test_public_page_shows_the_organisation_to_anyone(client, org_with_admin):
    organisation, _ = org_with_admin
    response = client.get(f"/organisations/{organisation.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Lumen Robotics" in page and "0417.497.106" in page


def test_public_page_hides_members_from_outsiders(client, auth, org_with_admin):
    organisation, _ = org_with_admin
    auth.login_as("supplier")
    assert "Ann Admin" not in client.get(f"/organisations/{organisation.id}").get_data(as_text=True)


def test_public_page_shows_members_to_members(client, auth, org_with_admin):
    organisation, admin = org_with_admin
    auth.login(admin)
    assert "Ann Admin" in client.get(f"/organisations/{organisation.id}").get_data(as_text=True)


def test_public_page_shows_kind_and_policy_domain_by_their_labels(client, make_organisation):
    organisation = make_organisation(kind="government", policy_domain="mow", name="AWV")
    response = client.get(f"/organisations/{organisation.id}", headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert "Government entity" in page
    assert "Mobility and Public Works (MOW)" in page


def test_public_page_of_unknown_organisation_is_404(client):
    assert client.get("/organisations/999999").status_code == 404


# --- invitations ------------------------------------------------------------------------------------


def test_admin_invites_by_email_and_the_mail_holds_the_link(client, auth, org_with_admin, outbox):
    organisation, admin = org_with_admin
    auth.login(admin)
    response = client.post(f"/organisations/{organisation.id}/invitations/new",
                           data={"email": "Colleague@Example.org", "role": "member"})
    assert response.status_code == 302
    assert [mail.to for mail in outbox] == ["colleague@example.org"]
    token = invitation_token(outbox[0])
    invitation = db.session.scalar(sa.select(Invitation))
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash


def test_invitation_mail_names_the_organisation_the_inviter_and_the_expiry(app, in_request, org_with_admin,
                                                                           outbox):
    organisation, admin = org_with_admin
    invitation = service.invite_member(admin, organisation, "x@example.org", "admin")
    mail = outbox[-1]
    assert "Lumen Robotics" in mail.subject
    assert "Ann Admin" in mail.body
    assert mail.body.count("http://localhost/organisations/invitations/") == 1
    with force_locale(admin.language):  # no account for the address yet: the inviter's language
        assert format_date(invitation.expires_at, "long") in mail.body


def test_invitation_expires_after_the_configured_age(app, in_request, org_with_admin):
    organisation, admin = org_with_admin
    invitation = service.invite_member(admin, organisation, "x@example.org", "member")
    expected = utcnow() + app.config["INVITATION_MAX_AGE"]
    assert abs(invitation.expires_at - expected) < timedelta(minutes=1)


def test_inviting_a_current_member_is_refused(client, auth, org_with_admin, outbox):
    organisation, admin = org_with_admin
    auth.login(admin)
    response = client.post(f"/organisations/{organisation.id}/invitations/new",
                           data={"email": admin.email, "role": "member"})
    assert response.status_code == 422
    assert outbox == []


def test_a_second_pending_invitation_to_the_same_address_is_refused(client, auth, org_with_admin, outbox):
    organisation, admin = org_with_admin
    auth.login(admin)
    url = f"/organisations/{organisation.id}/invitations/new"
    client.post(url, data={"email": "x@example.org", "role": "member"})
    response = client.post(url, data={"email": "x@example.org", "role": "admin"})
    assert response.status_code == 422
    assert len(outbox) == 1


def test_invalid_email_is_refused_and_kept(client, auth, org_with_admin, outbox):
    organisation, admin = org_with_admin
    auth.login(admin)
    response = client.post(f"/organisations/{organisation.id}/invitations/new",
                           data={"email": "not-an-address", "role": "member"})
    assert response.status_code == 422
    assert 'value="not-an-address"' in response.get_data(as_text=True)
    assert outbox == []


def test_anonymous_visitor_is_asked_to_log_in_and_comes_back(client, app, org_with_admin, outbox):
    organisation, admin = org_with_admin
    with app.test_request_context():
        service.invite_member(admin, organisation, "x@example.org", "member")
    token = invitation_token(outbox[0])
    page = client.get(f"/organisations/invitations/{token}").get_data(as_text=True)
    assert f"/login?next=/organisations/invitations/{token}" in page.replace("%2F", "/")
    assert "/register?" in page


@pytest.fixture
def invited(app, org_with_admin, make_user, outbox):
    """A user without organisation, invited as member; returns (organisation, user, token)."""
    organisation, admin = org_with_admin
    user = make_user(email="invitee@example.org", language="en")
    with app.test_request_context():
        service.invite_member(admin, organisation, user.email, "member")
    return organisation, user, invitation_token(outbox[-1])


def test_invited_user_joins_with_the_invited_role(client, auth, invited):
    organisation, user, token = invited
    auth.login(user)
    response = client.post(f"/organisations/invitations/{token}")
    assert response.status_code == 302
    membership = reload(user).membership
    assert (membership.organisation_id, membership.role) == (organisation.id, "member")
    assert db.session.scalar(sa.select(Invitation.accepted_at)) is not None


def test_joining_a_government_entity_makes_the_person_a_buyer(in_request, make_user, make_organisation,
                                                              outbox):
    admin = make_user(roles=("buyer",))
    organisation = make_organisation(admins=(admin,), kind="government", policy_domain="mow")
    user = make_user(roles=("supplier",))
    service.invite_member(admin, organisation, user.email, "member")
    service.accept_invitation(user, invitation_token(outbox[-1]))
    assert reload(user).has_role("buyer")


def test_invitation_for_another_address_is_refused(client, auth, invited, make_user):
    _, _, token = invited
    other = auth.login(make_user(language="en"))
    response = client.post(f"/organisations/invitations/{token}")
    assert response.status_code == 200
    assert "sent to invitee@example.org" in response.get_data(as_text=True)
    assert reload(other).membership is None


def test_member_of_another_organisation_cannot_accept(client, auth, invited, make_organisation):
    _, user, token = invited
    make_organisation(members=(user,), name="Elsewhere BV")
    auth.login(user)
    page = client.post(f"/organisations/invitations/{token}").get_data(as_text=True)
    assert "You already belong to Elsewhere BV" in page
    assert reload(user).membership.organisation.name == "Elsewhere BV"


def test_expired_invitation_is_refused(client, auth, invited):
    _, user, token = invited
    invitation = db.session.scalar(sa.select(Invitation))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    auth.login(user)
    page = client.post(f"/organisations/invitations/{token}").get_data(as_text=True)
    assert "expired" in page
    assert reload(user).membership is None


def test_used_invitation_cannot_be_used_again(in_request, invited):
    _organisation, user, token = invited
    service.accept_invitation(user, token)
    service.leave_organisation(reload(user))
    with pytest.raises(ServiceError, match="already been used"):
        service.accept_invitation(reload(user), token)


def test_unknown_invitation_token_is_404(client):
    assert client.get("/organisations/invitations/not-a-real-token").status_code == 404


def test_admin_revokes_an_invitation_and_its_link_stops_working(client, auth, invited, org_with_admin):
    _organisation, user, token = invited
    _, admin = org_with_admin
    invitation = db.session.scalar(sa.select(Invitation))
    auth.login(admin)
    client.post(f"/organisations/invitations/{invitation.id}/revoke")
    assert reload(invitation).revoked_at is not None
    auth.login(user)
    page = client.post(f"/organisations/invitations/{token}").get_data(as_text=True)
    assert "withdrew this invitation" in page
    assert reload(user).membership is None


def sent_minutes_ago(invitation: Invitation, minutes: int) -> None:
    """Pretend the invitation's current link was sent `minutes` ago."""
    invitation.expires_at -= timedelta(minutes=minutes)
    db.session.commit()


def test_resending_sends_a_new_link_and_the_old_one_stops_working(client, auth, invited, org_with_admin,
                                                                     outbox):
    _, _user, old_token = invited
    _, admin = org_with_admin
    invitation = db.session.scalar(sa.select(Invitation))
    sent_minutes_ago(invitation, 10)
    auth.login(admin)
    client.post(f"/organisations/invitations/{invitation.id}/resend")
    new_token = invitation_token(outbox[-1])
    assert new_token != old_token
    assert service.find_invitation(old_token) is None
    assert service.find_invitation(new_token).id == invitation.id


def test_resending_right_after_sending_is_refused(client, auth, invited, org_with_admin, outbox):
    _, admin = org_with_admin
    invitation = db.session.scalar(sa.select(Invitation))
    sent = len(outbox)
    auth.login(admin)
    response = client.post(f"/organisations/invitations/{invitation.id}/resend", follow_redirects=True)
    assert "less than 5 minutes ago" in response.get_data(as_text=True)
    assert len(outbox) == sent


def test_an_organisation_sends_a_limited_number_of_invitations_a_day(in_request, org_with_admin, outbox):
    organisation, admin = org_with_admin
    for n in range(service.MAX_INVITATIONS_PER_DAY):
        db.session.add(Invitation(organisation=organisation, email=f"p{n}@example.org",
                                  token_hash=f"{n:064d}", expires_at=utcnow() + timedelta(days=14)))
    db.session.commit()
    with pytest.raises(ServiceError, match="try again tomorrow"):
        service.invite_member(admin, organisation, "one.more@example.org", "member")
    assert outbox == []


def test_resending_an_expired_invitation_extends_it(client, auth, invited, org_with_admin):
    _, admin = org_with_admin
    invitation = db.session.scalar(sa.select(Invitation))
    invitation.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    auth.login(admin)
    client.post(f"/organisations/invitations/{invitation.id}/resend")
    assert service.invitation_status(reload(invitation)) == "pending"


def test_platform_admin_gives_an_abandoned_organisation_a_new_administrator(client, auth, make_organisation,
                                                                              make_user, outbox):
    organisation = make_organisation(name="Abandoned BV", enterprise_number=VALID_NUMBER)
    newcomer = make_user(email="new.admin@example.org")
    auth.login_as("admin", language="en")
    page = client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert "This organisation has no administrator" in page
    response = client.post(f"/organisations/{organisation.id}/invitations/new",
                           data={"email": newcomer.email, "role": "admin"})
    assert response.headers["Location"].endswith(f"/organisations/{organisation.id}")
    auth.login(newcomer)
    client.post(f"/organisations/invitations/{invitation_token(outbox[-1])}")
    membership = reload(newcomer).membership
    assert (membership.organisation_id, membership.role) == (organisation.id, "admin")


def test_platform_admin_corrects_an_organisation_but_does_not_manage_its_members(
    client, auth, org_with_admin
):
    """Issue 13: platform administrators correct an organisation's details (on the record, see test_trust);
    its members stay its own administrators' business."""
    organisation, admin_user = org_with_admin
    auth.login_as("admin")
    assert client.get(f"/organisations/{organisation.id}/edit").status_code == 200
    membership = admin_user.membership
    response = client.post(f"/organisations/members/{membership.id}/role", data={"role": "member"})
    assert response.status_code == 403


# --- members -----------------------------------------------------------------------------------------


@pytest.fixture
def team(make_user, make_organisation):
    """An organisation with one admin and one member."""
    admin = make_user(display_name="Ann Admin", language="en")
    member = make_user(display_name="Bert Member", language="en")
    organisation = make_organisation(admins=(admin,), members=(member,))
    return organisation, admin, member


def test_admin_makes_a_member_administrator(client, auth, team):
    _, admin, member = team
    auth.login(admin)
    client.post(f"/organisations/members/{member.membership.id}/role", data={"role": "admin"})
    assert reload(member).membership.role == "admin"


def test_admin_demotes_another_admin(client, auth, team):
    _organisation, admin, member = team
    member.membership.role = "admin"
    db.session.commit()
    auth.login(admin)
    client.post(f"/organisations/members/{member.membership.id}/role", data={"role": "member"})
    assert reload(member).membership.role == "member"


def test_last_admin_cannot_be_demoted(client, auth, team):
    _, admin, _ = team
    auth.login(admin)
    response = client.post(f"/organisations/members/{admin.membership.id}/role", data={"role": "member"},
                           follow_redirects=True)
    assert "only administrator" in response.get_data(as_text=True)
    assert reload(admin).membership.role == "admin"


def test_last_admin_cannot_leave_while_members_remain(client, auth, team):
    _, admin, _ = team
    auth.login(admin)
    response = client.post("/organisations/mine/leave", follow_redirects=True)
    assert "only administrator" in response.get_data(as_text=True)
    assert reload(admin).membership is not None


def test_member_leaves(client, auth, team):
    _, _, member = team
    auth.login(member)
    client.post("/organisations/mine/leave")
    assert reload(member).membership is None


def test_sole_member_may_leave_and_the_organisation_remains(client, auth, org_with_admin):
    organisation, admin = org_with_admin
    auth.login(admin)
    client.post("/organisations/mine/leave")
    assert reload(admin).membership is None
    assert reload(organisation) is not None


def test_admin_removes_a_member_who_is_told_by_mail(client, auth, team, outbox):
    _, admin, member = team
    auth.login(admin)
    client.post(f"/organisations/members/{member.membership.id}/remove")
    assert reload(member).membership is None
    assert [mail.to for mail in outbox] == [member.email]


def test_invalid_role_value_is_a_bad_request(client, auth, team):
    _, admin, member = team
    auth.login(admin)
    response = client.post(f"/organisations/members/{member.membership.id}/role", data={"role": "owner"})
    assert response.status_code == 400


WRITE_ROUTES = [
    ("edit", lambda ids: (f"/organisations/{ids['org']}/edit", startup_form(name="Changed"))),
    ("invite", lambda ids: (f"/organisations/{ids['org']}/invitations/new",
                            {"email": "x@example.org", "role": "admin"})),
    ("role", lambda ids: (f"/organisations/members/{ids['member']}/role", {"role": "admin"})),
    ("remove", lambda ids: (f"/organisations/members/{ids['member']}/remove", {})),
    ("revoke", lambda ids: (f"/organisations/invitations/{ids['invitation']}/revoke", {})),
    ("resend", lambda ids: (f"/organisations/invitations/{ids['invitation']}/resend", {})),
]


@pytest.fixture
def target(app, team):
    """Ids of objects in `team`'s organisation, and a snapshot to prove nothing changed."""
    organisation, admin, member = team
    with app.test_request_context():
        invitation = service.invite_member(admin, organisation, "pending@example.org", "member")
    ids = {"org": organisation.id, "member": member.membership.id, "invitation": invitation.id}

    def snapshot():
        db.session.expire_all()
        return (
            db.session.get(Organisation, ids["org"]).name,
            [(m.user_id, m.role) for m in db.session.scalars(sa.select(Membership).order_by(Membership.id))],
            [(i.email, i.token_hash, i.revoked_at) for i in db.session.scalars(sa.select(Invitation))],
        )

    return ids, snapshot


@pytest.mark.parametrize(("name", "route"), WRITE_ROUTES, ids=[name for name, _ in WRITE_ROUTES])
@pytest.mark.parametrize("who", ["member", "outsider"])
def test_write_routes_refuse_non_admins(client, auth, team, target, make_user, name, route, who):
    _, _, member = team
    ids, snapshot = target
    auth.login(member if who == "member" else auth.login_as("supplier"))
    before = snapshot()
    url, data = route(ids)
    response = client.post(url, data=data)
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(("name", "route"), WRITE_ROUTES, ids=[name for name, _ in WRITE_ROUTES])
def test_write_routes_send_anonymous_visitors_to_log_in(client, target, name, route):
    ids, snapshot = target
    before = snapshot()
    url, data = route(ids)
    response = client.post(url, data=data)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert snapshot() == before


@pytest.mark.parametrize("url", ["/organisations/mine/leave", "/organisations/members/1/remove",
                                 "/organisations/invitations/1/revoke"])
def test_write_routes_do_not_accept_get(client, auth, url):
    auth.login_as("supplier")
    assert client.get(url).status_code == 405
