"""Domain models, one module per aggregate. Import them from here."""

from matchmaker.models.base import utcnow
from matchmaker.models.organisation import (
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    PolicyDomain,
)
from matchmaker.models.user import Role, User, UserRole

__all__ = [
    "Invitation",
    "Membership",
    "MembershipRole",
    "Organisation",
    "OrganisationKind",
    "PolicyDomain",
    "Role",
    "User",
    "UserRole",
    "utcnow",
]
