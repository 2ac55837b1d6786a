from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from matchmaker.content.forms import SpamTrapForm
from matchmaker.models.feedback import COMMENT_MAX


class PageFeedbackForm(SpamTrapForm):
    """The answer to "Did you find what you were looking for?": the buttons Yes and No send `answer`."""

    page = HiddenField()
    answer = RadioField(
        _l("Did you find what you were looking for?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        validate_choice=False,  # AnyOf says it in the words of the question
        validators=[
            InputRequired(message=_l("Choose yes or no.")),
            AnyOf(("yes", "no"), message=_l("Choose yes or no.")),
        ],
    )
    comment = TextAreaField(
        _l("Your comment (optional)"),
        validators=[
            Optional(),
            Length(max=COMMENT_MAX, message=_l("Your comment has at most %(max)d characters.")),
        ],
    )
