"""Odd and hostile input to the catalogue's forms and endpoints gets a message or is cleaned, never a 500."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Need, Offering, Theme
from tests.factories import add_need, add_offering
from tests.helpers import need_form, offering_form


@pytest.mark.parametrize(
    "overrides",
    [
        {"themes": ["abc"]},
        {"themes": ["999999"]},
        {"trl": "zeven"},
        {"cpv_codes": "7" * 5000},
        {"links": "\n".join(f"https://example.org/{n}" for n in range(30))},
        {"description": "d" * 20_001},
        {"title": "   "},
        {"language": ""},
    ],
)
def test_odd_offering_input_never_breaks_the_form(client, auth, overrides):
    auth.login_as("supplier")
    response = client.post("/catalogue/offerings/new", data=offering_form(**overrides))
    assert response.status_code == 422
    assert b'class="alert alert-danger error-summary"' in response.data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"budget_max": "1" * 30},
        {"budget_min": "1e9"},
        {"deadline": "99999-01-01"},
        {"deadline": "gisteren"},
        {"registered_only": "misschien"},
        {"procurement_route": ""},
    ],
)
def test_odd_need_input_never_breaks_the_form(client, auth, overrides):
    auth.login_as("buyer")
    response = client.post("/catalogue/needs/new", data=need_form(**overrides))
    assert response.status_code in (422, 302)
    if response.status_code == 422:
        assert b"error-summary" in response.data


def test_a_garbled_version_on_edit_is_treated_as_a_conflict(client, auth):
    supplier = auth.login_as("supplier")
    offering = add_offering(supplier)
    response = client.post(f"/catalogue/offerings/{offering.id}/edit", data=offering_form(version="abc"))
    assert response.status_code == 409


def test_nul_characters_are_removed_before_saving(client, auth):
    auth.login_as("supplier")
    client.post(
        "/catalogue/offerings/new",
        data=offering_form(title="Slim\x00me lichten", description="Tekst\x00", keywords="a\x00b"),
    )
    offering = db.session.scalars(sa.select(Offering)).one()
    assert (offering.title, offering.description, offering.keywords) == ("Slimme lichten", "Tekst", "ab")


def test_nul_characters_in_a_theme_name_are_removed(client, auth):
    auth.login_as("admin")
    client.post(
        "/catalogue/themes/new",
        data={
            "slug": "ruimte",
            "name_nl": "Ruim\x00te",
            "name_fr": "Espace",
            "name_en": "Space",
            "position": "1",
        },
    )
    assert db.session.scalars(sa.select(Theme.name_nl)).one() == "Ruimte"


@pytest.mark.parametrize("query", ["\x00", "%", "'; DROP TABLE offering; --", "é" * 500, "72" * 300])
def test_cpv_search_survives_odd_queries(client, query):
    response = client.get("/catalogue/cpv/search", query_string={"q": query})
    assert response.status_code == 200
    assert isinstance(response.get_json()["results"], list)


@pytest.mark.parametrize("limit", ["-1", "abc", "0", "99999999999999999999"])
def test_cpv_search_survives_odd_limits(client, limit):
    assert (
        client.get("/catalogue/cpv/search", query_string={"q": "software", "limit": limit}).status_code == 200
    )


def test_detail_pages_of_every_status_render(client, auth):
    supplier = auth.login_as("supplier")
    for status in ("draft", "published", "archived"):
        offering = add_offering(
            supplier,
            status=status,
            reference_projects="Pilot in **Gent**",
            links="Site | https://example.org\nhttps://example.org/b",
        )
        assert client.get(f"/catalogue/offerings/{offering.id}").status_code == 200
        assert client.get("/catalogue/offerings/mine").status_code == 200


def test_need_without_budget_or_deadline_renders(client, auth):
    buyer = auth.login_as("buyer")
    need = add_need(buyer, budget_min=None, budget_max=None, deadline=None, status="open")
    assert client.get(f"/catalogue/needs/{need.id}").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 1
