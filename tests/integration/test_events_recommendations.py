"""Who is here: the matching engine's recommendations come first, with their explanations."""

import types

import pytest

from matchmaker.services import matching

pytestmark = pytest.mark.usefixtures("request_context")


def test_the_supplier_sees_the_matching_buyer_recommended_with_an_explanation(
    client, auth, event, make_participant, register
):
    buyer = make_participant(
        "buyer", name="Bart Buyer", title="Detect cyclists at traffic lights with radar sensors"
    )
    unrelated = make_participant("buyer", name="Una Unrelated", title="Archive of medieval manuscripts")
    supplier = make_participant(
        "supplier", name="Sofie Supplier", title="Radar sensors that detect cyclists at traffic lights"
    )
    for user in (buyer, unrelated, supplier):
        register(user, event)
    auth.login(supplier)
    page = client.get(f"/events/{event.id}/participants").get_data(as_text=True)
    recommended, rest = page.split('id="all-heading"')
    recommended = recommended.split('id="recommended-heading"')[1]
    assert "Bart Buyer" in recommended
    assert "Una Unrelated" not in recommended and "Una Unrelated" in rest
    assert "match-explanation" in recommended
    assert "radar" in recommended.lower()


def test_recommendations_are_listed_in_the_engines_order_before_the_others(
    client, auth, event, make_participant, register, monkeypatch
):
    buyers = [register(make_participant("buyer", name=f"Buyer {name}"), event) for name in "ABC"]
    supplier = make_participant("supplier", name="Sofie Supplier")
    register(supplier, event)

    def fake(registration, candidates, language):
        by_id = {c.id: c for c in candidates}
        return [
            types.SimpleNamespace(registration=by_id[buyers[2].id], score=0.9, explanation=None),
            types.SimpleNamespace(registration=by_id[buyers[0].id], score=0.4, explanation=None),
        ]

    monkeypatch.setattr(matching, "recommend_participants", fake)
    auth.login(supplier)
    page = client.get(f"/events/{event.id}/participants").get_data(as_text=True)
    recommended, rest = page.split('id="all-heading"')
    assert recommended.index("Buyer C") < recommended.index("Buyer A")
    assert "90%" in recommended and "Buyer B" in rest and "Buyer B" not in recommended


def test_a_failing_engine_does_not_take_the_list_down(
    client, auth, event, buyer, supplier, register, monkeypatch
):
    register(buyer, event)
    register(supplier, event)

    def broken(*args):
        raise RuntimeError("engine down")

    monkeypatch.setattr(matching, "recommend_participants", broken)
    auth.login(supplier)
    response = client.get(f"/events/{event.id}/participants")
    assert response.status_code == 200
    assert "Bart Buyer" in response.get_data(as_text=True)
