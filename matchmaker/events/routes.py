"""Routes of the events area: the public listing and event pages, the organizer's pages (edit, programme,
dashboard, exports), registration, who is here and meeting requests.

Access: drafts are seen by their organizer only (404 for others); organizer pages answer 403 to anyone
else; the participant list and requests are for approved participants (403 otherwise); a request is seen by
its two sides only (404 otherwise).
"""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.event_access import managed_event as _managed
from matchmaker.event_access import visible_event as _event
from matchmaker.events import bp
from matchmaker.events.cards import participant_cards
from matchmaker.events.forms import (
    ActionForm,
    BlockForm,
    DayForm,
    EventForm,
    OnBehalfForm,
    RegistrationForm,
    RequestForm,
    StatusForm,
)
from matchmaker.extensions import db
from matchmaker.forms import flash_refused, form_refused
from matchmaker.i18n import current_language
from matchmaker.markdown import render_markdown
from matchmaker.models import (
    Event,
    EventDay,
    EventStatus,
    ParticipantRole,
    ProgrammeBlock,
    RegistrationStatus,
    RequestStatus,
    SlotKind,
)
from matchmaker.models.labels import (
    EVENT_STATUSES,
    PARTICIPANT_ROLES,
    REGISTRATION_STATUSES,
    REQUEST_STATUSES,
    label,
)
from matchmaker.pagination import paginate_list
from matchmaker.services import ServiceError, event_materials, event_rules
from matchmaker.services import events as events_service
from matchmaker.services import meeting_requests as requests_service
from matchmaker.services import registrations as registrations_service
from matchmaker.services.themes import list_themes
from matchmaker.xlsxfiles import table_response

# --- helpers -------------------------------------------------------------------------------------------


def _participant_view(event_id: int) -> Event:
    event = _event(event_id)
    if not registrations_service.can_see_participants(acting_user(), event):
        abort(403)
    return event


def _to_detail(event: Event):
    return redirect(url_for(".detail", event_id=event.id))


def _slots_by_day(event: Event) -> list[tuple]:
    days = []
    for event_day in event.days:
        days.append((event_day, [s for s in event.slots if s.day_id == event_day.id]))
    return days


# --- public ----------------------------------------------------------------------------------------------


PARTICIPANTS_PER_PAGE = 40
DASHBOARD_REGISTRATIONS_PER_PAGE = 50


@bp.get("/")
def index():
    theme = request.args.get("theme") or None
    listing = events_service.list_public_events(theme_slug=theme)
    return render_template(
        "events/index.html",
        listing=listing,
        themes=list_themes(),
        theme=theme,
        can_create=event_rules.can_create_events(acting_user()),
        my_registrations=registrations_service.registrations_of_user(acting_user()),
    )


@bp.get("/<int:event_id>")
def detail(event_id: int):
    event = _event(event_id)
    registration = registrations_service.registration_of(acting_user(), event)
    return render_template(
        "events/detail.html",
        event=event,
        description_html=render_markdown(event.description),
        registration=registration,
        can_manage=event_rules.can_manage(acting_user(), event),
        registration_open=event_rules.registration_is_open(event),
        requests_open=event_rules.requests_are_open(event),
        places={role: registrations_service.places_left(event, role) for role in ParticipantRole},
        days=_slots_by_day(event),
        action_form=ActionForm(),
        materials=event_materials.visible_materials(acting_user(), event),  # issue 19
        event_over=event_rules.is_over(event),
    )


@bp.get("/<int:event_id>.ics")
def ical(event_id: int):
    event = _event(event_id)
    body = events_service.event_ical(event)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="event-{event.id}.ics"'},
    )


# --- organizer -----------------------------------------------------------------------------------------


@bp.get("/manage")
@login_required
def manage():
    if not event_rules.can_create_events(acting_user()):
        abort(403)
    return render_template("events/manage.html", events=events_service.events_managed_by(acting_user()))


def _status_of(form) -> int:
    """A form shown again after a refused submission answers 422, as everywhere on the platform."""
    return 422 if form.is_submitted() else 200


def _event_form(event: Event | None) -> EventForm:
    form = EventForm()
    form.set_theme_choices(list_themes(), current_language())
    if event is not None and request.method == "GET":
        form.load(events_service.event_input_from(event))
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if not event_rules.can_create_events(acting_user()):
        abort(403)
    form = _event_form(None)
    if form.validate_on_submit():
        try:
            event = events_service.create_event(acting_user(), form.to_input())
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The event is created as a draft. Now add its days and programme."), "success")
            return redirect(url_for(".programme", event_id=event.id))
    return render_template("events/form.html", form=form, event=None), _status_of(form)


def _tell_dropped_meetings(event: Event, before: int) -> None:
    """After a programme or table change: say how many draft meetings went with removed slots or tables."""
    dropped = before - events_service.draft_meeting_count(event)
    if dropped > 0:
        flash(
            ngettext(
                "%(num)s draft meeting was in a removed slot or at a removed table and is taken out of the "
                "schedule; run the scheduler again to fill the programme as it is now.",
                "%(num)s draft meetings were in removed slots or at removed tables and are taken out of the "
                "schedule; run the scheduler again to fill the programme as it is now.",
                dropped,
            ),
            "warning",
        )


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    event = _managed(event_id)
    form = _event_form(event)
    if form.validate_on_submit():
        before = events_service.draft_meeting_count(event)
        try:
            events_service.update_event(acting_user(), event, form.to_input())
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The event is saved."), "success")
            _tell_dropped_meetings(event, before)
            return redirect(url_for(".dashboard", event_id=event.id))
    return render_template("events/form.html", form=form, event=event), _status_of(form)


@bp.get("/<int:event_id>/programme")
@login_required
def programme(event_id: int):
    return _programme_page(_managed(event_id))


def _programme_page(event: Event, day_form: DayForm | None = None, block_forms: dict | None = None):
    block_forms = block_forms or {}
    return render_template(
        "events/programme.html",
        event=event,
        day_form=day_form or DayForm(formdata=None),
        block_forms={
            d.id: block_forms.get(d.id) or BlockForm(formdata=None, prefix=f"b{d.id}") for d in event.days
        },
        days=_slots_by_day(event),
        editable=event.status in events_service.PROGRAMME_EDITABLE,
        action_form=ActionForm(),
    )


@bp.post("/<int:event_id>/programme/days")
@login_required
def add_day(event_id: int):
    event = _managed(event_id)
    form = DayForm()
    if form.validate_on_submit():
        try:
            events_service.add_day(
                acting_user(),
                event,
                form.day.data,
                form.start_time.data,
                form.end_time.data,
                form.slot_minutes.data,
            )
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The day is added to the programme."), "success")
            return redirect(url_for(".programme", event_id=event.id))
    return _programme_page(event, day_form=form), 422


@bp.post("/<int:event_id>/programme/days/<int:day_id>/delete")
@login_required
def remove_day(event_id: int, day_id: int):
    event = _managed(event_id)
    event_day = db.get_or_404(EventDay, day_id)
    if event_day.event_id != event.id:
        abort(404)
    if ActionForm().validate_on_submit():
        before = events_service.draft_meeting_count(event)
        try:
            events_service.remove_day(acting_user(), event_day)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(_("The day is removed from the programme."), "success")
            _tell_dropped_meetings(event, before)
    return redirect(url_for(".programme", event_id=event.id))


@bp.post("/<int:event_id>/programme/days/<int:day_id>/blocks")
@login_required
def add_block(event_id: int, day_id: int):
    event = _managed(event_id)
    event_day = db.get_or_404(EventDay, day_id)
    if event_day.event_id != event.id:
        abort(404)
    form = BlockForm(prefix=f"b{day_id}")
    if form.validate_on_submit():
        before = events_service.draft_meeting_count(event)
        try:
            events_service.add_block(
                acting_user(),
                event_day,
                form.kind.data,
                form.title.data or "",
                form.start_time.data,
                form.end_time.data,
            )
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The programme is updated."), "success")
            _tell_dropped_meetings(event, before)
            return redirect(url_for(".programme", event_id=event.id))
    return _programme_page(event, block_forms={day_id: form}), 422


@bp.post("/<int:event_id>/programme/blocks/<int:block_id>/delete")
@login_required
def remove_block(event_id: int, block_id: int):
    event = _managed(event_id)
    block = db.get_or_404(ProgrammeBlock, block_id)
    if block.day.event_id != event.id:
        abort(404)
    if ActionForm().validate_on_submit():
        before = events_service.draft_meeting_count(event)
        try:
            events_service.remove_block(acting_user(), block)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(_("The programme is updated."), "success")
            _tell_dropped_meetings(event, before)
    return redirect(url_for(".programme", event_id=event.id))


@bp.post("/<int:event_id>/status")
@login_required
def change_status(event_id: int):
    event = _managed(event_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            if form.status.data == EventStatus.AGENDA_PUBLISHED:
                # The schedule's own publication: meetings published and locked, one notice each.
                report = events_service.publish_agenda(acting_user(), event)
                message = ngettext(
                    "The agenda is published; %(num)s participant is notified.",
                    "The agenda is published; %(num)s participants are notified.",
                    report.notified,
                )
            else:
                events_service.change_status(acting_user(), event, form.status.data)
                message = _("The event's stage is changed.")
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(message, "success")
    return redirect(url_for(".dashboard", event_id=event.id))


@bp.get("/<int:event_id>/dashboard")
@login_required
def dashboard(event_id: int):
    event = _managed(event_id)
    board = events_service.dashboard(event)
    return render_template(
        "events/dashboard.html",
        event=event,
        board=board,
        registrations=paginate_list(
            board.all_registrations, request.args.get("page", type=int), DASHBOARD_REGISTRATIONS_PER_PAGE
        ),
        transitions=events_service.allowed_transitions(event),
        requests_open=event_rules.requests_are_open(event),
        action_form=ActionForm(),
        status_form=StatusForm(),
    )


@bp.post("/<int:event_id>/registrations/<int:registration_id>/approve", defaults={"decision": "approve"})
@bp.post("/<int:event_id>/registrations/<int:registration_id>/refuse", defaults={"decision": "refuse"})
@login_required
def decide(event_id: int, registration_id: int, decision: str):
    event = _managed(event_id)
    registration = registrations_service.get_registration_in_event(event, registration_id)
    if registration is None:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            registrations_service.decide_registration(acting_user(), registration, decision == "approve")
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(
                _("%(name)s is approved.", name=registration.user.display_name)
                if decision == "approve"
                else _("%(name)s is refused.", name=registration.user.display_name),
                "success",
            )
    return redirect(url_for(".dashboard", event_id=event.id))


@bp.route("/<int:event_id>/registrations/new", methods=["GET", "POST"])
@login_required
def on_behalf(event_id: int):
    event = _managed(event_id)
    form = OnBehalfForm()
    if form.validate_on_submit():
        try:
            registration = registrations_service.register_on_behalf(
                acting_user(), event, form.email.data, form.role.data, form.max_meetings.data
            )
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("%(name)s is registered.", name=registration.user.display_name), "success")
            return redirect(url_for(".dashboard", event_id=event.id))
    return render_template("events/on_behalf.html", event=event, form=form), _status_of(form)


@bp.post("/<int:event_id>/nudge")
@login_required
def nudge(event_id: int):
    event = _managed(event_id)
    if ActionForm().validate_on_submit():
        try:
            count = events_service.nudge_participants_without_requests(acting_user(), event)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(
                ngettext(
                    "%(num)s participant received a reminder by email.",
                    "%(num)s participants received a reminder by email.",
                    count,
                ),
                "success",
            )
    return redirect(url_for(".dashboard", event_id=event.id))


# The workbook beside the CSV file (xlsxfiles.py). The CSV rule comes last, so it is registered first
# (decorators apply from the bottom) and url_for without fmt builds the .csv address.
@bp.get("/<int:event_id>/export/participants.xlsx", defaults={"fmt": "xlsx"})
@bp.get("/<int:event_id>/export/participants.csv", defaults={"fmt": "csv"})
@login_required
def export_participants(event_id: int, fmt: str):
    event = _managed(event_id)
    rows = events_service.participants_rows(event)
    return table_response(rows, f"event-{event.id}-participants.csv", fmt, _("Participants"))


@bp.get("/<int:event_id>/export/requests.xlsx", defaults={"fmt": "xlsx"})
@bp.get("/<int:event_id>/export/requests.csv", defaults={"fmt": "csv"})
@login_required
def export_requests(event_id: int, fmt: str):
    event = _managed(event_id)
    rows = events_service.requests_rows(event)
    return table_response(rows, f"event-{event.id}-requests.csv", fmt, _("Meeting requests"))


# --- registration --------------------------------------------------------------------------------------


@bp.route("/<int:event_id>/register", methods=["GET", "POST"])
@login_required
def register(event_id: int):
    event = _event(event_id)
    existing = registrations_service.registration_of(acting_user(), event)
    editing = existing is not None and existing.is_active
    returning = registrations_service.comes_back(existing)
    if not event_rules.registration_is_open(event):
        flash(_("Registration for this event is not open."), "warning")
        return _to_detail(event)
    try:
        registrations_service.check_not_refused(existing)
    except ServiceError as refusal:
        flash_refused(refusal, "warning")
        return _to_detail(event)
    roles = [existing.role] if editing else registrations_service.participant_roles(acting_user())
    if not roles:
        flash(_("Only buyers and suppliers register for an event."), "warning")
        return _to_detail(event)
    if current_user.organisation is None:
        flash(_("Register your organisation first: you bring its offerings or needs."), "warning")
        return redirect(url_for("organisations.mine"))
    items_by_role = {role: registrations_service.eligible_items(acting_user(), role) for role in roles}
    meeting_slots = event.meeting_slots
    form = RegistrationForm()
    form.set_choices(roles, items_by_role, meeting_slots)
    if request.method == "GET":
        if editing:
            form.role.data = existing.role
            form.items.data = [i.id for i in existing.items]
            form.slots.data = [s.id for s in existing.available_slots]
            form.max_meetings.data = existing.max_meetings
        else:
            form.role.data = roles[0]
            form.items.data = [i.id for i in items_by_role[roles[0]]] if len(roles) == 1 else []
            form.slots.data = [s.id for s in meeting_slots]
    if form.validate_on_submit():
        data = registrations_service.RegistrationInput(
            role=form.role.data,
            item_ids=list(form.items.data or []),
            slot_ids=list(form.slots.data or []),
            max_meetings=form.max_meetings.data,
        )
        try:
            if editing:
                registrations_service.update_registration(acting_user(), existing, data)
            else:
                registration = registrations_service.register(acting_user(), event, data)
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            if editing:
                flash(_("Your registration is updated."), "success")
            elif registration.status == RegistrationStatus.APPROVED:
                flash(_("You are registered. See who is here and send your meeting requests."), "success")
            elif returning:
                flash(
                    _("You cancelled your registration earlier: the organizer confirms your return."),
                    "success",
                )
            else:
                flash(_("Your registration is received. The organizer will confirm it."), "success")
            return _to_detail(event)
    return render_template(
        "events/register.html",
        event=event,
        form=form,
        editing=editing,
        items_by_role=items_by_role,
        days=_slots_by_day(event),
        slot_kind_meeting=SlotKind.MEETING,
    )


@bp.post("/<int:event_id>/register/cancel")
@login_required
def cancel_registration(event_id: int):
    event = _event(event_id)
    registration = registrations_service.registration_of(acting_user(), event)
    if registration is None:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            registrations_service.cancel_registration(acting_user(), registration)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(_("Your registration is cancelled."), "success")
    return _to_detail(event)


# --- who is here ---------------------------------------------------------------------------------------


@bp.get("/<int:event_id>/participants")
@login_required
def participants(event_id: int):
    event = _participant_view(event_id)
    directory = registrations_service.who_is_here(
        acting_user(),
        event,
        role=request.args.get("role"),
        theme_id=request.args.get("theme", type=int),
        query=request.args.get("q") or "",
        language=current_language(),
    )
    mine = directory.mine
    # One list, the recommendations first, cut into pages: a page shows its share of each (explanations
    # only for the recommendations on it), whatever the size of the event.
    listing = directory.others
    if directory.recommendations:
        listing = [*directory.recommendations, *directory.others]
    page = paginate_list(
        listing,
        request.args.get("page", type=int),
        PARTICIPANTS_PER_PAGE,
    )
    recommended = len(directory.recommendations)
    first = (page.page - 1) * page.per_page
    shown_recommendations = page.items[: max(0, recommended - first)]
    return render_template(
        "events/participants.html",
        event=event,
        mine=mine,
        page=page,
        recommendations=shown_recommendations,
        others=page.items[len(shown_recommendations) :],
        any_recommended=recommended > 0,
        total=directory.total,
        role=directory.role,
        theme=directory.theme_id,
        q=directory.query,
        themes=list_themes(),
        states=requests_service.request_states_by_partner(mine) if mine else {},
        requests_open=event_rules.requests_are_open(event),
    )


# --- meeting requests -----------------------------------------------------------------------------------


@bp.route("/<int:event_id>/requests/new", methods=["GET", "POST"])
@login_required
def new_request(event_id: int):
    event = _participant_view(event_id)
    form = RequestForm()
    to_id = request.values.get("to", type=int)
    recipient = registrations_service.get_registration_in_event(event, to_id) if to_id else None
    if recipient is None:
        abort(404)
    if recipient.status != RegistrationStatus.APPROVED:
        # From a page opened earlier: the person left the event or is not admitted (yet).
        flash(_("This person is not a registered participant of this event."), "warning")
        return redirect(url_for(".participants", event_id=event.id))
    if request.method == "GET":
        form.to.data = str(recipient.id)
        form.offering.data = request.args.get("offering", "")
        form.need.data = request.args.get("need", "")
    offering_id, need_id = _item_id(form.offering.data), _item_id(form.need.data)
    if form.validate_on_submit():
        try:
            requests_service.send_request(
                acting_user(), event, recipient.id, form.message.data or "", offering_id, need_id
            )
        except ServiceError as refusal:  # NotAParticipant goes on to the 403 page
            form_refused(form, refusal)
        else:
            flash(_("Your request is sent to %(name)s.", name=recipient.user.display_name), "success")
            return redirect(url_for(".requests", event_id=event.id))
    # What the request will be about (the need and offering, the score and its reasons), as the recipient
    # will see it with the request.
    mine = registrations_service.registration_of(acting_user(), event)
    context = None
    if mine is not None and mine.status == RegistrationStatus.APPROVED and mine.role != recipient.role:
        try:
            need, offering = requests_service.request_items(
                acting_user(), mine, recipient, offering_id, need_id
            )
        except ServiceError as refusal:
            if not form.errors:  # a POST shows its refusal already
                form_refused(form, refusal)
            return render_template(
                "events/request_form.html", event=event, form=form, recipient=recipient, context=None
            ), 422
        context = requests_service.pair_context(
            mine, recipient, str(get_locale() or "en"), need=need, offering=offering
        )
    return (
        render_template(
            "events/request_form.html", event=event, form=form, recipient=recipient, context=context
        ),
        _status_of(form),
    )


def _item_id(value: str | None) -> int | None:
    """An item id from the new-request form; anything but digits becomes an id no item has, which the
    service refuses with its message (never a 500)."""
    value = (value or "").strip()
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else -1


@bp.get("/<int:event_id>/requests")
@login_required
def requests(event_id: int):
    event = _event(event_id)
    mine = registrations_service.registration_of(acting_user(), event)
    if mine is None or mine.status != RegistrationStatus.APPROVED:
        abort(403)
    received, sent = requests_service.requests_of(mine)
    requests_service.with_context(received + sent, str(get_locale() or "en"))
    return render_template(
        "events/requests.html",
        event=event,
        mine=mine,
        received=received,
        sent=sent,
        open_count=requests_service.open_request_count(mine),
        requests_open=event_rules.requests_are_open(event),
        action_form=ActionForm(),
        pending=RequestStatus.PENDING,
    )


@bp.post("/<int:event_id>/requests/<int:request_id>/accept", defaults={"action": "accept"})
@bp.post("/<int:event_id>/requests/<int:request_id>/decline", defaults={"action": "decline"})
@bp.post("/<int:event_id>/requests/<int:request_id>/cancel", defaults={"action": "cancel"})
@login_required
def answer_request(event_id: int, request_id: int, action: str):
    event = _event(event_id)
    meeting_request = requests_service.get_request_for(acting_user(), event, request_id)
    if meeting_request is None:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            if action == "accept":
                requests_service.accept_request(acting_user(), meeting_request)
                message = _("You accepted the request. The organizer will schedule the meeting.")
            elif action == "decline":
                requests_service.decline_request(acting_user(), meeting_request)
                message = _("You declined the request.")
            else:
                requests_service.cancel_request(acting_user(), meeting_request)
                message = _("Your request is cancelled.")
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(message, "success")
    return redirect(url_for(".requests", event_id=event.id))


@bp.app_template_global()
def event_status_label(status: str) -> str:
    return label(EVENT_STATUSES, status)


@bp.app_template_global()
def registration_status_label(status: str) -> str:
    return label(REGISTRATION_STATUSES, status)


@bp.app_template_global()
def request_status_label(status: str) -> str:
    return label(REQUEST_STATUSES, status)


bp.add_app_template_global(participant_cards)


@bp.app_template_global()
def participant_role_label(role: str) -> str:
    return label(PARTICIPANT_ROLES, role)


@bp.app_template_global()
def transition_label(status: str) -> str:
    labels = {
        EventStatus.REGISTRATION_OPEN: _("Open registration"),
        EventStatus.REGISTRATION_CLOSED: _("Close registration"),
        EventStatus.AGENDA_PUBLISHED: _("Publish the agenda"),
        EventStatus.CLOSED: _("Close the event"),
    }
    return labels.get(status, status)


@bp.app_template_filter("event_date")
def event_date_filter(value, fmt: str = "full") -> str:
    """A date of the event's calendar (no time zone conversion)."""
    return format_date(value, fmt) if value else ""


@bp.app_template_filter("event_datetime")
def event_datetime_filter(value, fmt: str = "d MMMM y, HH:mm") -> str:
    """An event-local (Europe/Brussels) naive datetime, formatted in the reader's language."""
    return format_datetime(value.replace(tzinfo=event_rules.TZ), fmt) if value else ""


@bp.app_template_filter("hm")
def hours_minutes_filter(value) -> str:
    return value.strftime("%H:%M") if value else ""
