"""The organizer's page for online and hybrid meetings and for reminders: the event's mode, its own online
link, the pattern of per-meeting links, the tables that are virtual rooms, and the minutes before each meeting
that its participants are reminded (services.online, services.reminders)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from matchmaker.auth.sessions import acting_user
from matchmaker.events import bp
from matchmaker.extensions import db
from matchmaker.forms import OneLineField, form_refused
from matchmaker.models import AttendanceMode, Event
from matchmaker.services import ServiceError, discard, event_rules, online
from matchmaker.services import reminders as _reminders  # noqa: F401  (registers the reminder kinds)

URL_ATTRS = {"inputmode": "url", "spellcheck": "false", "placeholder": "https://", "autocomplete": "off"}
MODES = {
    AttendanceMode.ON_SITE: _l("On site: every meeting at a table at the venue"),
    AttendanceMode.ONLINE: _l("Online: every meeting takes place online"),
    AttendanceMode.HYBRID: _l("Hybrid: at the venue, and online for tables that are virtual rooms"),
}


class OnlineForm(FlaskForm):
    attendance_mode = RadioField(
        _l("Where the meetings take place"),
        choices=[SelectChoice(str(mode), label) for mode, label in MODES.items()],
        validators=[
            InputRequired(message=_l("Choose whether the event takes place on site, online or both."))
        ],
    )
    online_url = OneLineField(
        _l("The event's online link (plenary sessions, lobby)"),
        validators=[Optional(), Length(max=500)],
        render_kw=URL_ATTRS,
    )
    meeting_link_pattern = OneLineField(
        _l("Pattern of the meeting links"), validators=[Optional(), Length(max=500)], render_kw=URL_ATTRS
    )
    reminder_minutes = IntegerField(
        _l("By default, remind participants this many minutes before each meeting (0: no reminders)"),
        validators=[
            InputRequired(message=_l("Enter a number.")),
            NumberRange(min=0, max=1440, message=_l("Enter a number of minutes between 0 and 1440.")),
        ],
    )


def _form(event: Event) -> OnlineForm:
    """The form with one link field per table (`table_<id>`)."""

    class Form(OnlineForm):
        pass

    for table in event.tables:
        setattr(
            Form,
            f"table_{table.id}",
            OneLineField(
                _l("Link of %(table)s", table=table.display_name),
                validators=[Optional(), Length(max=500)],
                render_kw=URL_ATTRS,
            ),
        )
    return Form()


@bp.route("/<int:event_id>/online", methods=["GET", "POST"])
@login_required
def online_settings(event_id: int):
    event = db.get_or_404(Event, event_id)
    if not event_rules.can_manage(acting_user(), event):
        abort(403)
    form = _form(event)
    table_fields = [(table, form[f"table_{table.id}"]) for table in event.tables]
    if request.method == "GET":
        current = online.settings_of(event)
        form.attendance_mode.data = current.attendance_mode
        form.online_url.data = current.online_url
        form.meeting_link_pattern.data = current.meeting_link_pattern
        form.reminder_minutes.data = current.reminder_minutes
        for table, table_field in table_fields:
            table_field.data = current.table_links.get(table.id, "")
    if form.validate_on_submit():
        data = online.OnlineSettings(
            attendance_mode=form.attendance_mode.data,
            online_url=form.online_url.data or "",
            meeting_link_pattern=form.meeting_link_pattern.data or "",
            reminder_minutes=form.reminder_minutes.data,
            table_links={table.id: table_field.data or "" for table, table_field in table_fields},
        )
        try:
            online.save_settings(acting_user(), event, data)
        except ServiceError as refusal:
            discard()
            form_refused(form, refusal)
        else:
            flash(_("The online and reminder settings are saved."), "success")
            return redirect(url_for(".online_settings", event_id=event.id))
    page = render_template("events/online.html", event=event, form=form, table_fields=table_fields)
    return page, 422 if form.is_submitted() else 200
