"""Factories for the catalogue tests: items are created through the services, as the app does."""

from datetime import timedelta

from matchmaker.models import Need, Offering, utcnow
from matchmaker.services import catalogue

OFFERING_DEFAULTS = {
    "title": "Slimme verkeerslichten",
    "summary": "Verkeerslichten die zich aanpassen aan fietsers en voetgangers.",
    "description": "Our **sensors** count cyclists and adapt the cycle.",
    "innovation_type": "technological",
    "trl": 7,
    "keywords": "mobiliteit, sensoren",
    "language": "nl",
    "cpv_codes": "34996000",
}

NEED_DEFAULTS = {
    "title": "Minder files rond schoolpoorten",
    "summary": "We zoeken manieren om het verkeer aan scholen veiliger te maken.",
    "challenge": "Ouders brengen hun kinderen met de auto; dat maakt het **onveilig**.",
    "expected_outcome": "Veiliger schoolomgevingen.",
    "budget_min": 50_000,
    "budget_max": 150_000,
    "procurement_route": "pre_commercial_procurement",
    "language": "nl",
}


def add_offering(user, status: str = "draft", **overrides) -> Offering:
    values = {**OFFERING_DEFAULTS, **overrides}
    offering = catalogue.create_offering(user, catalogue.OfferingInput(**values))
    if status in ("published", "archived"):
        catalogue.publish_offering(user, offering)
    if status == "archived":
        catalogue.archive_offering(user, offering)
    return offering


def add_need(user, status: str = "draft", **overrides) -> Need:
    values = {**NEED_DEFAULTS, "deadline": utcnow().date() + timedelta(days=60), **overrides}
    need = catalogue.create_need(user, catalogue.NeedInput(**values))
    if status in ("open", "closed", "archived"):
        catalogue.open_need(user, need)
    if status == "closed":
        catalogue.close_need(user, need)
    if status == "archived":
        catalogue.archive_need(user, need)
    return need


def offering_form(**overrides) -> dict:
    """POST data of a valid offering form."""
    data = {
        "title": "Slimme verkeerslichten",
        "summary": "Verkeerslichten die zich aanpassen.",
        "description": "Een *beschrijving*.",
        "innovation_type": "technological",
        "trl": "6",
        "keywords": "mobiliteit",
        "language": "nl",
        "cpv_codes": "34996000",
        "reference_projects": "",
        "links": "Brochure | https://example.org/brochure.pdf",
        "action": "save",
    }
    data.update(overrides)
    return data


def need_form(**overrides) -> dict:
    data = {
        "title": "Minder files rond schoolpoorten",
        "summary": "Veiliger verkeer aan scholen.",
        "challenge": "Het is er **onveilig**.",
        "expected_outcome": "Veiliger schoolomgevingen.",
        "keywords": "verkeersveiligheid",
        "budget_min": "50000",
        "budget_max": "150000",
        "deadline": (utcnow().date() + timedelta(days=30)).isoformat(),
        "procurement_route": "pre_commercial_procurement",
        "language": "nl",
        "cpv_codes": "",
        "action": "save",
    }
    data.update(overrides)
    return data
