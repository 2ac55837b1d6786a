"""The KBO/BCE register (Crossroads Bank for Enterprises), as far as verifying organisations needs it.

Loaded from the published open data (`services.kbo`): the enterprises, their names (name, abbreviation,
commercial name), their registered seat and the labels of the codes they use. An import replaces all of it;
`KboImport` records each import, and the newest one says whether a register is loaded (`done`), is being
loaded (`running`: the tables are half full) or failed.

Rows refer to an enterprise by its number, normalised to ten digits ('0200.065.765' -> '0200065765'),
without foreign keys: the files are loaded in the order they are published, in bulk.
"""

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow


class KboEnterprise(db.Model):
    __tablename__ = "kbo_enterprise"

    number: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(4))  # AC: active
    juridical_situation: Mapped[str] = mapped_column(sa.String(4), default="")  # 000: normal
    type_of_enterprise: Mapped[str] = mapped_column(sa.String(2), default="")  # 1 natural, 2 legal person
    juridical_form: Mapped[Optional[str]] = mapped_column(sa.String(4))  # 124: public institution
    start_date: Mapped[Optional[date]]


class KboDenomination(db.Model):
    """A name of an enterprise: TypeOfDenomination 001 name, 002 abbreviation, 003 commercial name."""

    __tablename__ = "kbo_denomination"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(10), index=True)
    language: Mapped[str] = mapped_column(sa.String(2))  # 0 unknown, 1 FR, 2 NL, 3 DE, 4 EN
    type: Mapped[str] = mapped_column(sa.String(4))
    text: Mapped[str] = mapped_column(sa.Text)


class KboAddress(db.Model):
    """The registered seat (TypeOfAddress REGO) that still holds (no DateStrikingOff)."""

    __tablename__ = "kbo_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(10), index=True)
    country_nl: Mapped[str] = mapped_column(sa.Text, default="")  # empty for a Belgian address
    country_fr: Mapped[str] = mapped_column(sa.Text, default="")
    zipcode: Mapped[str] = mapped_column(sa.Text, default="")
    municipality_nl: Mapped[str] = mapped_column(sa.Text, default="")
    municipality_fr: Mapped[str] = mapped_column(sa.Text, default="")
    street_nl: Mapped[str] = mapped_column(sa.Text, default="")
    street_fr: Mapped[str] = mapped_column(sa.Text, default="")
    house_number: Mapped[str] = mapped_column(sa.Text, default="")
    box: Mapped[str] = mapped_column(sa.Text, default="")


class KboCode(db.Model):
    """The label of a code (code.csv) in Dutch or French: juridical forms, statuses, juridical situations."""

    __tablename__ = "kbo_code"

    category: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(2), primary_key=True)  # NL, FR
    description: Mapped[str] = mapped_column(sa.Text)


class KboImportStatus(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class KboImport(db.Model):
    """One import of a full extract: its snapshot (meta.csv), when it ran and what it loaded."""

    __tablename__ = "kbo_import"
    __table_args__ = (enum_check("status", KboImportStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=KboImportStatus.RUNNING)
    source: Mapped[str] = mapped_column(sa.String(300), default="")  # the file or folder's name
    snapshot_date: Mapped[Optional[date]]
    extract_number: Mapped[Optional[int]]
    extract_timestamp: Mapped[str] = mapped_column(sa.String(40), default="")
    version: Mapped[str] = mapped_column(sa.String(20), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Touched with every batch: a running import that has not moved for a long time is a dead one.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]]
    enterprises: Mapped[int] = mapped_column(default=0)
    denominations: Mapped[int] = mapped_column(default=0)
    addresses: Mapped[int] = mapped_column(default=0)
    codes: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    # The background job that runs it (None from the command line); a job that runs again finds its import.
    job_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("job.id", ondelete="SET NULL"), index=True)

    def __repr__(self) -> str:
        return f"<KboImport {self.id} {self.status} {self.snapshot_date}>"
