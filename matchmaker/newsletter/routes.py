"""Routes of the newsletter.

Subscribing always answers with the same page, whether the address is new, pending or already subscribed
(no enumeration). Links in mails open a page whose button does the change (a POST), so mail scanners that
follow links change nothing; the unsubscribe URL also accepts the RFC 8058 one-click POST that mail clients
send (List-Unsubscribe-Post), which carries no CSRF token and is authorised by the secret token in the URL.
"""

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.csvfiles import csv_response
from matchmaker.event_access import managed_event as _announceable_event
from matchmaker.extensions import csrf, limiter
from matchmaker.forms import form_refused, refused
from matchmaker.i18n import current_language
from matchmaker.models import Event, Role, Subscriber
from matchmaker.newsletter import bp
from matchmaker.newsletter.forms import (
    AnnounceForm,
    ConfirmForm,
    OneClickUnsubscribeForm,
    PreferencesForm,
    ResumeForm,
    SubscribeForm,
    UnsubscribeForm,
)
from matchmaker.services import ServiceError, antispam
from matchmaker.services import newsletter as service
from matchmaker.services.accounts import normalize_email
from matchmaker.services.themes import list_themes


def _limit() -> str:
    return current_app.config["NEWSLETTER_RATE_LIMIT"]


def _submitted_email() -> str:
    """Rate-limit key: protects one mailbox from floods of confirmation mails sent from many addresses."""
    return "newsletter:" + normalize_email(request.form.get("email", ""))


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"], deduct_when=antispam.counts_against_limit)
@limiter.limit(_limit, methods=["POST"], key_func=_submitted_email, deduct_when=antispam.counts_against_limit)
@limiter.limit(antispam.attempt_limit, methods=["POST"], key_func=antispam.attempt_key)
def subscribe():
    form = SubscribeForm()
    form.set_theme_choices(list_themes(), current_language())
    if request.method == "GET":
        form.language.data = current_language()
        if current_user.is_authenticated:
            form.email.data = current_user.email
    if form.is_submitted():
        verdict = form.spam_verdict()
        if verdict == antispam.Verdict.BOT:
            return _check_mailbox(form.email.data or "")  # a bot learns nothing; nothing is sent
        valid = form.validate()
        if verdict != antispam.Verdict.OK:
            form.form_errors.append(antispam.refusal_message(verdict))
        elif valid:
            if not form.spend_stamp():
                # This form was sent already (a replay, a double click): answered as before, nothing is sent.
                return _check_mailbox(form.email.data)
            try:
                service.subscribe(
                    service.SubscriptionInput(form.email.data, form.language.data, form.themes.data or [])
                )
            except ServiceError as refusal:
                form_refused(form, refusal)
            else:
                return _check_mailbox(form.email.data)
    form.stamp()
    status = 422 if form.is_submitted() else 200
    return render_template(
        "newsletter/subscribe.html", form=form, consent_text=service.consent_text()
    ), status


def _check_mailbox(email: str):
    session["newsletter_email"] = normalize_email(email)
    return redirect(url_for(".check_mailbox"))


@bp.get("/check-your-mailbox")
def check_mailbox():
    return render_template("newsletter/check_mailbox.html", email=session.get("newsletter_email"))


def _invalid(error: ServiceError):
    return render_template("newsletter/invalid_link.html", message=error.message), 404


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    try:
        subscriber = service.subscriber_from_confirmation(token)
    except ServiceError as error:
        return _invalid(error)
    if subscriber.is_confirmed:
        flash(_("Your subscription is already confirmed."), "info")
        return redirect(url_for(".manage", token=service.manage_token(subscriber)))
    form = ConfirmForm()
    if form.validate_on_submit():
        service.confirm(subscriber)
        flash(_("Thank you: your subscription is confirmed."), "success")
        return redirect(url_for(".manage", token=service.manage_token(subscriber)))
    return render_template("newsletter/confirm.html", form=form, subscriber=subscriber)


def _managed_subscriber(token: str) -> Subscriber:
    try:
        return service.subscriber_from_manage_token(token)
    except ServiceError:
        abort(404)


@bp.route("/manage/<token>", methods=["GET", "POST"])
def manage(token: str):
    subscriber = _managed_subscriber(token)
    form = PreferencesForm(
        data={"language": subscriber.language, "themes": [t.id for t in subscriber.themes]}
        if request.method == "GET"
        else None
    )
    form.set_theme_choices(list_themes(), current_language())
    if form.validate_on_submit():
        try:
            service.update_preferences(subscriber, form.language.data, form.themes.data or [])
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("Your choices are saved."), "success")
            return redirect(url_for(".manage", token=token))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "newsletter/manage.html",
        form=form,
        subscriber=subscriber,
        token=token,
        unsubscribe_form=UnsubscribeForm(),
    ), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
@csrf.exempt
def unsubscribe(token: str):
    if request.method == "POST":
        one_click = OneClickUnsubscribeForm()
        if one_click.is_one_click():
            try:
                subscriber = service.subscriber_from_manage_token(token)
            except ServiceError:
                abort(404)
            service.unsubscribe(subscriber)
            return {"status": "unsubscribed"}
        if current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()  # a person's click on the page: the usual CSRF check
    subscriber = _managed_subscriber(token)
    form = UnsubscribeForm()
    if form.validate_on_submit():
        service.unsubscribe(subscriber)
        return render_template("newsletter/unsubscribed.html", subscriber=subscriber)
    if subscriber.status == "unsubscribed":
        return render_template("newsletter/unsubscribed.html", subscriber=subscriber)
    return render_template("newsletter/unsubscribe.html", form=form, subscriber=subscriber)


# --- announcing events (organizers) ------------------------------------------------------------------


@bp.route("/announce/<int:event_id>", methods=["GET", "POST"])
@login_required
def announce(event_id: int):
    event = _announceable_event(event_id)
    form = AnnounceForm()
    problem = None
    if form.validate_on_submit():
        try:
            announcement = service.announce_event(acting_user(), event)
        except ServiceError as refusal:
            problem = refused(refusal)
        else:
            if announcement.finished:
                flash(
                    ngettext(
                        "The event is announced to %(num)d subscriber.",
                        "The event is announced to %(num)d subscribers.",
                        announcement.sent,
                    ),
                    "success",
                )
            else:
                flash(_("The announcement is being sent. This page shows how far it is."), "info")
            return redirect(url_for(".announce", event_id=event.id))
    return _announce_page(event, form, problem)


def _announce_page(event: Event, form: AnnounceForm, problem: str | None = None):
    announcement = service.announcement_of(event)
    interrupted = service.is_interrupted(announcement)
    return render_template(
        "newsletter/announce.html",
        event=event,
        form=form,
        resume_form=ResumeForm(),
        problem=problem,
        announcement=announcement,
        interrupted=interrupted,
        unreached=service.count_unreached(event) if interrupted else 0,
        stall_minutes=int(service.stall_after().total_seconds() // 60),
        recipients=service.count_recipients(event),
        can_announce=service.can_announce(acting_user(), event),
    ), (409 if problem else 200)


@bp.post("/announce/<int:event_id>/resume")
@login_required
def resume(event_id: int):
    """Go on with an announcement whose sending stopped, to the subscribers it has not reached."""
    event = _announceable_event(event_id)
    form = ResumeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        announcement = service.resume_announcement(acting_user(), event)
    except ServiceError as refusal:
        return _announce_page(event, AnnounceForm(), refused(refusal))
    if announcement.finished:
        flash(
            ngettext(
                "The announcement is resumed: %(num)d subscriber has received it in all.",
                "The announcement is resumed: %(num)d subscribers have received it in all.",
                announcement.sent,
            ),
            "success",
        )
    else:
        flash(_("The announcement is being sent again to those it has not reached."), "info")
    return redirect(url_for(".announce", event_id=event.id))


@bp.get("/announce/<int:event_id>/status")
@login_required
def announce_status(event_id: int):
    """How far the sending is, for the announcement page's progress display."""
    event = _announceable_event(event_id)
    announcement = service.announcement_of(event)
    if announcement is None:
        abort(404)
    return {
        "recipients": announcement.recipients,
        "sent": announcement.sent,
        "failed": announcement.failed,
        "unknown": announcement.unknown,
        "finished": announcement.finished,
        "interrupted": service.is_interrupted(announcement),
    }


# --- administrators ----------------------------------------------------------------------------------


def _require_admin() -> None:
    if not current_user.has_role(Role.ADMIN):
        abort(403)


@bp.get("/admin")
@login_required
def admin():
    """Administrators' overview: subscribers per status, theme and language; the export; erasure."""
    _require_admin()
    return render_template(
        "newsletter/admin.html",
        counts=service.subscriber_counts(),
        themes=service.theme_counts(),
        languages=service.language_counts(),
        erased=service.erased_count(),
        erasable=service.count_erasable(),
        retention_days=service.retention().days,
        consent_version=service.CONSENT_VERSION,
        consent_text=service.consent_text(),
    )


@bp.get("/admin/subscribers.csv")
@login_required
def admin_export():
    _require_admin()
    return csv_response(service.confirmed_subscribers_csv(), "newsletter-confirmed-subscribers.csv")
