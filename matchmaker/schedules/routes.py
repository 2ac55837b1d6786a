"""Routes of the schedules area: the organizer's schedule pages of an event.

Access: the event's organizer and administrators (403 for anyone else; 404 for drafts they cannot see and
for meetings, runs or participants of another event).
"""

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.event_access import managed_event as _managed
from matchmaker.extensions import db
from matchmaker.forms import flash_refused, form_refused
from matchmaker.models import Event, EventStatus, EventTable, Registration, RunMode, Slot
from matchmaker.schedules import bp
from matchmaker.schedules.forms import (
    ActionForm,
    AddMeetingForm,
    LateParticipantForm,
    MoveForm,
    RunForm,
    SwapForm,
    slot_label,
)
from matchmaker.services import ServiceError
from matchmaker.services import scheduling as service


def _meeting(event: Event, meeting_id: int):
    meeting = service.get_meeting(event, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def _registration(event: Event, registration_id: int | None) -> Registration | None:
    if registration_id is None:
        return None
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        abort(404)
    return registration


def _overview(event: Event, run_form: RunForm | None = None, late_form: LateParticipantForm | None = None):
    run = service.latest_run(event)
    finished = service.latest_finished_run(event)
    if run_form is None:
        run_form = RunForm(formdata=None)
        if event.status == EventStatus.AGENDA_PUBLISHED or service.active_meetings(event):
            run_form.mode.data = RunMode.FILL
    return render_template(
        "schedules/overview.html",
        event=event,
        run=run,
        finished=finished,
        stats=service.schedule_stats(event),
        run_form=run_form,
        late_form=late_form or LateParticipantForm(formdata=None),
        action_form=ActionForm(),
        published=event.status == EventStatus.AGENDA_PUBLISHED,
        schedulable=event.status in service.SCHEDULABLE,
        reason_label=service.reason_label,
        phase_label=service.phase_label,
        default_time_limit=int(current_app.config["SCHEDULER_TIME_LIMIT"]),
    )


@bp.get("/events/<int:event_id>/schedule")
@login_required
def overview(event_id: int):
    return _overview(_managed(event_id))


@bp.post("/events/<int:event_id>/schedule/runs")
@login_required
def start(event_id: int):
    event = _managed(event_id)
    form = RunForm()
    if form.validate_on_submit():
        try:
            run = service.start_run(
                acting_user(), event, form.mode.data, bool(form.suggestions.data), form.time_limit.data
            )
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            if run.status == "failed":
                flash(_("The scheduler could not finish: %(error)s", error=run.error), "danger")
            elif not run.is_active:
                flash(_("The meetings are scheduled. Review them before publishing."), "success")
            else:
                flash(_("The scheduler is running. This page shows its progress."), "info")
            return redirect(url_for(".overview", event_id=event.id))
    return _overview(event, run_form=form), 422


@bp.get("/events/<int:event_id>/schedule/runs/<int:run_id>.json")
@login_required
def run_status(event_id: int, run_id: int):
    event = _managed(event_id)
    run = service.get_run(event, run_id)
    if run is None:
        abort(404)
    return jsonify(service.run_status(run))


@bp.get("/events/<int:event_id>/schedule/grid")
@login_required
def grid(event_id: int):
    event = _managed(event_id)
    return render_template(
        "schedules/grid.html",
        event=event,
        cells=service.grid(event),
        tables=sorted(event.tables, key=lambda t: t.number),
        slots=event.meeting_slots,
        slot_label=slot_label,
    )


@bp.get("/events/<int:event_id>/schedule/participants")
@login_required
def participant(event_id: int):
    event = _managed(event_id)
    registrations = service.schedulable_registrations(event)
    chosen_id = request.args.get("registration", type=int)
    chosen = None
    if chosen_id is not None:
        chosen = next((r for r in registrations if r.id == chosen_id), None) or _registration(
            event, chosen_id
        )
    return render_template(
        "schedules/participant.html",
        event=event,
        registrations=sorted(registrations, key=lambda r: r.user.display_name.casefold()),
        chosen=chosen,
        day=service.participant_day(event, chosen) if chosen else [],
        absent=service.absent_ids(event),
        action_form=ActionForm(),
        slot_label=slot_label,
    )


def _meeting_page(event, meeting, move_form=None, swap_form=None):
    move_form = move_form or MoveForm(formdata=None, prefix="move")
    move_form.set_place_choices(event)
    if move_form.slot.data is None:
        move_form.slot.data, move_form.table.data = meeting.slot_id, meeting.table_id
    swap_form = swap_form or SwapForm(formdata=None, prefix="swap")
    _swap_choices(event, meeting, swap_form)
    return render_template(
        "schedules/meeting.html",
        event=event,
        meeting=meeting,
        move_form=move_form,
        swap_form=swap_form,
        action_form=ActionForm(),
        slot_label=slot_label,
    )


def _swap_choices(event, meeting, form) -> None:
    form.other.choices = [
        (
            m.id,
            f"{slot_label(m.slot)} · {m.table.label} · {m.first_registration.user.display_name} – "
            f"{m.second_registration.user.display_name}",
        )
        for m in service.active_meetings(event)
        if m.id != meeting.id
    ]


@bp.get("/events/<int:event_id>/schedule/meetings/<int:meeting_id>")
@login_required
def meeting(event_id: int, meeting_id: int):
    event = _managed(event_id)
    return _meeting_page(event, _meeting(event, meeting_id))


@bp.post("/events/<int:event_id>/schedule/meetings/<int:meeting_id>/move")
@login_required
def move(event_id: int, meeting_id: int):
    event = _managed(event_id)
    meeting = _meeting(event, meeting_id)
    form = MoveForm(prefix="move")
    form.set_place_choices(event)
    if form.validate_on_submit():
        try:
            service.move_meeting(
                acting_user(),
                meeting,
                db.session.get(Slot, form.slot.data),
                db.session.get(EventTable, form.table.data),
            )
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The meeting is moved."), "success")
            return redirect(url_for(".meeting", event_id=event.id, meeting_id=meeting.id))
    return _meeting_page(event, meeting, move_form=form), 422


@bp.post("/events/<int:event_id>/schedule/meetings/<int:meeting_id>/swap")
@login_required
def swap(event_id: int, meeting_id: int):
    event = _managed(event_id)
    meeting = _meeting(event, meeting_id)
    form = SwapForm(prefix="swap")
    _swap_choices(event, meeting, form)
    if form.validate_on_submit():
        other = _meeting(event, form.other.data)
        try:
            service.swap_meetings(acting_user(), meeting, other)
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The two meetings swapped places."), "success")
            return redirect(url_for(".meeting", event_id=event.id, meeting_id=meeting.id))
    return _meeting_page(event, meeting, swap_form=form), 422


@bp.post("/events/<int:event_id>/schedule/meetings/<int:meeting_id>/lock", defaults={"locked": True})
@bp.post("/events/<int:event_id>/schedule/meetings/<int:meeting_id>/unlock", defaults={"locked": False})
@login_required
def lock(event_id: int, meeting_id: int, locked: bool):
    event = _managed(event_id)
    meeting = _meeting(event, meeting_id)
    if ActionForm().validate_on_submit():
        try:
            service.set_locked(acting_user(), meeting, locked)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(_("The meeting is locked.") if locked else _("The meeting is unlocked."), "success")
    if request.form.get("next") == "grid":
        return redirect(url_for(".grid", event_id=event.id))
    return redirect(url_for(".meeting", event_id=event.id, meeting_id=meeting.id))


@bp.post("/events/<int:event_id>/schedule/meetings/<int:meeting_id>/remove")
@login_required
def remove(event_id: int, meeting_id: int):
    event = _managed(event_id)
    meeting = _meeting(event, meeting_id)
    if ActionForm().validate_on_submit():
        try:
            service.remove_meeting(acting_user(), meeting)
        except ServiceError as refusal:
            flash_refused(refusal)
            return redirect(url_for(".meeting", event_id=event.id, meeting_id=meeting.id))
        flash(_("The meeting is removed."), "success")
    return redirect(url_for(".grid", event_id=event.id))


@bp.route("/events/<int:event_id>/schedule/meetings/new", methods=["GET", "POST"])
@login_required
def add(event_id: int):
    event = _managed(event_id)
    form = AddMeetingForm()
    form.set_place_choices(event)
    form.set_people_choices(service.schedulable_registrations(event))
    if request.method == "GET":
        form.buyer.data = request.args.get("buyer", type=int)
        form.supplier.data = request.args.get("supplier", type=int)
    if form.validate_on_submit():
        try:
            created = service.add_meeting(
                acting_user(),
                event,
                db.session.get(Registration, form.buyer.data),
                db.session.get(Registration, form.supplier.data),
                db.session.get(Slot, form.slot.data),
                db.session.get(EventTable, form.table.data),
            )
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The meeting is added and locked."), "success")
            return redirect(url_for(".meeting", event_id=event.id, meeting_id=created.id))
    status = 422 if request.method == "POST" else 200
    return render_template("schedules/add.html", event=event, form=form), status


@bp.post("/events/<int:event_id>/schedule/publish")
@login_required
def publish(event_id: int):
    event = _managed(event_id)
    if ActionForm().validate_on_submit():
        try:
            report = service.publish(acting_user(), event)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(
                ngettext(
                    "The agenda is published; %(num)s participant is notified.",
                    "The agenda is published; %(num)s participants are notified.",
                    report.notified,
                )
                if report.first
                else ngettext(
                    "The changes are published; %(num)s participant is notified.",
                    "The changes are published; %(num)s participants are notified.",
                    report.notified,
                ),
                "success",
            )
    return redirect(url_for(".overview", event_id=event.id))


@bp.post(
    "/events/<int:event_id>/schedule/participants/<int:registration_id>/absent", defaults={"action": "absent"}
)
@bp.post(
    "/events/<int:event_id>/schedule/participants/<int:registration_id>/withdraw",
    defaults={"action": "withdraw"},
)
@login_required
def participant_action(event_id: int, registration_id: int, action: str):
    event = _managed(event_id)
    registration = _registration(event, registration_id)
    if ActionForm().validate_on_submit():
        name = registration.user.display_name
        try:
            if action == "absent":
                count = service.mark_absent(acting_user(), registration)
                message = ngettext(
                    "%(name)s is marked absent; %(num)s meeting is cancelled.",
                    "%(name)s is marked absent; %(num)s meetings are cancelled.",
                    count,
                    name=name,
                )
            else:
                count = service.withdraw_participant(acting_user(), registration)
                message = ngettext(
                    "%(name)s's registration is cancelled; %(num)s meeting is cancelled.",
                    "%(name)s's registration is cancelled; %(num)s meetings are cancelled.",
                    count,
                    name=name,
                )
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(message, "success")
    return redirect(url_for(".participant", event_id=event.id, registration=registration.id))


@bp.post("/events/<int:event_id>/schedule/late")
@login_required
def late(event_id: int):
    event = _managed(event_id)
    form = LateParticipantForm()
    if form.validate_on_submit():
        try:
            registration = service.add_late_participant(
                acting_user(), event, form.email.data, form.role.data, form.max_meetings.data
            )
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(
                _(
                    "%(name)s is registered. Fill the free slots with suggested meetings, or add meetings "
                    "by hand.",
                    name=registration.user.display_name,
                ),
                "success",
            )
            return redirect(url_for(".overview", event_id=event.id) + "#late-fill-heading")
    return _overview(event, late_form=form), 422
