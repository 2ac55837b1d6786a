"""Users and their platform roles."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow

if TYPE_CHECKING:
    from matchmaker.models.organisation import Membership


class Role(enum.StrEnum):
    SUPPLIER = "supplier"
    BUYER = "buyer"
    ORGANIZER = "organizer"
    ADMIN = "admin"
    KNOWLEDGE_EDITOR = "knowledge_editor"  # writes the knowledge base, answers support requests (issue 19)


SELF_SERVICE_ROLES = (Role.SUPPLIER, Role.BUYER)
GRANTED_ROLES = (Role.ORGANIZER, Role.KNOWLEDGE_EDITOR, Role.ADMIN)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (sa.CheckConstraint("language IN ('nl', 'fr', 'en')", name="language_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased (see normalize_email), so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    language: Mapped[str] = mapped_column(sa.String(2), default="nl")
    email_confirmed_at: Mapped[Optional[datetime]]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[Optional[datetime]]

    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        foreign_keys="UserRole.user_id",
    )
    # Joined, with its organisation: every request loads the current user, and a second SELECT for the
    # membership (the selectin loader's own overhead included) cost more than the outer join.
    membership: Mapped[Optional["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False, lazy="joined"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    # Flask-Login. A logged-in user's identity is the secret of the login's UserSession, never the user's id:
    # the session and remember-me cookies name that row only, which ends at logout and goes with the account.
    # Set by matchmaker.services.user_sessions when a login starts or a request's session is looked up.
    # (Plain attributes, not columns: the declarative mapping would read an annotation as a column.)
    session_token = None  # str | None
    current_session = None  # UserSession | None

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        if self.session_token is None:
            raise RuntimeError("This user has no session: start one with user_sessions.start_session.")
        return self.session_token

    def __eq__(self, other: object) -> bool:
        """The same account (Flask-Login's UserMixin would compare session secrets)."""
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    __hash__ = object.__hash__

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))

    @property
    def organisation(self):
        return self.membership.organisation if self.membership else None

    def is_organisation_admin(self, organisation) -> bool:
        from matchmaker.models.organisation import MembershipRole

        return (
            self.membership is not None
            and self.membership.organisation_id == organisation.id
            and self.membership.role == MembershipRole.ADMIN
        )


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (enum_check("role", Role),)

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])


class UserSession(db.Model):
    """One login, on one device: the session cookie and the remember-me cookie carry a random secret whose
    SHA-256 is `token_hash`. Logging out, signing the session out from the sessions page, a new password,
    deactivation and deleting the account delete the row, and with it every copy of those cookies.

    `expires_at` is checked on every request: a fixed REMEMBER_COOKIE_DURATION after logging in with
    "remember me"; without it SESSION_IDLE_TIMEOUT after the last request (moved on with `last_seen_at`,
    which is written at most once a minute), and never later than a remembered one would end."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    # What the person recognises on the sessions page ("Firefox", "Windows"), not the whole User-Agent header.
    browser: Mapped[str] = mapped_column(sa.String(40), default="")
    system: Mapped[str] = mapped_column(sa.String(40), default="")
    ip_address: Mapped[str] = mapped_column(sa.String(45), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"
