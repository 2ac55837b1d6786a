"""The main navigation and the footer of every page, rendered once for what they show and kept (see
matchmaker.fragments).

The bar's items depend on the page's endpoint (which item is current) and on what the reader's account holds
(signed in, an organisation and whether it is a government's, the organizer and administrator roles): a few
hundred combinations, each rendered with some thirty links and labels. Each process keeps the last
NAV_KEPT of them, so a page pays a dictionary look-up instead of rendering the bar (0.4 ms of CPU).

The footer shows the same links and texts to every reader of a language: some twenty translated texts and ten
links a page, kept per language and language prefix."""

from __future__ import annotations

from typing import NamedTuple

from flask import current_app, get_template_attribute, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from matchmaker.fragments import Kept, page_key
from matchmaker.services import discard, menu

NAV_KEPT = 1024
FOOTERS_KEPT = 32  # languages x prefixes, with room for an app's second Jinja environment in tests


class Nav(NamedTuple):
    endpoint: str | None
    signed_in: bool
    has_organisation: bool
    government: bool
    organizes: bool  # an organizer or an administrator
    admin: bool


def nav_of(user, endpoint: str | None) -> Nav:
    if user is None or not user.is_authenticated:
        return Nav(endpoint, False, False, False, False, False)
    organisation = user.organisation
    return Nav(
        endpoint,
        True,
        organisation is not None,
        organisation is not None and organisation.is_government,
        user.has_role("organizer", "admin"),
        user.has_role("admin"),
    )


kept = Kept()


def main_navigation() -> Markup:
    """The navigation bar's items of this request (a template global)."""
    app = current_app._get_current_object()
    nav = nav_of(current_user, request.endpoint)
    render = get_template_attribute("partials/nav_items.html", "main_nav")
    if app.debug:  # a template being edited shows at once
        return render(nav)
    key = (nav, *page_key())
    return kept.rendered(key, NAV_KEPT, lambda: render(nav))


footers = Kept()


def site_footer() -> Markup:
    """The page's footer (a template global)."""
    app = current_app._get_current_object()
    render = get_template_attribute("partials/footer.html", "site_footer")
    if app.debug:  # a template being edited shows at once
        return render()
    return footers.rendered(page_key(), FOOTERS_KEPT, render)


_BADGES = "matchmaker.unread_badges"


def unread_badges() -> tuple[int, int]:
    """The menu's badges for the reader of this page: (unread notifications, unread messages), read once a
    page, when the menu asks (after the page's own changes, such as a conversation it marked read)."""
    if not current_user.is_authenticated:
        return 0, 0
    # Kept with the request, not on `g`: an application context can outlive a request (the tests' does).
    badges = request.environ.get(_BADGES)
    if badges is None:
        try:
            badges = menu.unread_counts(current_user._get_current_object())
        except SQLAlchemyError:  # never let the badges break a page (e.g. the 500 page itself)
            discard()
            badges = (0, 0)
        request.environ[_BADGES] = badges
    return badges
