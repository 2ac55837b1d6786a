"""Routes of the organisations area: my organisation, registering and editing one, its public page,
invitations and members. Every write is a POST with a CSRF token and checks that the user
administers the organisation (403 otherwise); the rules themselves live in services.organisations."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.extensions import db, limiter
from matchmaker.forms import flash_refused, form_refused, refused
from matchmaker.models import Invitation, Membership, MembershipRole, Organisation, OrganisationKind
from matchmaker.organisations import bp
from matchmaker.organisations.forms import ActionForm, InviteForm, OrganisationForm, RoleChangeForm
from matchmaker.organisations.joining import mine_context
from matchmaker.services import ServiceError
from matchmaker.services import organisations as service


def _managed(organisation: Organisation) -> Organisation:
    if not service.can_manage(acting_user(), organisation):
        abort(403)
    return organisation


def _back_to_mine():
    return redirect(url_for(".mine"))


def _form_page(template: str, form, **context):
    """A form page; a refused submission answers 422 (the page shows why and keeps the input)."""
    return render_template(template, form=form, **context), 422 if form.is_submitted() else 200


@bp.get("/mine")
@login_required
def mine():
    organisation = current_user.organisation
    if organisation is None:
        return render_template(
            "organisations/none.html", kinds=service.allowed_kinds(acting_user()), **mine_context(None)
        )
    is_admin = service.can_manage(acting_user(), organisation)
    return render_template(
        "organisations/mine.html",
        organisation=organisation,
        members=service.members_of(organisation),
        invitations=service.open_invitations(organisation) if is_admin else [],
        invitation_status=service.invitation_status,
        is_admin=is_admin,
        action_form=ActionForm(),
        **mine_context(organisation, is_admin),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if current_user.organisation is not None:
        flash(_("You already belong to an organisation."), "info")
        return _back_to_mine()
    kinds = service.allowed_kinds(acting_user())
    if not kinds:
        flash(_("Only suppliers and buyers register an organisation."), "warning")
        return _back_to_mine()
    form = OrganisationForm(kinds=kinds)
    if form.validate_on_submit():
        try:
            organisation = service.create_organisation(acting_user(), form.details())
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(
                _("%(name)s is registered and you are its administrator. Invite your colleagues to join it.",
                  name=organisation.name),
                "success",
            )
            return _back_to_mine()
    return _form_page("organisations/form.html", form, organisation=None, kinds=kinds)


@bp.get("/<int:organisation_id>")
def detail(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    is_member = current_user.is_authenticated and current_user.organisation is not None and (
        current_user.organisation.id == organisation.id
    )
    sees_members = is_member or (current_user.is_authenticated and current_user.has_role("admin"))
    if organisation.is_suspended and not sees_members:
        abort(404)  # a suspended organisation disappears from public view until the suspension is lifted
    return render_template(
        "organisations/detail.html",
        organisation=organisation,
        members=service.members_of(organisation) if sees_members else None,
        can_manage=service.can_manage(acting_user(), organisation),
        can_invite=service.can_invite(acting_user(), organisation),
        has_administrator=service.has_administrator(organisation),
    )


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    if not service.can_edit_details(acting_user(), organisation):
        abort(403)
    allowed = set(service.allowed_kinds(acting_user())) | {organisation.kind}
    kinds = [str(kind) for kind in OrganisationKind if kind in allowed]
    form = OrganisationForm(obj=organisation, kinds=kinds)
    if request.method == "GET":
        form.enterprise_number.data = organisation.enterprise_number_display
        form.policy_domain.data = organisation.policy_domain or ""
    if form.validate_on_submit():
        try:
            service.update_organisation(acting_user(), organisation, form.details())
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The details of %(name)s were saved.", name=organisation.name), "success")
            if not service.can_manage(acting_user(), organisation):  # a platform administrator's correction
                return redirect(url_for("admin.verification", organisation_id=organisation.id))
            return _back_to_mine()
    return _form_page("organisations/form.html", form, organisation=organisation, kinds=kinds)


# --- invitations ----------------------------------------------------------------------------------


def _invite_limit() -> str:
    return current_app.config["INVITE_RATE_LIMIT"]


def _inviter() -> str:
    """Invitations are mailed to any address typed in: counted per inviter, whatever their address."""
    return f"inviter:{current_user.id}" if current_user.is_authenticated else request.remote_addr or ""


@bp.route("/<int:organisation_id>/invitations/new", methods=["GET", "POST"])
@limiter.limit(_invite_limit, methods=["POST"], key_func=_inviter)
@login_required
def invite(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    if not service.can_invite(acting_user(), organisation):
        abort(403)
    member_admin = service.can_manage(acting_user(), organisation)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation = service.invite_member(acting_user(), organisation, form.email.data, form.role.data)
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(
                _("An invitation was sent to %(email)s. It is valid until %(date)s.",
                  email=invitation.email, date=format_date(invitation.expires_at, "long")),
                "success",
            )
            if member_admin:
                return _back_to_mine()
            return redirect(url_for(".detail", organisation_id=organisation.id))
    return _form_page("organisations/invite.html", form, organisation=organisation, member_admin=member_admin)


def _invitation_action(invitation_id: int, action, success):
    invitation = db.get_or_404(Invitation, invitation_id)
    _managed(invitation.organisation)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(acting_user(), invitation)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        flash(success(invitation.email), "success")
    return _back_to_mine()


@bp.post("/invitations/<int:invitation_id>/resend")
@limiter.limit(_invite_limit, key_func=_inviter)
@login_required
def resend_invitation(invitation_id: int):
    return _invitation_action(
        invitation_id,
        service.resend_invitation,
        lambda email: _("A new invitation link was sent to %(email)s.", email=email),
    )


@bp.post("/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(invitation_id: int):
    return _invitation_action(
        invitation_id,
        service.revoke_invitation,
        lambda email: _("The invitation of %(email)s was withdrawn: its link no longer works.", email=email),
    )


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """The link in the invitation mail: explains, sends to log in, or lets the invited person join."""
    found = service.find_invitation(token)
    if found is None:
        return render_template("organisations/invitation_invalid.html"), 404
    form = ActionForm()
    status = service.invitation_status(found)
    here = url_for(".invitation", token=token)
    problem = None
    if current_user.is_authenticated:
        problem = service.invitation_problem(acting_user(), found)
        if request.method == "POST" and form.validate_on_submit():
            try:
                membership = service.accept_invitation(acting_user(), token)
            except ServiceError as refusal:
                problem = refused(refusal)
            else:
                flash(_("Welcome to %(organisation)s.", organisation=membership.organisation.name), "success")
                return _back_to_mine()
    elif request.method == "POST":
        return redirect(url_for("auth.login", next=here))
    return render_template(
        "organisations/invitation.html",
        invitation=found,
        status=status,
        problem=problem,
        form=form,
        login_url=url_for("auth.login", next=here),
        register_url=url_for("auth.register", next=here, email=found.email),
    )


# --- members --------------------------------------------------------------------------------------


@bp.post("/members/<int:membership_id>/role")
@login_required
def change_role(membership_id: int):
    membership = db.get_or_404(Membership, membership_id)
    _managed(membership.organisation)
    form = RoleChangeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.change_member_role(acting_user(), membership, form.role.data)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        name = membership.user.display_name
        if membership.role == MembershipRole.ADMIN:
            flash(_("%(name)s is now an administrator of the organisation.", name=name), "success")
        else:
            flash(_("%(name)s is now a member without administration rights.", name=name), "success")
    return _back_to_mine()


@bp.post("/members/<int:membership_id>/remove")
@login_required
def remove_member(membership_id: int):
    membership = db.get_or_404(Membership, membership_id)
    _managed(membership.organisation)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = membership.user.display_name
    try:
        service.remove_member(acting_user(), membership)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        flash(_("%(name)s is no longer a member.", name=name), "success")
    return _back_to_mine()


@bp.post("/mine/leave")
@login_required
def leave():
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        organisation = service.leave_organisation(acting_user())
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        flash(_("You left %(organisation)s.", organisation=organisation.name), "success")
    return _back_to_mine()
