"""Routes of the public pages: the initiative's pages in the reader's language, events by theme, the contact
form, and the administrators' page editor (list, edit with a server-rendered preview, publish, unpublish).

Unpublished pages answer 404 to everyone but administrators. The editor is for platform administrators
only (403 for others).
"""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.content import bp
from matchmaker.content.forms import ActionForm, ContactForm, PageForm
from matchmaker.extensions import db, limiter
from matchmaker.forms import form_refused
from matchmaker.i18n import current_language
from matchmaker.models import Page
from matchmaker.models.content import PAGE_LANGUAGES
from matchmaker.services import EditConflict, ServiceError, antispam
from matchmaker.services import charter as charter_service
from matchmaker.services import contact as contact_service
from matchmaker.services import content as service
from matchmaker.services import newsletter as newsletter_service


def page_url(page: Page) -> str:
    endpoint = service.SPECIAL_ENDPOINTS.get(page.slug)
    return url_for(endpoint) if endpoint else url_for("content.page", slug=page.slug)


bp.add_app_template_global(page_url, "content_page_url")
bp.add_app_template_global(service.published_pages, "content_menu")


def page_view(page: Page | None) -> dict:
    """What the page templates need to show a page's text in the reader's language (or in Dutch)."""
    language = current_language()
    if page is None:
        return {"page": None}
    shown = page.shown_language(language)
    return {
        "page": page,
        "page_title": page.title(language),
        "page_body": service.render_page_body(page.body(language)),
        "page_language": shown,
        "page_fallback": shown != language,
        "can_edit_page": service.can_edit_pages(acting_user()),
    }


def visible_page(slug: str) -> Page | None:
    """The page to show for a slug: published ones to everyone, the others to administrators only."""
    page = service.get_page(slug)
    if page is None or (not page.published and not service.can_edit_pages(acting_user())):
        return None
    return page


# --- public ------------------------------------------------------------------------------------------


@bp.get("/initiative")
def index():
    language = current_language()
    pages = service.published_pages()
    return render_template(
        "content/index.html",
        pages=[(p, p.title(language)) for p in pages],
        can_edit_page=service.can_edit_pages(acting_user()),
    )


@bp.get("/initiative/<slug>")
def page(slug: str):
    found = visible_page(slug)
    if found is None:
        abort(404)
    if found.slug in service.SPECIAL_ENDPOINTS:
        return redirect(page_url(found))
    context = page_view(found)
    # Alternates name only the languages the page is written in; shown in Dutch under another language's
    # address, it is that language's page in name only: not indexed (its links are still followed).
    context.update(seo_languages=found.languages(), seo_noindex=context["page_fallback"])
    return render_template("content/page.html", **context)


@bp.get("/initiative/events-by-theme")
def events_by_theme():
    return render_template("content/events_by_theme.html", groups=service.events_by_theme())


def _contact_limit() -> str:
    return current_app.config["CONTACT_RATE_LIMIT"]


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit(_contact_limit, methods=["POST"], deduct_when=antispam.counts_against_limit)
@limiter.limit(antispam.attempt_limit, methods=["POST"], key_func=antispam.attempt_key)
def contact():
    form = ContactForm()
    if request.method == "GET" and current_user.is_authenticated:
        form.name.data = current_user.display_name
        form.email.data = current_user.email
    context = page_view(visible_page(service.CONTACT))
    if form.is_submitted():
        verdict = form.spam_verdict()
        if verdict == antispam.Verdict.BOT:
            # Answer as if it worked: a bot learns nothing. Nothing is sent.
            return redirect(url_for(".contact_sent"))
        valid = form.validate()
        if verdict != antispam.Verdict.OK:
            form.form_errors.append(antispam.refusal_message(verdict))
        elif valid:
            if not form.spend_stamp():
                # This form was sent already (a replay, a double click): answered as before, nothing is sent.
                return redirect(url_for(".contact_sent"))
            try:
                contact_service.send_contact_message(
                    form.name.data, form.email.data, form.message.data, current_language()
                )
            except ServiceError as refusal:
                form_refused(form, refusal)
            else:
                return redirect(url_for(".contact_sent"))
    form.stamp()
    status = 422 if form.is_submitted() else 200
    return render_template("content/contact.html", form=form, **context), status


@bp.get("/contact/sent")
def contact_sent():
    return render_template("content/contact_sent.html")


# --- administrators ----------------------------------------------------------------------------------


def _require_editor() -> None:
    if not service.can_edit_pages(acting_user()):
        abort(403)


@bp.get("/admin/pages")
@login_required
def admin_pages():
    _require_editor()
    return render_template(
        "content/admin_pages.html",
        pages=service.all_pages(),
        action_form=ActionForm(),
        languages=PAGE_LANGUAGES,
        subscribers=newsletter_service.subscriber_counts(),
        signatories=charter_service.signatory_count(),
    )


def _form_data(page: Page) -> dict:
    data = {"position": page.position, "version": str(page.version), "slug": page.slug}
    for lang in PAGE_LANGUAGES:
        data[f"title_{lang}"] = getattr(page, f"title_{lang}")
        data[f"body_{lang}"] = getattr(page, f"body_{lang}")
    return data


def _input(form: PageForm) -> service.PageInput:
    return service.PageInput(
        titles={lang: getattr(form, f"title_{lang}").data for lang in PAGE_LANGUAGES},
        bodies={lang: getattr(form, f"body_{lang}").data for lang in PAGE_LANGUAGES},
        position=form.position.data or 0,
    )


def _preview(form: PageForm) -> list[tuple[str, str, object]]:
    return [
        (
            lang,
            getattr(form, f"title_{lang}").data or "",
            service.render_page_body(getattr(form, f"body_{lang}").data),
        )
        for lang in PAGE_LANGUAGES
    ]


def _wants_preview() -> bool:
    return request.method == "POST" and request.form.get("action") == "preview"


def _editor(form: PageForm, page: Page | None, status: int = 200, **extra):
    saved = None
    if extra.get("conflict") and page is not None:
        saved = [
            (lang, getattr(page, f"title_{lang}"), service.render_page_body(getattr(page, f"body_{lang}")))
            for lang in PAGE_LANGUAGES
        ]
    return render_template("content/admin_edit.html", form=form, page=page, saved=saved, **extra), status


@bp.route("/admin/pages/new", methods=["GET", "POST"])
@login_required
def admin_new_page():
    _require_editor()
    form = PageForm()
    if _wants_preview():
        valid = form.validate()
        return _editor(form, None, 200 if valid else 422, preview=_preview(form))
    if form.validate_on_submit():
        try:
            page = service.create_page(acting_user(), form.slug.data, _input(form))
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The page is created. It is not published yet."), "success")
            return redirect(url_for(".admin_edit_page", page_id=page.id))
    return _editor(form, None, 422 if form.is_submitted() else 200)


@bp.route("/admin/pages/<int:page_id>/edit", methods=["GET", "POST"])
@login_required
def admin_edit_page(page_id: int):
    _require_editor()
    page = db.get_or_404(Page, page_id)
    form = PageForm(data=_form_data(page) if request.method == "GET" else None)
    form.slug.data = page.slug  # the web address of an existing page does not change (links point to it)
    if _wants_preview():
        valid = form.validate()
        return _editor(form, page, 200 if valid else 422, preview=_preview(form))
    if form.validate_on_submit():
        try:
            service.update_page(acting_user(), page, _input(form), form.version_number())
        except EditConflict as conflict:
            form_refused(form, conflict)  # the rollback reloads the page as the other person saved it
            form.version.data = str(page.version)
            return _editor(form, page, 409, conflict=True)
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The page is saved."), "success")
            return redirect(url_for(".admin_pages"))
    return _editor(form, page, 422 if form.is_submitted() else 200)


def _publish(page_id: int, published: bool):
    _require_editor()
    page = db.get_or_404(Page, page_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    service.set_published(acting_user(), page, published)
    if published:
        flash(_("“%(title)s” is published.", title=page.title_nl), "success")
    else:
        flash(_("“%(title)s” is no longer published.", title=page.title_nl), "success")
    return redirect(url_for(".admin_pages"))


@bp.post("/admin/pages/<int:page_id>/publish")
@login_required
def admin_publish_page(page_id: int):
    return _publish(page_id, True)


@bp.post("/admin/pages/<int:page_id>/unpublish")
@login_required
def admin_unpublish_page(page_id: int):
    return _publish(page_id, False)
