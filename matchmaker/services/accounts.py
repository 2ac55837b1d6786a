"""Accounts: creating users, passwords, roles, and loading the user of a session."""

import enum
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import (
    Invitation,
    Membership,
    MembershipRole,
    Role,
    User,
    UserRole,
    UserSession,
    utcnow,
)
from matchmaker.models.user import SELF_SERVICE_ROLES
from matchmaker.services import (
    ExpiredLink,
    Invalid,
    InvalidLink,
    NotAllowed,
    ServiceError,
    commit,
    discard,
    tokens,
    user_sessions,
)
from matchmaker.services.mail import send_mail
from matchmaker.textutil import one_line

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


# Words a guesser tries first here besides zxcvbn's own (English-leaning) lists: the platform, the region,
# Dutch and French words for "password" and "welcome", keyboard rows of Belgian keyboards.
LOCAL_WORDS = (
    "matchmaker", "innovatie", "innovation", "overheid", "vlaanderen", "vlaams", "flanders", "belgie",
    "belgië", "belgique", "belgium", "brussel", "bruxelles", "antwerpen", "gent", "leuven", "brugge",
    "wachtwoord", "paswoord", "motdepasse", "welkom", "bienvenue", "azerty", "azertyuiop", "qsdfghjklm",
)  # fmt: skip
# What made a password easy to guess, by zxcvbn's pattern, to say why in the user's language.
_PATTERN_REASONS = {
    "dictionary": lambda: _("it is built on a common word, name or password"),
    "spatial": lambda: _("it follows the keys of a keyboard"),
    "repeat": lambda: _("it repeats characters or words"),
    "sequence": lambda: _("it contains a sequence such as abc or 123"),
    "regex": lambda: _("it contains a recent year"),
    "date": lambda: _("it contains a date"),
}


def password_problems(password: str, email: str = "", names: tuple[str, ...] = ()) -> list[str]:
    """Reasons a password is refused, translated; empty when it is acceptable. The strength estimate is
    zxcvbn's (PASSWORD_MIN_SCORE of 0-4), told about the user's address and names and the LOCAL_WORDS."""
    problems = []
    min_length = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < min_length:
        problems.append(_("Use at least %(n)d characters.", n=min_length))
    if len(password) > 128:
        problems.append(_("Use at most 128 characters."))
    lowered = password.lower()
    local_part = normalize_email(email).split("@")[0]
    if local_part and len(local_part) >= 4 and local_part in lowered:
        problems.append(_("Do not use your email address in your password."))
    elif lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        problems.append(_("This password is too easy to guess."))
    elif len(password) >= min_length and len(password) <= 128:
        reason = _guessable(password, email, names)
        if reason:
            problems.append(
                _(
                    "This password is too easy to guess: %(reason)s. A few unrelated words, or a longer "
                    "password, are much harder.",
                    reason=reason,
                )
            )
    return problems


def _guessable(password: str, email: str, names: tuple[str, ...]) -> str | None:
    """Why zxcvbn finds the password guessable (translated), or None when it scores high enough."""
    email = normalize_email(email)
    inputs = [*LOCAL_WORDS, email, *email.replace("@", ".").split("."), *(n for n in names if n)]
    inputs += [word for name in names if name for word in name.lower().split()]
    result = zxcvbn(password[:64], user_inputs=[i for i in inputs if len(i) >= 3])
    if result["score"] >= current_app.config["PASSWORD_MIN_SCORE"]:
        return None
    weakest = sorted(
        (m for m in result["sequence"] if m["pattern"] in _PATTERN_REASONS), key=lambda m: float(m["guesses"])
    )
    return _PATTERN_REASONS[weakest[0]["pattern"]]() if weakest else _("it is short for how simple it is")


def active_members(organisation_id: int, role: MembershipRole | None = None) -> list[User]:
    """The active users of an organisation (of one membership role, when given), in a stable order: whom its
    notifications go to."""
    statement = (
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id, User.active.is_(True))
        .order_by(User.id)
    )
    if role is not None:
        statement = statement.where(Membership.role == role)
    return list(db.session.scalars(statement))


def require_platform_admin(actor: User | None) -> None:
    """Refuse (NotAllowed) anyone but an active platform administrator."""
    if actor is None or not actor.active or not actor.has_role(Role.ADMIN):
        raise NotAllowed(_("Only platform administrators can do this."))


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(user: User | None, password: str) -> bool:
    if user is None:
        # Spend the same time as for a real account, so response times do not reveal which emails exist.
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with another method or other parameters (scrypt cost, pbkdf2 iterations)
    than the configured one, e.g. "pbkdf2:sha256:1000" or "scrypt:16384:8:1" when "scrypt" is asked."""
    return password_hash.split("$", 1)[0] != _dummy_hash().split("$", 1)[0]


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method=method)
    return _DUMMY_HASHES[method]


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


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
        display_name=one_line(display_name),
        language=language,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    user.roles = [UserRole(role=Role(r).value) for r in roles]
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str, keep_session: UserSession | None = None) -> None:
    """A new password ends every session of the user but `keep_session` (the one that changed it), which gets
    a new secret: a copy of its cookies taken before the change stops working too."""
    user.password_hash = hash_password(password)
    user_sessions.end_all_sessions(user, keep=keep_session)
    if keep_session is not None:
        user_sessions.renew_secret(user, keep_session)


def grant_role(user: User, role: str, granted_by: User | None = None) -> None:
    role = Role(role).value
    if role not in user.role_names:
        user.roles.append(UserRole(role=role, granted_by_id=granted_by.id if granted_by else None))


def revoke_role(user: User, role: str) -> None:
    user.roles = [r for r in user.roles if r.role != role]


# ---------------------------------------------------------------------------------------------------------
# Use cases of the auth and account areas. They commit, send the mails, and raise ServiceError (translated)
# when they refuse. Flows that must not reveal whether an address has an account return nothing.
# ---------------------------------------------------------------------------------------------------------


class NotYourLink(InvalidLink):
    """A genuine link of another account than the one logged in."""


class WrongPassword(Invalid):
    """The current password given to confirm an account change is not right."""

    field = "current_password"


def _hours(delta: timedelta) -> int:
    return max(1, round(delta.total_seconds() / 3600))


def _mail_user(user: User, template: str, **context) -> None:
    send_mail(user.email, template, language=user.language, user=user, **context)


def _mail_links() -> dict[str, str]:
    """Links every account mail can point to."""
    return {
        "login_url": links.external_url("auth.login"),
        "forgot_url": links.external_url("auth.forgot_password"),
    }


# Registration and confirmation ---------------------------------------------------------------------------


def register_user(email: str, password: str, display_name: str, role: str, language: str) -> None:
    """Create a supplier or buyer account and mail a confirmation link.

    When the address already has an account nothing is created and the owner is told by mail instead; the
    caller shows the same page either way, so the form does not reveal which addresses are registered.
    """
    if role not in {r.value for r in SELF_SERVICE_ROLES}:
        raise ServiceError(_("Choose whether you are a supplier or a public buyer."))
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    email = normalize_email(email)
    existing = get_user_by_email(email)
    if existing is None:
        try:
            user = create_user(email, password, display_name, roles=(role,), language=language)
            db.session.flush()  # the confirmation link needs the id; the account and its mail commit together
            send_confirmation(user)
            db.session.commit()
        except (ServiceError, IntegrityError):  # registered by a concurrent request a moment ago
            discard()
            existing = get_user_by_email(email)
        else:
            return
    else:
        hash_password(password)  # spend the time a new account costs, so timing reveals nothing either
    if existing is not None and existing.active:
        _mail_user(
            existing,
            "account_exists",
            reset_url=links.external_url("auth.reset_password", token=_reset_token(existing)),
            **_mail_links(),
        )
        commit()


def _confirm_token(user: User) -> str:
    return tokens.make_token(tokens.CONFIRM_EMAIL, {"uid": user.id, "fp": tokens.fingerprint(user.email)})


def send_confirmation(user: User) -> None:
    """Mail a fresh link that confirms the user's address (the caller commits)."""
    _mail_user(
        user,
        "confirm_email",
        confirm_url=links.external_url("auth.confirm_email", token=_confirm_token(user)),
        valid_hours=_hours(current_app.config["EMAIL_CONFIRM_MAX_AGE"]),
    )


def resend_confirmation(email: str) -> None:
    """Mail a new confirmation link if the address has an active, unconfirmed account; else do nothing.

    Like the password reset, the request only stores a job, the same for every address (see
    `request_password_reset`)."""
    from matchmaker.tasks import enqueue

    enqueue("accounts.resend_confirmation", email=normalize_email(email)[:320])
    commit()


def mail_confirmation_again(email: str) -> bool:
    """The worker's half of `resend_confirmation`. Returns whether a mail was written."""
    user = get_user_by_email(email)
    if user is None or not user.active or user.email_confirmed:
        return False
    send_confirmation(user)
    commit()
    return True


def _user_from_token(purpose: str, token: str, max_age: timedelta) -> tuple[User, dict]:
    try:
        payload = tokens.read_token(purpose, token, max_age)
    except tokens.TokenExpired:
        raise ExpiredLink(_("This link has expired.")) from None
    except tokens.TokenInvalid:
        raise InvalidLink(_("This link is not valid. It may have been copied incompletely.")) from None
    uid = payload.get("uid")
    user = db.session.get(User, uid) if isinstance(uid, int) else None
    if user is None:
        raise InvalidLink(_("This link is not valid. It may have been copied incompletely."))
    return user, payload


def check_confirmation_token(token: str) -> User:
    """The user whose address the link confirms (read only: the page asks for a click before confirming)."""
    user, payload = _user_from_token(tokens.CONFIRM_EMAIL, token, current_app.config["EMAIL_CONFIRM_MAX_AGE"])
    if not tokens.same_fingerprint(tokens.fingerprint(user.email), payload.get("fp")):
        raise InvalidLink(_("This link is no longer valid: the email address of the account has changed."))
    return user


def confirm_email(token: str) -> User:
    user = check_confirmation_token(token)
    if not user.email_confirmed:
        user.email_confirmed_at = utcnow()
        commit()
    return user


# Logging in --------------------------------------------------------------------------------------


def authenticate(email: str, password: str) -> User:
    """The user these credentials belong to, ready to be logged in (by matchmaker.auth.sessions.log_in).

    Wrong address and wrong password get the same message (and the same time); only someone who knows the
    password learns that the account is unconfirmed (a new link is mailed) or deactivated.
    """
    user = get_user_by_email(email)
    if not verify_password(user, password):
        raise ServiceError(_("The email address or password is not correct."))
    assert user is not None
    if not user.active:
        raise ServiceError(
            _(
                "This account has been deactivated. "
                "Contact the platform administrators if you think this is a mistake."
            )
        )
    if not user.email_confirmed:
        send_confirmation(user)
        commit()
        raise ServiceError(
            _(
                "Please confirm your email address first. We have sent a new confirmation link to %(email)s.",
                email=user.email,
            )
        )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)  # the hash method was upgraded: rehash, sessions stay
        commit()
    return user


def record_login(user: User) -> bool:
    """Note the time of a login (matchmaker.auth.sessions); True when it is the account's first."""
    first = user.last_login_at is None
    user.last_login_at = utcnow()
    commit()
    return first


# Password reset ------------------------------------------------------------------------------------------


def _reset_token(user: User) -> str:
    # Bound to the current password hash and address: the link dies once it has been used (the hash changes).
    return tokens.make_token(
        tokens.RESET_PASSWORD, {"uid": user.id, "fp": tokens.fingerprint(user.password_hash, user.email)}
    )


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address has an active account; otherwise do nothing (same page either way).

    The request only stores a job, the same for every address: the worker looks the address up and writes
    the mail, so neither the answer nor its timing tells whether the address has an account."""
    from matchmaker.tasks import enqueue

    enqueue("accounts.password_reset", email=normalize_email(email)[:320])
    commit()


def mail_password_reset(email: str) -> bool:
    """The worker's half of `request_password_reset`: mail a reset link if the address has an active
    account. Returns whether a mail was written."""
    user = get_user_by_email(email)
    if user is None or not user.active:
        return False
    _mail_user(
        user,
        "reset_password",
        reset_url=links.external_url("auth.reset_password", token=_reset_token(user)),
        valid_hours=_hours(current_app.config["PASSWORD_RESET_MAX_AGE"]),
    )
    commit()
    return True


def check_reset_token(token: str) -> User:
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    user, payload = _user_from_token(tokens.RESET_PASSWORD, token, max_age)
    expected = tokens.fingerprint(user.password_hash, user.email)
    if not user.active or not tokens.same_fingerprint(expected, payload.get("fp")):
        raise InvalidLink(_("This link has already been used or is no longer valid."))
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link: every other session and remember-me cookie ends."""
    user = check_reset_token(token)
    problems = password_problems(new_password, user.email, (user.display_name,))
    if problems:
        raise ServiceError(problems[0])
    set_password(user, new_password)
    if not user.email_confirmed:  # the link reached the mailbox: that confirms the address too
        user.email_confirmed_at = utcnow()
    _mail_user(user, "password_changed", **_mail_links())
    commit()
    return user


# The account area ----------------------------------------------------------------------------------------


def update_profile(user: User, display_name: str, language: str) -> None:
    if language not in current_app.config["LANGUAGES"]:
        raise ServiceError(_("Choose one of the offered languages."))
    display_name = one_line(display_name)
    if not display_name:
        raise ServiceError(_("Enter the name other users will see."))
    user.display_name = display_name
    user.language = language
    commit()


def _require_password(user: User, password: str) -> None:
    if not verify_password(user, password):
        raise WrongPassword(_("Your current password is not correct."))


def change_password(
    user: User, current_password: str, new_password: str, keep_session: UserSession | None = None
) -> None:
    """Every other session ends; `keep_session`, the one the change was made in, goes on with a new secret
    (the route hands it to the cookies: matchmaker.auth.sessions.keep_session)."""
    _require_password(user, current_password)
    problems = password_problems(new_password, user.email, (user.display_name,))
    if problems:
        raise ServiceError(problems[0])
    if verify_password(user, new_password):
        raise ServiceError(_("Choose a password that differs from your current one."))
    set_password(user, new_password, keep_session=keep_session)
    _mail_user(user, "password_changed", **_mail_links())
    commit()


def request_email_change(user: User, new_email: str, current_password: str) -> None:
    """Mail a confirmation link to the new address; the address changes only when that link is opened.

    When the new address already has an account, its owner is told instead, and this user sees the same
    confirmation page: the form does not reveal who is registered.
    """
    _require_password(user, current_password)
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise ServiceError(_("This is already your email address."))
    other = get_user_by_email(new_email)
    if other is not None:
        _mail_user(other, "email_in_use", **_mail_links())
        commit()
        return
    token = tokens.make_token(
        tokens.CHANGE_EMAIL, {"uid": user.id, "new": new_email, "fp": tokens.fingerprint(user.email)}
    )
    send_mail(
        new_email,
        "change_email",
        language=user.language,
        user=user,
        new_email=new_email,
        confirm_url=links.external_url("account.confirm_email_change", token=token),
        valid_hours=_hours(current_app.config["EMAIL_CONFIRM_MAX_AGE"]),
    )
    commit()


def check_email_change_token(user: User, token: str) -> str:
    """The new address the link confirms for `user`, the signed-in user: other accounts' links are refused."""
    max_age = current_app.config["EMAIL_CONFIRM_MAX_AGE"]
    owner, payload = _user_from_token(tokens.CHANGE_EMAIL, token, max_age)
    if owner.id != user.id:
        raise NotYourLink(_("This link belongs to another account. Log in with that account to use it."))
    new_email = payload.get("new")
    bound_to_current_email = tokens.same_fingerprint(tokens.fingerprint(user.email), payload.get("fp"))
    if not isinstance(new_email, str) or not bound_to_current_email:
        raise InvalidLink(_("This link has already been used or is no longer valid."))
    return new_email


def change_email(user: User, token: str) -> str:
    """Apply a confirmed address change and tell the old address."""
    new_email = check_email_change_token(user, token)
    if get_user_by_email(new_email) is not None:
        raise ServiceError(_("Another account already uses this email address."))
    old_email = user.email
    user.email = new_email
    user.email_confirmed_at = utcnow()
    send_mail(
        old_email,
        "email_changed",
        language=user.language,
        user=user,
        new_email=new_email,
        **_mail_links(),
    )
    commit(_("Another account already uses this email address."))
    return new_email


AccountDeletionHook = Callable[[User], None]
_ACCOUNT_DELETION_HOOKS: dict[str, AccountDeletionHook] = {}


def register_account_deletion_hook(name: str, hook: AccountDeletionHook) -> AccountDeletionHook:
    """Let an area remove or anonymise what it keeps about a user whose account is being deleted.

    `hook(user)` runs in the deleting transaction, just before the user row goes (so it still has the id);
    it must not commit. Rows with ON DELETE CASCADE / SET NULL need no hook on PostgreSQL, but SQLite (the
    development database) only applies those when foreign keys are enforced. Registering a name again
    replaces the hook.
    """
    _ACCOUNT_DELETION_HOOKS[name] = hook
    return hook


def account_deletion_hook(name: str) -> Callable[[AccountDeletionHook], AccountDeletionHook]:
    """Decorator form of register_account_deletion_hook."""
    return lambda hook: register_account_deletion_hook(name, hook)


def delete_account(user: User, current_password: str) -> None:
    """Remove the user and their memberships; what organisations own stays with them.

    An organisation never loses its last administrator while it has members: the longest-standing other
    member is promoted first. The only platform administrator cannot delete their account.
    """
    _require_password(user, current_password)
    if user.has_role(Role.ADMIN):
        admins = db.session.scalar(
            sa.select(sa.func.count()).select_from(UserRole).where(UserRole.role == Role.ADMIN.value)
        )
        if admins <= 1:
            raise ServiceError(
                _("You are the only platform administrator. Make someone else administrator first.")
            )
    membership = user.membership
    if membership is not None and membership.role == MembershipRole.ADMIN:
        others = db.session.scalars(
            sa.select(Membership)
            .where(Membership.organisation_id == membership.organisation_id, Membership.user_id != user.id)
            .order_by(Membership.joined_at, Membership.id)
        ).all()
        if others and not any(m.role == MembershipRole.ADMIN for m in others):
            others[0].role = MembershipRole.ADMIN
    for _name, hook in sorted(_ACCOUNT_DELETION_HOOKS.items()):
        hook(user)
    email, language, name = user.email, user.language, user.display_name
    # Also done by ON DELETE SET NULL where the database enforces foreign keys; SQLite may not.
    db.session.execute(
        sa.update(UserRole).where(UserRole.granted_by_id == user.id).values(granted_by_id=None)
    )
    db.session.execute(
        sa.update(Invitation).where(Invitation.invited_by_id == user.id).values(invited_by_id=None)
    )
    db.session.delete(user)
    send_mail(email, "account_deleted", language=language, display_name=name)
    commit()


# Personal data export ------------------------------------------------------------------------------------

PersonalDataExporter = Callable[[User], Any]
_PERSONAL_DATA_EXPORTERS: dict[str, PersonalDataExporter] = {}


def register_personal_data_exporter(name: str, exporter: PersonalDataExporter) -> PersonalDataExporter:
    """Let an area add its part to "download my data": `exporter(user)` returns JSON-ready data
    (datetimes are fine). It appears under `data[name]`. Registering a name again replaces it."""
    _PERSONAL_DATA_EXPORTERS[name] = exporter
    return exporter


def personal_data_exporter(name: str) -> Callable[[PersonalDataExporter], PersonalDataExporter]:
    """Decorator form of register_personal_data_exporter."""
    return lambda exporter: register_personal_data_exporter(name, exporter)


# Where the account is logged in (user_sessions cannot register itself: this module imports it).
register_personal_data_exporter("sessions", user_sessions.export_sessions)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def export_personal_data(user: User) -> dict[str, Any]:
    """Everything the platform holds about the user, as a JSON-ready dict (no password hash)."""
    membership = user.membership
    return {
        "format": "matchmaker-personal-data/1",
        "exported_at": _iso(utcnow()),
        "profile": {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "language": user.language,
            "email_confirmed_at": _iso(user.email_confirmed_at),
            "active": user.active,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "roles": [
            {"role": r.role, "granted_at": _iso(r.granted_at)}
            for r in sorted(user.roles, key=lambda r: r.role)
        ],
        "membership": None
        if membership is None
        else {
            "organisation_id": membership.organisation_id,
            "organisation": membership.organisation.name,
            "role": membership.role,
            "joined_at": _iso(membership.joined_at),
        },
        "data": {name: exporter(user) for name, exporter in sorted(_PERSONAL_DATA_EXPORTERS.items())},
    }


def personal_data_json(user: User) -> str:
    return json.dumps(export_personal_data(user), indent=2, ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"Cannot export {type(value).__name__} as JSON")
