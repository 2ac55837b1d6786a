"""Forms of the notifications area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from matchmaker.models.labels import EMAIL_MODES


class PreferenceForm(FlaskForm):
    email_mode = RadioField(
        _l("Email me about notifications"),
        choices=[SelectChoice(str(mode), label) for mode, label in EMAIL_MODES.items()],
        validators=[InputRequired(message=_l("Choose how you want to receive notifications by email."))],
    )


class ActionForm(FlaskForm):
    """A button that posts (CSRF token only)."""
