"""The anti-spam stamps that have been used (`matchmaker.services.antispam`): a form's stamp is good for one
sending. One row per used stamp, named by the stamp's random part; the primary key makes two sendings of one
stamp meet in the database, so exactly one of them is acted on, with or without Redis. Rows older than any
stamp that is still accepted are purged daily."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.extensions import db


class UsedStamp(db.Model):
    __tablename__ = "used_stamp"

    nonce: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(index=True)

    def __repr__(self) -> str:
        return f"<UsedStamp {self.nonce} {self.used_at:%Y-%m-%d %H:%M}>"
