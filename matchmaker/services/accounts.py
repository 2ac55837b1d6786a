"""Accounts: creating users, passwords, roles, and loading the user of a session."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.extensions import db
from matchmaker.models import Role, User, UserRole, utcnow
from matchmaker.services import ServiceError

# A few passwords that pass a length rule but are guessed first.
COMMON_PASSWORDS = {
    "123456789012",
    "1234567890123",
    "passwordpassword",
    "wachtwoord123",
    "wachtwoordwachtwoord",
    "motdepasse123",
    "qwertyuiopas",
    "azertyuiopqs",
    "password1234",
    "iloveyou1234",
    "welkom123456",
    "bienvenue1234",
}


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def password_problems(password: str, email: str = "") -> list[str]:
    """Reasons a password is refused, translated; empty when it is acceptable."""
    problems = []
    min_length = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < min_length:
        problems.append(_("Use at least %(n)d characters.", n=min_length))
    if len(password) > 128:
        problems.append(_("Use at most 128 characters."))
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        problems.append(_("This password is too easy to guess."))
    local_part = normalize_email(email).split("@")[0]
    if local_part and len(local_part) >= 4 and local_part in lowered:
        problems.append(_("Do not use your email address in your password."))
    return problems


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(user: User | None, password: str) -> bool:
    if user is None:
        # Spend the same time as for a real account, so response times do not reveal which emails exist.
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method=method)
    return _DUMMY_HASHES[method]


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def load_user_from_session_id(session_id: str) -> User | None:
    """Flask-Login loader: the id carries the user's auth_version, so sessions end on password change."""
    user_id, _, version = (session_id or "").partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.auth_version != int(version) or not user.active:
        return None
    return user


def create_user(
    email: str,
    password: str,
    display_name: str,
    roles: tuple[str, ...] = (),
    language: str = "nl",
    confirmed: bool = False,
) -> User:
    email = normalize_email(email)
    if get_user_by_email(email) is not None:
        raise ServiceError(_("An account with this email address already exists."))
    user = User(
        email=email,
        password_hash=hash_password(password),
        display_name=display_name.strip(),
        language=language,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    user.roles = [UserRole(role=Role(r).value) for r in roles]
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.auth_version += 1


def grant_role(user: User, role: str, granted_by: User | None = None) -> None:
    role = Role(role).value
    if role not in user.role_names:
        user.roles.append(UserRole(role=role, granted_by_id=granted_by.id if granted_by else None))


def revoke_role(user: User, role: str) -> None:
    user.roles = [r for r in user.roles if r.role != role]
