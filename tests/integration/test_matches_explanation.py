"""How an explanation's shared words are shown: compound parts that a longer shown word already holds are
left out, case repeats are shown once, short words are not hidden by chance letters; the page renders
the cleaned list while the stored explanation keeps every term."""

from matchmaker.services import matching
from tests.factories import BUS_NEED, BUS_OFFERING, SENSOR_NEED


def _shown(pairs):
    return [str(word) for word in matching.displayed_terms(pairs)]


def test_compound_parts_held_by_a_shown_word_are_left_out():
    pairs = [
        ["schermen", "schermen"],
        ["geluid", "geluid"],
        ["geluidsschermen", "geluidsschermen"],
        ["energie", "energie"],
        ["snelwegen", "snelwegen"],
        ["wegen", "wegen"],
        ["snel", "snel"],
    ]
    assert _shown(pairs) == ["geluidsschermen", "energie", "snelwegen"]


def test_a_middle_part_of_four_letters_or_more_is_left_out_but_short_words_stay():
    pairs = [["licht", "licht"], ["verkeerslichten", "verkeerslichten"], ["AI", "AI"], ["detail", "detail"]]
    # "licht" sits inside "verkeerslichten"; "ai" sits inside "detail" but is too short to be taken as a part.
    assert _shown(pairs) == ["verkeerslichten", "AI", "detail"]


def test_a_word_is_left_out_only_when_both_sides_hold_it():
    pairs = [["drones", "drone"], ["drone", "dronevlucht"], ["camera", "cameras"]]
    # ("drone", "dronevlucht") is not held by ("drones", "drone") on the offering side: both stay.
    assert _shown(pairs) == ["drones / drone", "drone / dronevlucht", "camera / cameras"]


def test_case_repeats_are_shown_once_in_the_first_spelling():
    assert _shown([["Hernieuwbare", "hernieuwbare"], ["hernieuwbare", "Hernieuwbare"]]) == ["Hernieuwbare"]


def test_localized_explanation_uses_the_cleaned_list_and_keeps_the_data(app):
    data = {
        "need_id": 1,
        "offering_id": 2,
        "score": 0.5,
        "components": {"text": 0.3, "cpv": 0.2},
        "terms": [["geluid", "geluid"], ["geluidsschermen", "geluidsschermen"]],
        "cpv": [],
        "themes": [],
    }
    with app.app_context():
        explanation = matching.localize(data, "nl", theme_names={})
    assert [str(t) for t in explanation.shared_terms] == ["geluidsschermen"]
    assert len(data["terms"]) == 2  # the stored data is not changed


# --------------------------------------------------------------------------------------------------
# The word next to the percentage


def test_score_strength_words_follow_the_thresholds():
    assert matching.score_strength(0.61) == "strong"
    assert matching.score_strength(matching.STRONG_SCORE) == "strong"
    assert matching.score_strength(0.26) == "fair"
    assert matching.score_strength(matching.FAIR_SCORE) == "fair"
    assert matching.score_strength(0.12) == "weak"
    assert matching.score_strength(0.0) == "weak"


def test_proposals_page_says_how_strong_each_score_is_and_marks_title_languages(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    html = client.get("/matches/").get_data(as_text=True)

    proposals = matching.proposals_for(catalogue.bus_need, catalogue.buyer.user).proposals
    word = {"strong": "strong match", "fair": "fair match", "weak": "weak match"}[
        matching.score_strength(proposals[0].score)
    ]
    bus_section = html[html.index(BUS_NEED["title"]) : html.index(SENSOR_NEED["title"])]
    card = bus_section[
        bus_section.index(f'id="proposal-{catalogue.bus_need.id}-{catalogue.bus_offering.id}"') :
    ]
    assert f'match-score-{matching.score_strength(proposals[0].score)}">{word}</span>' in card
    language = str(catalogue.bus_offering.language)
    assert f'lang="{language}">{BUS_OFFERING["title"]}</a>' in card


def test_user_without_organisation_gets_a_neutral_introduction(client, auth):
    auth.login_as("supplier", with_organisation=False, language="en")
    html = client.get("/matches/").get_data(as_text=True)
    assert "Proposals pair the needs of public buyers with the offerings of companies" in html
    assert "best fit your offerings" not in html  # they have no offerings yet
