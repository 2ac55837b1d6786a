from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Length, Optional

from matchmaker.forms import OneLineField

REASON_MAX = 200


class ResetCalendarLinkForm(FlaskForm):
    """The button that replaces the secret calendar feed URL (CSRF token only)."""


class CancelForm(FlaskForm):
    """A participant cancels a meeting, or their participation: a short reason, if they wish."""

    reason = OneLineField(
        _l("Reason (optional)"),
        validators=[
            Optional(),
            Length(max=REASON_MAX, message=_l("Keep the reason under %(max)s characters.", max=REASON_MAX)),
        ],
    )
