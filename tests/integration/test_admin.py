"""The admin area (platform administrators only): dashboard, searching users and organisations, roles."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import User, UserRole, utcnow
from matchmaker.services import NotAllowed, user_sessions
from matchmaker.services import admin as service


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.fixture
def admin(auth):
    return auth.login_as("admin", display_name="Ilse Admin", language="en")


# --- access -----------------------------------------------------------------------------------------


PAGES = ["/admin/", "/admin/users", "/admin/organisations", "/admin/users/{id}"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ["supplier", "buyer", "organizer"])
def test_admin_pages_are_forbidden_to_other_roles(client, auth, role, page):
    user = auth.login_as(role)
    assert client.get(page.format(id=user.id)).status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_admin_pages_send_anonymous_visitors_to_log_in(client, make_user, page):
    user = make_user()
    response = client.get(page.format(id=user.id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("page", PAGES)
def test_admin_pages_render_for_administrators(client, admin, make_organisation, page):
    make_organisation(name="Lumen Robotics", enterprise_number="0417497106")
    assert client.get(page.format(id=admin.id)).status_code == 200


def test_unknown_user_is_404(client, admin):
    assert client.get("/admin/users/999999").status_code == 404


WRITES = [
    ("/admin/users/{id}/roles/organizer/grant", lambda user: user.has_role("organizer")),
    ("/admin/users/{id}/roles/admin/grant", lambda user: user.has_role("admin")),
    ("/admin/users/{id}/deactivate", lambda user: not user.active),
]


@pytest.mark.parametrize(("url", "changed"), WRITES, ids=["grant-organizer", "grant-admin", "deactivate"])
@pytest.mark.parametrize("role", ["supplier", "buyer", "organizer"])
def test_admin_writes_are_forbidden_to_other_roles(client, auth, make_user, role, url, changed):
    target = make_user()
    auth.login_as(role)
    assert client.post(url.format(id=target.id)).status_code == 403
    assert not changed(reload(target))


def test_admin_writes_refuse_get(client, admin, make_user):
    target = make_user()
    assert client.get(f"/admin/users/{target.id}/deactivate").status_code == 405


# --- dashboard --------------------------------------------------------------------------------------


def test_dashboard_counts_users_and_organisations(app, admin, make_user, make_organisation):
    inactive = make_user(roles=("buyer",))
    inactive.active = False
    make_user(confirmed=False)
    make_organisation(kind="government", policy_domain="ewi", admins=(inactive,))
    make_organisation(kind="startup")
    db.session.commit()
    board = service.dashboard()
    assert (board.users, board.active_users, board.inactive_users, board.unconfirmed_users) == (3, 2, 1, 1)
    assert board.users_by_role["buyer"] == 1 and board.users_by_role["admin"] == 1
    assert (board.organisations, board.organisations_by_kind["government"]) == (2, 1)
    assert board.organisations_without_members == 1
    assert board.users_without_organisation == 2


def test_dashboard_shows_the_counts(client, admin, make_user):
    make_user()
    page = client.get("/admin/").get_data(as_text=True)
    assert 'class="stat-value mb-1">2</p>' in page


# --- user search ------------------------------------------------------------------------------------


@pytest.fixture
def people(make_user):
    return {
        "an": make_user(email="an.peeters@vlaio.example.org", display_name="An Peeters", roles=("buyer",)),
        "jonas": make_user(email="jonas@lumen.example.org", display_name="Jonas Vermeersch"),
        "karel": make_user(email="karel@example.org", display_name="Karel Van Acker", roles=("organizer",),
                           confirmed=False),
    }


def emails(client, query: str) -> list[str]:
    page = client.get(f"/admin/users?{query}").get_data(as_text=True)
    return sorted(
        email for email in ("an.peeters@vlaio.example.org", "jonas@lumen.example.org", "karel@example.org")
        if email in page
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=peeters", ["an.peeters@vlaio.example.org"]),
        ("q=VERMEERSCH", ["jonas@lumen.example.org"]),
        ("q=lumen.example", ["jonas@lumen.example.org"]),
        ("role=organizer", ["karel@example.org"]),
        ("role=buyer", ["an.peeters@vlaio.example.org"]),
        ("status=unconfirmed", ["karel@example.org"]),
        ("q=example.org&role=supplier", ["jonas@lumen.example.org"]),
        ("q=%25", []),
        ("q=nobody", []),
    ],
)
def test_user_search(client, admin, people, query, expected):
    assert emails(client, query) == expected


def test_user_search_filters_deactivated_accounts(client, admin, people):
    people["jonas"].active = False
    db.session.commit()
    assert emails(client, "status=inactive") == ["jonas@lumen.example.org"]
    assert "jonas@lumen.example.org" not in emails(client, "status=active")


def test_user_search_ignores_an_unknown_filter_value(client, admin, people):
    assert len(emails(client, "role=emperor")) == 3


def test_user_search_without_results_says_so(client, admin):
    page = client.get("/admin/users?q=nobody").get_data(as_text=True)
    assert "No user matches your search." in page


def test_user_list_is_paginated(app, client, admin, make_user):
    app.config["PAGE_SIZE"] = 2
    for _ in range(4):
        make_user()
    first = client.get("/admin/users").get_data(as_text=True)
    last = client.get("/admin/users?page=3").get_data(as_text=True)
    assert first.count('href="/admin/users/') == 2
    assert last.count('href="/admin/users/') == 1
    assert "page=2" in first


def test_page_beyond_the_last_is_empty_not_an_error(client, admin):
    assert client.get("/admin/users?page=99").status_code == 200


# --- organisation search ----------------------------------------------------------------------------


@pytest.fixture
def organisations(make_organisation):
    return [
        make_organisation(name="Lumen Robotics", kind="startup", enterprise_number="0417497106"),
        make_organisation(name="Departement Omgeving", kind="government", policy_domain="omg",
                          enterprise_number="0316380940"),
        make_organisation(name="VITO", kind="research_centre"),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=lumen", ["Lumen Robotics"]),
        ("q=0417.497.106", ["Lumen Robotics"]),
        ("q=BE0417497106", ["Lumen Robotics"]),
        ("q=316380", ["Departement Omgeving"]),
        ("kind=government", ["Departement Omgeving"]),
        ("kind=research_centre", ["VITO"]),
        ("q=o&kind=startup", ["Lumen Robotics"]),
        ("q=", ["Departement Omgeving", "Lumen Robotics", "VITO"]),
    ],
)
def test_organisation_search(client, admin, organisations, query, expected):
    page = client.get(f"/admin/organisations?{query}").get_data(as_text=True)
    names = ["Departement Omgeving", "Lumen Robotics", "VITO"]
    assert [name for name in names if f">{name}</a>" in page] == expected


# --- roles and deactivation -------------------------------------------------------------------------


def test_admin_grants_the_organizer_role(client, admin, make_user):
    target = make_user()
    client.post(f"/admin/users/{target.id}/roles/organizer/grant")
    granted = db.session.get(UserRole, (target.id, "organizer"))
    assert granted is not None and granted.granted_by_id == admin.id


def test_admin_revokes_the_organizer_role(client, admin, make_user):
    target = make_user(roles=("supplier", "organizer"))
    client.post(f"/admin/users/{target.id}/roles/organizer/revoke")
    assert reload(target).role_names == {"supplier"}


def test_admin_revokes_another_administrator(client, admin, make_user):
    other = make_user(roles=("admin",))
    client.post(f"/admin/users/{other.id}/roles/admin/revoke")
    assert not reload(other).has_role("admin")


def test_admin_cannot_revoke_their_own_admin_role(client, admin):
    response = client.post(f"/admin/users/{admin.id}/roles/admin/revoke", follow_redirects=True)
    assert "cannot revoke your own administrator role" in response.get_data(as_text=True)
    assert reload(admin).has_role("admin")


@pytest.mark.parametrize("role", ["supplier", "buyer", "emperor"])
def test_only_organizer_and_admin_roles_are_granted_here(client, admin, make_user, role):
    target = make_user(roles=())
    assert client.post(f"/admin/users/{target.id}/roles/{role}/grant").status_code == 404
    assert reload(target).role_names == set()


def test_deactivation_blocks_the_account_and_ends_its_sessions(app, client, admin, make_user):
    target = make_user()
    other_client = app.test_client()
    with other_client.session_transaction() as session:
        session["_user_id"] = user_sessions.start_session(target)
    assert other_client.get("/account/").status_code == 200
    client.post(f"/admin/users/{target.id}/deactivate")
    target = reload(target)
    assert not target.active and user_sessions.active_sessions(target) == []
    assert other_client.get("/account/").status_code == 302
    client.post(f"/admin/users/{target.id}/reactivate")
    assert other_client.get("/account/").status_code == 302  # reactivating brings no session back


def test_admin_cannot_deactivate_themselves(client, admin):
    response = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert reload(admin).active


def test_admin_reactivates_an_account(client, admin, make_user):
    target = make_user()
    target.active = False
    db.session.commit()
    client.post(f"/admin/users/{target.id}/reactivate")
    assert reload(target).active


def test_services_refuse_a_user_who_is_not_an_administrator(app, make_user):
    actor, target = make_user(), make_user()
    with app.test_request_context(), pytest.raises(NotAllowed):
        service.deactivate_user(actor, target)
    assert reload(target).active


def test_user_detail_shows_membership_and_last_login(client, admin, make_user, make_organisation):
    target = make_user(display_name="Bert Member")
    target.last_login_at = utcnow()
    make_organisation(name="Lumen Robotics", members=(target,))
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert "Lumen Robotics" in page and "Never" not in page


def test_granting_an_existing_role_explains_it(client, admin, make_user):
    target = make_user(roles=("organizer",))
    response = client.post(f"/admin/users/{target.id}/roles/organizer/grant", follow_redirects=True)
    assert "already has this role" in response.get_data(as_text=True)
    roles = db.session.scalars(sa.select(UserRole).where(UserRole.user_id == target.id)).all()
    assert [role.role for role in roles] == ["organizer"]
