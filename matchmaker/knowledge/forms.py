"""Forms of the knowledge base's editors and of support requests."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from matchmaker.forms import OneLineField
from matchmaker.models.knowledge import BODY_MAX, MESSAGE_MAX, SUMMARY_MAX, TITLE_MAX
from matchmaker.routing import parse_id

LANGUAGE_NAMES = {"nl": _l("Dutch"), "fr": _l("French"), "en": _l("English")}


class ArticleForm(FlaskForm):
    slug = OneLineField(
        _l("Web address"),
        validators=[Optional(), Length(max=80)],
        render_kw={"spellcheck": "false", "autocapitalize": "off"},
    )
    topic = SelectField(_l("Topic"), validators=[InputRequired(message=_l("Choose a topic."))])
    procurement_route = SelectField(_l("Procurement route"), validators=[Optional()])
    position = IntegerField(
        _l("Position in the lists"), default=0, validators=[Optional(), NumberRange(min=0, max=100000)]
    )
    title_nl = OneLineField(_l("Title in Dutch"), validators=[Optional(), Length(max=TITLE_MAX)])
    summary_nl = OneLineField(_l("Summary in Dutch"), validators=[Optional(), Length(max=SUMMARY_MAX)])
    body_nl = TextAreaField(_l("Text in Dutch"), validators=[Length(max=BODY_MAX)], render_kw={"rows": 16})
    title_fr = OneLineField(_l("Title in French"), validators=[Optional(), Length(max=TITLE_MAX)])
    summary_fr = OneLineField(_l("Summary in French"), validators=[Optional(), Length(max=SUMMARY_MAX)])
    body_fr = TextAreaField(_l("Text in French"), validators=[Length(max=BODY_MAX)], render_kw={"rows": 16})
    title_en = OneLineField(_l("Title in English"), validators=[Optional(), Length(max=TITLE_MAX)])
    summary_en = OneLineField(_l("Summary in English"), validators=[Optional(), Length(max=SUMMARY_MAX)])
    body_en = TextAreaField(_l("Text in English"), validators=[Length(max=BODY_MAX)], render_kw={"rows": 16})
    version = HiddenField()

    def version_number(self) -> int | None:
        return parse_id(self.version.data)


class SupportRequestForm(FlaskForm):
    subject = OneLineField(
        _l("Subject"),
        validators=[
            InputRequired(message=_l("Say in a few words what you need help with.")),
            Length(max=200),
        ],
    )
    body = TextAreaField(
        _l("Your question"),
        validators=[
            InputRequired(message=_l("Write your question.")),
            Length(
                max=MESSAGE_MAX, message=_l("Keep your message under %(max)s characters.", max=MESSAGE_MAX)
            ),
        ],
        render_kw={"rows": 8},
    )


class SupportReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"),
        validators=[
            InputRequired(message=_l("Write your message.")),
            Length(
                max=MESSAGE_MAX, message=_l("Keep your message under %(max)s characters.", max=MESSAGE_MAX)
            ),
        ],
        render_kw={"rows": 6},
    )


class TemplateForm(FlaskForm):
    """A template to download with an article: its title, its language and its file."""

    title = OneLineField(
        _l("Title of the template"),
        validators=[InputRequired(message=_l("Give the template a title.")), Length(max=TITLE_MAX)],
    )
    language = SelectField(
        _l("Language of the template"),
        choices=[
            SelectChoice("", _l("Every language")),
            SelectChoice("nl", _l("Dutch")),
            SelectChoice("fr", _l("French")),
            SelectChoice("en", _l("English")),
        ],
        validators=[Optional()],
    )
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file."))])


class ActionForm(FlaskForm):
    """A button that changes something (publish, close): only the CSRF token."""
