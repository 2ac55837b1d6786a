"""Language selection: the URL's prefix (/nl/, /fr/, /en/: matchmaker.urllang), then the user's saved choice,
then the session, then the browser, then Dutch."""

from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

from matchmaker.extensions import babel
from matchmaker.urllang import url_language

LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background work use the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    in_url = url_language()
    if in_url in languages:
        return in_url
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def current_catalogue():
    """The translations of the current locale, looked up once per request and locale.

    Flask-Babel looks the catalogue up again on every call (about 8 microseconds: the locale's identifier is
    rebuilt each time), and a page of 50 proposals translates some 650 strings. The catalogue is kept beside
    Flask-Babel's own state, keyed by its locale object: `force_locale` (mails in the recipient's language)
    sets another locale object, so the next call looks the catalogue up again."""
    try:
        state = g._flask_babel
    except (AttributeError, RuntimeError):  # first call of the request, or outside any application context
        return get_translations()
    kept = getattr(state, "matchmaker_catalogue", None)
    locale = getattr(state, "babel_locale", None)
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    state.matchmaker_catalogue = (getattr(state, "babel_locale", None), translations)
    return translations


# The templates' `_`, `gettext` and `ngettext` with Jinja's "new style" semantics (the translation is a
# %-format string filled with the keyword arguments, escaped when the template autoescapes), called directly
# instead of through Jinja's alias and Flask-Babel's lookup. (The catalogue cannot be kept on the evaluation
# context: an imported macro module, and its context, is shared by every rendering in every language.)
@pass_eval_context
def template_gettext(eval_ctx, string: str, **variables):
    rv = current_catalogue().ugettext(string)
    if eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 - the catalogue is ours; the arguments are escaped by %
    return rv % variables if variables or "%" in rv else rv


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables):
    variables.setdefault("num", num)
    rv = current_catalogue().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 - the catalogue is ours; the arguments are escaped by %
    return rv % variables


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
