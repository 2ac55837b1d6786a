"""Numbers the database cannot hold, in a path, a query string or a form, get a clear refusal (404, or the
form shown again with its error), never a 500: SQLite raises OverflowError beyond 64 bits, and PostgreSQL,
whose id columns are INTEGER (32 bits), "integer out of range" beyond 2**31 - 1 (issue 14, finding 7).

The sweeps reuse the world and the route table of test_authorization: every GET route as its owner and as a
visitor, every object form posted by its owner.
"""

import dataclasses
from urllib.parse import urlencode

import pytest
from werkzeug.datastructures import MultiDict

from matchmaker.routing import MAX_INT, BoundedArgs, parse_id
from tests.integration.test_authorization import (
    OWN_VIEW,
    PRIVATE,
    ROUTES,
    Case,
    _ask,
    _field_names,
    _object_rules,
    _url,
    _value,
    _world,
)

pytestmark = pytest.mark.usefixtures("request_context")

# Beyond PostgreSQL's INTEGER, beyond a 64-bit integer (SQLite's), far beyond, and below every id.
OUT_OF_RANGE = ("2147483648", "9223372036854775808", "99999999999999999999", "-1")
# A digit for str.isdigit, not for int(): "²".isdigit() and then int("²") was a 500.
NOT_A_NUMBER = "²"
# The whole-site sweeps (a world and ~300 requests each) take the values that reach different code: beyond
# PostgreSQL's INTEGER, beyond SQLite's 64 bits, and a non-ASCII digit; the focused tests take all of them.
SWEPT = ("2147483648", "9223372036854775808", NOT_A_NUMBER)

# Every query parameter a page reads as a number (an id, a page, a count), and the ids of other routes' forms.
ID_QUERY_NAMES = (
    *("to", "from", "event", "theme", "need", "offering", "need_id", "offering_id", "registration", "table"),
    *("buyer", "supplier", "organisation", "organisation_id", "user", "user_id", "job", "slot", "meeting"),
    *("id", "page", "per_page", "per_item", "limit", "year", "trl", "min_score", "kept_id", "version"),
)


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_meeting_request_to_an_id_out_of_range_is_not_found(
    client, auth, event, buyer, supplier, register, method, value
):
    """Issue 14, finding 7: GET /events/1/requests/new?to=9223372036854775808 answered 500 (the recipient's id
    reached the database). The form's own `to` field is read the same way."""
    register(buyer, event)
    register(supplier, event)
    auth.login(supplier)
    if method == "GET":
        response = client.get(f"/events/{event.id}/requests/new?to={value}")
    else:
        response = client.post(f"/events/{event.id}/requests/new", data={"to": value, "message": "Hallo"})
    assert response.status_code == 404


@pytest.mark.parametrize("value", [*OUT_OF_RANGE, NOT_A_NUMBER])
def test_merging_into_an_organisation_id_out_of_range_is_not_found(client, auth, make_organisation, value):
    duplicate = make_organisation(name="Dubbel")
    auth.login_as("admin")
    response = client.post(f"/admin/organisations/{duplicate.id}/merge", data={"kept_id": value})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url", ["/catalogue/offerings?page=²", "/catalogue/needs?page=²", "/catalogue/cpv/search?q=water&limit=²"]
)
def test_a_page_number_or_limit_that_is_no_number_is_left_aside(client, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1", 1),
        (" 42 ", 42),
        (str(MAX_INT), MAX_INT),
        (str(MAX_INT + 1), None),
        ("9223372036854775808", None),
        ("9" * 5000, None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("1_000", None),
        ("١٢", None),  # digits of another script, which int() would read
        ("", None),
        (None, None),
        ("abc", None),
    ],
)
def test_parse_id_reads_only_ids_the_database_can_hold(text, expected):
    assert parse_id(text) == expected


def test_query_lists_of_numbers_leave_out_those_out_of_range():
    args = BoundedArgs(MultiDict([("theme", "3"), ("theme", "9223372036854775808"), ("theme", "-4")]))
    assert args.getlist("theme", type=int) == [3, -4]
    assert args.get("theme", type=int) == 3


@pytest.mark.parametrize("value", SWEPT)
def test_every_page_answers_numbers_out_of_range_in_its_query_string_without_a_500(
    app, make_user, make_organisation, value
):
    """Every GET route, as its owner and as a visitor, with every number-like query parameter set to a number
    out of range (instead of the one its case gives, such as a request's `to`)."""
    world = _world(make_user, make_organisation)
    problems, pages = [], 0
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]
    for rule in sorted(rules, key=lambda r: r.rule):
        case = ROUTES[rule.endpoint][0] if rule.arguments else Case(OWN_VIEW, "admin")
        query = {name: _value(world, spec) for name, spec in case.query.items()}
        query.update(dict.fromkeys(ID_QUERY_NAMES, value))
        url = _url(app, world, rule, dataclasses.replace(case, query={})) + "?" + urlencode(query)
        for actor in (case.owner or "admin", "anonymous"):
            pages += 1
            response = _ask(app, world, actor, "GET", url, case)
            if response.status_code >= 500:
                problems.append(f"GET {url[:160]} as {actor}: {response.status_code}")
    assert pages >= 150
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("value", SWEPT)
def test_forms_answer_numbers_out_of_range_from_their_owner_without_a_500(
    app, make_user, make_organisation, value
):
    """Every GET+POST object form, posted by its owner with the number in every field (ids of hidden fields,
    choices, counts), and in the number-like query parameters too."""
    world = _world(make_user, make_organisation)
    problems, forms = [], 0
    for endpoint, cases in sorted(ROUTES.items()):
        for case in cases:
            if not case.owner or case.access not in (PRIVATE, OWN_VIEW):
                continue
            for rule in [r for r in _object_rules(app) if r.endpoint == endpoint]:
                if not {"GET", "POST"} <= rule.methods:
                    continue
                url = _url(app, world, rule, case)
                names = _field_names(_ask(app, world, case.owner, "GET", url, case).get_data(as_text=True))
                if not names:
                    continue
                forms += 1
                posted = Case(case.access, query=case.query, data=dict.fromkeys(names, value))
                response = _ask(app, world, case.owner, "POST", url, posted)
                if response.status_code >= 500:
                    problems.append(f"POST {url} as {case.owner} with {value} in {sorted(names)}: 500")
    assert forms >= 15
    assert not problems, "\n".join(problems)
