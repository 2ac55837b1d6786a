"""Public pages and the language switch."""

from urllib.parse import urlsplit

from flask import abort, redirect, render_template, request, session, url_for
from flask_login import current_user

from matchmaker.auth.sessions import acting_user
from matchmaker.extensions import db
from matchmaker.i18n import current_language
from matchmaker.links import safe_next
from matchmaker.pages import bp
from matchmaker.pages.forms import LanguageForm
from matchmaker.services.home import home_figures, next_steps
from matchmaker.services.search import MAX_QUERY_LENGTH
from matchmaker.services.site_search import page_title, search_site


@bp.get("/")
def home():
    if current_user.is_authenticated:
        # A logged-in user came to work: what waits for them, by role, instead of the marketing page.
        return render_template("pages/next_steps.html", steps=next_steps(acting_user()))
    # What is on the platform now and the next meet & greets: a visitor sees at once that it is alive.
    figures = home_figures(logged_in=current_user.is_authenticated)
    return render_template("pages/home.html", figures=figures, upcoming_events=figures.upcoming_events)


@bp.get("/search")
def search():
    """The header's search box: offerings, needs, organisations, events and pages, grouped by kind."""
    q = (request.args.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    results = search_site(q, acting_user(), current_language())
    return render_template("pages/search.html", q=q, results=results, page_title=page_title)


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
    came_from = request.referrer and urlsplit(request.referrer).path
    return redirect(safe_next(form.next.data or came_from, url_for("pages.home")))


@bp.get("/healthz")
def health():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
