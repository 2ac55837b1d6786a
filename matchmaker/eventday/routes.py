"""Routes of the event day area.

Organizers (the event's organizer, co-organizers and administrators; 403 for anyone else, 404 for drafts they
cannot see and for meetings or participants of another event): the live board, its fragment that the page
fetches every 20 seconds, and its actions (move to a free table, mark absent, fill the gaps, publish the new
meetings). The event's check-in staff read the board (and its fragment) without its actions.

Participants: their "now" view, for their own approved registration (404 for anyone else, as the agenda).
"""

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.event_access import PRIVATE
from matchmaker.event_access import door_event as _door
from matchmaker.event_access import managed_event as _managed
from matchmaker.eventday import bp
from matchmaker.eventday.forms import ActionForm, FreeTableForm
from matchmaker.extensions import db
from matchmaker.forms import flash_refused
from matchmaker.models import Event, EventTable, Registration, RegistrationStatus
from matchmaker.services import ServiceError, event_day, event_rules
from matchmaker.services import registrations as registrations_service
from matchmaker.services import scheduling as scheduling_service

REFRESH_SECONDS = 20


def _board_url(event: Event) -> str:
    # The top of the page, where the message about what was done is shown.
    return url_for(".live", event_id=event.id)


def _board_context(event: Event) -> dict:
    return {
        "event": event,
        "board": event_day.live_board(event),
        "action_form": ActionForm(),
        "move_form": FreeTableForm(formdata=None),
        "published": event.status == "agenda_published",
        "refresh_seconds": REFRESH_SECONDS,
        "can_manage": event_rules.can_manage(acting_user(), event),  # staff: the board without actions
    }


@bp.get("/events/<int:event_id>/live")
@login_required
def live(event_id: int):
    event = _door(event_id)
    page = render_template("eventday/live.html", **_board_context(event))
    return page, 200, PRIVATE


@bp.get("/events/<int:event_id>/live/board")
@login_required
def board(event_id: int):
    """The board alone, as an HTML fragment the live page swaps in."""
    event = _door(event_id)
    return Response(render_template("eventday/_board.html", **_board_context(event)), headers=PRIVATE)


@bp.post("/events/<int:event_id>/live/meetings/<int:meeting_id>/move")
@login_required
def move(event_id: int, meeting_id: int):
    event = _managed(event_id)
    meeting = scheduling_service.get_meeting(event, meeting_id)
    if meeting is None:
        abort(404)
    form = FreeTableForm()
    form.set_tables(event_day.free_tables(meeting))
    if not form.validate_on_submit():
        flash(_("That table is not free in this meeting's slot any more. Choose another one."), "danger")
        return redirect(_board_url(event))
    try:
        told = event_day.move_to_free_table(
            acting_user(), meeting, db.session.get(EventTable, form.table.data)
        )
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        table = meeting.table.display_name
        if told:
            flash(
                ngettext(
                    "The meeting is moved to %(table)s; its participant is told.",
                    "The meeting is moved to %(table)s; its %(num)s participants are told.",
                    told,
                    table=table,
                ),
                "success",
            )
        else:
            flash(_("The meeting is moved to %(table)s.", table=table), "success")
    return redirect(_board_url(event))


@bp.post("/events/<int:event_id>/live/participants/<int:registration_id>/absent")
@login_required
def absent(event_id: int, registration_id: int):
    event = _managed(event_id)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        abort(404)
    if ActionForm().validate_on_submit():
        name = registration.user.display_name
        try:
            count = event_day.mark_no_show(acting_user(), registration)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(
                ngettext(
                    "%(name)s is marked absent; %(num)s meeting is cancelled.",
                    "%(name)s is marked absent; %(num)s meetings are cancelled.",
                    count,
                    name=name,
                ),
                "success",
            )
    return redirect(_board_url(event))


@bp.post("/events/<int:event_id>/live/fill")
@login_required
def fill(event_id: int):
    event = _managed(event_id)
    if ActionForm().validate_on_submit():
        try:
            run = event_day.fill_gaps(acting_user(), event)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            if run.status == "failed":
                flash(_("The scheduler could not finish: %(error)s", error=run.error), "danger")
            elif run.is_active:
                flash(
                    _("The scheduler is looking for meetings to fill the gaps; the board shows the result."),
                    "info",
                )
            else:
                flash(
                    _("The scheduler has looked for meetings to fill the gaps. Review and publish them."),
                    "success",
                )
    return redirect(_board_url(event))


@bp.post("/events/<int:event_id>/live/publish")
@login_required
def publish(event_id: int):
    """Publish the meetings a fill run proposed (and any other change): the people concerned are told."""
    event = _managed(event_id)
    if ActionForm().validate_on_submit():
        try:
            report = scheduling_service.publish(acting_user(), event)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(
                ngettext(
                    "The changes are published; %(num)s participant is notified.",
                    "The changes are published; %(num)s participants are notified.",
                    report.notified,
                ),
                "success",
            )
    return redirect(_board_url(event))


@bp.get("/events/<int:event_id>/now")
@login_required
def now(event_id: int):
    """A participant's current and next meeting, at a glance on a phone."""
    event = db.get_or_404(Event, event_id)
    if not event_rules.can_view(acting_user(), event):
        abort(404)
    registration = registrations_service.registration_of(acting_user(), event)
    if registration is None or registration.status != RegistrationStatus.APPROVED:
        abort(404)
    view = event_day.participant_now(registration)
    page = render_template("eventday/now.html", event=event, registration=registration, view=view)
    return page, 200, PRIVATE
