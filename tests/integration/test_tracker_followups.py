"""The 3%-norm on the home page, the organisations of a policy domain with their latest share, and the
charter signatories marked on the dashboards."""

import re

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import CharterSignature, utcnow
from matchmaker.services import tracker as tracker_service
from tests.factories import K, M, add_year


@pytest.fixture(autouse=True)
def english(app, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def mow(make_organisation):
    """Three government organisations of MOW, one of another domain, one company."""
    return {
        "awv": make_organisation(kind="government", name="Wegen en Verkeer", policy_domain="mow"),
        "dwv": make_organisation(kind="government", name="De Werkvennootschap", policy_domain="mow"),
        "new": make_organisation(kind="government", name="Nieuw Agentschap", policy_domain="mow"),
        "omg": make_organisation(kind="government", name="Departement Omgeving", policy_domain="omg"),
        "firm": make_organisation(kind="company", name="Firma NV"),
    }


def sign(organisation, withdrawn=False):
    signature = CharterSignature(
        organisation_id=organisation.id,
        signatory_name="Sam Signer",
        signatory_function="Administrator-general",
        pledge_three_percent=True,
        pledge_text="",
        withdrawn_at=utcnow() if withdrawn else None,
    )
    db.session.add(signature)
    db.session.commit()
    return signature


def row_of(html: str, name: str) -> str:
    match = re.search(r"<tr>\s*<th scope=\"row\"><a [^>]*>" + re.escape(name) + r"</a>.*?</tr>", html, re.S)
    assert match, name
    return match.group(0)


# --- policy domains: their organisations with their latest share ---------------------------------------


def test_a_domain_lists_its_organisations_with_the_share_of_their_latest_year(client, mow):
    add_year(mow["awv"], 2023, 10 * M, 100 * K)  # an older year: not the latest
    add_year(mow["awv"], 2024, 10 * M, 200 * K, 150 * K)  # 350000/10000000 = 3.50%
    add_year(mow["dwv"], 2025, 20 * M, 400 * K)  # 400000/20000000 = 2.00%
    add_year(mow["omg"], 2025, 5 * M, 500 * K)
    rows = {r.organisation.name: r for r in tracker_service.domain_organisations("mow")}
    assert list(rows) == ["De Werkvennootschap", "Nieuw Agentschap", "Wegen en Verkeer"]  # by name
    assert (rows["Wegen en Verkeer"].year, str(rows["Wegen en Verkeer"].share_percent)) == (2024, "3.50")
    assert rows["Wegen en Verkeer"].meets_target and not rows["De Werkvennootschap"].meets_target
    assert rows["Nieuw Agentschap"].year is None and rows["Nieuw Agentschap"].share_percent is None

    html = client.get("/tracker/domains/mow").text
    section = html[html.index('id="orgs-heading"') :]
    awv = row_of(section, "Wegen en Verkeer")
    assert ">2024<" in awv and 'share-cell">3.50%<' in awv and "yes" in awv
    dwv = row_of(section, "De Werkvennootschap")
    assert ">2025<" in dwv and 'share-cell">2.00%<' in dwv and "not yet" in dwv
    assert "No figures reported yet" in row_of(section, "Nieuw Agentschap")
    assert "Departement Omgeving" not in section and "Firma NV" not in section
    assert f'href="/tracker/organisations/{mow["new"].id}"' in section


def test_a_latest_year_without_budget_has_no_share(client, mow):
    add_year(mow["awv"], 2025, 0)
    [row] = [r for r in tracker_service.domain_organisations("mow") if r.year]
    assert row.share_percent is None and not row.meets_target
    assert "no budget" in row_of(client.get("/tracker/domains/mow").text, "Wegen en Verkeer")


def test_a_domain_without_organisations_says_so(client, mow):
    assert "No government organisation of this policy domain" in client.get("/tracker/domains/ewi").text


def test_the_domain_list_takes_a_fixed_number_of_queries(mow, make_organisation):
    def count():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        db.session.expire_all()
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            rows = tracker_service.domain_organisations("mow")
            [(r.share_percent, r.signed_charter, r.organisation.name) for r in rows]
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return len(statements), len(rows)

    add_year(mow["awv"], 2024, 10 * M, 1 * K)
    few = count()
    for n in range(6):
        extra = make_organisation(kind="government", name=f"Agentschap {n}", policy_domain="mow")
        add_year(extra, 2024, 10 * M, n * K)
        sign(extra)
    many = count()
    assert (few[1], many[1]) == (3, 9)
    assert few[0] == many[0] == 3


# --- charter signatories -------------------------------------------------------------------------------


def test_a_charter_signatory_is_marked_on_its_dashboard(client, mow):
    sign(mow["awv"])
    html = client.get(f"/tracker/organisations/{mow['awv'].id}").text
    assert 'id="charter-signatory"' in html and "Charter signatory" in html
    assert "Wegen en Verkeer signed the charter on" in html
    assert "It pledged to spend at least 3% of its procurement budget on innovation." in html
    assert 'href="/charter/#signatories"' in html or 'href="/charter#signatories"' in html
    other = client.get(f"/tracker/organisations/{mow['dwv'].id}").text
    assert 'id="charter-signatory"' not in other


def test_a_withdrawn_signature_is_not_marked(client, mow):
    sign(mow["awv"], withdrawn=True)
    html = client.get(f"/tracker/organisations/{mow['awv'].id}").text
    assert 'id="charter-signatory"' not in html
    assert "Charter signatory" not in row_of(client.get("/tracker/domains/mow").text, "Wegen en Verkeer")


def test_signatories_are_marked_in_the_domain_list(client, mow):
    sign(mow["dwv"])
    html = client.get("/tracker/domains/mow").text
    assert "Charter signatory" in row_of(html, "De Werkvennootschap")
    assert "Charter signatory" not in row_of(html, "Wegen en Verkeer")


# --- the home page -----------------------------------------------------------------------------------------


def test_the_home_page_shows_the_latest_overall_share_with_a_link_to_the_tracker(client, mow):
    add_year(mow["awv"], 2024, 10 * M, 300 * K)
    add_year(mow["awv"], 2025, 10 * M, 100 * K)
    add_year(mow["omg"], 2025, 30 * M, 700 * K)  # 2025: (100000+700000)/(10000000+30000000) = 2.00%
    add_year(mow["dwv"], 2026, 0)  # a year without budget yet: not the latest share
    html = client.get("/").text
    section = html[html.index('id="norm-heading"') :]
    assert 'id="home-norm-share">2.00%<' in section
    assert "In 2025 the Flemish government spent 2.00% of its procurement budget" in section
    assert "The target is not reached yet." in section
    assert 'href="/tracker/"' in section
    latest = tracker_service.latest_overall()
    assert (latest.year, str(latest.share_percent)) == (2025, "2.00")


def test_the_home_page_says_when_the_target_is_reached(client, mow):
    add_year(mow["awv"], 2025, 10 * M, 310 * K)
    assert "The target is reached." in client.get("/").text


def test_the_home_page_without_figures_still_links_to_the_tracker(client):
    html = client.get("/").text
    section = html[html.index('id="norm-heading"') :]
    assert "home-norm-share" not in section and 'href="/tracker/"' in section
