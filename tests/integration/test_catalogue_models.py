"""The catalogue's data: search text, constraints the database keeps, what organisation pages show."""

import pytest
import sqlalchemy as sa
from flask import render_template_string
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import Need, Offering, Theme
from matchmaker.services import catalogue
from matchmaker.textutil import fold
from tests.factories import add_need, add_offering


@pytest.fixture
def supplier(make_user, make_organisation):
    user = make_user(language="en")
    make_organisation(admins=(user,), kind="startup", name="Verkeerslab")
    return user


@pytest.fixture
def buyer(make_user, make_organisation):
    user = make_user(roles=("buyer",), language="en")
    make_organisation(admins=(user,), kind="government", name="Departement MOW")
    return user


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Élève  Öko", "eleve oko"),
        ("Énergie SOLAIRE", "energie solaire"),
        ("Straße", "strasse"),
        ("Ørsted", "orsted"),
        ("  spaties\tover\nal  ", "spaties over al"),
        (None, ""),
    ],
)
def test_fold_lowercases_and_removes_accents(text, folded):
    assert fold(text) == folded


def test_search_text_holds_folded_words_and_cpv_labels_in_three_languages(supplier):
    offering = add_offering(
        supplier,
        title="Zonnepanelen op Daken",
        description="Een **Éénvoudige** montage",
        cpv_codes="09331000",
    )
    text = offering.search_text
    assert "zonnepanelen op daken" in text
    assert "eenvoudige montage" in text  # Markdown markup is left out
    assert "**" not in text
    assert "solar panels" in text and "panneaux solaires" in text and "09331000" in text


def test_search_text_follows_every_save(app, supplier):
    offering = add_offering(supplier, title="Oude titel")
    with app.test_request_context():
        catalogue.update_offering(
            supplier, offering, catalogue.OfferingInput(title="Nieuwe Titel", cpv_codes="72000000"), 1
        )
    assert "nieuwe titel" in offering.search_text
    assert "oude titel" not in offering.search_text
    assert "it services" in offering.search_text


def test_need_search_text_includes_challenge_and_outcome(buyer):
    need = add_need(buyer, challenge="Files aan de Schoolpoort", expected_outcome="Veilige fietsroutes")
    assert "files aan de schoolpoort" in need.search_text
    assert "veilige fietsroutes" in need.search_text


def test_version_increases_with_every_save(supplier):
    offering = add_offering(supplier)
    assert offering.version == 1
    catalogue.publish_offering(supplier, offering)
    assert offering.version == 2


def test_database_refuses_trl_outside_1_to_9(supplier):
    offering = add_offering(supplier)
    with pytest.raises(IntegrityError):
        db.session.execute(
            Offering.__table__.update().where(Offering.__table__.c.id == offering.id).values(trl=10)
        )
    db.session.rollback()


def test_database_refuses_a_budget_minimum_above_the_maximum(buyer):
    need = add_need(buyer)
    with pytest.raises(IntegrityError):
        db.session.execute(
            Need.__table__.update().where(Need.__table__.c.id == need.id).values(budget_min=10, budget_max=5)
        )
    db.session.rollback()


@pytest.mark.parametrize(
    ("column", "value"), [("status", "deleted"), ("language", "de"), ("innovation_type", "x")]
)
def test_database_refuses_unknown_enum_values(supplier, column, value):
    offering = add_offering(supplier)
    with pytest.raises(IntegrityError):
        db.session.execute(
            Offering.__table__.update().where(Offering.__table__.c.id == offering.id).values({column: value})
        )
    db.session.rollback()


@pytest.mark.postgres
def test_deleting_an_organisation_deletes_its_items_and_links(supplier):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite is used without PRAGMA foreign_keys, so ON DELETE CASCADE is not applied")
    theme = Theme(slug="energy", name_nl="Energie", name_fr="Énergie", name_en="Energy")
    db.session.add(theme)
    db.session.commit()
    add_offering(supplier, theme_ids=[theme.id])
    organisation = supplier.organisation
    db.session.delete(organisation)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 0
    assert db.session.get(Theme, theme.id) is not None


# -- organisation pages ----------------------------------------------------------------------------


def test_published_items_of_an_organisation(supplier):
    published = add_offering(supplier, title="Gepubliceerd", status="published")
    add_offering(supplier, title="Klad")
    add_offering(supplier, title="Gearchiveerd", status="archived")
    items = catalogue.published_items_of(supplier.organisation)
    assert items.offerings == [published]
    assert items.needs == []


def test_published_needs_of_an_organisation_are_the_open_ones_and_registered_only_for_logged_in(buyer):
    add_need(buyer, title="Gesloten", status="closed")
    open_need = add_need(buyer, title="Open", status="open")
    hidden = add_need(buyer, title="Alleen geregistreerd", status="open", registered_only=True)
    add_need(buyer, title="Klad")
    add_need(buyer, title="Gearchiveerd", status="archived")
    assert catalogue.published_items_of(buyer.organisation).needs == [open_need]
    logged_in = catalogue.published_items_of(buyer.organisation, viewer=buyer)
    assert set(logged_in.needs) == {open_need, hidden}


def test_org_items_partial_lists_published_items(app, supplier):
    add_offering(supplier, title="Slimme sensoren", status="published")
    add_offering(supplier, title="Geheim klad")
    with app.test_request_context():
        html = render_template_string(
            '{% include "catalogue/_org_items.html" %}', organisation=supplier.organisation
        )
    assert "Slimme sensoren" in html
    assert "Geheim klad" not in html


def test_org_items_partial_says_when_nothing_is_published(app, buyer):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = render_template_string(
            '{% include "catalogue/_org_items.html" %}', organisation=buyer.organisation
        )
    assert "Nothing published yet." in html
