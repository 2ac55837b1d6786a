"""Domain models, one module per aggregate. Import them from here."""

from matchmaker.models.base import utcnow
from matchmaker.models.catalogue import (
    ContentLanguage,
    InnovationType,
    Need,
    NeedCpvCode,
    NeedStatus,
    Offering,
    OfferingCpvCode,
    OfferingStatus,
    ProcurementRoute,
    Theme,
    need_theme,
    offering_theme,
)
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
    "ContentLanguage",
    "InnovationType",
    "Invitation",
    "Membership",
    "MembershipRole",
    "Need",
    "NeedCpvCode",
    "NeedStatus",
    "Offering",
    "OfferingCpvCode",
    "OfferingStatus",
    "Organisation",
    "OrganisationKind",
    "PolicyDomain",
    "ProcurementRoute",
    "Role",
    "Theme",
    "User",
    "UserRole",
    "need_theme",
    "offering_theme",
    "utcnow",
]
