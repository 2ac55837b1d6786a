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
from matchmaker.organisations.forms import ActionForm, InviteForm, LogoForm, OrganisationForm, RoleChangeForm
from matchmaker.organisations.joining import mine_context
from matchmaker.services import ServiceError, logos
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
                _(
                    "%(name)s is registered and you are its administrator. "
                    "Invite your colleagues to join it.",
                    name=organisation.name,
                ),
                "success",
            )
            return _back_to_mine()
    return _form_page("organisations/form.html", form, organisation=None, kinds=kinds)


def _sees_members(organisation: Organisation) -> bool:
    """Members of the organisation and platform administrators: they see its members, and the organisation
    while it is not public (suspended, or a government entity not verified yet)."""
    is_member = (
        current_user.is_authenticated
        and current_user.organisation is not None
        and (current_user.organisation.id == organisation.id)
    )
    return is_member or (current_user.is_authenticated and current_user.has_role("admin"))


@bp.get("/<int:organisation_id>")
def detail(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    sees_members = _sees_members(organisation)
    if not organisation.is_public and not sees_members:
        # A suspended organisation disappears from public view until the suspension is lifted; a government
        # entity appears once it is verified.
        abort(404)
    return render_template(
        "organisations/detail.html",
        organisation=organisation,
        members=service.members_of(organisation) if sees_members else None,
        can_manage=service.can_manage(acting_user(), organisation),
        can_invite=service.can_invite(acting_user(), organisation),
        has_administrator=service.has_administrator(organisation),
    )


def _editable(organisation_id: int) -> Organisation:
    organisation = db.get_or_404(Organisation, organisation_id)
    if not service.can_edit_details(acting_user(), organisation):
        abort(403)
    return organisation


def _edit_kinds(organisation: Organisation) -> list[str]:
    allowed = set(service.allowed_kinds(acting_user())) | {organisation.kind}
    return [str(kind) for kind in OrganisationKind if kind in allowed]


def _details_form(organisation: Organisation, kinds: list[str], fresh: bool) -> OrganisationForm:
    """The details form: as submitted, or (`fresh`) as the organisation is now."""
    if not fresh:
        return OrganisationForm(obj=organisation, kinds=kinds)
    form = OrganisationForm(obj=organisation, formdata=None, kinds=kinds)
    form.enterprise_number.data = organisation.enterprise_number_display
    form.policy_domain.data = organisation.policy_domain or ""
    return form


def _edit_page(organisation: Organisation, form: OrganisationForm, logo_form: LogoForm, kinds: list[str]):
    """The edit page: the details form and the logo's; a refused submission of either answers 422."""
    refused_submission = form.is_submitted() or logo_form.is_submitted()
    page = render_template(
        "organisations/form.html",
        form=form,
        logo_form=logo_form,
        remove_logo_form=ActionForm(prefix="remove-logo"),
        organisation=organisation,
        kinds=kinds,
    )
    return page, 422 if refused_submission else 200


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(organisation_id: int):
    organisation = _editable(organisation_id)
    kinds = _edit_kinds(organisation)
    form = _details_form(organisation, kinds, fresh=request.method == "GET")
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
    return _edit_page(organisation, form, LogoForm(prefix="logo", formdata=None), kinds)


@bp.post("/<int:organisation_id>/logo")
@login_required
def upload_logo(organisation_id: int):
    organisation = _editable(organisation_id)
    logo_form = LogoForm(prefix="logo")
    if logo_form.validate_on_submit():
        upload = logo_form.logo.data
        try:
            data = upload.read(logos.MAX_UPLOAD_BYTES + 1)  # one byte more than allowed is enough to refuse
        finally:
            upload.close()  # a large upload is a temporary file
        try:
            logos.set_logo(acting_user(), organisation, data)
        except ServiceError as refusal:
            form_refused(logo_form, refusal)
        else:
            flash(_("The logo of %(name)s was saved.", name=organisation.name), "success")
            return redirect(url_for(".edit", organisation_id=organisation.id) + "#logo-heading")
    kinds = _edit_kinds(organisation)
    return _edit_page(organisation, _details_form(organisation, kinds, fresh=True), logo_form, kinds)


@bp.post("/<int:organisation_id>/logo/remove")
@login_required
def remove_logo(organisation_id: int):
    organisation = _editable(organisation_id)
    if not ActionForm(prefix="remove-logo").validate_on_submit():
        abort(400)
    try:
        logos.remove_logo(acting_user(), organisation)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        flash(_("The logo of %(name)s was removed.", name=organisation.name), "success")
    return redirect(url_for(".edit", organisation_id=organisation.id))


# A year: the address changes with the logo (?v=its hash), so what a browser or proxy keeps is never stale.
LOGO_MAX_AGE = 365 * 24 * 3600


@bp.get("/<int:organisation_id>/logo.png")
def logo(organisation_id: int):
    """The organisation's logo, as the platform re-encoded it (never the uploaded bytes): 404 without one, and
    while the organisation is not public (Organisation.is_public) for all but its members and the platform's
    administrators."""
    organisation = db.get_or_404(Organisation, organisation_id)
    if not organisation.is_public and not _sees_members(organisation):
        abort(404)
    stored = logos.logo_of(organisation)
    if stored is None:
        abort(404)
    response = current_app.response_class(stored.data, content_type=stored.mime_type)
    response.set_etag(stored.content_hash)
    response.last_modified = stored.updated_at
    if not organisation.is_public:
        response.headers["Cache-Control"] = "private, no-cache"
    elif request.args.get("v") == stored.content_hash:
        response.headers["Cache-Control"] = f"public, max-age={LOGO_MAX_AGE}, immutable"
    else:
        response.headers["Cache-Control"] = "public, no-cache"  # the unversioned address: revalidate (ETag)
    response.headers["Content-Disposition"] = 'inline; filename="logo.png"'
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response.make_conditional(request)


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
                _(
                    "An invitation was sent to %(email)s. It is valid until %(date)s.",
                    email=invitation.email,
                    date=format_date(invitation.expires_at, "long"),
                ),
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
