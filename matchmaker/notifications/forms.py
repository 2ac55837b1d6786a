"""Forms of the notifications area."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired

from matchmaker.models.labels import EMAIL_MODES
from matchmaker.services.notifications import REMINDER_LEAD_TIMES

# The lead time's values in the form: the event's default (stored as None), a number of minutes, or none (0).
EVENT_DEFAULT = "event"
NO_REMINDER = "off"
LEAD_TIME_CHOICES = [
    SelectChoice(EVENT_DEFAULT, _l("As the event's organizer set it")),
    *(
        SelectChoice(str(minutes), lazy_ngettext("%(num)s minute before", "%(num)s minutes before", minutes))
        for minutes in REMINDER_LEAD_TIMES
    ),
    SelectChoice(NO_REMINDER, _l("No reminder before meetings")),
]


def lead_time_value(minutes: int | None) -> str:
    """The form's value of a stored lead time."""
    if minutes is None:
        return EVENT_DEFAULT
    return NO_REMINDER if minutes == 0 else str(minutes)


def lead_time_minutes(value: str) -> int | None:
    """The stored lead time of one of the form's values (validated by the field)."""
    if value == EVENT_DEFAULT:
        return None
    return 0 if value == NO_REMINDER else int(value)


class PreferenceForm(FlaskForm):
    email_mode = RadioField(
        _l("Email me about notifications"),
        choices=[SelectChoice(str(mode), label) for mode, label in EMAIL_MODES.items()],
        validators=[InputRequired(message=_l("Choose how you want to receive notifications by email."))],
    )
    reminder_minutes = SelectField(
        _l("Remind me before each meeting"),
        choices=LEAD_TIME_CHOICES,
        # Anything not offered is refused with this message (not WTForms' own), before the service sees it.
        validate_choice=False,
        validators=[
            InputRequired(message=_l("Choose when you want to be reminded.")),
            AnyOf(
                [choice.value for choice in LEAD_TIME_CHOICES],
                message=_l("Choose when you want to be reminded among the times offered."),
            ),
        ],
    )
    reminder_in_app = BooleanField(_l("Show me reminders in the app"))
    reminder_mails = BooleanField(
        _l("Email me reminders: my agenda the day before an event, and before each meeting")
    )


class ActionForm(FlaskForm):
    """A button that posts (CSRF token only)."""
