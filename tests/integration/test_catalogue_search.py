"""Browse and search the catalogue: words in three languages, filters, sorting, pages, visibility."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Membership, Need, Offering, Theme, utcnow
from matchmaker.models.catalogue import NeedCpvCode, OfferingCpvCode
from matchmaker.models.search_index import offering_search_token
from matchmaker.services.catalogue import update_search_text
from matchmaker.services.search import SearchError, SearchParams, query_terms, search_catalogue, stem
from matchmaker.services.themes import ensure_default_themes


@pytest.fixture
def supplier_org(make_organisation):
    return make_organisation(name="Sensorium", kind="startup")


@pytest.fixture
def buyer_org(make_organisation):
    return make_organisation(name="Vlaamse Milieumaatschappij", kind="government")


@pytest.fixture
def themes(app) -> dict[str, Theme]:
    ensure_default_themes()
    return {t.slug: t for t in db.session.scalars(sa.select(Theme))}


_clock = iter(range(1, 100_000))


def _publish_time() -> object:
    return utcnow() - timedelta(hours=1000 - next(_clock))  # later items are newer


@pytest.fixture
def make_indexed_offering(app, supplier_org, themes):
    """Offerings written as rows with their search text, each published after the one before; by Sensorium
    unless another organisation is given. (The shared `make_offering` of tests/factories.py takes a party.)"""

    def factory(title="An offering", organisation=None, status="published", cpv=(), theme_slugs=(), **values):
        offering = Offering(
            organisation_id=(organisation or supplier_org).id,
            title=title,
            summary=values.pop("summary", "A summary."),
            description=values.pop("description", ""),
            innovation_type=values.pop("innovation_type", "product"),
            trl=values.pop("trl", 5),
            status=status,
            published_at=_publish_time() if status == "published" else None,
            **values,
        )
        offering.cpv_links = [OfferingCpvCode(code=code) for code in cpv]
        offering.themes = [themes[slug] for slug in theme_slugs]
        update_search_text(offering)
        db.session.add(offering)
        db.session.commit()
        return offering

    return factory


@pytest.fixture
def make_indexed_need(app, buyer_org, themes):
    """Needs written as rows with their search text, each published after the one before; by the VMM unless
    another organisation is given."""

    def factory(title="A need", organisation=None, status="open", cpv=(), theme_slugs=(), **values):
        need = Need(
            organisation_id=(organisation or buyer_org).id,
            title=title,
            summary=values.pop("summary", "A summary."),
            challenge=values.pop("challenge", "A challenge."),
            procurement_route=values.pop("procurement_route", "market_consultation"),
            status=status,
            published_at=_publish_time() if status in ("open", "closed") else None,
            **values,
        )
        need.cpv_links = [NeedCpvCode(code=code) for code in cpv]
        need.themes = [themes[slug] for slug in theme_slugs]
        update_search_text(need)
        db.session.add(need)
        db.session.commit()
        return need

    return factory


def titles(result) -> list[str]:
    return [item.title for item in result.items]


def search(viewer=None, **params) -> list[str]:
    return titles(search_catalogue(SearchParams(**params), viewer))


# --------------------------------------------------------------------------------------------------
# Words


@pytest.mark.parametrize(
    "query", ["waterkwaliteit", "WATERKWALITEIT", "Waterkwalitéit", "  waterkwaliteit  "]
)
def test_finds_a_dutch_word_whatever_the_case_and_accents(make_indexed_offering, query):
    make_indexed_offering("Sensornetwerk voor waterkwaliteit")
    make_indexed_offering("Slimme verkeerslichten")
    assert search(q=query) == ["Sensornetwerk voor waterkwaliteit"]


def test_finds_accented_text_with_an_unaccented_query_and_back(make_indexed_offering):
    make_indexed_offering("Rénovation énergétique des écoles")
    assert search(q="renovation energetique") == ["Rénovation énergétique des écoles"]
    assert search(q="RÉNOVATION") == ["Rénovation énergétique des écoles"]


def test_finds_an_english_word(make_indexed_offering):
    make_indexed_offering(
        "Smart traffic cameras", description="Edge AI detects near-misses at intersections."
    )
    assert search(q="intersections") == ["Smart traffic cameras"]


def test_a_french_query_finds_a_dutch_item_through_its_cpv_labels(make_indexed_offering):
    # CPV 35125100 is "Sensoren" / "Capteurs" / "Sensors".
    make_indexed_offering("Meetboeien in de Schelde", cpv=["35125100"])
    make_indexed_offering("Verkeerslichten", cpv=["34996100"])
    assert search(q="capteurs") == ["Meetboeien in de Schelde"]
    assert search(q="sensors") == ["Meetboeien in de Schelde"]
    assert search(q="feux de circulation") == ["Verkeerslichten"]  # 34996100 in French


def test_plural_and_stem_find_the_singular(make_indexed_offering):
    make_indexed_offering("Eén sensor per beek")
    assert search(q="sensoren") == ["Eén sensor per beek"]
    assert search(q="bruggen") == []  # no false friend
    make_indexed_offering("Inspectie van een brug")
    assert search(q="bruggen") == ["Inspectie van een brug"]


def test_the_start_of_a_word_is_enough(make_indexed_need):
    make_indexed_need("Slimme verkeerslichtregeling")
    assert search(kind="need", q="verkeersl") == ["Slimme verkeerslichtregeling"]


def test_every_word_must_match(make_indexed_offering):
    make_indexed_offering("Drones voor dijkinspectie")
    make_indexed_offering("Drones voor landbouw")
    assert search(q="drones dijkinspectie") == ["Drones voor dijkinspectie"]
    assert sorted(search(q="drones")) == ["Drones voor dijkinspectie", "Drones voor landbouw"]


def test_stop_words_and_single_letters_are_ignored(make_indexed_offering):
    make_indexed_offering("Water in de stad")
    terms, ignored = query_terms("de l'eau en het water")
    assert terms == ["eau", "water"]
    assert set(ignored) >= {"de", "l", "en", "het"}
    assert search(q="het water") == ["Water in de stad"]


def test_stemming_rules():
    assert stem("sensoren") == "sensor"
    assert stem("capteurs") == "capteur"
    assert stem("bruggen") == "brug"
    assert stem("water") == "water"
    assert stem("2027") == "2027"


def test_a_title_match_ranks_above_a_match_in_the_description(make_indexed_offering):
    make_indexed_offering("Platform voor erfgoed", description="Wij gebruiken drones.")
    make_indexed_offering("Drones boven erfgoed")
    assert search(q="drones") == ["Drones boven erfgoed", "Platform voor erfgoed"]


def test_the_index_follows_edits_and_deletions(make_indexed_offering):
    offering = make_indexed_offering("Oude titel")
    offering.title = "Nieuwe naam"
    update_search_text(offering)
    db.session.commit()
    assert search(q="oude") == []
    assert search(q="nieuwe") == ["Nieuwe naam"]
    db.session.delete(offering)
    db.session.commit()
    left = db.session.scalar(sa.select(sa.func.count()).select_from(offering_search_token))
    assert left == 0


# --------------------------------------------------------------------------------------------------
# Filters


def test_filters_combine(make_indexed_offering, make_organisation):
    research = make_organisation(name="Lab", kind="research_centre")
    make_indexed_offering("A", theme_slugs=["water"], trl=8, innovation_type="product", cpv=["35125100"])
    make_indexed_offering("B", theme_slugs=["water"], trl=4, innovation_type="product", cpv=["35125100"])
    make_indexed_offering("C", theme_slugs=["energy"], trl=8, innovation_type="product", cpv=["35125100"])
    make_indexed_offering("D", theme_slugs=["water"], trl=8, innovation_type="service", cpv=["35125100"])
    make_indexed_offering("E", theme_slugs=["water"], trl=8, innovation_type="product", cpv=["72000000"])
    make_indexed_offering(
        "F", theme_slugs=["water"], trl=9, innovation_type="product", cpv=["35125100"], organisation=research
    )
    common = {"themes": ["water"], "trl_min": 7, "innovation_types": ["product"], "cpv_divisions": ["35"]}
    assert sorted(search(**common)) == ["A", "F"]
    assert search(**common, organisation_kinds=["startup"]) == ["A"]
    assert search(**common, trl_max=8) == ["A"]
    assert sorted(
        search(themes=["water", "energy"], trl_min=8, cpv_divisions=["35"], innovation_types=["product"])
    ) == [
        "A",
        "C",
        "F",
    ]


def test_need_filters_route_and_language(make_indexed_need):
    make_indexed_need("Eerste", procurement_route="pre_commercial_procurement", language="nl")
    make_indexed_need("Deuxième", procurement_route="pre_commercial_procurement", language="fr")
    make_indexed_need("Third", procurement_route="innovation_partnership", language="en")
    assert search(kind="need", procurement_routes=["pre_commercial_procurement"], languages=["fr"]) == [
        "Deuxième"
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"trl_min": 0},
        {"trl_max": 10},
        {"cpv_divisions": ["7"]},
        {"innovation_types": ["magic"]},
        {"sort": "deadline"},  # offerings have no deadline
        {"per_page": 7},
        {"page": 0},
        {"statuses": ["draft"]},  # the public may not ask for drafts
        {"kind": "event"},
    ],
)
def test_the_service_refuses_parameters_out_of_range(app, params):
    with pytest.raises(SearchError):
        search_catalogue(SearchParams(**params), None)


# --------------------------------------------------------------------------------------------------
# Sorting and pages


def test_sort_orders(make_indexed_offering, make_indexed_need):
    make_indexed_offering("Beta", trl=3)
    make_indexed_offering("alpha", trl=9)
    make_indexed_offering("Gamma", trl=6)
    assert search(sort="title") == ["alpha", "Beta", "Gamma"]
    assert search(sort="trl") == ["alpha", "Gamma", "Beta"]
    assert search(sort="newest") == ["Gamma", "alpha", "Beta"]
    today = date.today()
    make_indexed_need("Later", deadline=today + timedelta(days=90), budget_max=100_000)
    make_indexed_need("Sooner", deadline=today + timedelta(days=10), budget_max=900_000)
    make_indexed_need("None", deadline=None, budget_max=None)
    assert search(kind="need", sort="deadline") == ["Sooner", "Later", "None"]
    assert search(kind="need", sort="budget") == ["Sooner", "Later", "None"]


def test_pages_and_their_bounds(make_indexed_offering):
    for number in range(25):
        make_indexed_offering(f"Item {number:02d}")
    first = search_catalogue(SearchParams(sort="title", per_page=10), None)
    assert first.total == 25 and first.pagination.pages == 3 and titles(first)[0] == "Item 00"
    last = search_catalogue(SearchParams(sort="title", per_page=10, page=3), None)
    assert titles(last) == [f"Item {n}" for n in range(20, 25)]
    beyond = search_catalogue(SearchParams(sort="title", per_page=10, page=99), None)
    assert beyond.page_clamped and beyond.pagination.page == 3 and titles(beyond) == titles(last)


def test_an_empty_result_is_one_empty_page(app):
    result = search_catalogue(SearchParams(q="nothing", page=5), None)
    assert result.total == 0 and result.items == [] and result.pagination.pages in (0, 1)


# --------------------------------------------------------------------------------------------------
# Who sees what


def test_drafts_of_other_organisations_never_appear(
    make_indexed_offering, make_organisation, make_user, auth
):
    other = make_organisation(name="Other", kind="sme")
    make_indexed_offering("Public sensor", organisation=other)
    make_indexed_offering("Secret sensor", organisation=other, status="draft")
    make_indexed_offering("Archived sensor", organisation=other, status="archived")
    stranger = make_user(roles=("supplier",))
    make_organisation(name="Stranger's", kind="startup", admins=(stranger,))
    assert search(q="sensor") == ["Public sensor"]
    assert search(stranger, q="sensor") == ["Public sensor"]
    assert search(stranger, q="sensor", statuses=["draft", "archived"]) == []
    # The owner sees them when asking, and so does an administrator; an organizer does not.
    owner = make_user(roles=("supplier",))
    db.session.add(Membership(user=owner, organisation=other))
    db.session.commit()
    assert sorted(search(owner, q="sensor", statuses=["draft", "archived"])) == [
        "Archived sensor",
        "Secret sensor",
    ]
    admin = make_user(roles=("admin",))
    assert sorted(search(admin, q="sensor", statuses=["draft", "published", "archived"])) == [
        "Archived sensor",
        "Public sensor",
        "Secret sensor",
    ]
    organizer = make_user(roles=("organizer",))
    assert search(organizer, q="sensor") == ["Public sensor"]
    with pytest.raises(SearchError):
        search(organizer, q="sensor", statuses=["draft"])
    # And through the page, with a hand-made URL.
    auth.login(stranger)
    page = auth.client.get("/catalogue/offerings?q=sensor&status=draft&status=published").get_data(
        as_text=True
    )
    assert "Secret sensor" not in page and "Public sensor" in page


def test_my_organisation_filter_shows_only_mine_in_any_status(
    make_indexed_offering, make_organisation, make_user
):
    me = make_user(roles=("supplier",))
    mine = make_organisation(name="Mine", kind="startup", admins=(me,))
    make_indexed_offering("My draft", organisation=mine, status="draft")
    make_indexed_offering("My published", organisation=mine)
    make_indexed_offering("Someone else's")
    assert sorted(search(me, mine=True)) == ["My draft", "My published"]


def test_needs_for_registered_users_only_need_a_login(make_indexed_need, make_user):
    make_indexed_need("Open to all")
    make_indexed_need("Members only", registered_only=True)
    make_indexed_need("Draft one", status="draft")
    assert search(kind="need") == ["Open to all"]
    user = make_user()
    assert sorted(search(user, kind="need")) == ["Members only", "Open to all"]


def test_closed_needs_are_found_by_their_organisation_only(
    make_indexed_need, make_user, make_organisation, buyer_org
):
    """Issue 13: nothing of a closed need is public; its own organisation still filters on it."""
    make_indexed_need("Open to all")
    make_indexed_need("Closed one", status="closed")
    with pytest.raises(SearchError):
        search(kind="need", statuses=["closed"])
    outsider = make_user()
    make_organisation(admins=(outsider,), kind="government")
    assert search(outsider, kind="need", statuses=["open", "closed"]) == ["Open to all"]
    member = make_user()
    db.session.add(Membership(user=member, organisation=buyer_org))
    db.session.commit()
    assert sorted(search(member, kind="need", statuses=["open", "closed"])) == ["Closed one", "Open to all"]


# --------------------------------------------------------------------------------------------------
# The pages


def test_the_page_searches_and_announces_the_count(client, make_indexed_offering):
    make_indexed_offering("Sensornetwerk voor waterkwaliteit", summary="Meetboeien in beken.")
    # (not "Capteurs": its Dutch equivalent "sensor" finds the item across languages, issue 17)
    response = client.get("/catalogue/offerings?q=Fietsers+OR+waterkwaliteit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    status = re.search(r'id="results-count" role="status">(.*?)</p>', page, re.S).group(1)
    assert "0" in status  # 'or' is a word too: nothing has all three
    page = client.get("/catalogue/offerings?q=waterkwaliteit").get_data(as_text=True)
    assert "Sensornetwerk voor waterkwaliteit" in page and "Meetboeien in beken." in page
    assert '<form method="get"' in page and 'for="q"' in page and "<fieldset" in page


def test_the_needs_page_lists_open_needs(client, make_indexed_need):
    make_indexed_need(
        "Drones voor dijkinspectie", deadline=date.today() + timedelta(days=30), budget_max=500_000
    )
    page = client.get("/catalogue/needs").get_data(as_text=True)
    assert "Drones voor dijkinspectie" in page


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-3",
        "page=0",
        "page=999999999999999999999",
        "sort=bogus",
        "sort=deadline",  # not for offerings
        "trl_min=99",
        "trl_min=abc",
        "trl_min=8&trl_max=2",
        "theme=does-not-exist",
        "type=magic",
        "cpv=7",
        "cpv=999",
        "org_kind=alien",
        "language=de",
        "status=draft",
        "per_page=1000",
        "per_page=abc",
        "mine=yes",
        "q=" + "x" * 5000,
        "q=%00%01",
        "q=%27%3B+DROP+TABLE+offering%3B--",
        "q=**+%25+_",
    ],
)
def test_bad_parameters_are_reported_not_fatal(client, make_indexed_offering, query):
    make_indexed_offering("Still listed")
    response = client.get(f"/catalogue/offerings?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    if not query.startswith(("q=", "mine=")):
        assert "could not be used" in page
        assert "Still listed" in page


@pytest.mark.parametrize("query", ["route=nope", "sort=trl", "page=x", "status=archived"])
def test_bad_need_parameters_are_reported_not_fatal(client, query):
    response = client.get(f"/catalogue/needs?{query}")
    assert response.status_code == 200
    assert "could not be used" in response.get_data(as_text=True)


def test_a_page_past_the_end_shows_the_last_page(client, make_indexed_offering):
    for number in range(12):
        make_indexed_offering(f"Item {number:02d}")
    page = client.get("/catalogue/offerings?per_page=10&page=7&sort=title").get_data(as_text=True)
    assert "That page does not exist" in page and "Item 11" in page and "Item 00" not in page


def test_search_pages_never_show_drafts_to_the_public(client, make_indexed_offering):
    make_indexed_offering("Draft thing", status="draft")
    page = client.get("/catalogue/offerings?status=draft&q=draft").get_data(as_text=True)
    assert "Draft thing" not in page
