"""The demo catalogue: realistic, valid, idempotent, and searchable once seeded."""

import sqlalchemy as sa

from matchmaker.demo.catalogue import demo_content, seed_demo_catalogue
from matchmaker.extensions import db
from matchmaker.models import Need, Offering, Organisation
from matchmaker.models.organisation import is_valid_enterprise_number
from matchmaker.models.search_index import need_search_token, offering_search_token
from matchmaker.reference.cpv import vocabulary
from matchmaker.services.themes import DEFAULT_THEMES


def test_demo_content_is_rich_and_valid():
    content = demo_content()
    offerings, needs = content["offerings"], content["needs"]
    assert len(offerings) >= 60 and len(needs) >= 25
    organisations = {o["name"]: o for o in content["suppliers"] + content["buyers"]}
    theme_slugs = {slug for slug, *_names in DEFAULT_THEMES}
    codes = vocabulary()
    for item in offerings + needs:
        assert item["organisation"] in organisations, item["title"]
        assert item["themes"] and set(item["themes"]) <= theme_slugs, item["title"]
        assert item["cpv"] and all(code in codes for code in item["cpv"]), item["title"]
        assert item["language"] in ("nl", "fr", "en")
    for offering in offerings:
        assert 1 <= offering["trl"] <= 9
        assert organisations[offering["organisation"]]["kind"] != "government"
    for need in needs:
        assert organisations[need["organisation"]]["kind"] == "government"
        assert need["deadline"].startswith("2027")
        assert need["budget"][0] <= need["budget"][1]
    for organisation in organisations.values():
        assert is_valid_enterprise_number(organisation["enterprise_number"]), organisation["name"]
    # Mostly Dutch, some French and English; many CPV divisions.
    languages = [item["language"] for item in offerings + needs]
    assert languages.count("nl") > len(languages) / 2
    assert languages.count("fr") >= 5 and languages.count("en") >= 5
    assert len({code[:2] for item in offerings + needs for code in item["cpv"]}) >= 20


def test_seeding_creates_everything_once_mostly_published_and_searchable(app):
    # One seeding for these checks: the catalogue takes seconds to seed.
    content = demo_content()
    seed_demo_catalogue()
    offerings = db.session.scalar(sa.select(sa.func.count()).select_from(Offering))
    needs = db.session.scalar(sa.select(sa.func.count()).select_from(Need))
    assert offerings == len(content["offerings"]) and needs == len(content["needs"])

    # Most are published or open, a few kept as drafts.
    statuses = list(db.session.scalars(sa.select(Offering.status)))
    assert statuses.count("draft") >= 1
    assert statuses.count("published") > 0.8 * len(statuses)
    need_statuses = list(db.session.scalars(sa.select(Need.status)))
    assert need_statuses.count("draft") >= 1 and need_statuses.count("open") > 0.8 * len(need_statuses)

    # Indexed for search: an offering's own words, and the French and English labels of its CPV code
    # 35125100 (Sensoren/Capteurs/Sensors).
    offering = db.session.scalar(sa.select(Offering).where(Offering.title.like("IoT-sensornetwerk%")))
    tokens = set(
        db.session.scalars(
            sa.select(offering_search_token.c.token).where(offering_search_token.c.offering_id == offering.id)
        )
    )
    assert {"sensornetwerk", "waterkwaliteit", "capteurs", "sensors"} <= tokens
    assert db.session.scalar(sa.select(sa.func.count()).select_from(need_search_token)) > 0

    # Seeding again adds nothing.
    report = seed_demo_catalogue()
    assert "0 organisations, 0 offerings and 0 needs" in report
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == offerings
    names = [o["name"] for o in content["suppliers"] + content["buyers"]]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == len(set(names))


def test_seeding_reuses_an_existing_organisation_and_gives_each_a_member(app, make_organisation, make_user):
    owner = make_user(roles=("buyer",))
    existing = make_organisation(name="Vlaamse Milieumaatschappij", kind="government", admins=(owner,))
    seed_demo_catalogue()
    vmm_needs = list(db.session.scalars(sa.select(Need).where(Need.organisation_id == existing.id)))
    assert vmm_needs and all(need.created_by_id == owner.id for need in vmm_needs)
    for organisation in db.session.scalars(sa.select(Organisation)):
        assert organisation.memberships, organisation.name
