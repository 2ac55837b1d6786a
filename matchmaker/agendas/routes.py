"""Routes of the agendas area.

Participants: their agenda (web, PDF, .ics downloads) and a secret calendar feed URL they can reset.
Access: the current user's own registration in the event, else 404 (nobody learns whose agenda exists).
The feed needs no login: its token is the secret; an unknown or reset token gives 404.

Organizers: the master grid, the table sheets and the CSV export of the meetings; 403 to anyone who does not
manage the event (404 when they cannot even see it, as for drafts).
"""

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from matchmaker import links, qrcodes
from matchmaker.agendas import bp
from matchmaker.agendas.forms import CancelForm, ResetCalendarLinkForm
from matchmaker.agendas.pdf import agenda_pdf, agendas_pdf
from matchmaker.auth.sessions import acting_user
from matchmaker.event_access import PRIVATE
from matchmaker.event_access import managed_event as _managed
from matchmaker.event_access import visible_event as _event
from matchmaker.forms import form_refused
from matchmaker.models import Registration, RegistrationStatus
from matchmaker.services import ServiceError, event_rules, ical
from matchmaker.services import agendas as agendas_service
from matchmaker.services import checkin as checkin_service
from matchmaker.services import registrations as registrations_service
from matchmaker.services import scheduling as scheduling_service
from matchmaker.xlsxfiles import table_response

GRID_TABLES_PER_PAGE = 8


# --- helpers -------------------------------------------------------------------------------------------


def _own_registration(event_id: int) -> Registration:
    event = _event(event_id)
    registration = registrations_service.registration_of(acting_user(), event)
    if registration is None:
        abort(404)
    return registration


def _ics(body: bytes, filename: str | None = None) -> Response:
    headers = dict(PRIVATE)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(body, content_type="text/calendar; charset=utf-8", headers=headers)


def _feed_url(token: str) -> str:
    """On the public address of the site (as in mails): a calendar app must reach the feed from outside."""
    return links.external_url("agendas.calendar_feed", token=token)


# --- participant ---------------------------------------------------------------------------------------


@bp.get("/events/<int:event_id>/agenda")
@login_required
def participant_agenda(event_id: int):
    registration = _own_registration(event_id)
    feed_url = None
    if agendas_service.is_published(registration.event):
        # Before loading the agenda: making the token commits, which would expire what was loaded.
        feed_url = _feed_url(agendas_service.calendar_token(registration))
    checkin_qr = None
    if registration.status == RegistrationStatus.APPROVED:  # the code to show at the entrance
        checkin_qr = qrcodes.svg_data_uri(checkin_service.checkin_code(registration))
    agenda = agendas_service.participant_agenda(registration)
    response = Response(
        render_template(
            "agendas/agenda.html",
            event=registration.event,
            registration=registration,
            agenda=agenda,
            can_manage=event_rules.can_manage(acting_user(), registration.event),
            may_cancel=scheduling_service.may_cancel(registration),
            now=event_rules.local_now(),
            feed_url=feed_url,
            checkin_qr=checkin_qr,
            webcal_url=feed_url.replace("https://", "webcal://").replace("http://", "webcal://")
            if feed_url
            else None,
            reset_form=ResetCalendarLinkForm(),
        )
    )
    response.headers.update(PRIVATE)
    return response


@bp.get("/events/<int:event_id>/agenda.pdf")
@login_required
def agenda_download_pdf(event_id: int):
    registration = _own_registration(event_id)
    if registration.status == RegistrationStatus.APPROVED:
        checkin_service.checkin_code(registration)  # its QR code is on the PDF; made before loading (commits)
    agenda = agendas_service.participant_agenda(registration)
    body = agenda_pdf(agenda, compress=current_app.config["AGENDA_PDF_COMPRESS"])
    headers = dict(PRIVATE)
    headers["Content-Disposition"] = f'attachment; filename="agenda-{registration.event_id}.pdf"'
    return Response(body, mimetype="application/pdf", headers=headers)


@bp.get("/events/<int:event_id>/agenda.ics")
@login_required
def agenda_download_ics(event_id: int):
    registration = _own_registration(event_id)
    body = agendas_service.agenda_ical(registration)
    return _ics(body, f"agenda-{registration.event_id}.ics")


@bp.get("/events/<int:event_id>/agenda/meetings/<int:meeting_id>.ics")
@login_required
def meeting_download_ics(event_id: int, meeting_id: int):
    registration = _own_registration(event_id)
    meeting = agendas_service.meeting_of(registration, meeting_id)
    if meeting is None:
        abort(404)
    body = agendas_service.agenda_ical(registration, meetings=[meeting])
    return _ics(body, f"meeting-{meeting.id}.ics")


@bp.post("/events/<int:event_id>/agenda/calendar-link")
@login_required
def reset_calendar_link(event_id: int):
    registration = _own_registration(event_id)
    if ResetCalendarLinkForm().validate_on_submit():
        agendas_service.reset_calendar_token(registration)
        flash(_("Your calendar link is replaced: subscribe again with the new one."), "success")
    return redirect(url_for(".participant_agenda", event_id=registration.event_id) + "#calendar")


def _cancellable(event_id: int) -> Registration:
    """The current user's approved registration in an event whose agenda is published (else 404)."""
    registration = _own_registration(event_id)
    if registration.status != RegistrationStatus.APPROVED or not agendas_service.is_published(
        registration.event
    ):
        abort(404)
    return registration


@bp.route("/events/<int:event_id>/agenda/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_meeting(event_id: int, meeting_id: int):
    """A participant cancels one of their meetings: a confirmation page with an optional reason."""
    registration = _cancellable(event_id)
    meeting = agendas_service.meeting_of(registration, meeting_id)
    if meeting is None:
        abort(404)
    agenda_url = url_for(".participant_agenda", event_id=registration.event_id)
    if meeting.cancelled_at is not None:
        flash(_("This meeting was cancelled already."), "info")
        return redirect(agenda_url)
    form = CancelForm()
    other = agendas_service.party(meeting.other(registration.id))
    if form.validate_on_submit():
        name, when = other.name, meeting.slot.starts_at
        try:
            scheduling_service.cancel_own_meeting(acting_user(), meeting, form.reason.data or "")
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(
                _(
                    "Your meeting with %(name)s at %(time)s is cancelled; they and the organizer are told.",
                    name=name,
                    time=when.strftime("%H:%M"),
                ),
                "success",
            )
            return redirect(agenda_url)
    status = 422 if request.method == "POST" else 200
    page = render_template(
        "agendas/cancel_meeting.html",
        event=registration.event,
        registration=registration,
        meeting=meeting,
        other=other,
        form=form,
    )
    return page, status, PRIVATE


@bp.route("/events/<int:event_id>/agenda/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(event_id: int):
    """A participant cannot come after all: a confirmation page, then every meeting is cancelled."""
    registration = _cancellable(event_id)
    event = registration.event
    form = CancelForm()
    if form.validate_on_submit():
        try:
            reason = form.reason.data or ""
            count = scheduling_service.withdraw_from_event(acting_user(), registration, reason)
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(
                ngettext(
                    "Your participation is cancelled and %(num)s meeting with it; the organizer and the "
                    "people you were to meet are told.",
                    "Your participation is cancelled and %(num)s meetings with it; the organizer and the "
                    "people you were to meet are told.",
                    count,
                ),
                "success",
            )
            return redirect(url_for("events.detail", event_id=event.id))
    status = 422 if request.method == "POST" else 200
    meetings = agendas_service.meetings_of(registration)
    page = render_template(
        "agendas/withdraw.html", event=event, registration=registration, meetings=meetings, form=form
    )
    return page, status, PRIVATE


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    registration = agendas_service.registration_by_token(token)
    if registration is None:
        abort(404)
    language = registration.user.language
    if language not in current_app.config["LANGUAGES"]:
        language = None
    body = agendas_service.agenda_ical(registration, language=language)
    # Calendar apps fetch the feed every hour: they may keep it (private, never in a shared cache) and ask
    # again with If-None-Match / If-Modified-Since, and get 304 while nothing changed (issue 18).
    response = _ics(body)
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(ical.etag(body))
    response.last_modified = agendas_service.agenda_changed_at(registration)
    return response.make_conditional(request)


# --- organizer -----------------------------------------------------------------------------------------


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


@bp.get("/events/<int:event_id>/agenda/grid")
@login_required
def master_grid(event_id: int):
    event = _managed(event_id)
    grid = agendas_service.master_grid(event)
    return render_template(
        "agendas/grid.html",
        event=event,
        grid=grid,
        table_groups=_chunks(grid.tables, GRID_TABLES_PER_PAGE),
    )


@bp.get("/events/<int:event_id>/agenda/tables")
@login_required
def table_sheets(event_id: int):
    event = _managed(event_id)
    tables = list(event.tables)
    chosen = request.args.get("table", type=int)
    if chosen is not None:
        table = agendas_service.table_of(event, chosen)
        if table is None:
            abort(404)
        tables = [table]
    grid = agendas_service.master_grid(event, tables=tables)
    return render_template(
        "agendas/tables.html", event=event, grid=grid, all_tables=event.tables, chosen=chosen
    )


@bp.get("/events/<int:event_id>/agenda/participants.pdf")
@login_required
def participants_pdf(event_id: int):
    """Every approved participant's agenda, one from each new page (or one participant's: ?registration=)."""
    event = _managed(event_id)
    registration_id = request.args.get("registration", type=int)
    checkin_service.ensure_codes(checkin_service.participants(event))  # the QR codes on the agendas
    agendas = agendas_service.event_agendas(event, registration_id)
    if registration_id is not None and not agendas:
        abort(404)
    body = agendas_pdf(agendas, event, compress=current_app.config["AGENDA_PDF_COMPRESS"])
    name = f"agenda-{event.id}-{registration_id}.pdf" if registration_id else f"agendas-{event.id}.pdf"
    headers = dict(PRIVATE)
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(body, mimetype="application/pdf", headers=headers)


# The workbook beside the CSV file (xlsxfiles.py). The CSV rule comes last, so it is registered first
# (decorators apply from the bottom) and url_for without fmt builds the .csv address.
@bp.get("/events/<int:event_id>/agenda/meetings.xlsx", defaults={"fmt": "xlsx"})
@bp.get("/events/<int:event_id>/agenda/meetings.csv", defaults={"fmt": "csv"})
@login_required
def meetings_csv(event_id: int, fmt: str):
    event = _managed(event_id)
    rows = agendas_service.meetings_rows(event)
    return table_response(rows, f"event-{event.id}-meetings.csv", fmt, _("Meetings"))
