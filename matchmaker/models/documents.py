"""Stored documents (uploads with their versions) and the materials of events (issue 19).

A `Document` belongs to something else, named by `owner_kind` and `owner_id` (an event, a knowledge-base
article, ...): what owns it decides who may read it (services.documents keeps a registry of the owners'
rules). Its bytes live in the database, one `DocumentVersion` per upload: a new upload adds a version and
keeps the older ones; removing a document records who removed it and when and drops the bytes, while the rows
stay.
"""

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.user import User


class Document(db.Model):
    """An uploaded file with its history of versions; `versions[-1]` is the current one."""

    __tablename__ = "document"
    __table_args__ = (
        sa.Index("ix_document_owner", "owner_kind", "owner_id"),
        sa.CheckConstraint("version_count >= 0", name="version_count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the document belongs to: a kind registered in services.documents (e.g. "event") and its id.
    owner_kind: Mapped[str] = mapped_column(sa.String(30))
    owner_id: Mapped[int]
    # The number of the latest version (versions are numbered 1, 2, ... and never renumbered).
    version_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Removal is recorded, not erased: the row and its versions' descriptions stay, their bytes are dropped.
    removed_at: Mapped[Optional[datetime]]
    removed_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])
    removed_by: Mapped[Optional[User]] = relationship(foreign_keys=[removed_by_id])
    versions: Mapped[list["DocumentVersion"]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentVersion.number"
    )

    @property
    def current(self) -> Optional["DocumentVersion"]:
        return self.versions[-1] if self.versions else None

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

    def version(self, number: int) -> Optional["DocumentVersion"]:
        return next((v for v in self.versions if v.number == number), None)

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.owner_kind}:{self.owner_id} v{self.version_count}>"


class DocumentVersion(db.Model):
    """One upload of a document: its cleaned name, the type found in its content, and its bytes (deferred: a
    list of versions does not load them; None once the document is removed)."""

    __tablename__ = "document_version"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint("size >= 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("document.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    filename: Mapped[str] = mapped_column(sa.String(200))
    mime_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[Optional[bytes]] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")
    uploaded_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<DocumentVersion {self.document_id}.{self.number} {self.filename!r} {self.mime_type}>"


class MaterialKind(enum.StrEnum):
    PROGRAMME = "programme"
    PRESENTATION = "presentation"
    PHOTO = "photo"
    OTHER = "other"


class MaterialAccess(enum.StrEnum):
    PUBLIC_AFTER = "public_after"  # anyone, once the event is over (participants and organizers before)
    PARTICIPANTS = "participants"  # the event's approved participants and its organizers only


class EventMaterial(db.Model):
    """A document an organizer attached to an event: the programme, a presentation, photos."""

    __tablename__ = "event_material"
    __table_args__ = (enum_check("kind", MaterialKind), enum_check("access", MaterialAccess))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("document.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20), default=MaterialKind.PRESENTATION)
    access: Mapped[str] = mapped_column(sa.String(20), default=MaterialAccess.PUBLIC_AFTER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<EventMaterial {self.id} event={self.event_id} {self.kind} {self.access}>"
