"""Routes of the outcomes area: participants rate their meetings after an event; organizers see a summary.

Access: an event that the user may not see answers 404; a meeting the user did not take part in answers 404;
before the event is over the survey answers 403. The summary is for the event's organizer (403 otherwise).
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.extensions import db
from matchmaker.forms import form_refused
from matchmaker.models import Event, Role
from matchmaker.models.labels import FOLLOW_UPS
from matchmaker.outcomes import bp
from matchmaker.outcomes.forms import OutcomeForm
from matchmaker.services import ServiceError, event_rules
from matchmaker.services import events as events_service
from matchmaker.services import outcomes as outcomes_service


@bp.app_template_filter("follow_up_label")
def follow_up_label(code: str) -> str:
    return str(FOLLOW_UPS.get(code, code))


@bp.app_template_global("outcomes_open")
def outcomes_open(event: Event) -> bool:
    """The event is over, so its participants can rate their meetings (links from the event pages)."""
    return outcomes_service.current_round(event) is not None


def _event(event_id: int) -> Event:
    event = db.get_or_404(Event, event_id)
    if not event_rules.can_view(acting_user(), event):
        abort(404)
    return event


def _over(event: Event) -> int:
    round_ = outcomes_service.current_round(event)
    if round_ is None:
        abort(403)
    return round_


@bp.get("/")
@login_required
def index():
    return render_template("outcomes/index.html", items=outcomes_service.events_to_rate(acting_user()))


@bp.get("/events/<int:event_id>")
@login_required
def event(event_id: int):
    event = _event(event_id)
    registration = outcomes_service.registration_in(acting_user(), event)
    if registration is None:
        abort(404)
    round_ = _over(event)
    meetings = outcomes_service.meetings_of(registration)
    return render_template(
        "outcomes/event.html",
        event=event,
        registration=registration,
        round=round_,
        meetings=meetings,
        answers=outcomes_service.answers_of(registration),
        progress=outcomes_service.progress_of(registration, round_, meetings),
        second_round_opens=outcomes_service.second_round_opens(event),
    )


@bp.route("/events/<int:event_id>/meetings/<int:meeting_id>", methods=["GET", "POST"])
@login_required
def rate(event_id: int, meeting_id: int):
    event = _event(event_id)
    found = outcomes_service.rateable_meeting(acting_user(), event, meeting_id)
    if found is None:
        abort(404)
    registration, meeting = found
    round_ = _over(event)
    answers = outcomes_service.answers_of(registration).get(meeting.id, {})
    form = OutcomeForm()
    if request.method == "GET":
        previous = answers.get(round_) or answers.get(round_ - 1)
        if previous is not None:
            form.load(previous)
    if form.validate_on_submit():
        try:
            outcomes_service.save_outcome(acting_user(), event, meeting, form.to_input())
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(
                _(
                    "Thank you: your answer about %(name)s is saved.",
                    name=meeting.other(registration.id).display_name,
                ),
                "success",
            )
            done = outcomes_service.answers_of(registration)
            for other in outcomes_service.meetings_of(registration):
                if round_ not in done.get(other.id, {}):
                    return redirect(url_for(".rate", event_id=event.id, meeting_id=other.id))
            return redirect(url_for(".event", event_id=event.id))
    meetings = outcomes_service.meetings_of(registration)
    return render_template(
        "outcomes/rate.html",
        event=event,
        registration=registration,
        meeting=meeting,
        other=meeting.other(registration.id),
        round=round_,
        earlier=answers.get(1) if round_ == 2 else None,
        claim=outcomes_service.claim_to_confirm(registration, meeting),
        form=form,
        progress=outcomes_service.progress_of(registration, round_, meetings),
    ), (422 if form.is_submitted() else 200)


@bp.get("/organizer")
@login_required
def organizer_overview():
    """The organizer's events with their answers, average usefulness and procurements begun."""
    if not current_user.has_role(Role.ORGANIZER, Role.ADMIN):
        abort(403)
    events = [
        event for event in events_service.events_managed_by(acting_user()) if outcomes_service.is_over(event)
    ]
    events.sort(key=lambda e: e.last_day, reverse=True)
    return render_template("outcomes/organizer.html", rows=outcomes_service.outcomes_overview(events))


@bp.get("/events/<int:event_id>/summary")
@login_required
def summary(event_id: int):
    event = _event(event_id)
    if not event_rules.can_manage(acting_user(), event):
        abort(403)
    return render_template(
        "outcomes/summary.html",
        event=event,
        summary=outcomes_service.event_summary(event),
        round=outcomes_service.current_round(event),
        follow_up_codes=list(FOLLOW_UPS),
    )
