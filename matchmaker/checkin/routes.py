"""Routes of the check-in area.

The organizer's check-in page at the entrance (`/events/<id>/check-in`): a code typed or read by the camera
(the page's script fills the same form in), a name search with a button per person, the counts and the latest
arrivals with Undo, the no-show action after the doors, and the badges (a job renders the PDF: a few hundred
badges take seconds, too long for a web request; its page shows the progress and then offers the file, and
this page lists the organizer's latest badge jobs of the event). Every write is a POST with CSRF;
the page works without JavaScript (typing and searching) and with it (camera scanning).

Access: the page, its search and the check-in and undo actions are for the event's managers and its check-in
staff (services.event_rules.can_check_in); the no-show action and the badges for its managers only
(can_manage). 403 for anyone else who may see the event, 404 when they cannot see it (a draft) and for a
registration of another event.
"""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.checkin import bp
from matchmaker.checkin.forms import AbsentForm, ActionForm, BadgesForm, CodeForm
from matchmaker.event_access import PRIVATE
from matchmaker.event_access import door_event as _door
from matchmaker.event_access import managed_event as _managed
from matchmaker.extensions import db
from matchmaker.forms import flash_refused, form_refused
from matchmaker.models import Event, Registration
from matchmaker.services import NotFound, ServiceError, checkin, event_rules
from matchmaker.services import badges as badges_service

# This page, and only this one, may use the camera (the site's policy forbids it everywhere else).
CAMERA_ALLOWED = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"


def _registration(event: Event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        abort(404)
    return registration


def _query() -> str:
    return (request.values.get("q") or "").strip()[: checkin.SEARCH_MAX]


def _back(event: Event) -> str:
    q = _query()
    return url_for(".page", event_id=event.id, q=q or None, _anchor="search" if q else None)


def _page(event: Event, code_form=None, absent_form=None, badges_form=None, status: int = 200):
    q = _query()
    results = checkin.search(event, q) if q else []
    body = render_template(
        "checkin/page.html",
        event=event,
        code_form=code_form or CodeForm(formdata=None),
        absent_form=absent_form or AbsentForm(formdata=None),
        action_form=ActionForm(),
        overview=checkin.overview(event),
        q=q,
        results=results,
        arrived=checkin.arrived_ids(event),
        not_arrived=len(checkin.not_arrived(event)),
        can_manage=event_rules.can_manage(acting_user(), event),  # check-in staff: no badges, no no-show
        badges_form=badges_form or BadgesForm(formdata=None),
        badge_jobs=badges_service.latest_jobs(acting_user(), event),
    )
    headers = dict(PRIVATE)
    headers["Permissions-Policy"] = CAMERA_ALLOWED
    return Response(body, status=status, headers=headers)


def _check_in(registration: Registration) -> bool:
    """Check one person in and say how it went. False when the refusal is not about them being in."""
    name = registration.user.display_name
    try:
        checkin.check_in(acting_user(), registration)
    except ServiceError:
        arrival = checkin.arrival_of(registration)
        if arrival is None:
            raise
        # A second scan, or another organizer at the same moment: a message, not an error.
        flash(_("%(name)s is already checked in.", name=name), "warning")
        return True
    who = f"{name} ({registration.organisation_name})" if registration.organisation_name else name
    flash(_("%(name)s is checked in.", name=who), "success")
    if checkin.was_marked_absent(registration):
        flash(
            _(
                "%(name)s was marked absent earlier: the meetings cancelled then are not restored. "
                "Add meetings on the schedule page if there is room.",
                name=name,
            ),
            "warning",
        )
    return True


@bp.route("/events/<int:event_id>/check-in", methods=["GET", "POST"])
@login_required
def page(event_id: int):
    event = _door(event_id)
    if request.method == "GET":
        return _page(event)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            _check_in(checkin.find_by_code(event, form.code.data))
        except NotFound as unknown:  # a wrong code is a mistake to correct on the form, not a missing page
            form.code.errors = [*form.code.errors, unknown.message]
        except ServiceError as refusal:
            form_refused(form, refusal, "code")
        else:
            return redirect(url_for(".page", event_id=event.id))
    return _page(event, code_form=form, status=422)


@bp.post("/events/<int:event_id>/check-in/<int:registration_id>")
@login_required
def participant(event_id: int, registration_id: int):
    """Check in a person found by name."""
    event = _door(event_id)
    registration = _registration(event, registration_id)
    if ActionForm().validate_on_submit():
        try:
            _check_in(registration)
        except ServiceError as refusal:
            flash_refused(refusal)
    else:
        flash(_("Your session expired. Please submit the form again."), "danger")
    return redirect(_back(event))


@bp.post("/events/<int:event_id>/check-in/<int:registration_id>/undo")
@login_required
def undo(event_id: int, registration_id: int):
    """A mistake: the person is no longer marked as arrived."""
    event = _door(event_id)
    registration = _registration(event, registration_id)
    if ActionForm().validate_on_submit():
        try:
            checkin.undo_check_in(acting_user(), registration)
        except ServiceError as refusal:
            flash_refused(refusal, "warning")
        else:
            flash(_("%(name)s is no longer checked in.", name=registration.user.display_name), "success")
    else:
        flash(_("Your session expired. Please submit the form again."), "danger")
    return redirect(_back(event))


@bp.post("/events/<int:event_id>/check-in/absent")
@login_required
def absent(event_id: int):
    """After the doors: everyone not checked in is marked absent (their remaining meetings are cancelled)."""
    event = _managed(event_id)
    form = AbsentForm()
    if form.validate_on_submit():
        try:
            marked, cancelled = checkin.mark_not_arrived_absent(acting_user(), event)
        except ServiceError as refusal:
            form_refused(form, refusal, "confirm")
        else:
            flash(
                _(
                    "Marked absent: %(people)s participants; meetings cancelled: %(meetings)s.",
                    people=marked,
                    meetings=cancelled,
                ),
                "success",
            )
            return redirect(url_for(".page", event_id=event.id))
    return _page(event, absent_form=form, status=422)


@bp.post("/events/<int:event_id>/badges")
@login_required
def badges(event_id: int):
    """Ask for the name badges of every approved participant (or one: ?registration=), on A4 sheets with cut
    marks, in one of the common badge sizes (checkin.badges.BADGE_SIZES): a job renders them, and its page
    shows the progress and then offers the PDF."""
    event = _managed(event_id)
    form = BadgesForm()
    if not form.validate_on_submit():
        return _page(event, badges_form=form, status=422)
    registration_id = request.args.get("registration", type=int)
    try:
        job = badges_service.start_badges(acting_user(), event, form.size.data, registration_id)
    except NotFound:
        abort(404)
    return redirect(url_for("jobs.detail", job_id=job.id), code=303)
