"""Routes of the charter: the public text and signatories; signing and withdrawing for an organisation.

Only an administrator of an organisation may sign or withdraw on its behalf (403 for other members and for
people without an organisation).
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.charter import bp
from matchmaker.charter.forms import SignForm, WithdrawForm
from matchmaker.content.routes import page_view, visible_page
from matchmaker.forms import flash_refused, form_refused
from matchmaker.services import ServiceError
from matchmaker.services import charter as service
from matchmaker.services import content as content_service

bp.add_app_template_global(service.signatory_count, "charter_signatory_count")


def _organisation():
    return current_user.organisation if current_user.is_authenticated else None


@bp.get("/")
def index():
    organisation = _organisation()
    return render_template(
        "charter/index.html",
        signatures=service.public_signatories(),
        organisation=organisation,
        own_signature=service.active_signature(organisation),
        can_sign=service.can_sign_for(acting_user(), organisation),
        withdraw_form=WithdrawForm(),
        **page_view(visible_page(content_service.CHARTER)),
    )


def _signable_organisation():
    organisation = _organisation()
    if not service.can_sign_for(acting_user(), organisation):
        abort(403)
    return organisation


@bp.route("/sign", methods=["GET", "POST"])
@login_required
def sign():
    organisation = _signable_organisation()
    if service.active_signature(organisation) is not None:
        flash(_("%(organisation)s has already signed the charter.", organisation=organisation.name), "info")
        return redirect(url_for(".index"))
    form = SignForm()
    if request.method == "GET":
        form.signatory_name.data = current_user.display_name
    if form.validate_on_submit():
        if organisation.is_government and not form.pledge_three_percent.data:
            form.pledge_three_percent.errors = [
                _("A government entity signs with the pledge to the 3%-norm.")
            ]
        else:
            try:
                service.sign_charter(
                    acting_user(),
                    organisation,
                    service.SignatureInput(
                        form.signatory_name.data,
                        form.signatory_function.data,
                        bool(form.pledge_three_percent.data),
                        form.pledge_text.data or "",
                    ),
                )
            except ServiceError as refusal:
                form_refused(form, refusal)
            else:
                flash(
                    _("Thank you: %(organisation)s has signed the charter.", organisation=organisation.name),
                    "success",
                )
                return redirect(url_for(".index") + "#signatories")
    status = 422 if form.is_submitted() else 200
    return render_template("charter/sign.html", form=form, organisation=organisation), status


@bp.post("/withdraw")
@login_required
def withdraw():
    organisation = _signable_organisation()
    if not WithdrawForm().validate_on_submit():
        abort(400)
    try:
        service.withdraw_signature(acting_user(), organisation)
    except ServiceError as refusal:
        flash_refused(refusal, "warning")
    else:
        flash(_("The signature of %(organisation)s is withdrawn.", organisation=organisation.name), "success")
    return redirect(url_for(".index"))
