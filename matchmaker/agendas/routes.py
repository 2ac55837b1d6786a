"""Routes of the agendas area."""

from flask import abort, render_template
from flask_login import current_user, login_required

from matchmaker.agendas import bp
from matchmaker.extensions import db
from matchmaker.models import Event
from matchmaker.services import events as events_service
from matchmaker.services import registrations as registrations_service


@bp.get("/events/<int:event_id>/agenda")
@login_required
def participant_agenda(event_id: int):
    event = db.get_or_404(Event, event_id)
    if not events_service.can_view(current_user, event):
        abort(404)
    registration = registrations_service.registration_of(current_user, event)
    if registration is None:
        abort(404)
    return render_template("agendas/agenda.html", event=event, registration=registration)
