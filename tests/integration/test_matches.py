"""Matches in the app: proposals for buyers and suppliers, explanations, interest, mutual matches and their
notification, permissions, drafts never proposed, the organizers' overview and its CSV export, and the
recommendations the events area asks for."""

import csv
import io
import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Match, Membership, MembershipRole, Notification
from matchmaker.services import matching
from matchmaker.services.matching import proposals
from tests.factories import BUS_NEED, BUS_OFFERING, FRENCH_OFFERING, SENSOR_NEED, SENSOR_OFFERING


def _interest(client, need, offering, decision, json=False, **extra):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        f"/matches/{need.id}/{offering.id}/interest", data={"decision": decision, **extra}, headers=headers
    )


def _match(need, offering) -> Match | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Match).where(Match.need_id == need.id, Match.offering_id == offering.id)
    )


def _stored_score(need_id: int, offering_id: int) -> float:
    """The pair's score as the shared index stores it (0 when it is in neither item's top K)."""
    from matchmaker.models import MatchPair

    score = db.session.scalar(
        sa.select(MatchPair.score).where(
            MatchPair.generation == matching.served_generation(),
            MatchPair.need_id == need_id,
            MatchPair.offering_id == offering_id,
        )
    )
    return score or 0.0


# --------------------------------------------------------------------------------------------------
# Proposals


def test_buyer_is_proposed_the_best_offering_for_each_need(catalogue):
    groups = {g.item.id: g for g in matching.my_proposals(catalogue.buyer.user, "en").items}

    bus = groups[catalogue.bus_need.id].proposals
    sensor = groups[catalogue.sensor_need.id].proposals
    assert bus[0].offering.id == catalogue.bus_offering.id
    assert sensor[0].offering.id == catalogue.sensor_offering.id
    assert all(0 < p.score <= 1 for p in bus + sensor)
    assert [p.score for p in bus] == sorted((p.score for p in bus), reverse=True)
    assert bus[0].side == "buyer" and bus[0].counterpart.id == catalogue.bus_offering.id


def test_supplier_is_proposed_the_best_need_for_each_offering(catalogue):
    groups = matching.my_proposals(catalogue.sensor_supplier.user, "en").items

    assert [g.item.id for g in groups] == [catalogue.sensor_offering.id]
    proposals = groups[0].proposals
    assert proposals[0].need.id == catalogue.sensor_need.id
    assert proposals[0].side == "supplier"


def test_both_sides_see_the_same_score_for_a_pair(catalogue):
    buyer_side = matching.proposals_for(catalogue.bus_need, catalogue.buyer.user).proposals
    supplier_side = matching.proposals_for(catalogue.bus_offering, catalogue.bus_supplier.user).proposals
    from_buyer = next(p.score for p in buyer_side if p.offering.id == catalogue.bus_offering.id)
    from_supplier = next(p.score for p in supplier_side if p.need.id == catalogue.bus_need.id)
    assert from_buyer == pytest.approx(from_supplier)


def test_proposals_page_shows_score_explanation_and_answer_buttons(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    html = client.get("/matches/").get_data(as_text=True)

    bus_section = html[html.index(BUS_NEED["title"]) : html.index(SENSOR_NEED["title"])]
    assert BUS_OFFERING["title"] in bus_section
    score = matching.proposals_for(catalogue.bus_need, catalogue.buyer.user).proposals[0].score
    assert f"{round(score * 100)}%" in bus_section
    assert f"score-{round(score * 100)}" in bus_section  # the bar
    assert "Why this proposal?" in bus_section
    why = f"/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}/why"
    assert f'data-why-url="{why}"' in bus_section  # loaded when opened
    assert "34144910" not in bus_section
    assert 'value="interested"' in bus_section and 'value="not_interested"' in bus_section
    assert re.search(r"css/matches(\.[0-9a-f]{12})?\.css", html)  # under its hashed name when built
    assert re.search(r"js/matches(\.[0-9a-f]{12})?\.js", html)
    fragment = client.get(why)
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert "34144910" in text and "match-explanation" in text  # the shared CPV code
    assert "<html" not in text  # a fragment, without the layout


def test_why_follows_the_proposals_access_rules(client, auth, catalogue, make_supplier):
    why = f"/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}/why"
    assert client.get(why).status_code == 302  # to the login page
    auth.login(make_supplier().user)  # neither side's organisation
    assert client.get(why).status_code == 403
    auth.login(catalogue.bus_supplier.user)  # the offering's side
    assert "Words they share" in client.get(why).get_data(as_text=True)
    auth.login_as("organizer")  # organizers see every public pair, as on the overview
    assert client.get(why).status_code == 200
    catalogue.bus_offering.status = "draft"
    db.session.commit()
    auth.login(catalogue.buyer.user)  # the draft is not visible to the buyer
    assert client.get(why).status_code == 404
    assert client.get("/matches/999999/999999/why").status_code == 404


def test_explanation_names_shared_words_cpv_codes_and_themes(catalogue):
    proposal = matching.proposals_for(catalogue.bus_need, catalogue.buyer.user, language="en").proposals[0]
    explanation = proposal.explanation

    words = {str(t).lower() for t in explanation.shared_terms}
    assert any("elektrisch" in w for w in words)
    assert any("laadpa" in w for w in words)
    shared_cpv = [c for c in explanation.cpv if c.relation == "shared"]
    assert [c.code for c in shared_cpv] == ["34144910"]
    assert shared_cpv[0].label == "Electric buses"
    assert [t.name for t in explanation.themes] == ["Mobility"]
    # The ranking's score (one dot product in the index) is the sum of the engine's explained components.
    assert proposal.score == pytest.approx(sum(explanation.components.values()), abs=1e-4)
    assert explanation.score == pytest.approx(proposal.score, abs=1e-6)
    assert explanation.percent == round(proposal.score * 100)


@pytest.mark.parametrize(
    ("language", "cpv_label", "theme_name"),
    [
        ("nl", "Elektrische bussen", "Mobiliteit"),
        ("fr", "Autobus électriques", "Mobilité"),
        ("en", "Electric buses", "Mobility"),
    ],
)
def test_explanation_is_in_the_readers_language(client, auth, catalogue, language, cpv_label, theme_name):
    catalogue.buyer.user.language = language
    db.session.commit()
    auth.login(catalogue.buyer.user)

    assert f'<html lang="{language}">' in client.get("/matches/").get_data(as_text=True)
    why = f"/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}/why"
    html = client.get(why).get_data(as_text=True)

    assert cpv_label in html
    assert theme_name in html
    assert "bussen" in html  # shared words stay as written


def test_words_shared_across_languages_are_shown_as_each_text_writes_them(
    catalogue, make_supplier, make_offering
):
    french = make_offering(make_supplier(), FRENCH_OFFERING)
    matching.refit()  # its French words are learnt by a fit (a refresh scores with the fitted vocabulary)
    proposals = matching.proposals_for(catalogue.sensor_need, catalogue.buyer.user, limit=10, language="fr")
    french_proposal = next(p for p in proposals.proposals if p.offering.id == french.id)
    assert "CO2" in {t.need for t in french_proposal.explanation.shared_terms}
    assert [c.label for c in french_proposal.explanation.cpv if c.relation == "shared"] == [
        "Appareils d'analyses"
    ]


def test_drafts_archived_and_closed_items_are_never_proposed(
    catalogue, make_supplier, make_buyer, make_need, make_offering
):
    other = make_supplier()
    draft = make_offering(other, BUS_OFFERING, status="draft", title="Geheim ontwerp elektrische bus")
    archived = make_offering(other, BUS_OFFERING, status="archived", title="Oude elektrische bus")
    other_buyer = make_buyer()
    draft_need = make_need(other_buyer, BUS_NEED, status="draft", title="Ontwerp busbehoefte")
    closed_need = make_need(other_buyer, BUS_NEED, status="closed", title="Gesloten busbehoefte")

    offered = {
        p.offering.id
        for p in matching.proposals_for(catalogue.bus_need, catalogue.buyer.user, limit=50).proposals
    }
    needed = {
        p.need.id
        for p in matching.proposals_for(
            catalogue.bus_offering, catalogue.bus_supplier.user, limit=50
        ).proposals
    }
    pairs = matching.best_pairs(limit=1000)

    assert catalogue.bus_offering.id in offered
    assert not offered & {draft.id, archived.id}
    assert catalogue.bus_need.id in needed
    assert not needed & {draft_need.id, closed_need.id}
    assert not {r.offering.id for r in pairs} & {draft.id, archived.id}
    assert not {r.need.id for r in pairs} & {draft_need.id, closed_need.id}


def test_drafts_do_not_appear_on_anyones_proposals_page(
    client, auth, catalogue, make_supplier, make_offering
):
    make_offering(make_supplier(), BUS_OFFERING, status="draft", title="Geheim ontwerp elektrische bus")
    auth.login(catalogue.buyer.user)
    assert "Geheim ontwerp" not in client.get("/matches/?per_item=20").get_data(as_text=True)


def test_own_draft_gets_an_explanation_of_what_to_do(client, auth, catalogue, make_offering):
    make_offering(catalogue.bus_supplier, SENSOR_OFFERING, status="draft", title="Mijn ontwerp")
    auth.login(catalogue.bus_supplier.user)
    html = client.get("/matches/").get_data(as_text=True)
    assert "Mijn ontwerp" in html
    assert "Publish it to see which needs it fits." in html


def test_registered_only_needs_are_proposed_only_to_logged_in_viewers(catalogue):
    catalogue.sensor_need.registered_only = True
    db.session.commit()

    anonymous = matching.proposals_for(catalogue.sensor_offering, None).proposals
    logged_in = matching.proposals_for(catalogue.sensor_offering, catalogue.sensor_supplier.user).proposals

    assert catalogue.sensor_need.id not in {p.need.id for p in anonymous}
    assert catalogue.sensor_need.id in {p.need.id for p in logged_in}


def test_proposals_need_a_login(client):
    response = client.get("/matches/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["supplier", "buyer"])
def test_empty_state_tells_what_to_publish(client, auth, role):
    auth.login_as(role, language="en")
    html = client.get("/matches/").get_data(as_text=True)
    expected = (
        "Publish an offering to get proposals" if role == "supplier" else "Register a need to get proposals"
    )
    assert expected in html


def test_user_without_organisation_is_told_to_join_one(client, auth):
    auth.login_as("supplier", with_organisation=False, language="en")
    html = client.get("/matches/").get_data(as_text=True)
    assert "Join an organisation to get proposals" in html


def test_per_item_limit_is_bounded(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    assert client.get("/matches/?per_item=100000").status_code == 200
    assert client.get("/matches/?per_item=abc").status_code == 200


# --------------------------------------------------------------------------------------------------
# Interest and mutual matches


def test_one_sided_interest_is_recorded_but_not_mutual(client, auth, catalogue, outbox):
    auth.login(catalogue.buyer.user)
    response = _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")

    assert response.status_code == 302
    match = _match(catalogue.bus_need, catalogue.bus_offering)
    assert match.buyer_interest is True and match.supplier_interest is None
    assert match.buyer_decided_by_id == catalogue.buyer.user.id
    assert not match.is_mutual and match.mutual_since is None
    assert 0 < match.score <= 1
    assert match.explanation["cpv"][0] == ["34144910", "shared"]
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    assert outbox == []


def test_interest_from_both_sides_is_a_mutual_match_notified_to_both(
    client, auth, catalogue, outbox, make_user
):
    colleague = make_user(roles=("supplier",), email="colleague@example.org")
    db.session.add(
        Membership(
            user=colleague, organisation=catalogue.bus_supplier.organisation, role=MembershipRole.MEMBER
        )
    )
    db.session.commit()

    auth.login(catalogue.buyer.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    auth.login(catalogue.bus_supplier.user)
    response = _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested", json=True)

    assert response.status_code == 200
    assert response.get_json()["mutual"] is True
    match = _match(catalogue.bus_need, catalogue.bus_offering)
    assert match.is_mutual and match.mutual_since is not None and match.notified_at is not None
    notified = db.session.scalars(sa.select(Notification).where(Notification.kind == "mutual_match")).all()
    assert sorted(n.user_id for n in notified) == sorted(
        [catalogue.buyer.user.id, catalogue.bus_supplier.user.id, colleague.id]
    )
    buyer_note = next(n for n in notified if n.user_id == catalogue.buyer.user.id)
    assert buyer_note.params["organisation"] == catalogue.bus_supplier.organisation.name
    assert buyer_note.url.startswith("/matches/mutual")
    assert sorted(m.to for m in outbox) == sorted(
        [catalogue.buyer.user.email, catalogue.bus_supplier.user.email, colleague.email]
    )
    assert any(BUS_NEED["title"] in m.body for m in outbox)


def test_withdrawing_and_renewing_interest_does_not_notify_twice(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    auth.login(catalogue.bus_supplier.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "undecided")

    match = _match(catalogue.bus_need, catalogue.bus_offering)
    assert match.supplier_interest is None and not match.is_mutual and match.mutual_since is None

    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    assert _match(catalogue.bus_need, catalogue.bus_offering).is_mutual
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 2  # one per side, once


def test_not_interested_hides_the_proposal_until_asked(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "not_interested")

    hidden = client.get("/matches/").get_data(as_text=True)
    shown = client.get("/matches/?declined=1").get_data(as_text=True)

    bus_section = hidden[hidden.index(BUS_NEED["title"]) : hidden.index(SENSOR_NEED["title"])]
    assert f'id="proposal-{catalogue.bus_need.id}-{catalogue.bus_offering.id}"' not in bus_section
    assert (
        "1 proposal marked not interested is hidden." in bus_section or "You marked 1 proposal" in bus_section
    )
    assert f'id="proposal-{catalogue.bus_need.id}-{catalogue.bus_offering.id}"' in shown


def test_mutual_matches_page_shows_the_other_sides_contact(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    auth.login(catalogue.bus_supplier.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")

    supplier_view = client.get("/matches/mutual").get_data(as_text=True)
    auth.login(catalogue.buyer.user)
    buyer_view = client.get("/matches/mutual").get_data(as_text=True)
    auth.login(catalogue.sensor_supplier.user)
    outsider_view = client.get("/matches/mutual").get_data(as_text=True)

    assert BUS_NEED["title"] in supplier_view and catalogue.buyer.user.email in supplier_view
    assert BUS_OFFERING["title"] in buyer_view and catalogue.bus_supplier.user.email in buyer_view
    assert "Mutual match" in buyer_view
    assert BUS_NEED["title"] not in outsider_view and "No mutual matches yet" in outsider_view


def _mutual_badge(html: str) -> str:
    return html.split('match-count">', 1)[1].split("<", 1)[0]


def test_mutual_matches_count_only_those_whose_other_side_is_still_public(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    auth.login(catalogue.bus_supplier.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    auth.login(catalogue.buyer.user)
    assert _mutual_badge(client.get("/matches/").get_data(as_text=True)) == "1"
    assert len(matching.mutual_matches(catalogue.buyer.user)) == 1

    # The supplier takes its offering back to draft: the buyer no longer sees the pair, nor counts it.
    catalogue.bus_offering.status = "draft"
    db.session.commit()
    assert _mutual_badge(client.get("/matches/").get_data(as_text=True)) == "0"
    assert matching.mutual_matches(catalogue.buyer.user) == []
    assert BUS_OFFERING["title"] not in client.get("/matches/mutual").get_data(as_text=True)
    # Its own side still lists it: the offering is theirs, the need still open.
    auth.login(catalogue.bus_supplier.user)
    assert matching.mutual_count(catalogue.bus_supplier.user) == 1
    assert _mutual_badge(client.get("/matches/").get_data(as_text=True)) == "1"


def test_mutual_match_is_highlighted_among_the_proposals(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    auth.login(catalogue.bus_supplier.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")

    html = client.get("/matches/").get_data(as_text=True)
    assert 'class="proposal-card is-mutual"' in html
    assert "Mutual match" in html


def test_the_other_sides_interest_is_shown_before_answering(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    auth.login(catalogue.bus_supplier.user)
    html = client.get("/matches/").get_data(as_text=True)
    assert f"{catalogue.buyer.organisation.name} is interested" in html


def test_redirect_goes_back_to_the_proposal_but_never_off_site(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    back = _interest(
        client, catalogue.bus_need, catalogue.bus_offering, "interested", next="/matches/#proposal-1-1"
    )
    away = _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested", next="//evil.example/")
    assert back.headers["Location"].endswith("/matches/#proposal-1-1")
    assert away.headers["Location"].endswith("/matches/")


# --------------------------------------------------------------------------------------------------
# Permissions and bad input


def test_another_supplier_cannot_answer_for_an_offering_not_theirs(client, auth, catalogue):
    auth.login(catalogue.sensor_supplier.user)
    response = _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    assert response.status_code == 403
    assert _match(catalogue.bus_need, catalogue.bus_offering) is None


def test_another_buyer_cannot_answer_for_a_need_not_theirs(client, auth, catalogue, make_buyer):
    auth.login(make_buyer().user)
    assert _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested").status_code == 403
    assert _match(catalogue.bus_need, catalogue.bus_offering) is None


def test_answering_with_another_organisations_draft_is_not_found(
    client, auth, catalogue, make_supplier, make_offering
):
    draft = make_offering(make_supplier(), BUS_OFFERING, status="draft")
    auth.login(catalogue.buyer.user)
    assert _interest(client, catalogue.bus_need, draft, "interested").status_code == 404
    assert client.get(f"/matches/{catalogue.bus_need.id}/{draft.id}").status_code == 404


def test_unknown_items_are_not_found(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    assert client.post("/matches/999999/1/interest", data={"decision": "interested"}).status_code == 404
    assert client.get("/matches/999999/999999").status_code == 404


def test_answering_for_an_own_draft_gets_a_message_not_an_error(client, auth, catalogue, make_need):
    draft = make_need(catalogue.buyer, BUS_NEED, status="draft")
    auth.login(catalogue.buyer.user)
    response = _interest(client, draft, catalogue.bus_offering, "interested")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "only while the need is open and the offering is published" in page
    json_response = _interest(client, draft, catalogue.bus_offering, "interested", json=True)
    assert json_response.status_code == 409 and "open" in json_response.get_json()["error"]


@pytest.mark.parametrize("decision", ["", "maybe", "<script>"])
def test_a_bad_answer_is_refused_with_a_message(client, auth, catalogue, decision):
    auth.login(catalogue.buyer.user)
    response = _interest(client, catalogue.bus_need, catalogue.bus_offering, decision, json=True)
    assert response.status_code == 400
    assert response.get_json()["error"] == "Choose whether you are interested or not."
    assert _match(catalogue.bus_need, catalogue.bus_offering) is None


def test_pair_page_is_for_the_two_organisations_and_organizers(client, auth, catalogue):
    url = f"/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}"
    auth.login(catalogue.buyer.user)
    buyer_page = client.get(url)
    auth.login(catalogue.bus_supplier.user)
    supplier_page = client.get(url)
    auth.login(catalogue.sensor_supplier.user)
    outsider = client.get(url)
    auth.login_as("organizer", language="en")
    organizer_page = client.get(url)

    assert buyer_page.status_code == supplier_page.status_code == organizer_page.status_code == 200
    assert outsider.status_code == 403
    assert "Electric buses" in buyer_page.get_data(as_text=True)  # the buyer reads English
    assert 'value="interested"' in buyer_page.get_data(as_text=True)
    assert 'value="interested"' not in organizer_page.get_data(as_text=True)  # organizers only look


def test_anonymous_answers_are_sent_to_log_in(client, catalogue):
    response = _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert _match(catalogue.bus_need, catalogue.bus_offering) is None


# --------------------------------------------------------------------------------------------------
# Organizers' overview and CSV


@pytest.mark.parametrize("role", ["supplier", "buyer"])
def test_overview_is_for_organizers_only(client, auth, role):
    auth.login_as(role, language="en")
    assert client.get("/matches/overview").status_code == 403
    assert client.get("/matches/overview.csv").status_code == 403


def test_overview_needs_a_login(client):
    assert client.get("/matches/overview").status_code == 302
    assert client.get("/matches/overview.csv").status_code == 302


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_overview_lists_the_best_pairs_first(client, auth, catalogue, role):
    auth.login_as(role, language="en")
    html = client.get("/matches/overview").get_data(as_text=True)

    rows = matching.best_pairs()
    assert {(r.need.id, r.offering.id) for r in rows[:2]} == {
        (catalogue.bus_need.id, catalogue.bus_offering.id),
        (catalogue.sensor_need.id, catalogue.sensor_offering.id),
    }
    assert [r.score for r in rows] == sorted((r.score for r in rows), reverse=True)
    assert BUS_OFFERING["title"] in html and SENSOR_OFFERING["title"] in html
    assert "Download as CSV" in html


def test_overview_filters_by_theme(client, auth, catalogue):
    auth.login_as("organizer", language="en")
    html = client.get(f"/matches/overview?theme={catalogue.mobility.id}").get_data(as_text=True)

    rows = matching.best_pairs(theme_id=catalogue.mobility.id)
    assert rows
    for row in rows:
        themes = {t.id for t in row.need.themes} | {t.id for t in row.offering.themes}
        assert catalogue.mobility.id in themes
    assert (catalogue.sensor_need.id, catalogue.sensor_offering.id) not in {
        (r.need.id, r.offering.id) for r in rows
    }
    assert SENSOR_OFFERING["title"] not in html.split("<tbody>")[1]
    assert f'href="/matches/overview.csv?theme={catalogue.mobility.id}"' in html


def _more_bus_offerings(make_supplier, make_offering, n: int = 2) -> None:
    for i in range(n):
        supplier = make_supplier(display_name=f"Other bus {i}")
        make_offering(supplier, {**BUS_OFFERING, "title": f"Bus offering {i}"})


def test_overview_shows_the_best_pairs_page_by_page_and_explains_only_the_page(
    client, auth, catalogue, make_supplier, make_offering, monkeypatch
):
    """The overview cuts its best pairs into pages; a page computes the explanations of its own rows only."""
    from matchmaker.services.matching import overview

    _more_bus_offerings(make_supplier, make_offering)
    auth.login_as("organizer", language="en")
    best = [(r.need.id, r.offering.id) for r in matching.best_pairs()]
    assert len(best) >= 3
    monkeypatch.setattr(overview, "OVERVIEW_PER_PAGE", 2)
    explained: list[int] = []
    explain = overview.explanation_datas

    def counted(pairs):
        explained.append(len(pairs))
        return explain(pairs)

    monkeypatch.setattr(overview, "explanation_datas", counted)

    def shown(html: str) -> list[tuple[int, int]]:
        body = html.split("<tbody>")[1].split("</tbody>")[0]
        return [(int(n), int(o)) for n, o in re.findall(r'href="/matches/(\d+)/(\d+)">Open this pair', body)]

    first = client.get("/matches/overview").get_data(as_text=True)
    second = client.get("/matches/overview?page=2").get_data(as_text=True)
    assert shown(first) == best[:2] and shown(second) == best[2:4]
    assert explained == [2, len(best[2:4])]
    assert f"The best {len(best)} pairs: pairs 1 to 2</caption>" in first
    assert f"pairs 3 to {2 + len(best[2:4])}</caption>" in second
    assert '<span class="page-link" aria-current="page">2</span>' in second
    assert 'href="/matches/overview?page=1"' in second
    # Out of range or not a number: the nearest page, not an error.
    last = best[-(len(best) % 2 or 2) :]
    assert shown(client.get("/matches/overview?page=999").get_data(as_text=True)) == last
    assert shown(client.get("/matches/overview?page=x").get_data(as_text=True)) == best[:2]


def test_overview_pages_keep_the_theme(client, auth, catalogue, make_supplier, make_offering, monkeypatch):
    from matchmaker.services.matching import overview

    _more_bus_offerings(make_supplier, make_offering)
    monkeypatch.setattr(overview, "OVERVIEW_PER_PAGE", 1)
    auth.login_as("organizer", language="en")
    mobility = catalogue.mobility.id
    assert len(matching.best_pairs(theme_id=mobility)) >= 2
    html = client.get(f"/matches/overview?theme={mobility}").get_data(as_text=True)
    assert f'href="/matches/overview?theme={mobility}&amp;page=2"' in html


@pytest.mark.parametrize("theme", ["999999", "abc"])
def test_overview_with_an_unknown_theme_says_so(client, auth, catalogue, theme):
    auth.login_as("organizer", language="en")
    response = client.get(f"/matches/overview?theme={theme}")
    assert response.status_code == 200
    assert "Choose one of the themes in the list." in response.get_data(as_text=True)
    assert client.get(f"/matches/overview.csv?theme={theme}").status_code == 400


def test_csv_export_holds_the_pairs_and_their_explanations(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    auth.login(catalogue.bus_supplier.user)
    _interest(client, catalogue.bus_need, catalogue.bus_offering, "interested")
    auth.login_as("organizer", language="en")

    response = client.get("/matches/overview.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert list(rows[0].keys()) == [str(header) for header in matching.CSV_COLUMNS]
    assert list(rows[0].keys())[:3] == ["Score", "Need number", "Need"]
    bus = next(
        r
        for r in rows
        if r["Need number"] == str(catalogue.bus_need.id)
        and r["Offering number"] == str(catalogue.bus_offering.id)
    )
    assert bus["Need"] == BUS_NEED["title"]
    assert bus["Buyer"] == catalogue.buyer.organisation.name
    assert bus["Supplier"] == catalogue.bus_supplier.organisation.name
    assert "34144910" in bus["CPV codes"]
    assert bus["Themes"] == "Mobility"
    assert bus["Buyer's interest"] == bus["Supplier's interest"] == "Interested" and bus["Mutual"] == "yes"
    assert 0 < float(bus["Score"]) <= 1
    assert [float(r["Score"]) for r in rows] == sorted((float(r["Score"]) for r in rows), reverse=True)


def test_csv_export_filters_by_theme(client, auth, catalogue):
    auth.login_as("organizer", language="en")
    text = client.get(f"/matches/overview.csv?theme={catalogue.education.id}").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows
    offering = str(catalogue.bus_offering.id)
    pairs = {(r["Need number"], r["Offering number"]) for r in rows}
    assert {need for need, other in pairs if other == offering} <= {str(catalogue.sensor_need.id)}
    assert (str(catalogue.bus_need.id), offering) not in pairs


def test_csv_cells_cannot_run_as_spreadsheet_formulas(client, auth, catalogue):
    catalogue.bus_offering.title = '=HYPERLINK("http://evil.example","elektrische bus")'
    db.session.commit()
    auth.login_as("organizer", language="en")
    rows = list(csv.reader(io.StringIO(client.get("/matches/overview.csv").get_data(as_text=True))))
    titles = [row[5] for row in rows[1:]]
    assert "'" + catalogue.bus_offering.title in titles


def test_csv_is_in_the_organizers_language(client, auth, catalogue):
    auth.login_as("organizer", language="fr")
    text = client.get(f"/matches/overview.csv?theme={catalogue.mobility.id}").get_data(as_text=True)
    assert "Autobus électriques" in text and "Mobilité" in text
    header, first, *_rest = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    assert len(header) == len(matching.CSV_COLUMNS) and len(first) == len(header)
    assert re.fullmatch(r"0,\d{4}", first[0])  # a decimal comma, for a French spreadsheet


# --------------------------------------------------------------------------------------------------
# For the events area: recommend participants


def _registration(id, role, needs=(), offerings=()):
    return SimpleNamespace(id=id, role=role, needs=list(needs), offerings=list(offerings))


def test_recommendations_rank_the_other_side_best_first(catalogue, make_supplier, make_offering):
    buyer = _registration(1, "buyer", needs=[catalogue.bus_need, catalogue.sensor_need])
    bus = _registration(2, "supplier", offerings=[catalogue.bus_offering])
    sensor = _registration(3, "supplier", offerings=[catalogue.sensor_offering])
    another_buyer = _registration(4, "buyer", needs=[catalogue.bus_need])

    ranked = matching.recommend_participants(buyer, [buyer, sensor, bus, another_buyer], "en")

    assert {r.registration.id for r in ranked} == {2, 3}
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    for rec in ranked:
        pairs = [(need.id, offering.id) for need in buyer.needs for offering in rec.registration.offerings]
        expected = max(_stored_score(*pair) for pair in pairs)
        assert rec.score == pytest.approx(expected, abs=1e-6)
        assert rec.explanation.need_id == rec.need.id and rec.explanation.offering_id == rec.offering.id
    bus_rec = next(r for r in ranked if r.registration.id == 2)
    assert bus_rec.need.id == catalogue.bus_need.id
    assert "34144910" in [c.code for c in bus_rec.explanation.cpv]


def test_a_supplier_is_recommended_buyers(catalogue):
    supplier = _registration(1, "supplier", offerings=[catalogue.sensor_offering])
    buyer = _registration(2, "buyer", needs=[catalogue.sensor_need])
    ranked = matching.recommend_participants(supplier, [buyer, supplier], "nl")
    assert [r.registration.id for r in ranked] == [2]
    assert [t.name for t in ranked[0].explanation.themes] == ["Onderwijs"]


def test_recommendations_ignore_drafts(catalogue, make_supplier, make_offering):
    draft = make_offering(make_supplier(), BUS_OFFERING, status="draft")
    buyer = _registration(1, "buyer", needs=[catalogue.bus_need])
    drafty = _registration(2, "supplier", offerings=[draft])
    assert matching.recommend_participants(buyer, [drafty], "en") == []


def test_recommendations_render_with_the_explanation_partial(app, catalogue):
    from flask import render_template_string

    buyer = _registration(1, "buyer", needs=[catalogue.bus_need])
    bus = _registration(2, "supplier", offerings=[catalogue.bus_offering])
    rec = matching.recommend_participants(buyer, [bus], "en")[0]
    with app.test_request_context():
        html = render_template_string(
            '{% include "matches/_explanation.html" %}', explanation=rec.explanation
        )
    assert "Electric buses" in html and "Mobility" in html


def test_an_organisation_with_many_items_gets_its_proposals_a_page_at_a_time(
    client, auth, catalogue, make_offering
):
    """Five items a page (services.matching.proposals.ITEMS_PER_PAGE), in the order of the list, with a pager
    that keeps the other choices."""
    for n in range(6):
        make_offering(catalogue.bus_supplier, BUS_OFFERING, title=f"Elektrische bus model {n:02d}")
    matching.refit()
    auth.login(catalogue.bus_supplier.user)
    first = client.get("/matches/?per_item=10").get_data(as_text=True)
    assert first.count('class="match-group"') == 5
    assert "Items 1 to 5 of 7" in first
    assert 'href="/matches/?per_item=10&amp;page=2"' in first
    second = client.get("/matches/?per_item=10&page=2").get_data(as_text=True)
    assert second.count('class="match-group"') == 2
    assert "Items 6 to 7 of 7" in second
    # Every item appears on exactly one of the pages.
    titles = [f"Elektrische bus model {n:02d}" for n in range(6)] + [BUS_OFFERING["title"]]
    assert all((first + second).count(t) >= 1 and not (t in first and t in second) for t in titles)
    beyond = client.get("/matches/?page=99").get_data(as_text=True)
    assert "Items 6 to 7 of 7" in beyond  # out of range: the last page


@pytest.fixture
def bus_market(make_buyer, make_supplier, make_need, make_offering):
    """One need and six offerings that all answer it, each of another supplier."""
    buyer = make_buyer()
    need = make_need(buyer, BUS_NEED)
    offerings = [
        make_offering(make_supplier(), {**BUS_OFFERING, "title": f"{BUS_OFFERING['title']} {n}",
                                        "summary": BUS_OFFERING["summary"] + " laadpaal" * n})
        for n in range(6)
    ]  # fmt: skip
    return buyer, need, offerings


def test_each_items_first_proposals_are_the_head_of_its_whole_list(bus_market):
    # A page reads only each item's first few proposals (on PostgreSQL through a lateral subquery that stops
    # there): they must be the head of what the whole list holds, in the same order, on both databases.
    _buyer, need, offerings = bus_market
    for kind, ids in (("need", [need.id]), ("offering", [o.id for o in offerings])):
        whole = proposals._ranked(kind, ids, True)
        for per_item in (1, 2, 3):
            assert proposals._ranked(kind, ids, True, per_item) == {
                item_id: rows[:per_item] for item_id, rows in whole.items()
            }
    assert len(proposals._ranked("need", [need.id], True)[need.id]) == 6


def test_proposals_turned_down_make_room_for_the_next_ones(bus_market, monkeypatch):
    monkeypatch.setattr(proposals, "EXTRA_PROPOSALS", 0)  # by rank only: the six offerings score alike
    buyer, need, _offerings = bus_market
    ranking = [other for other, _score in proposals._ranked("need", [need.id], True)[need.id]]
    for declined in ranking[:2]:
        matching.set_interest(buyer.user, need.id, declined, "not_interested")

    shown = matching.proposals_for(need, buyer.user, limit=2)
    assert [p.offering.id for p in shown.proposals] == ranking[2:4]
    assert shown.declined == 2
    with_declined = matching.proposals_for(need, buyer.user, limit=2, include_declined=True)
    assert [p.offering.id for p in with_declined.proposals] == ranking[:2]
