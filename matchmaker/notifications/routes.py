"""Routes of the notifications area: the list, reading one, marking all read, email preferences.
Each user sees only their own notifications (404 for someone else's)."""

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.forms import form_refused
from matchmaker.navigation import unread_badges
from matchmaker.notifications import bp
from matchmaker.notifications.forms import ActionForm, PreferenceForm, lead_time_minutes, lead_time_value
from matchmaker.services import ServiceError
from matchmaker.services import notifications as service


@bp.app_context_processor
def unread_notifications():
    """`unread_notification_count()` in every template; it queries only when a template calls it, with the
    unread messages' count (navigation.unread_badges)."""

    return {"unread_notification_count": lambda: unread_badges()[0]}


def _safe_local(url: str | None) -> str | None:
    """Only follow site-relative links (never to another host)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return None
    return url


@bp.get("/")
@login_required
def index():
    page = service.notifications_of(acting_user(), page=request.args.get("page", 1, type=int))
    return render_template(
        "notifications/index.html",
        page=page,
        render_text=service.render_text,
        unread=service.unread_count(acting_user()),
        action_form=ActionForm(),
    )


@bp.post("/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    notification = service.get_own_notification(acting_user(), notification_id)
    if notification is None:
        abort(404)
    if ActionForm().validate_on_submit():
        service.mark_read(acting_user(), notification)
    return redirect(_safe_local(notification.url) or url_for(".index"))


@bp.post("/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    notification = service.get_own_notification(acting_user(), notification_id)
    if notification is None:
        abort(404)
    if ActionForm().validate_on_submit():
        service.mark_read(acting_user(), notification)
        flash(_("The notification is marked as read."), "success")
    return redirect(url_for(".index"))


@bp.post("/read-all")
@login_required
def mark_all_read():
    if ActionForm().validate_on_submit():
        count = service.mark_all_read(acting_user())
        flash(
            ngettext(
                "%(num)s notification is marked as read.", "%(num)s notifications are marked as read.", count
            ),
            "success",
        )
    return redirect(url_for(".index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = PreferenceForm()
    if request.method == "GET":
        reminders = service.reminder_settings(acting_user())
        form.email_mode.data = service.email_mode(acting_user())
        form.reminder_minutes.data = lead_time_value(reminders.minutes)
        form.reminder_in_app.data = reminders.in_app
        form.reminder_mails.data = reminders.mails
    if form.validate_on_submit():
        try:
            service.set_email_mode(acting_user(), form.email_mode.data)
            service.set_reminder_settings(
                acting_user(),
                service.ReminderSettings(
                    mails=form.reminder_mails.data,
                    in_app=form.reminder_in_app.data,
                    minutes=lead_time_minutes(form.reminder_minutes.data),
                ),
            )
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for(".settings"))
    # Shown again after a refused submission: 422, as everywhere on the platform.
    return render_template("notifications/settings.html", form=form), 422 if form.is_submitted() else 200
