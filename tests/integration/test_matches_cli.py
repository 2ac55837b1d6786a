"""`flask match rebuild` and `flask match explain NEED_ID OFFERING_ID`."""

import threading

import pytest

from matchmaker.extensions import db
from matchmaker.models import Match
from matchmaker.services.matching import index as stored
from tests.factories import BUS_NEED, BUS_OFFERING, SENSOR_NEED, SENSOR_OFFERING


@pytest.fixture
def pair(make_buyer, make_supplier, make_need, make_offering, make_theme):
    mobility = make_theme(slug="mobility", nl="Mobiliteit", fr="Mobilité", en="Mobility")
    buyer, supplier = make_buyer(), make_supplier()
    need = make_need(buyer, BUS_NEED, themes=[mobility])
    offering = make_offering(supplier, BUS_OFFERING, themes=[mobility])
    make_need(buyer, SENSOR_NEED)
    make_offering(supplier, SENSOR_OFFERING, status="draft")
    return need, offering


def test_rebuild_reports_what_it_indexed(runner, pair):
    result = runner.invoke(args=["match", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 open needs and 1 published offerings" in result.output
    assert "pairs score above the proposal threshold" in result.output


def test_rebuild_waits_for_a_refit_already_running_and_says_so(app, runner, pair):
    """The command line's refit queues behind a worker's instead of fitting the catalogue twice at once."""
    holding, release = threading.Event(), threading.Event()

    def another_refit():
        with app.app_context(), stored._exclusive_refit(wait=True):
            holding.set()
            release.wait(10)

    worker = threading.Thread(target=another_refit)
    worker.start()
    holding.wait(10)
    threading.Timer(0.3, release.set).start()
    try:
        result = runner.invoke(args=["match", "rebuild"])
    finally:
        release.set()
        worker.join(10)
    assert result.exit_code == 0, result.output
    assert "Another refit is running" in result.output
    assert "Indexed 2 open needs and 1 published offerings" in result.output


def test_rebuild_can_refresh_the_scores_stored_in_matches(runner, pair):
    need, offering = pair
    match = Match(need_id=need.id, offering_id=offering.id, score=0.0, explanation={}, buyer_interest=True)
    db.session.add(match)
    db.session.commit()

    result = runner.invoke(args=["match", "rebuild", "--refresh-matches"])

    assert result.exit_code == 0, result.output
    assert "Refreshed the score and explanation of 1 matches." in result.output
    db.session.refresh(match)
    assert match.score > 0
    assert ["34144910", "shared"] in match.explanation["cpv"]


def test_explain_prints_score_words_cpv_and_themes(runner, pair):
    need, offering = pair
    result = runner.invoke(args=["match", "explain", str(need.id), str(offering.id)])

    assert result.exit_code == 0, result.output
    assert f"Need {need.id} [open] {BUS_NEED['title']}" in result.output
    assert f"Offering {offering.id} [published] {BUS_OFFERING['title']}" in result.output
    assert "Score: 0." in result.output and "components: cpv" in result.output
    assert "elektrische" in result.output.lower()
    assert "34144910 Electric buses (declared by both)" in result.output
    assert "Shared themes: Mobility" in result.output


@pytest.mark.parametrize(("language", "label"), [("nl", "Elektrische bussen"), ("fr", "Autobus électriques")])
def test_explain_labels_in_the_chosen_language(runner, pair, language, label):
    need, offering = pair
    result = runner.invoke(args=["match", "explain", str(need.id), str(offering.id), "--language", language])
    assert result.exit_code == 0, result.output
    assert label in result.output


def test_explain_a_draft_says_it_is_not_proposed(runner, pair, make_supplier, make_offering):
    need, _offering = pair
    draft = make_offering(make_supplier(), BUS_OFFERING, status="draft")
    result = runner.invoke(args=["match", "explain", str(need.id), str(draft.id)])
    assert result.exit_code == 0, result.output
    assert "proposed to nobody" in result.output
    assert "Electric buses" in result.output


@pytest.mark.parametrize("unknown", ["need", "offering"])
def test_explain_unknown_ids_fail_with_a_message(runner, pair, unknown):
    need, offering = pair
    ids = ["999999", str(offering.id)] if unknown == "need" else [str(need.id), "999999"]
    result = runner.invoke(args=["match", "explain", *ids])
    assert result.exit_code == 1
    assert f"There is no {unknown} 999999" in result.output


def test_explain_refuses_ids_that_are_not_numbers(runner, pair):
    result = runner.invoke(args=["match", "explain", "bus", "1"])
    assert result.exit_code == 2
    assert "is not a valid integer" in result.output
