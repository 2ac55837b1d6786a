"""Configuration classes. Every value can be set from the environment.

`create_app()` picks the class named by `MATCHMAKER_ENV` (development, test, production);
`FLASK_DEBUG`-style switches are not used so that production cannot be reached by accident.
"""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 - refused in production


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'matchmaker.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Languages: Dutch first, then French and English.
    LANGUAGES = ("nl", "fr", "en")
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Brussels"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "matchmaker" / "translations")

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    SESSION_COOKIE_NAME = "mm_session"
    REMEMBER_COOKIE_NAME = "mm_remember"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Every login is a session on the server (matchmaker/services/user_sessions.py), which checks its expiry:
    # with "remember me" it ends REMEMBER_DAYS after logging in (not after the last visit); without, it ends
    # with the browser or after SESSION_IDLE_MINUTES without a request, whichever comes first.
    REMEMBER_COOKIE_DURATION = timedelta(days=_int("REMEMBER_DAYS", 30))
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST = False
    SESSION_IDLE_TIMEOUT = timedelta(minutes=_int("SESSION_IDLE_MINUTES", 8 * 60))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # Flask-Login's check of the client (address and browser) behind a session: "basic" marks a session seen
    # from elsewhere as not fresh; "strong" would end it and its remember-me cookie, which logs out everyone
    # whose address changes (phones at an event switch between Wi-Fi and mobile data all day).
    SESSION_PROTECTION = os.environ.get("SESSION_PROTECTION", "basic")
    # Forms carry a CSRF token (the tests switch it off), valid for eight hours.
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # The largest request body: the catalogue's CSV import (5 MiB) with room for the form around it.
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    # The largest document (event materials, knowledge base: services.documents). Only the upload forms accept
    # a request this large (plus room for the form); every other request keeps MAX_CONTENT_LENGTH.
    DOCUMENT_MAX_BYTES = _int("DOCUMENT_MAX_MB", 20) * 1024 * 1024

    # Passwords: a slow, salted hash (scrypt through Werkzeug).
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    PASSWORD_MIN_LENGTH = 12
    # zxcvbn's estimate (0-4) a new password must reach: 3 is "safely unguessable" for an online attack and
    # most offline ones against a slow hash.
    PASSWORD_MIN_SCORE = int(os.environ.get("PASSWORD_MIN_SCORE", "3"))

    # Signed links sent by mail.
    EMAIL_CONFIRM_MAX_AGE = timedelta(days=2)
    PASSWORD_RESET_MAX_AGE = timedelta(hours=2)
    INVITATION_MAX_AGE = timedelta(days=14)

    # Mail: "memory" records messages, "console" records and prints them, "smtp" sends them.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Matchmaker <no-reply@matchmaker.example>")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    # The outbox (matchmaker/services/mail.py): workers try a mail this many times, waiting
    # MAIL_RETRY_SECONDS after the first failure and twice as long after each next one (at most 6 hours), then
    # mark it failed for the administrators (/admin/mails). Sent mails are deleted after MAIL_RETENTION_DAYS;
    # failed ones stay.
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 8)
    MAIL_RETRY_SECONDS = _int("MAIL_RETRY_SECONDS", 60)
    MAIL_RETENTION_DAYS = _int("MAIL_RETENTION_DAYS", 30)
    # Absolute links in mails (and behind a proxy).
    SERVER_BASE_URL = os.environ.get("SERVER_BASE_URL", "http://127.0.0.1:5000")
    # /.well-known/security.txt (RFC 9116): where to report a vulnerability (a mailto: or https: address,
    # several separated by commas; unset: security@ the host of SERVER_BASE_URL), a disclosure policy,
    # and how many days ahead its Expires lies (computed at each request; the RFC wants less than a year).
    SECURITY_CONTACT = os.environ.get("SECURITY_CONTACT", "")
    SECURITY_POLICY_URL = os.environ.get("SECURITY_POLICY_URL", "")
    SECURITY_TXT_DAYS = _int("SECURITY_TXT_DAYS", 180)

    # A newsletter subscription is confirmed by a link valid this long (None: as EMAIL_CONFIRM_MAX_AGE).
    NEWSLETTER_CONFIRM_MAX_AGE: timedelta | None = None

    # Rate limits: in memory by default, shared through Redis when REDIS_URL is set.
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # When Redis is unreachable, count in each worker's memory instead of failing every limited request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_KEY_PREFIX = "matchmaker"
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # Failed logins per account from anywhere (many addresses guessing one password): short windows, so that
    # nobody can lock another person out for longer than a quarter of an hour.
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;15 per 15 minutes")
    RESET_RATE_LIMIT = os.environ.get("RESET_RATE_LIMIT", "5 per minute;20 per hour")
    CONTACT_RATE_LIMIT = os.environ.get("CONTACT_RATE_LIMIT", "5 per minute;20 per hour")
    # Every submission of a public form, refused ones too (those do not count against the limits above).
    PUBLIC_FORM_ATTEMPT_LIMIT = os.environ.get("PUBLIC_FORM_ATTEMPT_LIMIT", "20 per minute;200 per hour")
    # Where the static files' hashed and compressed copies are built (matchmaker/static_files.py).
    STATIC_BUILD_FOLDER = os.environ.get("STATIC_BUILD_FOLDER") or str(BASE_DIR / ".cache" / "static")
    NEWSLETTER_RATE_LIMIT = os.environ.get("NEWSLETTER_RATE_LIMIT", "5 per minute;20 per hour")
    # Answers to "Did you find what you were looking for?" per client address (those acted on).
    PAGE_FEEDBACK_RATE_LIMIT = os.environ.get("PAGE_FEEDBACK_RATE_LIMIT", "10 per minute;60 per hour")
    # Invitations are mailed to any address an organisation's administrator types: counted per inviter.
    INVITE_RATE_LIMIT = os.environ.get("INVITE_RATE_LIMIT", "10 per minute;50 per day")
    # Each request to join an organisation mails all its administrators: counted per person (the service also
    # allows 5 a day, counted in the database).
    JOIN_REQUEST_RATE_LIMIT = os.environ.get("JOIN_REQUEST_RATE_LIMIT", "5 per minute;20 per day")
    # Messages and new conversations a person may post (the service also keeps daily limits in the database).
    CONVERSATION_RATE_LIMIT = os.environ.get("CONVERSATION_RATE_LIMIT", "10 per minute;100 per hour")

    # Behind a reverse proxy or load balancer: how many proxies set X-Forwarded-For/-Proto. Without it every
    # client has the proxy's address, so one person's failed logins would lock everybody out. 0: no proxy
    # (the headers are then ignored, since anyone can send them).
    PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 0)

    # Security headers.
    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    HSTS = False

    # Outcomes of meetings: the second survey goes out this many days after an event's last day.
    OUTCOME_SECOND_SURVEY_DAYS = _int("OUTCOME_SECOND_SURVEY_DAYS", 120)

    # The scheduler's time budget per run (seconds); runs are jobs of the task queue ("schedules.run").
    SCHEDULER_TIME_LIMIT = _int("SCHEDULER_TIME_LIMIT", 60)
    # The personal agendas' PDF is compressed; tests switch it off to read the text in the file.
    AGENDA_PDF_COMPRESS = True

    # The matching engine proposes pairs scoring at least this (0-1); below it a pair shares next to nothing.
    MATCHES_MIN_SCORE = _float("MATCHES_MIN_SCORE", 0.02)
    # The shared matching index (services.matching.index) stores each item's K best counterparts; proposals
    # show up to 50, the rest is room for the viewer's filters.
    MATCHES_INDEX_K = _int("MATCHES_INDEX_K", 100)
    # A full refit is queued once this share of the items changed since the last fit, or this share of the
    # indexed words is unknown to the fitted vocabulary (they count for nothing until the refit).
    MATCHES_REFIT_CHANGED = _float("MATCHES_REFIT_CHANGED", 0.2)
    MATCHES_REFIT_UNKNOWN = _float("MATCHES_REFIT_UNKNOWN", 0.02)
    # A change queues that refit only once this many items changed since the fit (the upkeep job, every ten
    # minutes, refits a drifted small catalogue without waiting for them).
    MATCHES_REFIT_MIN_CHANGES = _int("MATCHES_REFIT_MIN_CHANGES", 50)
    # How often each Celery pool process checks for a newly served matching model to load in the background.
    MATCHES_MODEL_CHECK_SECONDS = _float("MATCHES_MODEL_CHECK_SECONDS", 10)
    # Each process keeps the HTML of this many proposal cards (matches.cards; about 4 KB each; 0: none).
    PROPOSAL_CARD_CACHE = _int("PROPOSAL_CARD_CACHE", 1024)
    # And of this many cards of the participant list (events.cards; about 1 KB each; 0: none).
    PARTICIPANT_CARD_CACHE = _int("PARTICIPANT_CARD_CACHE", 2048)
    # The home page's counts of published offerings and open needs are kept this long in each process.
    HOME_FIGURES_SECONDS = _int("HOME_FIGURES_SECONDS", 60)
    # Anti-spam: a public form sent sooner than this many seconds after it was shown is refused as a robot's.
    FORM_MIN_SECONDS = _float("FORM_MIN_SECONDS", 3)
    # The contact form also writes to this address (besides the platform's administrators).
    CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "")
    # GDPR: `flask newsletter purge` erases addresses unsubscribed (or unconfirmed) longer ago than this.
    NEWSLETTER_RETENTION_DAYS = _int("NEWSLETTER_RETENTION_DAYS", 365)
    # An announcement without progress for this long, whose job has given up, shows as interrupted and can be
    # resumed (a job whose worker died resumes by itself, without waiting for this).
    NEWSLETTER_STALL_MINUTES = _int("NEWSLETTER_STALL_MINUTES", 10)
    # `flask notifications purge` deletes in-app notifications older than this.
    NOTIFICATION_RETENTION_DAYS = _int("NOTIFICATION_RETENTION_DAYS", 365)
    # The day-before reminder (the personal agenda) goes out from this hour, event-local (Europe/Brussels).
    REMINDER_DAY_BEFORE_HOUR = _int("REMINDER_DAY_BEFORE_HOUR", 9)

    # The task queue (matchmaker/tasks). "celery": Celery workers and beat with Redis as the broker
    # (production; the default when a broker is configured); "thread": a thread pool in the web process, no
    # Redis (the embedded `make run`); "eager": each job runs right after the commit that stored it (tests).
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL
    TASK_MODE = os.environ.get("TASK_MODE") or ("celery" if CELERY_BROKER_URL else "thread")
    # Prefix of the queue's keys in Redis (several platforms, or the tests, can share one Redis).
    CELERY_KEY_PREFIX = os.environ.get("CELERY_KEY_PREFIX", "matchmaker:")
    # A running job's worker renews its lease every third of this; a job whose lease ran out (its worker died)
    # is run again by another worker.
    TASK_LEASE_SECONDS = _int("TASK_LEASE_SECONDS", 60)
    # A failed attempt is retried after this many seconds, doubling each time (at most an hour).
    TASK_RETRY_SECONDS = _int("TASK_RETRY_SECONDS", 30)
    # How often the sweeper looks for jobs to send again, and how long a queued job may wait for its message
    # before the sweeper sends another.
    TASK_SWEEP_SECONDS = _int("TASK_SWEEP_SECONDS", 15)
    TASK_REDISPATCH_SECONDS = _int("TASK_REDISPATCH_SECONDS", 60)
    # Redis gives an unacknowledged message (its worker died) to another worker after this long; the lease
    # above usually brings the job back sooner.
    TASK_VISIBILITY_TIMEOUT = _int("TASK_VISIBILITY_TIMEOUT", 3600)
    # The Celery worker's scheduling priority (Unix niceness, 0-19): on a host that also serves pages, the
    # background jobs (a publish's index refresh is half a second of CPU) take the CPU the web requests leave.
    WORKER_NICENESS = _int("WORKER_NICENESS", 5)
    # Threads running jobs in the embedded mode.
    TASK_THREADS = _int("TASK_THREADS", 2)
    # Finished jobs (and the files they produced) are deleted after this many days.
    TASK_RETENTION_DAYS = _int("TASK_RETENTION_DAYS", 30)
    # Re-raise a job's exception where it was dispatched (the tests' eager mode: a failing job fails the
    # test).
    TASKS_PROPAGATE = False

    PAGE_SIZE = 20
    DEMO_PASSWORD = "demo-demo-demo"  # noqa: S105 - the documented demo password
    DEMO_DATA_ALLOWED = _bool("DEMO_DATA_ALLOWED", True)


class DevelopmentConfig(Config):
    DEBUG = True


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MAIL_BACKEND = "memory"
    # Fast hashing keeps the suite quick; production uses scrypt (tested separately).
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a method name, not a password
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    WTF_CSRF_ENABLED = False
    SERVER_BASE_URL = "http://localhost"
    TASK_MODE = "eager"
    TASKS_PROPAGATE = True
    HOME_FIGURES_SECONDS = 0  # tests count what they just made (test_home checks the cache)


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-mm_session"  # __Host-: only over HTTPS, for this host only, path /
    REMEMBER_COOKIE_NAME = "__Host-mm_remember"
    HSTS = True
    PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 1)  # production runs behind a load balancer (DESIGN.md)
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    # The demo accounts' password is in the README: no demo data on a production platform unless asked.
    DEMO_DATA_ALLOWED = _bool("DEMO_DATA_ALLOWED", False)

    @classmethod
    def check(cls) -> None:
        if not cls.SECRET_KEY or cls.SECRET_KEY == DEV_SECRET_KEY or len(cls.SECRET_KEY) < 32:
            raise RuntimeError(
                "ProductionConfig refuses to start: "
                "set SECRET_KEY to a random value of at least 32 characters."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("MATCHMAKER_ENV", "development").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"MATCHMAKER_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
