"""The catalogue: innovative offerings of suppliers, needs of public buyers, and their themes.

Both items carry a `version` column that SQLAlchemy checks on every UPDATE (optimistic locking), and a
`search_text` column that the catalogue service keeps up to date on every save: the folded text (see
`matchmaker.textutil.fold`) of the item's words and of the labels of its CPV codes in the three languages.
"""

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.organisation import Organisation, not_suspended
from matchmaker.models.user import User


class InnovationType(enum.StrEnum):
    PRODUCT = "product"
    TECHNOLOGICAL = "technological"
    SERVICE = "service"
    PROCESS = "process"
    SOCIAL = "social"


class ContentLanguage(enum.StrEnum):
    """The language an offering or need is written in (the matching engine uses it)."""

    NL = "nl"
    FR = "fr"
    EN = "en"


class OfferingStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class NeedStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class ProcurementRoute(enum.StrEnum):
    MARKET_CONSULTATION = "market_consultation"
    PRE_COMMERCIAL = "pre_commercial_procurement"
    PUBLIC_PROCUREMENT_OF_INNOVATION = "public_procurement_of_innovation"
    INNOVATION_PARTNERSHIP = "innovation_partnership"
    COMPETITIVE_DIALOGUE = "competitive_dialogue"
    NOT_YET_KNOWN = "not_yet_known"


class Theme(db.Model):
    """A thematic area (mobility, energy, ...) that offerings, needs and events are filed under."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name_nl: Mapped[str] = mapped_column(sa.String(120))
    name_fr: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Theme {self.slug}>"

    def name(self, language: str) -> str:
        return getattr(self, f"name_{language}", None) or self.name_en


offering_theme = sa.Table(
    "offering_theme",
    db.metadata,
    sa.Column("offering_id", sa.ForeignKey("offering.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("theme_id", sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True, index=True),
)

need_theme = sa.Table(
    "need_theme",
    db.metadata,
    sa.Column("need_id", sa.ForeignKey("need.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("theme_id", sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class OfferingCpvCode(db.Model):
    """A CPV code (8 digits, see matchmaker.reference.cpv) of an offering."""

    __tablename__ = "offering_cpv_code"

    offering_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offering.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(sa.String(8), primary_key=True, index=True)


class NeedCpvCode(db.Model):
    """A CPV code (8 digits) of a need."""

    __tablename__ = "need_cpv_code"

    need_id: Mapped[int] = mapped_column(sa.ForeignKey("need.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), primary_key=True, index=True)


class Offering(db.Model):
    """An innovative product, service or solution that a (non-government) organisation offers."""

    __tablename__ = "offering"
    __table_args__ = (
        enum_check("innovation_type", InnovationType),
        enum_check("language", ContentLanguage),
        enum_check("status", OfferingStatus),
        sa.CheckConstraint("trl IS NULL OR (trl >= 1 AND trl <= 9)", name="trl_range"),
        sa.Index("ix_offering_status_published_at", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown
    innovation_type: Mapped[str] = mapped_column(sa.String(20), default=InnovationType.PRODUCT)
    trl: Mapped[Optional[int]]  # Technology readiness level 1-9; None when it does not apply
    keywords: Mapped[str] = mapped_column(sa.Text, default="")  # comma-separated
    language: Mapped[str] = mapped_column(sa.String(2), default=ContentLanguage.NL)
    reference_projects: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown: references, pilots
    links: Mapped[str] = mapped_column(sa.Text, default="")  # one "Label | https://..." or URL a line
    status: Mapped[str] = mapped_column(sa.String(10), default=OfferingStatus.DRAFT)
    published_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # Folded words of the offering and of its CPV labels, for search (kept by services.catalogue).
    search_text: Mapped[str] = mapped_column(sa.Text, default="")

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[Optional[User]] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=offering_theme, order_by=Theme.position)
    cpv_links: Mapped[list[OfferingCpvCode]] = relationship(
        cascade="all, delete-orphan", order_by=OfferingCpvCode.code
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Offering {self.id} {self.status} {self.title!r}>"

    kind = "offering"

    @property
    def cpv_codes(self) -> list[str]:
        return [link.code for link in self.cpv_links]

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip() for k in (self.keywords or "").split(",") if k.strip()]

    @property
    def link_list(self) -> list[tuple[str, str]]:
        return parse_links(self.links)

    @property
    def is_public(self) -> bool:
        return self.status == OfferingStatus.PUBLISHED and not owner_suspended(self)

    @classmethod
    def public_condition(cls):
        """`is_public` in SQL."""
        return sa.and_(cls.status == OfferingStatus.PUBLISHED.value, not_suspended(cls.organisation_id))


class Need(db.Model):
    """A challenge that a government organisation wants the market to answer."""

    __tablename__ = "need"
    __table_args__ = (
        enum_check("language", ContentLanguage),
        enum_check("status", NeedStatus),
        enum_check("procurement_route", ProcurementRoute),
        sa.CheckConstraint("budget_min IS NULL OR budget_min >= 0", name="budget_min_positive"),
        sa.CheckConstraint(
            "budget_min IS NULL OR budget_max IS NULL OR budget_min <= budget_max", name="budget_range"
        ),
        sa.Index("ix_need_status_published_at", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    challenge: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown
    expected_outcome: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown
    keywords: Mapped[str] = mapped_column(sa.Text, default="")  # comma-separated
    budget_min: Mapped[Optional[int]] = mapped_column(sa.BigInteger)  # whole euros
    budget_max: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    deadline: Mapped[Optional[date]]
    procurement_route: Mapped[str] = mapped_column(sa.String(40), default=ProcurementRoute.NOT_YET_KNOWN)
    language: Mapped[str] = mapped_column(sa.String(2), default=ContentLanguage.NL)
    status: Mapped[str] = mapped_column(sa.String(10), default=NeedStatus.DRAFT)
    registered_only: Mapped[bool] = mapped_column(default=False)
    # The buyer answers questions about this need publicly (models.conversations.NeedQuestion), as a prior
    # market consultation must treat every market player equally. Beside them, the buyer may still allow
    # private conversations (`private_conversations`); the need page offers no choice that turns both off,
    # since a need nobody can ask about would hide the buyer from the market.
    public_questions: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    private_conversations: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    published_at: Mapped[Optional[datetime]]
    closed_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    search_text: Mapped[str] = mapped_column(sa.Text, default="")

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[Optional[User]] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=need_theme, order_by=Theme.position)
    cpv_links: Mapped[list[NeedCpvCode]] = relationship(
        cascade="all, delete-orphan", order_by=NeedCpvCode.code
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.status} {self.title!r}>"

    kind = "need"

    @property
    def cpv_codes(self) -> list[str]:
        return [link.code for link in self.cpv_links]

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip() for k in (self.keywords or "").split(",") if k.strip()]

    @property
    def is_public(self) -> bool:
        """Only open needs are public: drafts, closed and archived needs are seen by their organisation's
        members (and platform administrators) only, and so are the needs of a suspended organisation
        (issue 13: no public page, export or feed shows anything of a draft, closed or suspended item)."""
        return self.status == NeedStatus.OPEN and not owner_suspended(self)

    @classmethod
    def public_condition(cls):
        """`is_public` in SQL."""
        return sa.and_(cls.status == NeedStatus.OPEN.value, not_suspended(cls.organisation_id))


def owner_suspended(item: Offering | Need) -> bool:
    """Is the organisation of the item suspended? The organisation is taken as loaded, else from the session's
    identity map (lists that load items without their organisations, whose participants' organisations are
    loaded, ask no query per item)."""
    organisation = item.__dict__.get("organisation")
    if organisation is None and item.organisation_id is not None:
        organisation = db.session.get(Organisation, item.organisation_id)
    return organisation is not None and organisation.is_suspended


def parse_links(text: str) -> list[tuple[str, str]]:
    """'Label | https://x' or 'https://x' lines -> [(label, url)]; non-http(s) lines are left out."""
    links = []
    for line in (text or "").splitlines():
        label, sep, url = line.rpartition("|")
        url = url.strip()
        label = label.strip() if sep else ""
        if url.lower().startswith(("http://", "https://")):
            links.append((label or url, url))
    return links
