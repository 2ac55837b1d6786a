"""Forms of the newsletter area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length

from matchmaker.content.forms import SpamTrapForm
from matchmaker.i18n import LANGUAGE_NAMES


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (the `field` macro renders it as a fieldset)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _language_field():
    return SelectField(
        _l("Language of the mails"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validators=[InputRequired(message=_l("Choose a language."))],
    )


class ThemeChoicesMixin:
    def set_theme_choices(self, themes, language: str) -> None:
        self.themes.choices = [SelectChoice(theme.id, theme.name(language)) for theme in themes]


class SubscribeForm(ThemeChoicesMixin, SpamTrapForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            InputRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
    )
    language = _language_field()
    themes = MultiCheckboxField(_l("Themes"), coerce=int, validate_choice=True)
    consent = BooleanField(
        _l("I agree with the text above"),
        validators=[InputRequired(message=_l("Tick the box to agree to receive the newsletter."))],
    )


class PreferencesForm(ThemeChoicesMixin, FlaskForm):
    language = _language_field()
    themes = MultiCheckboxField(_l("Themes"), coerce=int, validate_choice=True)


class ConfirmForm(FlaskForm):
    """The button that confirms a subscription: only the CSRF token."""


class UnsubscribeForm(FlaskForm):
    """The button that unsubscribes: only the CSRF token."""


class OneClickUnsubscribeForm(FlaskForm):
    """RFC 8058 one-click unsubscribe, posted by mail clients: no session, so no CSRF token; the secret token
    in the URL is what authorises it."""

    class Meta:
        csrf = False

    one_click = StringField(name="List-Unsubscribe")

    def is_one_click(self) -> bool:
        return (self.one_click.data or "").strip() == "One-Click"


class AnnounceForm(FlaskForm):
    """The button that sends an event's announcement: only the CSRF token."""


class ResumeForm(FlaskForm):
    """The button that resumes an interrupted announcement: only the CSRF token."""
