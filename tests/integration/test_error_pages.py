"""Error pages: in the reader's language, in the site's layout, with a way on."""

import pytest


@pytest.mark.parametrize(
    ("language", "title", "home"),
    [
        ("nl", "Pagina niet gevonden", "Naar de startpagina"),
        ("fr", "Page introuvable", "Aller à la page d'accueil"),
        ("en", "Page not found", "Go to the home page"),
    ],
)
def test_a_missing_page_is_translated_and_suggests_where_to_go(client, language, title, home):
    response = client.get("/no-such-page", headers={"Accept-Language": language})
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert f'<html lang="{language}">' in html
    assert f"<h1>{title}</h1>" in html
    assert home in html
    # The footer and the suggestions lead on to the catalogue and the events.
    assert html.count('href="/catalogue/offerings"') >= 2
    assert 'class="error-links"' in html


def test_a_refusal_tells_a_logged_in_reader_and_leads_home(client, auth):
    auth.login_as("buyer")
    response = client.get("/admin/")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "<h1>Access denied</h1>" in html
    assert 'class="btn btn-primary" href="/"' in html


@pytest.mark.fresh_app
def test_the_500_page_offers_no_links_into_a_broken_site_but_the_home_page(app, client):
    @app.get("/boom-for-layout-test")
    def boom():
        raise RuntimeError("internals")

    response = client.get("/boom-for-layout-test", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert 'class="error-links"' not in html
    assert 'href="/"' in html
