"""The event's Team page (issue 16): its managers add people by the e-mail address of their account, as
co-organizers or check-in staff, change their role and remove them (services.event_team). And the member's
side: the events whose team they are on, linked from their menu.

Access: the Team page and its actions are for the event's managers (organizer, co-organizers, administrators):
403 for anyone else who may see the event (check-in staff too), 404 for a draft they cannot see and for a
member of another event's team.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.event_access import managed_event
from matchmaker.events import bp
from matchmaker.events.forms import ActionForm, AddMemberForm, RoleForm
from matchmaker.forms import flash_refused, form_refused
from matchmaker.models import Event, EventStaff, StaffRole
from matchmaker.services import ServiceError, event_rules, event_team


def _member(event: Event, member_id: int) -> EventStaff:
    member = event_team.get_member(event, member_id)
    if member is None:
        abort(404)
    return member


def _page(event: Event, form: AddMemberForm, status: int = 200):
    page = render_template(
        "events/team.html",
        event=event,
        form=form,
        members=event_team.team_of(event),
        action_form=ActionForm(formdata=None),
        role_label=event_team.role_label,
    )
    return page, status


@bp.route("/<int:event_id>/team", methods=["GET", "POST"])
@login_required
def team(event_id: int):
    event = managed_event(event_id)
    form = AddMemberForm()
    if form.validate_on_submit():
        try:
            member = event_team.add_member(acting_user(), event, form.email.data, form.role.data)
        except ServiceError as refusal:
            form_refused(form, refusal, "email")
        else:
            flash(
                _(
                    "%(name)s is on the team as %(role)s. They were told so.",
                    name=member.user.display_name,
                    role=event_team.role_label(member.role),
                ),
                "success",
            )
            return redirect(url_for(".team", event_id=event.id))
    return _page(event, form, 422 if form.is_submitted() else 200)


@bp.post("/<int:event_id>/team/<int:member_id>/role")
@login_required
def team_role(event_id: int, member_id: int):
    event = managed_event(event_id)
    member = _member(event, member_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            event_team.change_role(acting_user(), member, form.role.data)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(
                _(
                    "%(name)s is now %(role)s.",
                    name=member.user.display_name,
                    role=event_team.role_label(member.role),
                ),
                "success",
            )
    else:
        flash(_("Your session expired. Please submit the form again."), "danger")
    return redirect(url_for(".team", event_id=event.id))


@bp.post("/<int:event_id>/team/<int:member_id>/remove")
@login_required
def team_remove(event_id: int, member_id: int):
    event = managed_event(event_id)
    member = _member(event, member_id)
    if ActionForm().validate_on_submit():
        name = member.user.display_name
        try:
            event_team.remove_member(acting_user(), member)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(_("%(name)s is no longer on the team.", name=name), "success")
    else:
        flash(_("Your session expired. Please submit the form again."), "danger")
    return redirect(url_for(".team", event_id=event.id))


@bp.get("/teams")
@login_required
def team_events():
    """The events whose team the current user is on, with a link to where their role starts."""
    return render_template(
        "events/team_events.html",
        items=event_team.events_of_member(acting_user()),
        role_label=event_team.role_label,
    )


@bp.app_template_global()
def on_an_event_team() -> bool:
    """For the user menu (one indexed lookup per page): is the current user on any event's team?"""
    return event_team.is_on_a_team(acting_user())


@bp.app_template_global()
def manages_event(event: Event) -> bool:
    """For the event's tabs on pages whose route does not say: does the current user manage the event?"""
    return event_rules.can_manage(acting_user(), event)


@bp.app_template_global()
def runs_check_in(event: Event) -> bool:
    """For the event's tabs: is the current user its check-in staff (their Check-in and Live board tabs)?"""
    return event_rules.staff_role(acting_user(), event) == StaffRole.CHECK_IN
