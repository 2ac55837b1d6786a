"""Forms of the charter area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from matchmaker.forms import OneLineField
from matchmaker.services.charter import NAME_MAX, PLEDGE_TEXT_MAX


class SignForm(FlaskForm):
    signatory_name = OneLineField(
        _l("Name of the signatory"),
        validators=[
            InputRequired(message=_l("Enter the name of the person who signs.")),
            Length(max=NAME_MAX),
        ],
    )
    signatory_function = OneLineField(
        _l("Function of the signatory"),
        validators=[
            InputRequired(message=_l("Enter the function of the person who signs.")),
            Length(max=NAME_MAX),
        ],
    )
    pledge_three_percent = BooleanField(
        # The share is a parameter, so the message is a proper format string ("3% of" reads as "% o").
        _l(
            "We pledge to spend at least %(share)s of our procurement budget on innovation (the 3%%-norm).",
            share="3%",
        )
    )
    pledge_text = TextAreaField(
        _l("How does your organisation contribute? (optional)"),
        validators=[Optional(), Length(max=PLEDGE_TEXT_MAX)],
        render_kw={"rows": 3},
    )
    on_behalf = BooleanField(
        _l("I am authorised to sign this charter on behalf of my organisation."),
        validators=[InputRequired(message=_l("Confirm that you may sign on behalf of your organisation."))],
    )


class WithdrawForm(FlaskForm):
    """Withdraw the organisation's signature: only the CSRF token."""
