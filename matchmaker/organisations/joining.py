"""Routes for joining an organisation without an invitation: searching one and asking to join it, its
administrators deciding, joining at once by a declared mail domain, and declaring those domains.

Every write is a POST with a CSRF token. Only an organisation's administrators decide on its requests and
manage its domains (403 otherwise; the platform's administrators manage domains too); only the person who
asked withdraws a request (404 for anyone else). The rules live in services.joining."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.extensions import db, limiter
from matchmaker.forms import flash_refused, form_refused
from matchmaker.models import JoinRequest, MailDomain, Organisation
from matchmaker.organisations import bp
from matchmaker.organisations.forms import (
    ActionForm,
    DeclineForm,
    DomainJoinForm,
    JoinRequestForm,
    MailDomainForm,
)
from matchmaker.services import ServiceError
from matchmaker.services import joining as service
from matchmaker.services.organisations import can_manage


def mine_context(organisation: Organisation | None, is_admin: bool = False) -> dict:
    """What "My organisation" shows about joining: for a person without one, the organisation of their mail
    domain and their pending request; for an organisation's administrators, the requests waiting for them
    and its mail domains."""
    user = acting_user()
    if organisation is None:
        return {
            "domain_organisation": service.organisation_for_address(user),
            "domain_join_form": DomainJoinForm(),
            "pending_request": service.pending_request_of(user),
        }
    return {
        "join_requests": service.pending_requests(organisation) if is_admin else [],
        "mail_domains": service.mail_domains(organisation) if organisation.is_government else [],
        "can_manage_domains": service.can_manage_domains(user, organisation),
        "domain_form": MailDomainForm(formdata=None),
    }


def _back_to_mine():
    return redirect(url_for(".mine"))


def _form_page(template: str, form, **context):
    """A form page; a refused submission answers 422 (the page shows why and keeps the input)."""
    return render_template(template, form=form, **context), 422 if form.is_submitted() else 200


def _check_action_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


# --- finding an organisation and asking to join it ------------------------------------------------------


@bp.get("/join")
@login_required
def join():
    query = request.args.get("q", "", type=str).strip()[:200]
    user = acting_user()
    return render_template(
        "organisations/join.html",
        query=query,
        results=service.search_organisations(query) if query else [],
        too_short=0 < len(query) < service.SEARCH_MIN_LENGTH,
        pending_request=service.pending_request_of(user),
        action_form=ActionForm(),
    )


def _request_limit() -> str:
    return current_app.config["JOIN_REQUEST_RATE_LIMIT"]


def _requester() -> str:
    """Each request mails every administrator of the organisation: counted per person."""
    return f"joiner:{current_user.id}" if current_user.is_authenticated else request.remote_addr or ""


@bp.route("/<int:organisation_id>/join", methods=["GET", "POST"])
@limiter.limit(_request_limit, methods=["POST"], key_func=_requester)
@login_required
def ask_to_join(organisation_id: int):
    user = acting_user()
    try:
        organisation = service.joinable(organisation_id)
    except ServiceError:
        abort(404)
    form = JoinRequestForm()
    if form.validate_on_submit():
        try:
            service.request_to_join(user, organisation, form.message.data)
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(
                _(
                    "Your request to join %(organisation)s is sent to its administrators. We will mail you "
                    "their answer.",
                    organisation=organisation.name,
                ),
                "success",
            )
            return _back_to_mine()
    return _form_page(
        "organisations/ask_to_join.html",
        form,
        organisation=organisation,
        problem=None if form.is_submitted() else service.request_problem(user, organisation),
    )


@bp.post("/join-requests/<int:join_request_id>/withdraw")
@login_required
def withdraw_request(join_request_id: int):
    join_request = db.get_or_404(JoinRequest, join_request_id)
    if join_request.user_id != current_user.id:
        abort(404)
    _check_action_form()
    try:
        service.withdraw_request(acting_user(), join_request)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        flash(
            _(
                "You withdrew your request to join %(organisation)s.",
                organisation=join_request.organisation.name,
            ),
            "success",
        )
    return _back_to_mine()


# --- the administrators' decision -----------------------------------------------------------------------


def _decided_by_admin(join_request_id: int) -> JoinRequest:
    join_request = db.get_or_404(JoinRequest, join_request_id)
    if not can_manage(acting_user(), join_request.organisation):
        abort(403)
    return join_request


@bp.post("/join-requests/<int:join_request_id>/accept")
@login_required
def accept_request(join_request_id: int):
    join_request = _decided_by_admin(join_request_id)
    _check_action_form()
    name = join_request.user.display_name
    try:
        service.accept_request(acting_user(), join_request)
    except ServiceError as refusal:
        flash_refused(refusal, "warning")
    else:
        flash(_("%(name)s is now a member of the organisation. We mailed them.", name=name), "success")
    return _back_to_mine()


@bp.route("/join-requests/<int:join_request_id>/decline", methods=["GET", "POST"])
@login_required
def decline_request(join_request_id: int):
    join_request = _decided_by_admin(join_request_id)
    form = DeclineForm()
    if form.validate_on_submit():
        name = join_request.user.display_name
        try:
            service.decline_request(acting_user(), join_request, form.reason.data)
        except ServiceError as refusal:
            if getattr(refusal, "problems", None):
                form_refused(form, refusal)
            else:  # decided meanwhile: nothing left to decline
                flash_refused(refusal, "warning")
                return _back_to_mine()
        else:
            flash(_("You declined the request of %(name)s. We mailed them.", name=name), "success")
            return _back_to_mine()
    if not join_request.is_pending and not form.is_submitted():
        flash(_("This request was already decided."), "info")
        return _back_to_mine()
    return _form_page("organisations/decline_request.html", form, join_request=join_request)


@bp.post("/mine/join-by-domain")
@login_required
def join_by_domain():
    form = DomainJoinForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        organisation_id = int(form.organisation_id.data)
    except (TypeError, ValueError):
        abort(400)
    try:
        membership = service.join_by_mail_domain(acting_user(), organisation_id)
    except ServiceError as refusal:
        flash_refused(refusal, "warning")
    else:
        flash(_("Welcome to %(organisation)s.", organisation=membership.organisation.name), "success")
    return _back_to_mine()


# --- mail domains -------------------------------------------------------------------------------------


def _domains_of(organisation_id: int) -> Organisation:
    organisation = db.get_or_404(Organisation, organisation_id)
    user = acting_user()
    if not (user.is_organisation_admin(organisation) or user.has_role("admin")):
        abort(403)
    if not organisation.is_government:
        abort(404)
    return organisation


@bp.route("/<int:organisation_id>/domains", methods=["GET", "POST"])
@login_required
def domains(organisation_id: int):
    organisation = _domains_of(organisation_id)
    form = MailDomainForm()
    if form.validate_on_submit():
        try:
            declared = service.declare_mail_domain(acting_user(), organisation, form.domain.data)
        except ServiceError as refusal:
            form_refused(form, refusal, field="domain")
        else:
            flash(
                _("%(domain)s is now a mail domain of %(organisation)s.", domain=declared.domain,
                  organisation=organisation.name),
                "success",
            )
            if current_user.is_organisation_admin(organisation):
                return _back_to_mine()
            return redirect(url_for(".domains", organisation_id=organisation.id))
    return _form_page(
        "organisations/domains.html",
        form,
        organisation=organisation,
        mail_domains=service.mail_domains(organisation),
    )


@bp.post("/domains/<int:domain_id>/remove")
@login_required
def remove_domain(domain_id: int):
    declared = db.get_or_404(MailDomain, domain_id)
    organisation = _domains_of(declared.organisation_id)
    _check_action_form()
    domain = declared.domain
    try:
        service.remove_mail_domain(acting_user(), declared)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        flash(
            _("%(domain)s is no longer a mail domain of %(organisation)s.", domain=domain,
              organisation=organisation.name),
            "success",
        )
    if current_user.is_organisation_admin(organisation):
        return _back_to_mine()
    return redirect(url_for(".domains", organisation_id=organisation.id))
