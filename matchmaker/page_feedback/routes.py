"""Routes of "Did you find what you were looking for?" and the helpers that put it, and "Share this page", at
the foot of the public pages (templates/partials/page_tools.html, included by base.html).

The answer is a plain form POST that returns to the page, where the question makes way for a thank-you; the
script in static/js/app.js sends the same form with fetch and shows the thank-you without leaving the page
(it asks for JSON). Spam traps as on the contact form: a honeypot, a signed one-use time stamp and rate
limits. The overview, a page's answers and the CSV export are for platform administrators (403 for others).
"""

from urllib.parse import quote

from flask import (
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2 import pass_context
from markupsafe import Markup

from matchmaker.csvfiles import csv_stream_response
from matchmaker.extensions import limiter
from matchmaker.i18n import current_language
from matchmaker.links import base_url, safe_next
from matchmaker.models import EventStatus, Role
from matchmaker.page_feedback import bp
from matchmaker.page_feedback.forms import PageFeedbackForm
from matchmaker.services import Invalid, antispam
from matchmaker.services import page_feedback as service

THANKS = "page_feedback_thanks"  # session: the path of the page answered last (the thank-you shows there)
ANCHOR = "#page-feedback"


def _is_error_page(context) -> bool:
    status = context.get("status")
    return context.get("error") is not None or (isinstance(status, int) and status >= 400)


@pass_context
def page_feedback_widget(context) -> dict | None:
    """What the question at the foot of the page needs, or None where it is not asked (forms, error pages,
    pages behind a login, the administration)."""
    if request.method != "GET" or not service.asked_on(request.endpoint) or _is_error_page(context):
        return None
    thanks = session.pop(THANKS, None) == request.path
    return {
        "thanks": thanks,
        "page": request.full_path.rstrip("?"),
        "stamp": None if thanks else antispam.make_stamp(),
    }


# --- share this page ---------------------------------------------------------------------------------------

# The pages worth sharing, with the template variable whose object must be public for the page to be shared.
SHARED_ON = {
    "catalogue.offering": "offering",
    "catalogue.need": "need",
    "events.detail": "event",
    "content.page": "page",
    "content.events_by_theme": None,
    "charter.index": None,
    "knowledge.index": None,
    "knowledge.article": "article",
}


def _public(name: str | None, item) -> bool:
    if name is None:
        return True
    if item is None:
        return False
    if name == "event":
        return item.status != EventStatus.DRAFT
    if name in ("page", "article"):
        return bool(item.published)
    return bool(item.is_public) and not getattr(item, "registered_only", False)


@pass_context
def share_links(context) -> dict | None:
    """The page's address in the reader's language (/nl/..., as its canonical link says) and plain links to
    share it by mail, on LinkedIn and on X: no script of theirs, no tracking parameter. None on pages that are
    not worth sharing or not public (a draft, a need for registered users only)."""
    name = SHARED_ON.get(request.endpoint or "", False)
    if name is False or request.method != "GET" or _is_error_page(context):
        return None
    if not _public(name, context.get(name) if name else None):
        return None
    url = f"{base_url()}/{current_language()}{request.path}"
    # The title block as rendered (escaped HTML), made plain text again.
    title = Markup(context.get("page_title_text") or "").striptags() or "Matchmaker"  # noqa: S704
    link = quote(url, safe="")
    body = f"{title}\n\n{url}"
    return {
        "url": url,
        "mail": f"mailto:?subject={quote(title, safe='')}&body={quote(body, safe='')}",
        "linkedin": f"https://www.linkedin.com/sharing/share-offsite/?url={link}",
        "x": f"https://x.com/intent/post?url={link}&text={quote(title, safe='')}",
    }


bp.add_app_template_global(page_feedback_widget)
bp.add_app_template_global(share_links)


# --- the answer ----------------------------------------------------------------------------------------


def _feedback_limit() -> str:
    return current_app.config["PAGE_FEEDBACK_RATE_LIMIT"]


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _thanked(form: PageFeedbackForm):
    message = _("Thank you for your answer.")
    if _wants_json():
        return jsonify(ok=True, message=message)
    session[THANKS] = service.page_path(form.page.data)
    back = safe_next(form.page.data, "/")
    return redirect(request.script_root + back + ANCHOR)


def _refused(form: PageFeedbackForm, message: str):
    """The form again, with what was written and why it was not taken (422: does not count against the
    rate limit, like the contact form's refusals)."""
    if _wants_json():
        return jsonify(ok=False, message=message), 422
    form.stamp()
    back = safe_next(form.page.data, "/")
    return render_template("page_feedback/refused.html", form=form, message=message, back=back), 422


@bp.post("/feedback")
@limiter.limit(_feedback_limit, methods=["POST"], deduct_when=antispam.counts_against_limit)
@limiter.limit(antispam.attempt_limit, methods=["POST"], key_func=antispam.attempt_key)
def submit():
    form = PageFeedbackForm()
    verdict = form.spam_verdict()
    if verdict == antispam.Verdict.BOT:
        return _thanked(form)  # a robot is told it worked; nothing is stored
    if verdict != antispam.Verdict.OK:
        return _refused(form, antispam.refusal_message(verdict))
    if not form.validate():
        errors = [str(message) for field in (form.answer, form.comment) for message in field.errors]
        return _refused(form, " ".join(errors) or _("Choose yes or no."))
    if service.page_path(form.page.data) is None:
        return _refused(form, _("Answers are only taken for the public pages of this site."))
    if not form.spend_stamp():
        return _thanked(form)  # sent before (a double click): answered as the first time, stored once
    try:
        service.record_answer(form.page.data, current_language(), form.answer.data, form.comment.data)
    except Invalid as refusal:
        return _refused(form, refusal.message)
    return _thanked(form)


# --- administrators --------------------------------------------------------------------------------------


def _require_admin() -> None:
    if not current_user.has_role(Role.ADMIN):
        abort(403)


@bp.get("/admin/feedback")
@login_required
def overview():
    _require_admin()
    month = service.parse_month(request.args.get("month"))
    return render_template(
        "page_feedback/overview.html",
        pages=service.worst_pages(month),
        months=service.months(),
        month=month,
    )


@bp.get("/admin/feedback/page")
@login_required
def page_answers():
    _require_admin()
    path = service.page_path(request.args.get("path"))
    if path is None:
        abort(404)
    number = request.args.get("page", 1, type=int) or 1
    return render_template(
        "page_feedback/page.html",
        path=path,
        by_month=service.page_by_month(path),
        comments=service.page_comments(path, number, current_app.config["PAGE_SIZE"]),
    )


@bp.get("/admin/feedback/answers.csv")
@login_required
def export():
    _require_admin()
    month = service.parse_month(request.args.get("month"))
    name = f"page-feedback-{month:%Y-%m}.csv" if month else "page-feedback.csv"
    return csv_stream_response(service.export_csv_chunks(month), name)
