"""The account area: profile, password, email address, personal data, deleting the account.

No account route takes a user id: each acts on the logged-in user, which these tests check by acting as one
user and looking at another.
"""

import json
import re

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Invitation,
    Membership,
    MembershipRole,
    Offering,
    Organisation,
    User,
    UserRole,
    utcnow,
)
from matchmaker.services import accounts, tokens, user_sessions
from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new pass phrase"
LINK = re.compile(r"http://localhost(/\S+)")

GET_PAGES = ["/account/", "/account/password", "/account/email", "/account/data", "/account/delete"]
POST_PAGES = ["/account/", "/account/password", "/account/email", "/account/delete"]


def link_in(mail) -> str:
    paths = LINK.findall(mail.body)
    assert paths, mail.body
    return paths[-1]


def log_in(client, email, password=PASSWORD, **extra):
    return client.post("/auth/login", data={"email": email, "password": password, **extra})


def reload(user: User) -> User | None:
    db.session.expire_all()
    return db.session.get(User, user.id)


def change_password_form(current=PASSWORD, new=NEW_PASSWORD, repeat=None) -> dict:
    repeat = new if repeat is None else repeat
    return {"current_password": current, "password": new, "password_repeat": repeat}


def delete_form(password=PASSWORD, understood="y") -> dict:
    return {"current_password": password, "understood": understood}


# Access -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*GET_PAGES, "/account/data/export.json", "/account/email/confirm/abc"])
def test_account_pages_send_anonymous_visitors_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=")


@pytest.mark.parametrize("path", POST_PAGES)
def test_account_changes_are_refused_to_anonymous_visitors(client, make_user, path):
    user = make_user(email="jan@example.org")
    response = client.post(path, data={"display_name": "Hacked", "language": "en", **delete_form()})
    assert response.status_code == 302
    assert response.location.startswith("/auth/login")
    assert reload(user).display_name != "Hacked"


@pytest.mark.parametrize("path", GET_PAGES)
def test_account_pages_render_with_the_section_navigation(client, auth, path):
    auth.login_as("buyer")
    response = client.get(path)
    assert response.status_code == 200
    assert b'aria-current="page"' in response.data
    for target in GET_PAGES:
        assert f'href="{target}"'.encode() in response.data


def test_profile_page_shows_the_account_and_organisation(client, auth):
    user = auth.login_as("buyer", email="an@gov.example.be")
    body = client.get("/account/").get_data(as_text=True)
    assert "an@gov.example.be" in body
    assert user.organisation.name in body


# Profile ------------------------------------------------------------------------------------------------


def test_profile_saves_name_and_language_of_the_current_user_only(client, auth, make_user):
    other = make_user(display_name="Other Person")
    me = auth.login_as("supplier")
    response = client.post("/account/", data={"display_name": "  Marie   Dubois ", "language": "fr"})
    assert response.status_code == 302
    assert (reload(me).display_name, reload(me).language) == ("Marie Dubois", "fr")
    assert (reload(other).display_name, reload(other).language) == ("Other Person", "en")


def test_saving_the_language_switches_the_interface(client, auth):
    auth.login_as("supplier")
    data = {"display_name": "Marie", "language": "fr"}
    response = client.post("/account/", data=data, follow_redirects=True)
    assert b'<html lang="fr">' in response.data
    with client.session_transaction() as session:
        assert session["language"] == "fr"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"display_name": "", "language": "nl"}, "Enter the name other users will see."),
        ({"display_name": "x" * 121, "language": "nl"}, "Use at most 120 characters."),
        ({"display_name": "Marie", "language": "xx"}, "Not a valid choice"),
    ],
)
def test_profile_form_errors_rerender_with_a_message(client, auth, data, message):
    me = auth.login_as("supplier", language="en")
    response = client.post("/account/", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert reload(me).display_name == me.display_name


# Password -----------------------------------------------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_the_others(app, client, make_user, outbox):
    user = make_user(email="jan@example.org")
    log_in(client, "jan@example.org")
    other_device = app.test_client()
    log_in(other_device, "jan@example.org")
    response = client.post("/account/password", data=change_password_form())
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    assert other_device.get("/account/").status_code == 302
    assert len(user_sessions.active_sessions(reload(user))) == 1
    assert [m.to for m in outbox] == ["jan@example.org"]


def test_change_password_renews_the_remember_cookie_of_this_device(client, make_user):
    make_user(email="jan@example.org")
    log_in(client, "jan@example.org", remember="y")
    old_cookie = client.get_cookie("mm_remember").value
    client.post("/account/password", data=change_password_form())
    assert client.get_cookie("mm_remember").value != old_cookie


def test_changed_password_is_the_one_that_works(app, client, make_user):
    make_user(email="jan@example.org")
    log_in(client, "jan@example.org")
    client.post("/account/password", data=change_password_form())
    fresh = app.test_client()
    assert log_in(fresh, "jan@example.org").status_code == 422
    assert log_in(fresh, "jan@example.org", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (change_password_form(current="wrong password"), "current_password", "is not correct."),
        (change_password_form(current=""), "current_password", "Enter your current password."),
        (change_password_form(new="short"), "password", "Use at least 12 characters."),
        (change_password_form(repeat="other words"), "password_repeat", "passwords are not the same."),
        (change_password_form(new=PASSWORD), "password", "differs from your current one"),
    ],
)
def test_change_password_errors_rerender_next_to_the_field(client, auth, data, field, message):
    me = auth.login_as("supplier", language="en")
    response = client.post("/account/password", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert re.search(rf'id="{field}-error"[^>]*>[^<]*{re.escape(message)}', body)
    assert len(user_sessions.active_sessions(reload(me))) == 1  # nothing changed: the session goes on


# Email address ------------------------------------------------------------------------------------------


def request_change(client, email="new@example.org", password=PASSWORD):
    return client.post("/account/email", data={"email": email, "current_password": password})


def test_email_change_mails_a_link_to_the_new_address_and_changes_nothing_yet(client, auth, outbox):
    me = auth.login_as("supplier", email="old@example.org")
    response = request_change(client, "New@Example.org")
    assert response.status_code == 302
    (mail,) = outbox
    assert mail.to == "new@example.org"
    assert link_in(mail).startswith("/account/email/confirm/")
    assert reload(me).email == "old@example.org"


def test_opening_the_email_change_link_asks_for_a_click(client, auth, outbox):
    me = auth.login_as("supplier", email="old@example.org")
    request_change(client)
    response = client.get(link_in(outbox[0]))
    assert response.status_code == 200
    assert b"new@example.org" in response.data
    assert reload(me).email == "old@example.org"


def test_confirming_the_email_change_applies_it_and_tells_the_old_address(client, auth, outbox):
    me = auth.login_as("supplier", email="old@example.org")
    request_change(client)
    response = client.post(link_in(outbox[0]))
    assert response.status_code == 302
    assert reload(me).email == "new@example.org"
    assert [m.to for m in outbox] == ["new@example.org", "old@example.org"]
    assert "new@example.org" in outbox[1].body
    assert log_in(client.application.test_client(), "new@example.org").status_code == 302


def test_email_change_link_opened_while_logged_out_leads_through_login(app, make_user, outbox):
    me = make_user(email="old@example.org")
    device = app.test_client()
    log_in(device, "old@example.org")
    request_change(device, "new@example.org")
    link = link_in(outbox[0])
    other_device = app.test_client()
    to_login = other_device.get(link)
    assert to_login.status_code == 302
    after_login = log_in(other_device, "old@example.org", next=link)
    assert after_login.location == link
    assert other_device.post(link).status_code == 302
    assert reload(me).email == "new@example.org"


def test_email_change_link_works_only_once(client, auth, outbox):
    me = auth.login_as("supplier", email="old@example.org")
    request_change(client, "first@example.org")
    link = link_in(outbox[0])
    assert client.post(link).status_code == 302
    assert client.post(link).status_code == 400
    assert reload(me).email == "first@example.org"
    assert len(outbox) == 2


def test_email_change_link_of_another_account_is_refused(app, client, auth, make_user, outbox):
    victim = make_user(email="victim@example.org")
    other_client = app.test_client()
    log_in(other_client, "victim@example.org")
    request_change(other_client, "moved@example.org")
    link = link_in(outbox[0])
    auth.login_as("supplier", email="attacker@example.org")
    assert client.get(link).status_code == 403
    assert client.post(link).status_code == 403
    assert reload(victim).email == "victim@example.org"


def test_tampered_email_change_link_is_refused(client, auth, outbox):
    me = auth.login_as("supplier", email="old@example.org")
    request_change(client)
    assert client.post(link_in(outbox[0])[:-4] + "AAAA").status_code == 400
    assert reload(me).email == "old@example.org"


def test_email_change_to_an_address_in_use_looks_the_same_and_warns_its_owner(
    client, auth, make_user, outbox
):
    make_user(email="taken@example.org")
    auth.login_as("supplier", email="old@example.org")
    free = request_change(client, "free@example.org")
    taken = request_change(client, "taken@example.org")
    assert (free.status_code, free.location) == (taken.status_code, taken.location)
    assert [m.to for m in outbox] == ["free@example.org", "taken@example.org"]
    assert "/account/email/confirm/" not in outbox[1].body


def test_email_change_refused_when_the_address_was_taken_meanwhile(client, auth, make_user, outbox):
    me = auth.login_as("supplier", email="old@example.org")
    request_change(client, "race@example.org")
    make_user(email="race@example.org")
    response = client.post(link_in(outbox[0]))
    assert response.status_code == 422
    assert reload(me).email == "old@example.org"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "new@example.org", "current_password": "wrong one"}, "current_password", "not correct"),
        ({"email": "new@example.org", "current_password": ""}, "current_password", "Enter your current"),
        ({"email": "nonsense", "current_password": PASSWORD}, "email", "in the right format"),
        ({"email": "me@example.org", "current_password": PASSWORD}, "email", "already your email address"),
    ],
)
def test_email_change_errors_rerender_next_to_the_field(client, auth, outbox, data, field, message):
    auth.login_as("supplier", email="me@example.org", language="en")
    response = client.post("/account/email", data=data)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error"[^>]*>[^<]*{re.escape(message)}', response.get_data(as_text=True))
    assert outbox == []


# Deleting the account -----------------------------------------------------------------------------------


def test_deleting_the_account_removes_the_personal_data_and_logs_out(client, auth, make_user, outbox):
    me = auth.login_as("buyer", email="gone@example.org")
    organisation_id = me.organisation.id
    colleague = make_user()
    db.session.add(Membership(user=colleague, organisation_id=organisation_id, role=MembershipRole.MEMBER))
    db.session.commit()
    my_id = me.id
    response = client.post("/account/delete", data=delete_form())
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, my_id) is None
    assert accounts.get_user_by_email("gone@example.org") is None
    assert db.session.scalars(sa.select(UserRole).where(UserRole.user_id == my_id)).all() == []
    assert db.session.scalars(sa.select(Membership).where(Membership.user_id == my_id)).all() == []
    assert db.session.get(Organisation, organisation_id) is not None
    assert client.get("/account/").status_code == 302
    assert [m.to for m in outbox] == ["gone@example.org"]


def _authored_offering(author: User) -> int:
    offering = Offering(
        organisation_id=author.organisation.id,
        created_by_id=author.id,
        title="Sensors for quay walls",
        summary="Continuous monitoring of quay walls.",
        innovation_type="technological",
        trl=6,
        status="published",
        published_at=utcnow(),
    )
    db.session.add(offering)
    db.session.commit()
    return offering.id


def test_export_lists_the_catalogue_items_i_wrote(client, auth):
    me = auth.login_as("supplier")
    offering_id = _authored_offering(me)
    data = json.loads(client.get("/account/data/export.json").data)
    assert [(i["kind"], i["id"], i["title"], i["status"]) for i in data["data"]["catalogue"]] == [
        ("offering", offering_id, "Sensors for quay walls", "published")
    ]
    assert data["data"]["catalogue"][0]["organisation"] == me.organisation.name


def test_deleting_the_account_leaves_the_organisations_items_with_it(client, auth):
    me = auth.login_as("supplier", email="author@example.org")
    offering_id = _authored_offering(me)
    assert client.post("/account/delete", data=delete_form()).status_code == 302
    db.session.expire_all()
    offering = db.session.get(Offering, offering_id)
    assert offering is not None and offering.status == "published" and offering.created_by_id is None
    assert offering.title == "Sensors for quay walls"


def test_deleting_the_last_admin_promotes_the_longest_standing_member(client, auth, make_user):
    me = auth.login_as("supplier")
    organisation = me.organisation
    newer, older = make_user(), make_user()
    db.session.add_all(
        [
            Membership(user=newer, organisation=organisation, role="member", joined_at=utcnow()),
            Membership(
                user=older, organisation=organisation, role="member", joined_at=utcnow().replace(year=2020)
            ),
        ]
    )
    db.session.commit()
    client.post("/account/delete", data=delete_form())
    assert reload(older).membership.role == MembershipRole.ADMIN
    assert reload(newer).membership.role == MembershipRole.MEMBER


def test_deleting_an_admin_promotes_nobody_when_another_admin_remains(client, auth, make_user):
    me = auth.login_as("supplier")
    other_admin, member = make_user(), make_user()
    db.session.add_all(
        [
            Membership(user=other_admin, organisation=me.organisation, role="admin"),
            Membership(user=member, organisation=me.organisation, role="member"),
        ]
    )
    db.session.commit()
    client.post("/account/delete", data=delete_form())
    assert reload(member).membership.role == MembershipRole.MEMBER


def test_deleting_the_account_keeps_roles_and_invitations_it_granted(client, auth, make_user):
    me = auth.login_as("admin")
    make_user(roles=("admin",))
    grantee = make_user(roles=())
    accounts.grant_role(grantee, "organizer", granted_by=me)
    organisation = Organisation(name="Agency", kind="government")
    db.session.add(organisation)
    db.session.flush()
    db.session.add(
        Invitation(
            organisation=organisation,
            email="x@example.org",
            token_hash="0" * 64,
            invited_by_id=me.id,
            expires_at=utcnow(),
        )
    )
    db.session.commit()
    assert client.post("/account/delete", data=delete_form()).status_code == 302
    assert reload(grantee).role_names == {"organizer"}
    granted_by = sa.select(UserRole.granted_by_id).where(UserRole.user_id == grantee.id)
    assert db.session.scalars(granted_by).all() == [None]
    assert db.session.scalars(sa.select(Invitation.invited_by_id)).all() == [None]


def test_deletion_hooks_of_other_areas_run_in_the_same_transaction(client, auth, monkeypatch):
    seen = []
    monkeypatch.setattr(accounts, "_ACCOUNT_DELETION_HOOKS", {})

    @accounts.account_deletion_hook("events")
    def forget_registrations(user):
        seen.append(user.id)
        user.membership.organisation.description = "touched by the hook"

    me = auth.login_as("supplier")
    organisation_id, my_id = me.organisation.id, me.id
    client.post("/account/delete", data=delete_form())
    assert seen == [my_id]
    db.session.expire_all()
    assert db.session.get(Organisation, organisation_id).description == "touched by the hook"


def test_deletion_hooks_do_not_run_when_the_password_is_wrong(client, auth, monkeypatch):
    monkeypatch.setattr(accounts, "_ACCOUNT_DELETION_HOOKS", {"events": lambda user: pytest.fail("ran")})
    auth.login_as("supplier")
    assert client.post("/account/delete", data=delete_form(password="wrong password")).status_code == 422


def test_the_only_platform_admin_cannot_delete_the_account(client, auth):
    me = auth.login_as("admin")
    response = client.post("/account/delete", data=delete_form())
    assert response.status_code == 422
    assert b"only platform administrator" in response.data
    assert reload(me) is not None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (delete_form(password="wrong password"), "current_password", "Your current password is not correct."),
        (delete_form(password=""), "current_password", "Enter your current password."),
        ({"current_password": PASSWORD}, "understood", "Tick the box"),
    ],
)
def test_delete_form_errors_rerender_and_keep_the_account(client, auth, data, field, message):
    me = auth.login_as("supplier", language="en")
    response = client.post("/account/delete", data=data)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error"[^>]*>[^<]*{re.escape(message)}', response.get_data(as_text=True))
    assert reload(me) is not None


# Download my data ---------------------------------------------------------------------------------------


def test_export_is_a_json_attachment_of_the_current_user(client, auth, make_user):
    make_user(email="someone.else@example.org")
    me = auth.login_as("buyer", email="me@gov.example.be", display_name="Me Myself")
    response = client.get("/account/data/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    data = json.loads(response.data)
    assert data["profile"]["email"] == "me@gov.example.be"
    assert data["profile"]["display_name"] == "Me Myself"
    assert data["roles"][0]["role"] == "buyer"
    assert data["membership"]["organisation"] == me.organisation.name
    assert data["membership"]["role"] == "admin"
    assert b"someone.else" not in response.data


def test_export_never_contains_the_password_hash(client, auth):
    me = auth.login_as("supplier")
    response = client.get("/account/data/export.json")
    assert me.password_hash.encode() not in response.data
    assert b"password" not in response.data


def test_export_includes_what_other_areas_register(client, auth, monkeypatch):
    monkeypatch.setattr(accounts, "_PERSONAL_DATA_EXPORTERS", {})
    accounts.register_personal_data_exporter(
        "meeting_requests", lambda user: [{"to": "Agency", "sent_at": utcnow().replace(microsecond=0)}]
    )
    auth.login_as("supplier")
    data = json.loads(client.get("/account/data/export.json").data)
    assert list(data["data"]) == ["meeting_requests"]
    assert data["data"]["meeting_requests"][0]["to"] == "Agency"
    assert data["data"]["meeting_requests"][0]["sent_at"].endswith("Z")


def test_export_of_a_user_without_organisation(client, auth):
    auth.login_as("supplier", with_organisation=False)
    data = json.loads(client.get("/account/data/export.json").data)
    assert data["membership"] is None
    assert data["profile"]["email"]


def test_tokens_for_mailed_links_are_bound_to_their_purpose(app):
    token = tokens.make_token(tokens.RESET_PASSWORD, {"uid": 1})
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_token(tokens.CHANGE_EMAIL, token, app.config["EMAIL_CONFIRM_MAX_AGE"])
    assert tokens.read_token(tokens.RESET_PASSWORD, token, app.config["PASSWORD_RESET_MAX_AGE"]) == {"uid": 1}


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_ENABLED": True}])
def test_guessing_the_current_password_on_account_pages_is_rate_limited(client, auth):
    auth.login_as("supplier")
    statuses = [
        client.post("/account/delete", data=delete_form(password=f"guess {i}")).status_code for i in range(11)
    ]
    assert statuses == [422] * 10 + [429]
