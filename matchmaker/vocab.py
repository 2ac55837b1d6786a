"""Translatable labels for the enumerations stored as codes (organisation kinds, policy domains, roles).

The database keeps short codes; people see these labels in their own language. Use the helpers
from Python (`label(ORGANISATION_KINDS, org.kind)`, `choices(POLICY_DOMAINS)`) and the Jinja
filters from templates (`{{ org.kind|organisation_kind }}`, `{{ role|platform_role }}`).
"""

from collections.abc import Iterable, Mapping

from flask import Flask
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from matchmaker.models import MembershipRole, OrganisationKind, PolicyDomain, Role

ORGANISATION_KINDS: dict[str, LazyString] = {
    OrganisationKind.COMPANY: _l("Company"),
    OrganisationKind.STARTUP: _l("Start-up"),
    OrganisationKind.SME: _l("SME"),
    OrganisationKind.RESEARCH_CENTRE: _l("Research centre"),
    OrganisationKind.GOVERNMENT: _l("Government entity"),
    OrganisationKind.OTHER: _l("Other organisation"),
}

# The policy domains of the Flemish government, with the Dutch abbreviation people know them by.
POLICY_DOMAINS: dict[str, LazyString] = {
    PolicyDomain.KB: _l("Chancellery and Governance (KB)"),
    PolicyDomain.BZ: _l("Foreign Affairs (BZ)"),
    PolicyDomain.FB: _l("Finance and Budget (FB)"),
    PolicyDomain.CJSM: _l("Culture, Youth, Sport and Media (CJSM)"),
    PolicyDomain.EWI: _l("Economy, Science and Innovation (EWI)"),
    PolicyDomain.OV: _l("Education and Training (OV)"),
    PolicyDomain.WVG: _l("Welfare, Public Health and Family (WVG)"),
    PolicyDomain.WSE: _l("Work and Social Economy (WSE)"),
    PolicyDomain.LV: _l("Agriculture and Fisheries (LV)"),
    PolicyDomain.MOW: _l("Mobility and Public Works (MOW)"),
    PolicyDomain.OMG: _l("Environment and Spatial Development (Omgeving)"),
    PolicyDomain.JH: _l("Justice and Enforcement (JH)"),
}

MEMBERSHIP_ROLES: dict[str, LazyString] = {
    MembershipRole.ADMIN: _l("Administrator"),
    MembershipRole.MEMBER: _l("Member"),
}

PLATFORM_ROLES: dict[str, LazyString] = {
    Role.SUPPLIER: _l("Supplier"),
    Role.BUYER: _l("Buyer"),
    Role.ORGANIZER: _l("Organizer"),
    Role.ADMIN: _l("Platform administrator"),
}

INVITATION_STATUSES: dict[str, LazyString] = {
    "pending": _l("Pending"),
    "accepted": _l("Accepted"),
    "revoked": _l("Revoked"),
    "expired": _l("Expired"),
}


def label(labels: Mapping[str, LazyString], code: str | None) -> str:
    """The translated label of a code; an unknown code is shown as it is rather than hidden."""
    if code is None or code == "":
        return ""
    found = labels.get(code)
    return str(found) if found is not None else str(code)


def choices(labels: Mapping[str, LazyString], only: Iterable[str] | None = None) -> list[SelectChoice]:
    """Choices for a WTForms select or radio field, in the mapping's order, optionally limited to `only`."""
    allowed = set(only) if only is not None else None
    return [
        SelectChoice(str(code), text) for code, text in labels.items() if allowed is None or code in allowed
    ]


FILTERS: dict[str, Mapping[str, LazyString]] = {
    "organisation_kind": ORGANISATION_KINDS,
    "policy_domain": POLICY_DOMAINS,
    "membership_role": MEMBERSHIP_ROLES,
    "platform_role": PLATFORM_ROLES,
    "invitation_status": INVITATION_STATUSES,
}


def init_app(app: Flask) -> None:
    """Register one Jinja filter per vocabulary: `{{ org.kind|organisation_kind }}`."""
    for name, labels in FILTERS.items():
        app.jinja_env.filters[name] = lambda code, _labels=labels: label(_labels, code)
