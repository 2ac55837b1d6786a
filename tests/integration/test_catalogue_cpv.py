"""CPV codes: the autocomplete endpoint (by number, by words in nl/fr/en, accents folded) and parsing."""

import pytest

from matchmaker.reference.cpv import vocabulary
from matchmaker.services import ServiceError, cpv


def _search(client, q, lang="nl", **params):
    response = client.get(
        "/catalogue/cpv/search",
        query_string={"q": q, "lang": lang, **params},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()["results"]


def _codes(results):
    return [r["code"] for r in results]


def test_search_by_number_prefix_finds_codes_below_it(client):
    codes = _codes(_search(client, "7221"))
    assert codes
    assert all(code.startswith("7221") for code in codes)
    assert codes[0] == "72210000"  # the class comes before its categories


@pytest.mark.parametrize("query", ["72000000-5", "72000000", " 72000000 "])
def test_search_by_full_code(client, query):
    assert _codes(_search(client, query)) == ["72000000"]


@pytest.mark.parametrize(
    ("query", "lang", "code", "label"),
    [
        ("zonnepanelen", "nl", "09331000", "Zonnepanelen"),
        ("ZONNEPAN", "nl", "09331000", "Zonnepanelen"),
        ("panneaux solaires", "fr", "09331000", "Panneaux solaires"),
        ("solar panels", "en", "09331000", "Solar panels"),
        ("electricite", "fr", "09310000", "Électricité"),
        ("Électricité", "fr", "09310000", "Électricité"),
        ("elektriciteit", "nl", "09310000", "Elektriciteit"),
    ],
)
def test_search_by_words_in_the_language_ignoring_case_and_accents(client, query, lang, code, label):
    results = _search(client, query, lang)
    assert results[0]["code"] == code
    assert results[0]["label"] == label


def test_every_word_must_match(client):
    results = _search(client, "ziekenhuis dialyse", "nl")
    assert _codes(results) == ["85111900"]


def test_result_carries_its_hierarchy_from_the_division_down(client):
    result = _search(client, "09331000", "en")[0]
    assert result["full_code"] == "09331000-8"
    assert result["level_name"] == "Category"
    assert [h["code"] for h in result["hierarchy"]] == ["09000000", "09300000", "09330000"]
    assert [h["level_name"] for h in result["hierarchy"]] == ["Division", "Group", "Class"]
    assert result["hierarchy"][0]["label"].startswith("Petroleum products")


def test_labels_come_in_the_requested_language(client):
    assert _search(client, "09310000", "fr")[0]["label"] == "Électricité"
    assert _search(client, "09310000", "nl")[0]["label"] == "Elektriciteit"


def test_words_of_another_language_are_found_when_the_own_language_has_none(client):
    results = _search(client, "logiciel", "nl")
    assert results
    assert all(r["code"].startswith(("48", "72")) for r in results)


@pytest.mark.parametrize("query", ["", " ", "!!", "xqzxqz"])
def test_searches_without_matches_return_an_empty_list(client, query):
    assert _search(client, query) == []


def test_limit_is_respected_and_capped(client):
    assert len(_search(client, "software", "en", limit="3")) == 3
    assert len(_search(client, "4", "en", limit="500")) == 50


def test_unknown_language_falls_back_to_the_interface_language(client):
    response = client.get(
        "/catalogue/cpv/search",
        query_string={"q": "09310000", "lang": "de"},
        headers={"Accept-Language": "nl"},
    )
    assert response.get_json()["language"] == "nl"


def test_endpoint_works_without_login_and_may_be_cached_privately(client):
    response = client.get("/catalogue/cpv/search?q=software&lang=en")
    assert response.status_code == 200
    assert "private" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("text", "known", "unknown"),
    [
        ("72000000-5, 48000000", ["72000000", "48000000"], []),
        ("72000000;72000000  48000000", ["72000000", "48000000"], []),
        ("72000000, 1234, abc", ["72000000"], ["1234", "abc"]),
        ("", [], []),
    ],
)
def test_parse_codes(text, known, unknown):
    assert cpv.parse_codes(text) == (known, unknown)


def test_validate_codes_names_the_unknown_ones(app):
    with app.test_request_context(), pytest.raises(ServiceError, match="99999999"):
        cpv.validate_codes("72000000, 99999999")


def test_validate_codes_limits_how_many(app):
    many = ", ".join(sorted(vocabulary())[: cpv.MAX_CODES + 1])
    with app.test_request_context(), pytest.raises(ServiceError, match="at most"):
        cpv.validate_codes(many)


def test_a_single_letter_is_too_broad_to_search(client):
    assert _search(client, "a", "en") == []


def test_small_filler_words_do_not_flood_the_results(client):
    results = _search(client, "services de nettoyage", "fr")
    assert results
    assert all("nettoyage" in r["label"].lower() for r in results)
