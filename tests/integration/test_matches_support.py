"""Factories for the matches tests: organisations, themes, needs and offerings (no tests here)."""

from dataclasses import dataclass

import pytest

from matchmaker.extensions import db
from matchmaker.models import Need, NeedCpvCode, Offering, OfferingCpvCode, Theme, utcnow

# A small catalogue with clear pairs: every need has one offering that answers it best.
BUS_NEED = {
    "title": "Elektrische bussen voor het stadsvervoer",
    "summary": "Wij zoeken elektrische bussen met snelle laadpalen voor onze stadslijnen.",
    "challenge": "De stad wil haar dieselbussen vervangen door elektrische bussen en laadinfrastructuur.",
    "keywords": "elektrische bus, laadpaal, openbaar vervoer",
    "language": "nl",
    "cpv": ("34144910",),
}
BUS_OFFERING = {
    "title": "Elektrische stadsbus met snellader",
    "summary": "Een elektrische bus voor stadslijnen, met een snelle laadpaal aan de eindhalte.",
    "description": "Onze elektrische bussen rijden 300 km per lading; de laadpalen laden in tien minuten.",
    "keywords": "elektrische bus, laadpaal, batterij",
    "language": "nl",
    "cpv": ("34144910",),
}
SENSOR_NEED = {
    "title": "Luchtkwaliteit meten in scholen",
    "summary": "Sensoren die fijnstof en CO2 meten in klaslokalen en de data tonen.",
    "challenge": "Scholen willen weten wanneer ze moeten verluchten: meet CO2 en fijnstof in elke klas.",
    "keywords": "sensor, luchtkwaliteit, CO2, fijnstof",
    "language": "nl",
    "cpv": ("38432000",),
}
SENSOR_OFFERING = {
    "title": "Draadloze sensor voor luchtkwaliteit",
    "summary": "Meet CO2, fijnstof en temperatuur in klaslokalen; een dashboard toont wanneer te verluchten.",
    "description": "De sensor meet luchtkwaliteit en stuurt de data draadloos naar een dashboard.",
    "keywords": "sensor, luchtkwaliteit, CO2",
    "language": "nl",
    "cpv": ("38432000",),
}
FRENCH_OFFERING = {
    "title": "Capteurs de qualité de l'air pour écoles",
    "summary": "Capteurs sans fil qui mesurent le CO2 et les particules fines dans les classes.",
    "description": "Un tableau de bord montre quand aérer la classe.",
    "keywords": "capteur, qualité de l'air, CO2",
    "language": "fr",
    "cpv": ("38432000",),
}


@dataclass
class Party:
    user: object
    organisation: object


@pytest.fixture
def make_theme(app):
    counter = iter(range(1, 1000))

    def factory(slug=None, nl="Mobiliteit", fr="Mobilité", en="Mobility") -> Theme:
        n = next(counter)
        theme = Theme(slug=slug or f"theme-{n}", name_nl=nl, name_fr=fr, name_en=en, position=n)
        db.session.add(theme)
        db.session.commit()
        return theme

    return factory


@pytest.fixture
def make_buyer(make_user, make_organisation):
    def factory(**user_overrides) -> Party:
        user = make_user(roles=("buyer",), **{"language": "en", **user_overrides})
        organisation = make_organisation(admins=(user,), kind="government")
        return Party(user, organisation)

    return factory


@pytest.fixture
def make_supplier(make_user, make_organisation):
    def factory(**user_overrides) -> Party:
        user = make_user(roles=("supplier",), **{"language": "en", **user_overrides})
        organisation = make_organisation(admins=(user,), kind="startup")
        return Party(user, organisation)

    return factory


def _apply(item, fields: dict, themes) -> None:
    for name, value in fields.items():
        if name != "cpv":
            setattr(item, name, value)
    item.themes = list(themes)


@pytest.fixture
def make_need(app):
    def factory(party: Party, fields: dict = SENSOR_NEED, status="open", themes=(), **overrides) -> Need:
        values = {**fields, **overrides}
        need = Need(organisation_id=party.organisation.id, created_by_id=party.user.id, status=status)
        _apply(need, values, themes)
        need.cpv_links = [NeedCpvCode(code=code) for code in values.get("cpv", ())]
        if status == "open":
            need.published_at = utcnow()
        db.session.add(need)
        db.session.commit()
        return need

    return factory


@pytest.fixture
def make_offering(app):
    def factory(
        party: Party, fields: dict = SENSOR_OFFERING, status="published", themes=(), **overrides
    ) -> Offering:
        values = {**fields, **overrides}
        offering = Offering(organisation_id=party.organisation.id, created_by_id=party.user.id, status=status)
        _apply(offering, values, themes)
        offering.cpv_links = [OfferingCpvCode(code=code) for code in values.get("cpv", ())]
        if status == "published":
            offering.published_at = utcnow()
        db.session.add(offering)
        db.session.commit()
        return offering

    return factory
