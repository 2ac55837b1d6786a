"""Routes of the knowledge base and of support requests.

Public: the index (per procurement route, then per topic) and the articles, in the reader's language or in
another with a note; drafts answer 404 to everyone but editors. The editing area (/knowledge/manage) is for
knowledge editors and platform administrators (403 for others). Support requests (/knowledge/support) are seen
by the need's organisation and the network only (404 for anyone else).
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from matchmaker.auth.sessions import acting_user
from matchmaker.documents.routes import allow_large_uploads
from matchmaker.extensions import db
from matchmaker.forms import flash_refused, form_refused
from matchmaker.i18n import current_language
from matchmaker.knowledge import bp
from matchmaker.knowledge.forms import (
    LANGUAGE_NAMES,
    ActionForm,
    ArticleForm,
    SupportReplyForm,
    SupportRequestForm,
    TemplateForm,
)
from matchmaker.models import Article, Need
from matchmaker.models.knowledge import ARTICLE_LANGUAGES
from matchmaker.services import EditConflict, NotAllowed, NotFound, Refusal, documents, filetypes
from matchmaker.services import catalogue as catalogue_service
from matchmaker.services import knowledge as service
from matchmaker.services import support as support_service


@bp.app_template_global("knowledge_route_guide")
def route_guide(route: str | None) -> dict | None:
    """For a need's or a project's procurement route: the question a buyer asks and the guide that answers
    it (None when the route is not known yet or has no published guide)."""
    article = service.guide_for_route(route)
    if article is None:
        return None
    return {
        "question": str(service.ROUTE_QUESTIONS[route]),
        "url": url_for("knowledge.article", slug=article.slug),
        "article": article,
    }


bp.add_app_template_filter(service.topic_label, "knowledge_topic")
bp.add_app_template_filter(support_service.status_label, "support_status")


def _card(article: Article) -> dict:
    language = current_language()
    shown = article.shown(language)
    return {
        "article": article,
        "text": shown,
        "language": shown.language,
        "fallback": shown.language != language,
    }


# --- public ----------------------------------------------------------------------------------------------


@bp.get("/")
def index():
    shelf = service.shelf()
    return render_template(
        "knowledge/index.html",
        by_route=[
            (route, service.route_label(route), [_card(a) for a in found]) for route, found in shelf.by_route
        ],
        by_topic=[
            (topic, service.topic_label(topic), [_card(a) for a in found]) for topic, found in shelf.by_topic
        ],
        can_edit=service.can_edit(acting_user()),
    )


@bp.get("/<slug>")
def article(slug: str):
    found = service.visible_article(acting_user(), slug)
    if found is None:
        abort(404)
    language = current_language()
    shown = found.shown(language)
    return render_template(
        "knowledge/article.html",
        article=found,
        text=shown,
        body=service.render_body(shown.body),
        fallback=shown.language != language,
        language_names=LANGUAGE_NAMES,
        route_label=service.route_label(found.procurement_route),
        can_edit=service.can_edit(acting_user()),
        templates=service.templates_of(found, language),
        related=[
            _card(a)
            for a in service.published_articles()
            if a.id != found.id and (a.topic == found.topic or a.procurement_route is None)
        ][:5],
        # hreflang and the sitemap name only the languages the article is written in; a page that shows
        # another language than its address says (the fallback) is not indexed.
        seo_languages=found.language_list,
        seo_noindex=shown.language != language or not found.published,
    )


# --- the editors' area -----------------------------------------------------------------------------------


def _require_editor() -> None:
    if not service.can_edit(acting_user()):
        abort(403)


@bp.get("/manage")
@login_required
def manage():
    _require_editor()
    return render_template(
        "knowledge/manage.html",
        articles=service.all_articles(),
        languages=ARTICLE_LANGUAGES,
        open_requests=support_service.open_count(),
    )


def _choices(form: ArticleForm) -> None:
    form.topic.choices = [SelectChoice(code, str(label)) for code, label in service.TOPICS.items()]
    form.procurement_route.choices = [SelectChoice("", _("None: about several routes or none"))] + [
        SelectChoice(route, service.route_label(route)) for route in service.ROUTES
    ]


def _form_data(article: Article) -> dict:
    data = {
        "slug": article.slug,
        "topic": article.topic,
        "procurement_route": article.procurement_route or "",
        "position": article.position,
        "version": str(article.version),
    }
    for lang in ARTICLE_LANGUAGES:
        text = article.translation(lang)
        data[f"title_{lang}"] = text.title if text else ""
        data[f"summary_{lang}"] = text.summary if text else ""
        data[f"body_{lang}"] = text.body if text else ""
    return data


def _input(form: ArticleForm) -> service.ArticleInput:
    return service.ArticleInput(
        slug=form.slug.data or "",
        topic=form.topic.data,
        procurement_route=form.procurement_route.data or None,
        position=form.position.data or 0,
        translations={
            lang: service.TranslationInput(
                title=form[f"title_{lang}"].data or "",
                summary=form[f"summary_{lang}"].data or "",
                body=form[f"body_{lang}"].data or "",
            )
            for lang in ARTICLE_LANGUAGES
        },
    )


def _editor(form: ArticleForm, found: Article | None, status: int = 200, template_form=None, **extra):
    return (
        render_template(
            "knowledge/edit.html",
            form=form,
            article=found,
            language_names=LANGUAGE_NAMES,
            templates=service.templates_of(found) if found else [],
            template_form=template_form or TemplateForm(),
            action_form=ActionForm(),
            file_hint=_(
                "%(types)s, at most %(size)s. The type is checked from the file's content.",
                types=filetypes.accepted_list(),
                size=documents.size_label(documents.max_bytes()),
            ),
            **extra,
        ),
        status,
    )


def _wants_preview() -> bool:
    return request.method == "POST" and request.form.get("action") == "preview"


def _preview(form: ArticleForm) -> list[tuple[str, str, str, object]]:
    """(language, title, summary, rendered body) of the form's texts, not saved."""
    return [
        (
            lang,
            form[f"title_{lang}"].data or "",
            form[f"summary_{lang}"].data or "",
            service.render_body(form[f"body_{lang}"].data or ""),
        )
        for lang in ARTICLE_LANGUAGES
        if form[f"title_{lang}"].data or form[f"body_{lang}"].data
    ]


@bp.route("/manage/new", methods=["GET", "POST"])
@login_required
def new_article():
    _require_editor()
    form = ArticleForm()
    _choices(form)
    if _wants_preview():
        valid = form.validate()
        return _editor(form, None, 200 if valid else 422, preview=_preview(form))
    if form.validate_on_submit():
        try:
            created = service.create_article(acting_user(), _input(form))
        except Refusal as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The article is saved as a draft. Publish it when it is ready."), "success")
            return redirect(url_for(".edit_article", article_id=created.id))
    return _editor(form, None, 422 if form.is_submitted() else 200)


@bp.route("/manage/<int:article_id>/edit", methods=["GET", "POST"])
@login_required
def edit_article(article_id: int):
    _require_editor()
    found = db.get_or_404(Article, article_id)
    form = ArticleForm(data=_form_data(found) if request.method == "GET" else None)
    _choices(form)
    form.slug.data = found.slug  # the web address does not change (links point to it)
    if _wants_preview():
        valid = form.validate()
        return _editor(form, found, 200 if valid else 422, preview=_preview(form))
    if form.validate_on_submit():
        try:
            service.update_article(acting_user(), found, _input(form), form.version_number())
        except EditConflict as conflict:
            form_refused(form, conflict)
            form.version.data = str(found.version)
            return _editor(form, found, 409, conflict=True)
        except Refusal as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The article is saved."), "success")
            return redirect(url_for(".manage"))
    return _editor(form, found, 422 if form.is_submitted() else 200)


def _publish(article_id: int, published: bool):
    _require_editor()
    found = db.get_or_404(Article, article_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.set_published(acting_user(), found, published)
    except Refusal as refusal:
        flash_refused(refusal)
    else:
        title = found.shown(current_language()).title
        if published:
            flash(_("“%(title)s” is published.", title=title), "success")
        else:
            flash(_("“%(title)s” is no longer published.", title=title), "success")
    return redirect(url_for(".manage"))


@bp.post("/manage/<int:article_id>/publish")
@login_required
def publish_article(article_id: int):
    return _publish(article_id, True)


@bp.post("/manage/<int:article_id>/unpublish")
@login_required
def unpublish_article(article_id: int):
    return _publish(article_id, False)


allow_large_uploads(bp, "knowledge.add_template")


@bp.post("/manage/<int:article_id>/templates")
@login_required
def add_template(article_id: int):
    _require_editor()
    found = db.get_or_404(Article, article_id)
    template_form = TemplateForm()
    if template_form.validate_on_submit():
        try:
            service.attach_template(
                acting_user(),
                found,
                template_form.file.data,
                template_form.title.data,
                template_form.language.data,
            )
        except Refusal as refusal:
            form_refused(template_form, refusal, field="file")
        else:
            flash(_("The template is attached to the article."), "success")
            return redirect(url_for(".edit_article", article_id=found.id, _anchor="templates"))
    form = ArticleForm(data=_form_data(found))
    _choices(form)
    return _editor(form, found, 422, template_form=template_form)


@bp.post("/manage/<int:article_id>/templates/<int:template_id>/remove")
@login_required
def remove_template(article_id: int, template_id: int):
    _require_editor()
    found = db.get_or_404(Article, article_id)
    template = service.get_template(found, template_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    service.remove_template(acting_user(), found, template)
    flash(_("“%(title)s” is removed.", title=template.title), "success")
    return redirect(url_for(".edit_article", article_id=found.id, _anchor="templates"))


@bp.get("/manage/<int:article_id>/history")
@login_required
def article_history(article_id: int):
    _require_editor()
    found = db.get_or_404(Article, article_id)
    return render_template(
        "knowledge/history.html",
        article=found,
        revisions=service.revisions(found),
        language_names=LANGUAGE_NAMES,
    )


# --- support requests ------------------------------------------------------------------------------------


@bp.get("/support")
@login_required
def support_requests():
    user = acting_user()
    return render_template(
        "knowledge/support_list.html",
        requests=support_service.requests_of(user),
        is_network=service.can_edit(user),
    )


def _need_for_support(need_id: int) -> Need:
    need = db.get_or_404(Need, need_id)
    if not catalogue_service.can_view(acting_user(), need):
        abort(404)
    reason = support_service.why_not_ask(acting_user(), need)
    if reason is not None:
        raise NotAllowed(reason)
    return need


@bp.route("/support/ask/<int:need_id>", methods=["GET", "POST"])
@login_required
def ask(need_id: int):
    need = _need_for_support(need_id)
    form = SupportRequestForm()
    if request.method == "GET" and not form.subject.data:
        question = service.ROUTE_QUESTIONS.get(need.procurement_route)
        if question:
            form.subject.data = str(question)
    if form.validate_on_submit():
        try:
            created = support_service.ask_for_guidance(acting_user(), need, form.subject.data, form.body.data)
        except NotAllowed:
            raise
        except Refusal as refusal:
            form_refused(form, refusal)
        else:
            flash(
                _("Your question is sent to the knowledge network. You will be notified of the answer."),
                "success",
            )
            return redirect(url_for(".support_thread", request_id=created.id))
    return (
        render_template(
            "knowledge/support_new.html",
            form=form,
            need=need,
            guide=route_guide(need.procurement_route),
        ),
        422 if form.is_submitted() else 200,
    )


def _render_thread(found, form=None, status=200):
    user = acting_user()
    return (
        render_template(
            "knowledge/support_thread.html",
            support=found,
            form=form or SupportReplyForm(),
            action_form=ActionForm(),
            is_network=service.can_edit(user),
            guide=route_guide(found.need.procurement_route),
            need_visible=catalogue_service.can_view(user, found.need),
        ),
        status,
    )


@bp.get("/support/<int:request_id>")
@login_required
def support_thread(request_id: int):
    return _render_thread(support_service.get_request(acting_user(), request_id))


@bp.post("/support/<int:request_id>/reply")
@login_required
def support_reply(request_id: int):
    found = support_service.get_request(acting_user(), request_id)
    form = SupportReplyForm()
    if form.validate_on_submit():
        try:
            support_service.reply(acting_user(), found, form.body.data)
        except NotFound:
            raise
        except Refusal as refusal:
            form_refused(form, refusal)
        else:
            flash(_("Your message is sent."), "success")
            return redirect(url_for(".support_thread", request_id=found.id, _anchor="latest"))
    return _render_thread(found, form=form, status=422)


def _set_closed(request_id: int, closed: bool):
    found = support_service.get_request(acting_user(), request_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    support_service.set_closed(acting_user(), found, closed)
    flash(_("The request is closed.") if closed else _("The request is open again."), "success")
    return redirect(url_for(".support_thread", request_id=found.id))


@bp.post("/support/<int:request_id>/close")
@login_required
def support_close(request_id: int):
    return _set_closed(request_id, True)


@bp.post("/support/<int:request_id>/reopen")
@login_required
def support_reopen(request_id: int):
    return _set_closed(request_id, False)


@bp.app_template_global("knowledge_support_for")
def support_for(need: Need) -> dict:
    """On a need's page: whether the viewer may ask the network about it, and the requests they may see."""
    user = acting_user()
    return {
        "can_ask": support_service.why_not_ask(user, need) is None,
        "requests": support_service.requests_for_need(user, need),
    }


@bp.app_template_global("knowledge_article_url")
def article_url(slug: str) -> str | None:
    """The address of a published article (for links from other areas), None when it is not there."""
    article = service.get_article(slug)
    if article is None or not article.published or not article.language_list:
        return None
    return url_for("knowledge.article", slug=slug)
