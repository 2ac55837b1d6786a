"""Forms of the public pages, their editing, and the contact form (with the spam traps that the
newsletter reuses)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from matchmaker.forms import OneLineField
from matchmaker.routing import parse_id
from matchmaker.services import antispam
from matchmaker.services.content import BODY_MAX, TITLE_MAX


class SpamTrapForm(FlaskForm):
    """A honeypot field (hidden with CSS; people leave it empty) and the signed, one-use stamp of the time the
    form was shown."""

    website = StringField(
        _l("Leave this field empty"),
        validators=[Optional()],
        render_kw={"autocomplete": "off", "tabindex": "-1"},
    )
    form_stamp = HiddenField()

    def stamp(self) -> None:
        """Give the form a fresh timestamp (when it is rendered)."""
        self.form_stamp.data = antispam.make_stamp()

    def spam_verdict(self) -> antispam.Verdict:
        return antispam.check(self.website.data, self.form_stamp.data)

    def spend_stamp(self) -> bool:
        """Use the form's stamp as the route acts on the form: False when this form was sent before (a replay
        or a double click), which the route answers as it answered the first sending, doing nothing."""
        return antispam.spend(self.form_stamp.data)


class ContactForm(SpamTrapForm):
    name = OneLineField(
        _l("Your name"), validators=[InputRequired(message=_l("Enter your name.")), Length(max=200)]
    )
    email = EmailField(
        _l("Your email address"),
        validators=[
            InputRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
    )
    message = TextAreaField(
        _l("Your message"),
        validators=[
            InputRequired(message=_l("Write your message.")),
            Length(max=5000, message=_l("Your message has at most 5000 characters.")),
        ],
        render_kw={"rows": 7},
    )


class PageForm(FlaskForm):
    slug = OneLineField(
        _l("Web address"),
        validators=[Optional(), Length(max=60)],
        render_kw={"spellcheck": "false", "autocapitalize": "off"},
    )
    position = IntegerField(
        _l("Position in the menu"), default=0, validators=[Optional(), NumberRange(min=0, max=100000)]
    )
    title_nl = OneLineField(
        _l("Title in Dutch"),
        validators=[InputRequired(message=_l("Enter a Dutch title.")), Length(max=TITLE_MAX)],
    )
    body_nl = TextAreaField(_l("Text in Dutch"), validators=[Length(max=BODY_MAX)], render_kw={"rows": 14})
    title_fr = OneLineField(_l("Title in French"), validators=[Optional(), Length(max=TITLE_MAX)])
    body_fr = TextAreaField(_l("Text in French"), validators=[Length(max=BODY_MAX)], render_kw={"rows": 14})
    title_en = OneLineField(_l("Title in English"), validators=[Optional(), Length(max=TITLE_MAX)])
    body_en = TextAreaField(_l("Text in English"), validators=[Length(max=BODY_MAX)], render_kw={"rows": 14})
    version = HiddenField()

    def version_number(self) -> int | None:
        return parse_id(self.version.data)


class ActionForm(FlaskForm):
    """A button that changes something (publish, unpublish): only the CSRF token."""
