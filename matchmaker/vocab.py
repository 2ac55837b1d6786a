"""Form choices and Jinja filters for the translated labels of stored codes (kinds, domains, roles, ...).

The labels themselves live beside the enums, in `matchmaker.models.labels`. Use
`label(ORGANISATION_KINDS, org.kind)` and `choices(POLICY_DOMAINS)` from Python, the filters from templates
(`{{ org.kind|organisation_kind }}`, `{{ role|platform_role }}`).
"""

from collections.abc import Iterable, Mapping

from flask import Flask
from flask_babel import LazyString
from wtforms import SelectChoice

from matchmaker.models.labels import (
    INVITATION_STATUSES,
    MEMBERSHIP_ROLES,
    ORGANISATION_KINDS,
    PLATFORM_ROLES,
    POLICY_DOMAINS,
    VERIFICATIONS,
    label,
)

__all__ = [
    "FILTERS",
    "INVITATION_STATUSES",
    "MEMBERSHIP_ROLES",
    "ORGANISATION_KINDS",
    "PLATFORM_ROLES",
    "POLICY_DOMAINS",
    "VERIFICATIONS",
    "choices",
    "init_app",
    "label",
]



def choices(labels: Mapping, only: Iterable | None = None) -> list[SelectChoice]:
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
    "verification": VERIFICATIONS,
}


def init_app(app: Flask) -> None:
    """Register one Jinja filter per vocabulary: `{{ org.kind|organisation_kind }}`."""
    for name, labels in FILTERS.items():
        app.jinja_env.filters[name] = lambda code, _labels=labels: label(_labels, code)
