"""Template globals and filters."""

from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime

from matchmaker.i18n import LANGUAGE_NAMES, current_language


def url_for_page(page: int) -> str:
    """The current URL with another page number, keeping the other query parameters."""
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    __import__("matchmaker.vocab").vocab.init_app(app)  # labels of enum codes as filters
    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_language=current_language,
        url_for_page=url_for_page,
    )
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = (
        lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    )
