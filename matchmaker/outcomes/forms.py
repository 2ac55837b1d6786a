"""The form of one participant's answer about one meeting."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from matchmaker.models import FollowUp
from matchmaker.models.labels import FOLLOW_UPS
from matchmaker.services.outcomes import COMMENT_MAX, OutcomeInput

USEFULNESS_LABELS = {
    "1": _l("1 – not useful"),
    "2": _l("2"),
    "3": _l("3"),
    "4": _l("4"),
    "5": _l("5 – very useful"),
}


class ActionForm(FlaskForm):
    """Only the CSRF token."""


class OutcomeForm(FlaskForm):
    held = RadioField(
        _l("Did the meeting take place?"),
        choices=[
            SelectChoice("yes", _l("Yes")),
            SelectChoice("no", _l("No: the other party did not come, or we did not meet")),
        ],
        validators=[InputRequired(message=_l("Say whether the meeting took place."))],
    )
    usefulness = RadioField(
        _l("How useful was it?"),
        choices=[SelectChoice(code, text) for code, text in USEFULNESS_LABELS.items()],
        validators=[Optional()],
    )
    follow_up = RadioField(
        _l("What came of it?"),
        choices=[SelectChoice(code.value, text) for code, text in FOLLOW_UPS.items()],
        default=FollowUp.NONE.value,
        validators=[Optional()],  # not sent when the meeting did not take place (the script disables it)
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        validators=[Optional(), Length(max=COMMENT_MAX)],
        render_kw={"rows": 3},
    )

    def load(self, outcome) -> None:
        self.held.data = "yes" if outcome.held else "no"
        self.usefulness.data = str(outcome.usefulness) if outcome.usefulness else None
        self.follow_up.data = outcome.follow_up
        self.comment.data = outcome.comment

    def to_input(self) -> OutcomeInput:
        return OutcomeInput(
            held=self.held.data == "yes",
            usefulness=int(self.usefulness.data) if self.usefulness.data else None,
            follow_up=self.follow_up.data or (FollowUp.NONE.value if self.held.data == "no" else ""),
            comment=self.comment.data or "",
        )
