"""Forms of the conversations area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from matchmaker.models.conversations import BODY_MAX
from matchmaker.services.conversations import REASON_MAX


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"),
        validators=[
            DataRequired(message=_l("Write a message.")),
            Length(max=BODY_MAX, message=_l("Keep your message under %(max)d characters.")),
        ],
        render_kw={"rows": 6, "maxlength": BODY_MAX},
    )


class QuestionForm(FlaskForm):
    body = TextAreaField(
        _l("Your question"),
        validators=[
            DataRequired(message=_l("Write your question.")),
            Length(max=BODY_MAX, message=_l("Keep your question under %(max)d characters.")),
        ],
        render_kw={"rows": 4, "maxlength": BODY_MAX},
    )


class AnswerForm(FlaskForm):
    body = TextAreaField(
        _l("Public answer"),
        validators=[
            DataRequired(message=_l("Write the answer.")),
            Length(max=BODY_MAX, message=_l("Keep the answer under %(max)d characters.")),
        ],
        render_kw={"rows": 4, "maxlength": BODY_MAX},
    )


class SenderForm(FlaskForm):
    sender_id = IntegerField(
        _l("Sender"), validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)], widget=HiddenInput()
    )


class ReportForm(FlaskForm):
    reason = TextAreaField(
        _l("What is wrong with this conversation?"),
        validators=[
            DataRequired(message=_l("Say what is wrong with this conversation.")),
            Length(max=REASON_MAX, message=_l("Keep the reason under %(max)d characters.")),
        ],
        render_kw={"rows": 3, "maxlength": REASON_MAX},
    )


# How market players may ask about a need (services.conversations.QUESTION_MODES), for this area's form on
# the need's page and for the need form (catalogue.forms.NeedForm); both explain why public answers matter
# (equal treatment in a prior market consultation).
QUESTION_MODE_LABEL = _l("How may market players ask their questions?")
QUESTION_MODE_CHOICES = [
    SelectChoice("private", _l("Privately only: each market player writes to you in a conversation")),
    SelectChoice("public", _l("Publicly only: you answer on the need's page, for everyone")),
    SelectChoice("both", _l("Publicly, and privately too for those who prefer a conversation")),
]


class QuestionModeForm(FlaskForm):
    mode = RadioField(
        QUESTION_MODE_LABEL,
        choices=QUESTION_MODE_CHOICES,
        validators=[InputRequired(message=_l("Choose how market players may ask their questions."))],
    )


class ActionForm(FlaskForm):
    """A button that posts (CSRF token only)."""
