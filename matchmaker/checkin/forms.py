"""Forms of the check-in page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from matchmaker.checkin.badges import BADGE_SIZES, DEFAULT_SIZE
from matchmaker.forms import OneLineField


class CodeForm(FlaskForm):
    """The code typed (or filled in by the camera) at the entrance."""

    code = OneLineField(
        _l("Check-in code"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(message=_l("Enter the code on the participant's badge or agenda.")),
            Length(max=40, message=_l("A check-in code has six letters and digits.")),
        ],
    )


class ActionForm(FlaskForm):
    """A button that posts (CSRF token only): check in one person, undo."""


class AbsentForm(FlaskForm):
    """Everyone not checked in is a no-show: confirmed with a box, so that it works without JavaScript."""

    confirm = BooleanField(
        _l("Yes, mark everyone who is not checked in as absent and cancel their remaining meetings"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class BadgesForm(FlaskForm):
    """Ask for the badges in one of the common sizes: a job renders them (services.badges)."""

    size = SelectField(
        _l("Badge size"),
        choices=[SelectChoice(key, size.label) for key, size in BADGE_SIZES.items()],
        default=DEFAULT_SIZE,
        validators=[InputRequired(message=_l("Choose a badge size."))],
    )
