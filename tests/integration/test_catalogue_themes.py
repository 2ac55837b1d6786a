"""Themes: default list, management by organizers and administrators only."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Theme
from matchmaker.services import themes
from tests.factories import add_offering
from tests.helpers import offering_form


def _theme(**overrides) -> Theme:
    values = {"slug": "mobility", "name_nl": "Mobiliteit", "name_fr": "Mobilité", "name_en": "Mobility"}
    values.update(overrides)
    theme = Theme(**values)
    db.session.add(theme)
    db.session.commit()
    return theme


def _theme_form(**overrides) -> dict:
    data = {
        "slug": "space",
        "name_nl": "Ruimtevaart",
        "name_fr": "Espace",
        "name_en": "Space",
        "description": "",
        "position": "5",
    }
    data.update(overrides)
    return data


def test_default_themes_are_created_once(app):
    created = themes.ensure_default_themes()
    assert created == len(themes.DEFAULT_THEMES)
    assert themes.ensure_default_themes() == 0
    slugs = set(db.session.scalars(sa.select(Theme.slug)))
    assert {"mobility", "energy", "health-care", "digital-government", "water"} <= slugs


def test_default_themes_have_names_in_three_languages(app):
    themes.ensure_default_themes()
    energy = db.session.scalars(sa.select(Theme).where(Theme.slug == "energy")).one()
    assert (energy.name("nl"), energy.name("fr"), energy.name("en")) == ("Energie", "Énergie", "Energy")


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_organizers_and_admins_see_the_theme_list(client, auth, role):
    _theme()
    auth.login_as(role)
    response = client.get("/catalogue/themes")
    assert response.status_code == 200
    assert "Mobiliteit" in response.get_data(as_text=True)


def test_organizer_creates_a_theme(client, auth):
    auth.login_as("organizer")
    response = client.post("/catalogue/themes/new", data=_theme_form())
    assert response.status_code == 302
    theme = db.session.scalars(sa.select(Theme)).one()
    assert (theme.slug, theme.name_fr, theme.position, theme.active) == ("space", "Espace", 5, True)


def test_admin_edits_a_theme(client, auth):
    theme = _theme()
    auth.login_as("admin")
    client.post(f"/catalogue/themes/{theme.id}/edit", data=_theme_form(slug="mobility", name_en="Transport"))
    db.session.refresh(theme)
    assert theme.name_en == "Transport"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slug": "mobility"}, "Another theme already uses this short name."),
        ({"slug": "Met Spaties"}, "The short name may contain only lower-case letters, digits and hyphens."),
        ({"name_fr": ""}, "This field is required."),
    ],
)
def test_bad_theme_input_is_refused(client, auth, overrides, message):
    _theme()
    auth.login_as("organizer", language="en")
    response = client.post("/catalogue/themes/new", data=_theme_form(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Theme)) == 1


def test_deactivated_theme_is_no_longer_offered(client, auth):
    theme = _theme()
    auth.login_as("organizer")
    client.post(f"/catalogue/themes/{theme.id}/deactivate", follow_redirects=True)
    db.session.refresh(theme)
    assert theme.active is False
    auth.login_as("supplier")
    assert b"Mobiliteit" not in client.get("/catalogue/offerings/new").data


def test_deactivated_theme_stays_on_items_that_have_it(client, auth):
    theme = _theme()
    supplier = auth.login_as("supplier")
    offering = add_offering(supplier, theme_ids=[theme.id])
    theme.active = False
    db.session.commit()
    response = client.post(
        f"/catalogue/offerings/{offering.id}/edit",
        data=offering_form(themes=[str(theme.id)], version=str(offering.version)),
    )
    assert response.status_code == 302
    db.session.refresh(offering)
    assert offering.themes == [theme]


def test_reactivating_a_theme(client, auth):
    theme = _theme(active=False)
    auth.login_as("admin")
    client.post(f"/catalogue/themes/{theme.id}/activate")
    db.session.refresh(theme)
    assert theme.active is True


THEME_ROUTES = [
    ("get", "/catalogue/themes"),
    ("get", "/catalogue/themes/new"),
    ("post", "/catalogue/themes/new"),
    ("get", "/catalogue/themes/{id}/edit"),
    ("post", "/catalogue/themes/{id}/edit"),
    ("post", "/catalogue/themes/{id}/deactivate"),
    ("post", "/catalogue/themes/{id}/activate"),
]


@pytest.mark.parametrize("role", ["supplier", "buyer"])
@pytest.mark.parametrize(("method", "url"), THEME_ROUTES)
def test_suppliers_and_buyers_cannot_manage_themes(client, auth, role, method, url):
    theme = _theme()
    auth.login_as(role)
    response = getattr(client, method)(url.format(id=theme.id), data=_theme_form(slug="hacked"))
    assert response.status_code == 403
    db.session.refresh(theme)
    assert (theme.slug, theme.active) == ("mobility", True)


@pytest.mark.parametrize(("method", "url"), [r for r in THEME_ROUTES if r[0] == "post"])
def test_anonymous_visitors_cannot_manage_themes(client, method, url):
    theme = _theme()
    response = client.post(url.format(id=theme.id), data=_theme_form(slug="hacked"))
    assert response.status_code == 403


def test_anonymous_visitor_is_asked_to_log_in_for_the_theme_list(client):
    response = client.get("/catalogue/themes")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_theme_nav_entry_is_shown_to_organizers_only(client, auth):
    auth.login_as("organizer")
    assert b'href="/catalogue/themes"' in client.get("/").data
    auth.login_as("supplier")
    assert b'href="/catalogue/themes"' not in client.get("/").data
