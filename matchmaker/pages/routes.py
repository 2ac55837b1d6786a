"""Public pages and the language switch."""

from urllib.parse import urlsplit

from flask import abort, redirect, render_template, request, session, url_for
from flask_login import current_user

from matchmaker.auth.sessions import acting_user
from matchmaker.extensions import db
from matchmaker.i18n import current_language
from matchmaker.links import safe_next
from matchmaker.navigation import unread_badges
from matchmaker.pages import bp
from matchmaker.pages.forms import LanguageForm
from matchmaker.services import item_actions
from matchmaker.services.home import home_figures, next_steps
from matchmaker.services.search import MAX_QUERY_LENGTH
from matchmaker.services.site_search import page_title, search_site
from matchmaker.urllang import in_language, root_without_language


@bp.get("/")
def home():
    if current_user.is_authenticated:
        # A logged-in user came to work: what waits for them, by role, instead of the marketing page.
        # The menu's badges (one statement, kept for the request) give the next steps their unread messages.
        steps = next_steps(acting_user(), unread_messages=unread_badges()[1])
        return render_template("pages/next_steps.html", steps=steps)
    # What is on the platform now and the next meet & greets: a visitor sees at once that it is alive.
    figures = home_figures(logged_in=current_user.is_authenticated)
    return render_template("pages/home.html", figures=figures, upcoming_events=figures.upcoming_events)


@bp.get("/search")
def search():
    """The header's search box: offerings, needs, organisations, events, guides and pages, grouped by kind."""
    q = (request.args.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    language = current_language()
    results = search_site(q, acting_user(), language)
    items = [item for group in results.groups if group.kind in ("offering", "need") for item in group.items]
    return render_template(
        "pages/search.html",
        q=q,
        results=results,
        page_title=page_title,
        guide_url=lambda guide: _in_reader_language(language, url_for("knowledge.article", slug=guide.slug)),
        items=items,
        actions=item_actions.card_actions(acting_user(), items),
    )


def _in_reader_language(language: str, url: str) -> str:
    """A link of this request (`url_for`: under the request's root and prefix, if any) under the reader's
    language prefix: a search from an address without prefix links to the guide in the language it showed."""
    return in_language(language, url[len(request.script_root) :])


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    language = form.language.data
    session["language"] = language
    if current_user.is_authenticated:
        current_user.language = language
        db.session.commit()
    # The same page under the new language's prefix (issue 18): `next` is the page's path on the site (without
    # prefix); the Referer's path may hold the site's root and the old prefix, which `in_language` replaces.
    came_from = request.referrer and urlsplit(request.referrer).path
    root = root_without_language()
    if came_from and root and came_from.startswith(root + "/"):
        came_from = came_from[len(root) :]
    return redirect(in_language(language, safe_next(form.next.data or came_from, "/")))


@bp.get("/healthz")
def health():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
