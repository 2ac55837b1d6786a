"""The translated labels of the codes the models store (statuses, roles, kinds, ...), in one place.

The database keeps short codes (the enums beside the models); people see these labels in their own language.
The labels are lazy: they are translated when shown, in the reader's language. Forms use them for their
choices (`matchmaker.vocab.choices`), templates through the filters of `matchmaker.vocab`, services
through `label(...)`.
"""

from collections.abc import Mapping

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from matchmaker.models.catalogue import (
    ContentLanguage,
    InnovationType,
    NeedStatus,
    OfferingStatus,
    ProcurementRoute,
)
from matchmaker.models.events import (
    Admission,
    BlockKind,
    EventStatus,
    ParticipantRole,
    RegistrationStatus,
    RequestStatus,
)
from matchmaker.models.notifications import EmailMode
from matchmaker.models.organisation import MembershipRole, OrganisationKind, PolicyDomain, Verification
from matchmaker.models.outcomes import FollowUp
from matchmaker.models.scheduling import MeetingSource, RunMode
from matchmaker.models.user import Role

# --- organisations and people ------------------------------------------------------------------------------

ORGANISATION_KINDS: dict[str, LazyString] = {
    OrganisationKind.COMPANY: _l("Company"),
    OrganisationKind.STARTUP: _l("Start-up"),
    OrganisationKind.SME: _l("SME"),
    OrganisationKind.RESEARCH_CENTRE: _l("Research centre"),
    OrganisationKind.GOVERNMENT: _l("Government entity"),
    OrganisationKind.OTHER: _l("Other organisation"),
}

VERIFICATIONS: dict[str, LazyString] = {
    Verification.UNVERIFIED: _l("Waiting for verification"),
    Verification.VERIFIED: _l("Verified"),
    Verification.SUSPENDED: _l("Suspended"),
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
    Role.KNOWLEDGE_EDITOR: _l("Knowledge network editor"),
}

# An invitation's status is worked out from its dates when shown, not stored.
INVITATION_STATUSES: dict[str, LazyString] = {
    "pending": _l("Pending"),
    "accepted": _l("Accepted"),
    "revoked": _l("Revoked"),
    "expired": _l("Expired"),
}

EMAIL_MODES: dict[str, LazyString] = {
    EmailMode.IMMEDIATE: _l("Immediately: one email for each notification"),
    EmailMode.DAILY: _l("Once a day: a digest of what is new"),
    EmailMode.NONE: _l("No email: I read them on the platform"),
}

# --- the catalogue -----------------------------------------------------------------------------------------

INNOVATION_TYPES: dict[str, LazyString] = {
    InnovationType.PRODUCT: _l("Product innovation"),
    InnovationType.TECHNOLOGICAL: _l("Technological innovation"),
    InnovationType.SERVICE: _l("Service innovation"),
    InnovationType.PROCESS: _l("Process innovation"),
    InnovationType.SOCIAL: _l("Social innovation"),
}

PROCUREMENT_ROUTES: dict[str, LazyString] = {
    ProcurementRoute.MARKET_CONSULTATION: _l("Market consultation"),
    ProcurementRoute.PRE_COMMERCIAL: _l("Pre-commercial procurement"),
    ProcurementRoute.PUBLIC_PROCUREMENT_OF_INNOVATION: _l("Public procurement of innovation"),
    ProcurementRoute.INNOVATION_PARTNERSHIP: _l("Innovation partnership"),
    ProcurementRoute.COMPETITIVE_DIALOGUE: _l("Competitive dialogue"),
    ProcurementRoute.NOT_YET_KNOWN: _l("Not yet known"),
}

CONTENT_LANGUAGES: dict[str, LazyString] = {
    ContentLanguage.NL: _l("Dutch"),
    ContentLanguage.FR: _l("French"),
    ContentLanguage.EN: _l("English"),
}

# The technology readiness levels of an offering (Offering.trl, 1-9).
TRL_LEVELS: dict[int, LazyString] = {
    1: _l("TRL 1 – basic principles observed"),
    2: _l("TRL 2 – technology concept formulated"),
    3: _l("TRL 3 – experimental proof of concept"),
    4: _l("TRL 4 – technology validated in the lab"),
    5: _l("TRL 5 – technology validated in a relevant environment"),
    6: _l("TRL 6 – technology demonstrated in a relevant environment"),
    7: _l("TRL 7 – prototype demonstrated in an operational environment"),
    8: _l("TRL 8 – system complete and qualified"),
    9: _l("TRL 9 – proven in an operational environment"),
}

# The statuses of offerings and needs together (they share draft and archived).
CATALOGUE_STATUSES: dict[str, LazyString] = {
    OfferingStatus.DRAFT: _l("Draft"),
    OfferingStatus.PUBLISHED: _l("Published"),
    NeedStatus.OPEN: _l("Open"),
    NeedStatus.CLOSED: _l("Closed"),
    OfferingStatus.ARCHIVED: _l("Archived"),
}

# --- events, requests and meetings -------------------------------------------------------------------------

EVENT_STATUSES: dict[str, LazyString] = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.REGISTRATION_OPEN: _l("Registration open"),
    EventStatus.REGISTRATION_CLOSED: _l("Registration closed"),
    EventStatus.AGENDA_PUBLISHED: _l("Agenda published"),
    EventStatus.CLOSED: _l("Closed"),
}

ADMISSIONS: dict[str, LazyString] = {
    Admission.AUTOMATIC: _l("Automatic: every registration is accepted"),
    Admission.APPROVAL: _l("The organizer approves each registration"),
}

BLOCK_KINDS: dict[str, LazyString] = {
    BlockKind.BREAK: _l("Break"),
    BlockKind.PLENARY: _l("Plenary session"),
}

PARTICIPANT_ROLES: dict[str, LazyString] = {
    ParticipantRole.BUYER: _l("Buyer"),
    ParticipantRole.SUPPLIER: _l("Supplier"),
}

REGISTRATION_STATUSES: dict[str, LazyString] = {
    RegistrationStatus.PENDING: _l("Awaiting approval"),
    RegistrationStatus.APPROVED: _l("Approved"),
    RegistrationStatus.REFUSED: _l("Refused"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
}

REQUEST_STATUSES: dict[str, LazyString] = {
    RequestStatus.PENDING: _l("Awaiting an answer"),
    RequestStatus.ACCEPTED: _l("Accepted"),
    RequestStatus.DECLINED: _l("Declined"),
    RequestStatus.EXPIRED: _l("Expired"),
    RequestStatus.CANCELLED: _l("Cancelled"),
}

MEETING_SOURCES: dict[str, LazyString] = {
    MeetingSource.MUTUAL: _l("Mutual request"),
    MeetingSource.ACCEPTED: _l("Accepted request"),
    MeetingSource.SUGGESTED: _l("Suggested"),
    MeetingSource.MANUAL: _l("Placed by hand"),
}

RUN_MODES: dict[str, LazyString] = {
    RunMode.FULL: _l("Schedule again: replace every meeting that is not locked"),
    RunMode.FILL: _l("Fill the free slots only: keep every meeting as it is"),
}

FOLLOW_UPS: dict[str, LazyString] = {
    FollowUp.NONE: _l("Nothing (yet)"),
    FollowUp.FURTHER_CONTACT: _l("We are in further contact"),
    FollowUp.MARKET_CONSULTATION: _l("A market consultation"),
    FollowUp.PROCUREMENT_LAUNCHED: _l("A procurement was launched"),
    FollowUp.CONTRACT_AWARDED: _l("A contract was awarded"),
}


def label(labels: Mapping, code) -> str:
    """The translated label of a code; an unknown code is shown as it is rather than hidden."""
    if code is None or code == "":
        return ""
    found = labels.get(code)
    return str(found) if found is not None else str(code)
