"""An organisation's public page lists its public items only (issue 15's visibility rules): published
offerings and open needs, needs for registered users only to logged-in readers, nothing of a suspended
organisation, for visitors and another organisation's users alike. Its own members see the same public
list (their drafts and closed needs are under "My offerings" and "My needs") and, besides, its members."""

import pytest

from matchmaker.extensions import db
from tests.factories import add_need, add_offering

pytestmark = pytest.mark.usefixtures("english_request_context")


@pytest.fixture
def profiles(make_user, make_organisation):
    """A supplier with an offering in each state, a buyer with a need in each state, and a suspended
    supplier with a published offering."""
    supplier = make_user(roles=("supplier",), display_name="Sam Supplier")
    supplier_org = make_organisation(admins=(supplier,), name="Quokka Robotics")
    add_offering(supplier, "published", title="Quokka published drone")
    add_offering(supplier, "draft", title="Quokka draft drone")
    add_offering(supplier, "archived", title="Quokka archived drone")
    buyer = make_user(roles=("buyer",), display_name="Bo Buyer")
    buyer_org = make_organisation(admins=(buyer,), kind="government", name="Quokka Agency")
    add_need(buyer, "open", title="Quokka open need")
    add_need(buyer, "open", title="Quokka members-only need", registered_only=True)
    add_need(buyer, "draft", title="Quokka draft need")
    add_need(buyer, "closed", title="Quokka closed need")
    add_need(buyer, "archived", title="Quokka archived need")
    banned = make_user(roles=("supplier",), display_name="Ban Ned")
    banned_org = make_organisation(admins=(banned,), name="Quokka Banned")
    add_offering(banned, "published", title="Quokka suspended drone")
    banned_org.verification = "suspended"
    db.session.commit()
    return {
        "supplier": (supplier_org, supplier),
        "buyer": (buyer_org, buyer),
        "banned": (banned_org, banned),
    }


NOT_PUBLIC = (
    "Quokka draft drone",
    "Quokka archived drone",
    "Quokka draft need",
    "Quokka closed need",
    "Quokka archived need",
)


def _profile(client, organisation) -> str:
    response = client.get(f"/organisations/{organisation.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _both(client, profiles) -> str:
    return _profile(client, profiles["supplier"][0]) + _profile(client, profiles["buyer"][0])


def test_a_visitor_sees_published_offerings_and_open_needs_for_everyone_only(client, profiles):
    html = _both(client, profiles)
    assert "Quokka published drone" in html and "Quokka open need" in html
    assert "Quokka members-only need" not in html
    for title in NOT_PUBLIC:
        assert title not in html, title
    assert "Sam Supplier" not in html and "Bo Buyer" not in html  # members are not public


def test_another_organisations_user_also_sees_needs_for_registered_users_but_nothing_private(
    client, auth, profiles
):
    auth.login_as("supplier")
    html = _both(client, profiles)
    assert "Quokka published drone" in html and "Quokka open need" in html
    assert "Quokka members-only need" in html
    for title in NOT_PUBLIC:
        assert title not in html, title
    assert "Sam Supplier" not in html and "Bo Buyer" not in html


@pytest.mark.parametrize("side", ["supplier", "buyer"])
def test_its_own_members_see_the_public_items_and_the_members(client, auth, profiles, side):
    organisation, admin = profiles[side]
    auth.login(admin)
    html = _profile(client, organisation)
    assert ("Quokka published drone" if side == "supplier" else "Quokka members-only need") in html
    for title in NOT_PUBLIC:
        assert title not in html, title
    assert admin.display_name in html and "Members" in html
    assert f'href="/organisations/{organisation.id}/edit"' in html


@pytest.mark.parametrize("viewer", ["visitor", "other organisation"])
def test_a_suspended_organisation_and_its_items_are_not_shown(client, auth, profiles, viewer):
    organisation, _admin = profiles["banned"]
    if viewer == "other organisation":
        auth.login_as("buyer")
    assert client.get(f"/organisations/{organisation.id}").status_code == 404


def test_a_suspended_organisations_members_see_its_page_without_items(client, auth, profiles):
    """Its members keep their page (what is suspended, who is in it), but their items are out of public
    view like the organisation."""
    organisation, admin = profiles["banned"]
    auth.login(admin)
    html = _profile(client, organisation)
    assert "Quokka Banned" in html and "Ban Ned" in html
    assert "Quokka suspended drone" not in html and "Nothing published yet." in html
