"""Organisations, their members and invitations to join them."""

import enum
import re
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.user import User
from matchmaker.textutil import fold


class OrganisationKind(enum.StrEnum):
    COMPANY = "company"
    STARTUP = "startup"
    SME = "sme"
    RESEARCH_CENTRE = "research_centre"
    GOVERNMENT = "government"
    OTHER = "other"


class PolicyDomain(enum.StrEnum):
    """The policy domains of the Flemish government."""

    KB = "kb"  # Kanselarij en Bestuur
    BZ = "bz"  # Buitenlandse Zaken
    FB = "fb"  # Financiën en Begroting
    CJSM = "cjsm"  # Cultuur, Jeugd, Sport en Media
    EWI = "ewi"  # Economie, Wetenschap en Innovatie
    OV = "ov"  # Onderwijs en Vorming
    WVG = "wvg"  # Welzijn, Volksgezondheid en Gezin
    WSE = "wse"  # Werk en Sociale Economie
    LV = "lv"  # Landbouw en Visserij
    MOW = "mow"  # Mobiliteit en Openbare Werken
    OMG = "omg"  # Omgeving
    JH = "jh"  # Justitie en Handhaving


class Verification(enum.StrEnum):
    """Whether the platform's administrators checked that an organisation is who it says it is. Only
    verified organisations count in the public figures (the 3%-norm dashboards, the charter's list)."""

    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    SUSPENDED = "suspended"


class MembershipRole(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


_KBO_CLEAN = re.compile(r"[\s.\-/]")


def normalize_enterprise_number(value: str) -> str:
    """Strip spaces, dots and a BE prefix: '0417.497.106' and 'BE 0417 497 106' give '0417497106'."""
    cleaned = _KBO_CLEAN.sub("", value or "").upper()
    if cleaned.startswith("BE"):
        cleaned = cleaned[2:]
    if len(cleaned) == 9 and cleaned.isdigit():  # old numbers were written without the leading 0
        cleaned = "0" + cleaned
    return cleaned


def is_valid_enterprise_number(value: str) -> bool:
    """Belgian KBO/BCE number: 10 digits starting with 0 or 1; the last two are 97 - (first eight mod 97)."""
    number = normalize_enterprise_number(value)
    if len(number) != 10 or not number.isdigit() or number[0] not in "01":
        return False
    return 97 - int(number[:8]) % 97 == int(number[8:])


def format_enterprise_number(number: str) -> str:
    return f"{number[:4]}.{number[4:7]}.{number[7:]}" if len(number) == 10 else number


class Organisation(db.Model):
    __tablename__ = "organisation"
    __table_args__ = (
        enum_check("kind", OrganisationKind),
        enum_check("verification", Verification),
        sa.CheckConstraint(
            "policy_domain IS NULL OR kind = 'government'", name="policy_domain_only_government"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    # The name as searches compare it (textutil.fold: lower case, no accents), kept by `_fold_name`: 'energie'
    # finds 'Bruxelles Énergie' on SQLite and PostgreSQL alike.
    name_folded: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    kind: Mapped[str] = mapped_column(sa.String(20))
    # Normalized to 10 digits; unique when given.
    enterprise_number: Mapped[Optional[str]] = mapped_column(sa.String(10), unique=True)
    website: Mapped[Optional[str]] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # The description as the site search compares it, kept by `_fold_description` (as name_folded).
    description_folded: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    policy_domain: Mapped[Optional[str]] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The administrators' check: its state, and who set it, when and why.
    verification: Mapped[str] = mapped_column(
        sa.String(10), default=Verification.UNVERIFIED, server_default=Verification.UNVERIFIED, index=True
    )
    verified_at: Mapped[Optional[datetime]]
    verified_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    verification_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The content hash of the logo (OrganisationLogo.content_hash), None without one: pages that list
    # organisations show their logos, and version the logo's address, without a query per row.
    logo_version: Mapped[Optional[str]] = mapped_column(sa.String(64))

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )
    invitations: Mapped[list["Invitation"]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"

    @validates("name")
    def _fold_name(self, _key: str, value: str) -> str:
        self.name_folded = fold(value)[:200]
        return value

    @validates("description")
    def _fold_description(self, _key: str, value: str | None) -> str | None:
        self.description_folded = fold(value)
        return value

    @classmethod
    def search_condition(cls, query: str):
        """SQL: the organisations whose name holds every word of `query` (case and accents ignored) or whose
        enterprise number holds its digits (any notation, four digits at least); None when the query holds
        neither."""
        conditions = []
        words = fold(query).split()
        if words:
            conditions.append(sa.and_(*(cls.name_folded.contains(word, autoescape=True) for word in words)))
        digits = normalize_enterprise_number(query)
        if digits.isdigit() and len(digits.lstrip("0")) >= 4:
            conditions.append(cls.enterprise_number.contains(digits.lstrip("0"), autoescape=True))
        return sa.or_(*conditions) if conditions else None

    @property
    def is_government(self) -> bool:
        return self.kind == OrganisationKind.GOVERNMENT

    @property
    def is_verified(self) -> bool:
        return self.verification == Verification.VERIFIED

    @property
    def is_suspended(self) -> bool:
        """A suspended organisation's items, registrations and signatures are hidden from public view (not
        changed: they come back as they were when the suspension is lifted)."""
        return self.verification == Verification.SUSPENDED

    @property
    def is_public(self) -> bool:
        """Whether the public sees the organisation itself (its page, logo, search hit, sitemap entry). A
        government entity only once an administrator verified it: anybody can register one under any name,
        and the platform must not present it as the government before it is checked (issue 13)."""
        return not self.is_suspended and (self.is_verified or not self.is_government)

    @classmethod
    def public_condition(cls):
        """SQL of `is_public`."""
        return sa.and_(
            cls.verification != Verification.SUSPENDED.value,
            sa.or_(
                cls.verification == Verification.VERIFIED.value, cls.kind != OrganisationKind.GOVERNMENT.value
            ),
        )

    def record_verification(self, state: str, by_id: int | None, reason: str = "") -> None:
        """The administrators' decision: the state, who took it (None: the platform itself), when and why."""
        self.verification = state
        self.verified_at = utcnow()
        self.verified_by_id = by_id
        self.verification_reason = reason

    @property
    def enterprise_number_display(self) -> str:
        return format_enterprise_number(self.enterprise_number or "")


def not_suspended(organisation_id):
    """SQL: the organisation of `organisation_id` (a column) is not suspended. A NULL organisation passes."""
    suspended = (
        sa.select(Organisation.id)
        .where(Organisation.verification == Verification.SUSPENDED.value)
        .correlate(None)
        .scalar_subquery()
    )
    return sa.or_(organisation_id.is_(None), organisation_id.not_in(suspended))


class OrganisationLogo(db.Model):
    """An organisation's logo, as the platform re-encoded it (services.logos): never the uploaded bytes.
    Kept in the database, so that every web server serves the same one."""

    __tablename__ = "organisation_logo"
    __table_args__ = (sa.CheckConstraint("width > 0 AND height > 0", name="dimensions_positive"),)

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    mime_type: Mapped[str] = mapped_column(sa.String(40))
    width: Mapped[int]
    height: Mapped[int]
    # SHA-256 of `data`, in hex: the ETag and the version in the logo's address.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Membership(db.Model):
    """A user belongs to at most one organisation (unique user_id)."""

    __tablename__ = "membership"
    __table_args__ = (enum_check("role", MembershipRole),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(10), default=MembershipRole.MEMBER)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="membership")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships", lazy="joined")


class Invitation(db.Model):
    """An invitation by an organisation's administrator to join it; the token is stored hashed."""

    __tablename__ = "invitation"
    __table_args__ = (enum_check("role", MembershipRole),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[str] = mapped_column(sa.String(10), default=MembershipRole.MEMBER)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[Optional[datetime]]
    revoked_at: Mapped[Optional[datetime]]

    organisation: Mapped[Organisation] = relationship(back_populates="invitations")
    invited_by: Mapped[Optional[User]] = relationship(foreign_keys=[invited_by_id])
