"""Matchmaker: matchmaking for public procurement of innovation."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from config import Config, ProductionConfig, config_from_env

if TYPE_CHECKING:  # Flask is imported when an app is made, so the engines' packages start without it.
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    from flask import Flask

    config_class = config_class or config_from_env()
    if issubclass(config_class, ProductionConfig):
        config_class.check()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    Path(app.instance_path).mkdir(exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
    return app


def register_extensions(app: Flask) -> None:
    from matchmaker import i18n, security
    from matchmaker.extensions import csrf, db, limiter, login_manager, migrate
    from matchmaker.services import mail

    db.init_app(app)
    __import__("matchmaker.readonly", fromlist=["_"]).init_app(app)  # keeps psycopg's prepared statements
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    __import__("matchmaker.urllang", fromlist=["_"]).init_app(app)  # /nl/, /fr/, /en/ in front of every page
    security.init_app(app)
    __import__("matchmaker.routing", fromlist=["_"]).init_app(app)  # before the blueprints add their rules
    mail.init_app(app)
    __import__("matchmaker.static_files", fromlist=["_"]).init_app(app)  # hashed, compressed, cached a year
    __import__("matchmaker.tasks", fromlist=["_"]).init_app(app)

    from matchmaker import models  # noqa: F401  (register the models with the metadata)
    from matchmaker.auth import sessions

    login_manager.init_app(app)
    login_manager.user_loader(sessions.load_user)  # a login is a server-side session (services/user_sessions)
    sessions.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    # Flask-Login reads SESSION_PROTECTION from each app's configuration (config.py, default "basic").
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.needs_refresh_message = _l("Please log in again to continue.")


def register_blueprints(app: Flask) -> None:
    from matchmaker.account import bp as account_bp
    from matchmaker.admin import bp as admin_bp
    from matchmaker.auth import bp as auth_bp
    from matchmaker.catalogue import bp as catalogue_bp
    from matchmaker.organisations import bp as organisations_bp
    from matchmaker.pages import bp as pages_bp

    for bp in (pages_bp, auth_bp, account_bp, organisations_bp, admin_bp, catalogue_bp):
        app.register_blueprint(bp)
    app.register_blueprint(__import__("matchmaker.events", fromlist=["bp"]).bp)
    app.register_blueprint(__import__("matchmaker.notifications", fromlist=["bp"]).bp)
    app.register_blueprint(__import__("matchmaker.matches", fromlist=["bp"]).bp)
    for area in ("content", "charter", "newsletter"):  # the initiative's public side
        app.register_blueprint(__import__(f"matchmaker.{area}", fromlist=["bp"]).bp)
    app.register_blueprint(__import__("matchmaker.tracker", fromlist=["bp"]).bp)
    app.register_blueprint(__import__("matchmaker.outcomes", fromlist=["bp"]).bp)
    app.register_blueprint(__import__("matchmaker.agendas", fromlist=["bp"]).bp)
    app.register_blueprint(__import__("matchmaker.schedules", fromlist=["bp"]).bp)
    app.register_blueprint(__import__("matchmaker.checkin", fromlist=["bp"]).bp)
    app.register_blueprint(__import__("matchmaker.jobs", fromlist=["bp"]).bp)
    app.register_blueprint(__import__("matchmaker.conversations", fromlist=["bp"]).bp)
    app.register_blueprint(__import__("matchmaker.eventday", fromlist=["bp"]).bp)
    app.register_blueprint(__import__("matchmaker.documents", fromlist=["bp"]).bp)  # stored files
    app.register_blueprint(__import__("matchmaker.knowledge", fromlist=["bp"]).bp)  # guides, support requests
    app.register_blueprint(__import__("matchmaker.seo", fromlist=["bp"]).bp)  # robots.txt, sitemaps
    app.register_blueprint(__import__("matchmaker.page_feedback", fromlist=["bp"]).bp)  # issue 19


def register_errorhandlers(app: Flask) -> None:
    from matchmaker.errors import init_app

    init_app(app)


def register_commands(app: Flask) -> None:
    from matchmaker.cli import init_app

    init_app(app)


def register_template_helpers(app: Flask) -> None:
    from matchmaker.templating import init_app

    init_app(app)
