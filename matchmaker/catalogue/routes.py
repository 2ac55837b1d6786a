"""Routes of the catalogue: my offerings and needs, their forms with preview, detail pages, life-cycle
buttons, the CPV autocomplete endpoint and theme management.

Object routes check access first: an item the user may not see is a 404 (drafts do not reveal that they
exist), an item the user may see but not change is a 403. The rules live in services.catalogue.
"""

from functools import wraps

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.auth.sessions import acting_user
from matchmaker.catalogue import bp
from matchmaker.catalogue.forms import ActionForm, NeedForm, OfferingForm, ThemeForm
from matchmaker.extensions import db, login_manager
from matchmaker.forms import flash_refused, form_refused
from matchmaker.i18n import current_language
from matchmaker.models import Need, Offering, Theme
from matchmaker.routing import parse_int
from matchmaker.services import EditConflict, ServiceError, conversations, item_actions, matching
from matchmaker.services import catalogue as service
from matchmaker.services import cpv as cpv_service
from matchmaker.services import themes as themes_service


def _form_status(form) -> int:
    """A submitted form shown again with its errors answers 422, as in every other area."""
    return 422 if form.is_submitted() else 200


def members_only(view):
    """Pages ask anonymous visitors to log in; writes from anonymous visitors are refused outright."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            if request.method == "GET":
                return login_manager.unauthorized()
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _editable(model, item_id: int):
    item = db.get_or_404(model, item_id)
    if not service.can_view(acting_user(), item):
        abort(404)
    if not service.can_edit(acting_user(), item):
        abort(403)
    return item


def _wants_preview() -> bool:
    return request.method == "POST" and request.form.get("action") == "preview"


def _selected_cpv(form) -> list[dict]:
    known, _unknown = cpv_service.parse_codes(form.cpv_codes.data or "")
    return [cpv_service.describe(code, current_language()) for code in known[: cpv_service.MAX_CODES]]


def _theme_choices(form, current: list[Theme]) -> None:
    themes = themes_service.list_themes(active_only=True)
    themes += [t for t in current if t not in themes]
    form.set_theme_choices(themes, current_language())


def _no_organisation_redirect():
    flash(_("Register your organisation or join one first."), "info")
    return redirect(url_for("organisations.mine"))


# --------------------------------------------------------------------------------------------------
# Offerings


@bp.get("/offerings/mine")
@members_only
def my_offerings():
    organisation = current_user.organisation
    if organisation is None:
        return _no_organisation_redirect()
    if organisation.is_government:
        return redirect(url_for(".my_needs"))
    return render_template(
        "catalogue/my_offerings.html", organisation=organisation, offerings=service.offerings_of(organisation)
    )


def _offering_form_data(offering: Offering) -> dict:
    return {
        "title": offering.title,
        "summary": offering.summary,
        "description": offering.description,
        "innovation_type": offering.innovation_type,
        "trl": str(offering.trl) if offering.trl else "",
        "keywords": offering.keywords,
        "language": offering.language,
        "reference_projects": offering.reference_projects,
        "links": offering.links,
        "themes": [t.id for t in offering.themes],
        "cpv_codes": ", ".join(offering.cpv_codes),
        "version": str(offering.version),
    }


def _render_offering_form(form, offering=None, preview=False, conflict=False):
    return render_template(
        "catalogue/offering_form.html",
        form=form,
        offering=offering,
        preview=preview,
        conflict=conflict,
        cpv_selected=_selected_cpv(form),
    )


@bp.route("/offerings/new", methods=["GET", "POST"])
@members_only
def new_offering():
    if current_user.organisation is None:
        return _no_organisation_redirect()
    if not service.can_create_offering(acting_user()):
        abort(403)
    form = OfferingForm(data={"language": current_language()} if request.method == "GET" else None)
    _theme_choices(form, [])
    if _wants_preview():
        form.validate()
        return _render_offering_form(form, preview=True)
    if form.validate_on_submit():
        try:
            offering = service.create_offering(acting_user(), form.to_input())
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("Your offering is saved as a draft. Publish it when it is ready."), "success")
            return redirect(url_for(".offering", offering_id=offering.id))
    return _render_offering_form(form), _form_status(form)


@bp.get("/offerings/<int:offering_id>")
def offering(offering_id: int):
    item = db.get_or_404(Offering, offering_id)
    if not service.can_view(acting_user(), item):
        abort(404)
    return render_template(
        "catalogue/offering_detail.html",
        offering=item,
        can_edit=service.can_edit(acting_user(), item),
        meeting=item_actions.meeting_target_for(acting_user(), item),
        item_proposals=matching.proposals_about(acting_user(), item),
        actions=service.allowed_actions(item),
        action_form=ActionForm(),
    )


@bp.route("/offerings/<int:offering_id>/edit", methods=["GET", "POST"])
@members_only
def edit_offering(offering_id: int):
    item = _editable(Offering, offering_id)
    form = OfferingForm(data=_offering_form_data(item) if request.method == "GET" else None)
    _theme_choices(form, item.themes)
    if _wants_preview():
        form.validate()
        return _render_offering_form(form, offering=item, preview=True)
    if form.validate_on_submit():
        try:
            service.update_offering(acting_user(), item, form.to_input(), form.version_number())
        except EditConflict as conflict:
            form_refused(form, conflict)  # the rollback reloads the item as the other person saved it
            form.version.data = str(item.version)
            return _render_offering_form(form, offering=item, conflict=True), 409
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for(".offering", offering_id=item.id))
    return _render_offering_form(form, offering=item), _form_status(form)


def _offering_action(offering_id: int, verb, done: str):
    item = _editable(Offering, offering_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        verb(acting_user(), item)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        flash(done, "success")
    return redirect(url_for(".offering", offering_id=item.id))


@bp.post("/offerings/<int:offering_id>/publish")
@members_only
def publish_offering(offering_id: int):
    return _offering_action(offering_id, service.publish_offering, _("The offering is published."))


@bp.post("/offerings/<int:offering_id>/unpublish")
@members_only
def unpublish_offering(offering_id: int):
    return _offering_action(
        offering_id,
        service.unpublish_offering,
        _("The offering is a draft again: only your organisation sees it."),
    )


@bp.post("/offerings/<int:offering_id>/archive")
@members_only
def archive_offering(offering_id: int):
    return _offering_action(offering_id, service.archive_offering, _("The offering is archived."))


@bp.post("/offerings/<int:offering_id>/restore")
@members_only
def restore_offering(offering_id: int):
    return _offering_action(offering_id, service.restore_offering, _("The offering is restored as a draft."))


# --------------------------------------------------------------------------------------------------
# Needs


@bp.get("/needs/mine")
@members_only
def my_needs():
    organisation = current_user.organisation
    if organisation is None:
        return _no_organisation_redirect()
    if not organisation.is_government:
        return redirect(url_for(".my_offerings"))
    return render_template(
        "catalogue/my_needs.html", organisation=organisation, needs=service.needs_of(organisation)
    )


def _need_form_data(need: Need) -> dict:
    return {
        "title": need.title,
        "summary": need.summary,
        "challenge": need.challenge,
        "expected_outcome": need.expected_outcome,
        "keywords": need.keywords,
        "budget_min": need.budget_min,
        "budget_max": need.budget_max,
        "deadline": need.deadline,
        "procurement_route": need.procurement_route,
        "language": need.language,
        "registered_only": need.registered_only,
        "question_mode": conversations.question_mode(need),
        "themes": [t.id for t in need.themes],
        "cpv_codes": ", ".join(need.cpv_codes),
        "version": str(need.version),
    }


def _render_need_form(form, need=None, preview=False, conflict=False):
    return render_template(
        "catalogue/need_form.html",
        form=form,
        need=need,
        preview=preview,
        conflict=conflict,
        cpv_selected=_selected_cpv(form),
    )


@bp.route("/needs/new", methods=["GET", "POST"])
@members_only
def new_need():
    if current_user.organisation is None:
        return _no_organisation_redirect()
    if not service.can_create_need(acting_user()):
        abort(403)
    form = NeedForm(
        data={"language": current_language(), "question_mode": "private"} if request.method == "GET" else None
    )
    _theme_choices(form, [])
    if _wants_preview():
        form.validate()
        return _render_need_form(form, preview=True)
    if form.validate_on_submit():
        try:
            need = service.create_need(acting_user(), form.to_input())
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("Your need is saved as a draft. Open it when it is ready."), "success")
            return redirect(url_for(".need", need_id=need.id))
    return _render_need_form(form), _form_status(form)


@bp.get("/needs/<int:need_id>")
def need(need_id: int):
    item = db.get_or_404(Need, need_id)
    if item.is_public and item.registered_only and not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not service.can_view(acting_user(), item):
        abort(404)
    return render_template(
        "catalogue/need_detail.html",
        need=item,
        can_edit=service.can_edit(acting_user(), item),
        meeting=item_actions.meeting_target_for(acting_user(), item),
        item_proposals=matching.proposals_about(acting_user(), item),
        actions=service.allowed_actions(item),
        action_form=ActionForm(),
    )


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@members_only
def edit_need(need_id: int):
    item = _editable(Need, need_id)
    form = NeedForm(
        data=_need_form_data(item) if request.method == "GET" else None, previous_deadline=item.deadline
    )
    _theme_choices(form, item.themes)
    if _wants_preview():
        form.validate()
        return _render_need_form(form, need=item, preview=True)
    if form.validate_on_submit():
        try:
            service.update_need(acting_user(), item, form.to_input(), form.version_number())
        except EditConflict as conflict:
            form_refused(form, conflict)  # the rollback reloads the item as the other person saved it
            form.version.data = str(item.version)
            return _render_need_form(form, need=item, conflict=True), 409
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for(".need", need_id=item.id))
    return _render_need_form(form, need=item), _form_status(form)


def _need_action(need_id: int, verb, done: str):
    item = _editable(Need, need_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        verb(acting_user(), item)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        flash(done, "success")
    return redirect(url_for(".need", need_id=item.id))


@bp.post("/needs/<int:need_id>/open")
@members_only
def open_need(need_id: int):
    return _need_action(need_id, service.open_need, _("The need is open: suppliers can find it and respond."))


@bp.post("/needs/<int:need_id>/close")
@members_only
def close_need(need_id: int):
    return _need_action(need_id, service.close_need, _("The need is closed."))


@bp.post("/needs/<int:need_id>/unpublish")
@members_only
def unpublish_need(need_id: int):
    return _need_action(
        need_id, service.unpublish_need, _("The need is a draft again: only your organisation sees it.")
    )


@bp.post("/needs/<int:need_id>/archive")
@members_only
def archive_need(need_id: int):
    return _need_action(need_id, service.archive_need, _("The need is archived."))


@bp.post("/needs/<int:need_id>/restore")
@members_only
def restore_need(need_id: int):
    return _need_action(need_id, service.restore_need, _("The need is restored as a draft."))


# --------------------------------------------------------------------------------------------------
# CPV autocomplete


@bp.get("/cpv/search")
def cpv_search():
    """JSON for the CPV autocomplete: codes by number prefix or by words, with their hierarchy."""
    query = request.args.get("q", "")
    language = request.args.get("lang") or current_language()
    if language not in ("nl", "fr", "en"):
        language = current_language()
    limit = parse_int(request.args.get("limit", ""), low=0, high=None)
    limit = 15 if limit is None else min(max(limit, 1), 50)
    results = cpv_service.search(query, language, limit=limit)
    response = jsonify(query=query, language=language, results=results)
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    return response


# --------------------------------------------------------------------------------------------------
# Themes


def _theme_manager_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated and request.method == "GET":
            return login_manager.unauthorized()
        if not themes_service.can_manage_themes(acting_user()):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _theme_input(form: ThemeForm) -> themes_service.ThemeInput:
    return themes_service.ThemeInput(
        slug=(form.slug.data or "").strip().lower(),
        name_nl=form.name_nl.data or "",
        name_fr=form.name_fr.data or "",
        name_en=form.name_en.data or "",
        description=form.description.data or "",
        position=form.position.data or 0,
    )


@bp.get("/themes")
@_theme_manager_only
def themes():
    return render_template(
        "catalogue/themes.html",
        themes=themes_service.list_themes(active_only=False),
        action_form=ActionForm(),
    )


@bp.route("/themes/new", methods=["GET", "POST"])
@_theme_manager_only
def new_theme():
    form = ThemeForm()
    if form.validate_on_submit():
        try:
            theme = themes_service.create_theme(acting_user(), _theme_input(form))
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The theme %(name)s is added.", name=theme.name(current_language())), "success")
            return redirect(url_for(".themes"))
    return render_template("catalogue/theme_form.html", form=form, theme=None), _form_status(form)


@bp.route("/themes/<int:theme_id>/edit", methods=["GET", "POST"])
@_theme_manager_only
def edit_theme(theme_id: int):
    theme = db.get_or_404(Theme, theme_id)
    form = ThemeForm(obj=theme)
    if form.validate_on_submit():
        try:
            themes_service.update_theme(acting_user(), theme, _theme_input(form))
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The theme is saved."), "success")
            return redirect(url_for(".themes"))
    return render_template("catalogue/theme_form.html", form=form, theme=theme), _form_status(form)


def _set_theme_active(theme_id: int, active: bool):
    theme = db.get_or_404(Theme, theme_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        themes_service.set_theme_active(acting_user(), theme, active)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        name = theme.name(current_language())
        if active:
            flash(_("The theme %(name)s can be chosen again.", name=name), "success")
        else:
            flash(_("The theme %(name)s can no longer be chosen.", name=name), "success")
    return redirect(url_for(".themes"))


@bp.post("/themes/<int:theme_id>/deactivate")
@_theme_manager_only
def deactivate_theme(theme_id: int):
    return _set_theme_active(theme_id, False)


@bp.post("/themes/<int:theme_id>/activate")
@_theme_manager_only
def activate_theme(theme_id: int):
    return _set_theme_active(theme_id, True)
