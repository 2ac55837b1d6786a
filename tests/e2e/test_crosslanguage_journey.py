"""In the browser (issue 17): a Dutch search finds the demo's English offering about cyclists at
intersections, marked as found in another language; the buyer of the Dutch need about near-misses between
cyclists and lorries, reading in French, gets that offering proposed and sees the words linked across
languages as pairs ("fietsers ↔ cyclists", with a French gloss). Every page is checked with axe."""

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Need, Offering
from matchmaker.services import accounts, matching
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

NEED = "Bijna-ongevallen tussen fietsers en vrachtwagens op kruispunten"
OFFERING = "Smart traffic cameras for intersection safety"
BUYER = "lea@wegen.example"


def _seed(live_app) -> tuple[int, int]:
    """The demo catalogue is there (demo_catalogue); the matching index fitted on it, and a Dutch buyer."""
    with live_app.app_context(), live_app.test_request_context():
        matching.refit()
        need = db.session.scalar(sa.select(Need).where(Need.title == NEED))
        offering = db.session.scalar(sa.select(Offering).where(Offering.title == OFFERING))
        user = accounts.create_user(
            BUYER, PASSWORD, "Lea Wegen", roles=("buyer",), language="fr", confirmed=True
        )
        db.session.add(
            Membership(user=user, organisation_id=need.organisation_id, role=MembershipRole.MEMBER)
        )
        db.session.commit()
        return need.id, offering.id


def test_a_dutch_need_meets_an_english_offering_in_search_and_proposals(
    page, check_a11y, live_app, demo_catalogue
):
    need_id, offering_id = _seed(live_app)
    page.goto("/catalogue/offerings?q=fietsers+kruispunt")
    card = page.locator("article.result-card", has=page.get_by_role("link", name=OFFERING))
    assert "Found in another language: English" in card.inner_text()
    assert "cyclist" in card.locator('.result-crossed [lang="en"]').inner_text()
    check_a11y(page, "crosslanguage-search")
    # The same search on the Dutch and French sites says so in their language.
    for prefix, badge in (
        ("nl", "Gevonden in een andere taal: Engels"),
        ("fr", "Trouvé dans une autre langue"),
    ):
        page.goto(f"/{prefix}/catalogue/offerings?q=fietsers+kruispunt")
        card = page.locator("article.result-card", has=page.get_by_role("link", name=OFFERING))
        assert badge in card.inner_text()
        assert "cyclist" in card.locator('.result-crossed [lang="en"]').inner_text()
    check_a11y(page, "crosslanguage-search-fr")

    log_in(page, BUYER, "/matches/")
    assert page.locator(f"#proposal-{need_id}-{offering_id}").count() == 1  # not hidden by the count
    page.goto(f"/matches/{need_id}/{offering_id}")
    chips = page.locator(".term-chip-bridged")
    assert (
        chips.filter(has=page.locator('[lang="nl"]', has_text="fietsers"))
        .filter(has=page.locator('[lang="en"]', has_text="cyclist"))
        .count()
        == 1
    )
    assert any("cycliste" in gloss for gloss in chips.locator(".term-gloss").all_inner_texts())
    assert page.get_by_text("Mots reliés d'une langue à l'autre").count() >= 1  # the buyer reads French
    check_a11y(page, "crosslanguage-pair")
