"""Routes of the admin area (platform administrators only): dashboard, users, organisations."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker import vocab
from matchmaker.admin import bp
from matchmaker.admin.forms import (
    ActionForm,
    MergeForm,
    MergeSearchForm,
    OrganisationSearchForm,
    UserSearchForm,
    VerificationForm,
)
from matchmaker.auth.sessions import acting_user
from matchmaker.extensions import db
from matchmaker.forms import flash_refused, form_refused
from matchmaker.i18n import current_language
from matchmaker.models import Organisation, ProcurementYear, Role, User
from matchmaker.models.user import GRANTED_ROLES
from matchmaker.routing import parse_id
from matchmaker.services import ServiceError, kbo
from matchmaker.services import admin as service
from matchmaker.services import history as history_service
from matchmaker.services import tracker as tracker_service


@bp.before_request
@login_required
def require_platform_admin():
    if not current_user.has_role(Role.ADMIN):
        abort(403)


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


@bp.get("/")
def index():
    return render_template("admin/index.html", board=service.dashboard())


@bp.get("/users")
def users():
    form = UserSearchForm()
    page = service.search_users(
        query=form.value("q"),
        role=form.value("role"),
        status=form.value("status"),
        page=_page(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    filtered = any(form.value(name) for name in ("q", "role", "status"))
    return render_template("admin/users.html", form=form, page=page, filtered=filtered)


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    person = db.get_or_404(User, user_id)
    return render_template(
        "admin/user.html", person=person, granted_roles=[str(role) for role in GRANTED_ROLES]
    )


def _user_action(user_id: int, action, success):
    person = db.get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(person)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        flash(success(person), "success")
    return redirect(url_for(".user", user_id=person.id))


def _granted_role(role: str) -> str:
    if role not in GRANTED_ROLES:
        abort(404)
    return role


@bp.post("/users/<int:user_id>/roles/<role>/grant")
def grant_role(user_id: int, role: str):
    role = _granted_role(role)
    return _user_action(
        user_id,
        lambda person: service.grant_platform_role(acting_user(), person, role),
        lambda person: _("%(name)s now has the role %(role)s.", name=person.display_name,
                         role=vocab.label(vocab.PLATFORM_ROLES, role)),
    )


@bp.post("/users/<int:user_id>/roles/<role>/revoke")
def revoke_role(user_id: int, role: str):
    role = _granted_role(role)
    return _user_action(
        user_id,
        lambda person: service.revoke_platform_role(acting_user(), person, role),
        lambda person: _("%(name)s no longer has the role %(role)s.", name=person.display_name,
                         role=vocab.label(vocab.PLATFORM_ROLES, role)),
    )


@bp.post("/users/<int:user_id>/deactivate")
def deactivate(user_id: int):
    return _user_action(
        user_id,
        lambda person: service.deactivate_user(acting_user(), person),
        lambda person: _("%(name)s is deactivated and logged out everywhere.", name=person.display_name),
    )


@bp.post("/users/<int:user_id>/reactivate")
def reactivate(user_id: int):
    return _user_action(
        user_id,
        lambda person: service.reactivate_user(acting_user(), person),
        lambda person: _("%(name)s can log in again.", name=person.display_name),
    )


@bp.get("/organisations")
def organisations():
    form = OrganisationSearchForm()
    page = service.search_organisations(
        query=form.value("q"),
        kind=form.value("kind"),
        verification=form.value("verification"),
        page=_page(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    filtered = any(form.value(name) for name in ("q", "kind", "verification"))
    counts = service.member_counts([organisation.id for organisation in page.items])
    checks = kbo.check_many(page.items, current_language())
    return render_template(
        "admin/organisations.html",
        form=form,
        page=page,
        filtered=filtered,
        member_counts=counts,
        kbo_checks=checks,
        kbo_loaded=any(check.outcome != kbo.Outcome.NOT_CHECKED for check in checks.values()),
    )


@bp.route("/organisations/<int:organisation_id>/verification", methods=["GET", "POST"])
def verification(organisation_id: int):
    """Verify, suspend or put back in the queue one organisation, with the reason."""
    organisation = db.get_or_404(Organisation, organisation_id)
    form = VerificationForm(state=organisation.verification)
    if form.validate_on_submit():
        try:
            service.set_verification(acting_user(), organisation, form.state.data, form.reason.data or "")
        except ServiceError as refusal:
            form_refused(form, refusal, "reason")
        else:
            flash(
                _(
                    "%(name)s: %(state)s.",
                    name=organisation.name,
                    state=vocab.label(vocab.VERIFICATIONS, organisation.verification),
                ),
                "success",
            )
            return redirect(url_for(".organisations", verification="unverified"))
    status = 422 if request.method == "POST" else 200
    decided_by = db.session.get(User, organisation.verified_by_id) if organisation.verified_by_id else None
    return (
        render_template(
            "admin/verification.html",
            organisation=organisation,
            form=form,
            decided_by=decided_by,
            members=service.member_counts([organisation.id]).get(organisation.id, 0),
            kbo_check=kbo.check(organisation, current_language()),
        ),
        status,
    )


# --- the history of an organisation's public record, and reviews of the 3%-norm figures ---------------------


@bp.get("/organisations/<int:organisation_id>/history")
def history(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    page = history_service.history_of(organisation, _page(), current_app.config["PAGE_SIZE"])
    return render_template(
        "admin/history.html",
        organisation=organisation,
        page=page,
        can_undo=history_service.can_undo,
        action_form=ActionForm(),
    )


@bp.post("/organisations/<int:organisation_id>/history/<int:record_id>/undo")
def undo_change(organisation_id: int, record_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    entry = history_service.get_record(organisation, record_id)
    if entry is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        history_service.undo(acting_user(), entry)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        flash(_("The change is undone. The undo is in the history too."), "success")
    return redirect(url_for(".history", organisation_id=organisation.id))


@bp.get("/reviews")
def reviews():
    return render_template(
        "admin/reviews.html", years=tracker_service.years_to_review(), action_form=ActionForm()
    )


@bp.post("/reviews/<int:year_id>/accept")
def accept_review(year_id: int):
    row = db.get_or_404(ProcurementYear, year_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        tracker_service.accept_review(acting_user(), row)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        flash(
            _("The figures of %(organisation)s for %(year)s count in the public figures.",
              organisation=row.organisation.name, year=row.year),
            "success",
        )
    return redirect(url_for(".reviews"))


@bp.route("/organisations/<int:organisation_id>/merge", methods=["GET", "POST"])
def merge(organisation_id: int):
    """Merge a duplicate into the organisation kept: find that one, then confirm."""
    duplicate = db.get_or_404(Organisation, organisation_id)
    search = MergeSearchForm()
    form = MergeForm()
    if form.validate_on_submit():
        kept_id = parse_id(form.kept_id.data)
        kept = db.session.get(Organisation, kept_id) if kept_id else None
        if kept is None:
            abort(404)
        try:
            report = service.merge_organisations(acting_user(), duplicate, kept)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(
                _(
                    "%(duplicate)s is merged into %(kept)s: %(members)d members, %(items)d offerings and "
                    "needs, %(registrations)d registrations and %(years)d years of figures moved.",
                    duplicate=report.name,
                    kept=kept.name,
                    members=report.members,
                    items=report.offerings + report.needs,
                    registrations=report.registrations,
                    years=report.years,
                ),
                "success",
            )
            return redirect(url_for(".verification", organisation_id=kept.id))
    query = search.value("q")
    candidates = []
    if query:
        candidates = [
            candidate
            for candidate in service.search_organisations(query=query, page=1, per_page=10).items
            if candidate.id != duplicate.id
        ]
    return render_template(
        "admin/merge.html",
        duplicate=duplicate,
        search=search,
        query=query,
        candidates=candidates,
        problems={c.id: service.merge_problem(duplicate, c) for c in candidates},
        form=form,
    )
