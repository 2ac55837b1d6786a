"""Template globals and filters."""

from flask import Flask, request, url_for
from flask.globals import _cv_request
from flask_babel import format_date, format_datetime
from markupsafe import Markup

from matchmaker.i18n import LANGUAGE_NAMES, current_language
from matchmaker.navigation import main_navigation, site_footer
from matchmaker.services.event_rules import shown_status


def url_for_page(page: int) -> str:
    """The current URL with another page number, keeping the other query parameters."""
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


_MARK = 9_000_000_000  # stands for the n-th value of a link while its pattern is learnt: _MARK + n
_patterns: dict[tuple, str | None] = {}


def template_url_for(endpoint: str, **values) -> str:
    """`url_for` for templates: a link without values (the navigation's) or whose values are all integers (a
    need's page, a proposal's form) is filled into the pattern learnt from `url_for` the first time, a
    microsecond instead of five for a walk of the URL map (a proposals page builds 300 links). Anything else
    goes to `url_for` itself."""
    if endpoint[0] == ".":
        return url_for(endpoint, **values)
    for value in values.values():
        if type(value) is not int:
            return url_for(endpoint, **values)
    context = _cv_request.get(None)  # the request's own root path (SCRIPT_NAME) is part of the link
    key = (context.request.root_path if context is not None else None, endpoint, *values)
    pattern = _patterns.get(key, False)
    if pattern is False:
        pattern = _learn(endpoint, values)
        if len(_patterns) < 5000:
            _patterns[key] = pattern
    return url_for(endpoint, **values) if pattern is None else pattern.format(*values.values())


def _learn(endpoint: str, values: dict) -> str | None:
    built = url_for(endpoint, **{name: _MARK + n for n, name in enumerate(values)})
    pattern = built.replace("{", "{{").replace("}", "}}")
    for n in range(len(values)):
        mark = str(_MARK + n)
        if built.count(mark) != 1:
            return None
        pattern = pattern.replace(mark, f"{{{n}}}")
    return pattern


def lang_attr(item) -> Markup:
    """` lang="en"` for an offering's or need's own text when it is written in another language than the page
    (WCAG 3.1.2: a screen reader then reads it with the right voice); nothing when they agree."""
    language = getattr(item, "language", None)
    if not language or language == current_language():
        return Markup("")
    return Markup(' lang="%s"') % language


def utc_attr(value) -> str:
    """A stored moment (naive, in UTC) for a <time datetime> attribute: to the second, marked Z. HTML allows
    at most three decimals of a second; isoformat() wrote six."""
    return value.replace(microsecond=0).isoformat() + "Z" if value else ""


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    __import__("matchmaker.vocab").vocab.init_app(app)  # labels of enum codes as filters
    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_language=current_language,
        url_for_page=url_for_page,
        url_for=template_url_for,
        shown_event_status=shown_status,
        lang_attr=lang_attr,
        main_navigation=main_navigation,
        site_footer=site_footer,
    )
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.filters["utc_attr"] = utc_attr
