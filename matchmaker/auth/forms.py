"""Forms of the auth area. Labels and messages are lazy: they are translated when the form is shown."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from matchmaker.forms import OneLineField
from matchmaker.i18n import LANGUAGE_NAMES
from matchmaker.services.accounts import password_problems


def email_field(label=None) -> EmailField:
    return EmailField(
        label or _l("Email address"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Length(max=254, message=_l("An email address has at most 254 characters.")),
            Email(message=_l("Enter an email address in the right format, like name@example.be.")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


def display_name_field() -> OneLineField:
    return OneLineField(
        _l("Your name"),
        validators=[
            DataRequired(message=_l("Enter the name other users will see.")),
            Length(max=120, message=_l("Use at most %(max)d characters.")),
        ],
    )


def language_field() -> SelectField:
    return SelectField(
        _l("Interface language"),
        choices=[SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()],
        validators=[InputRequired(message=_l("Choose a language."))],
    )


def new_password_fields(label=None) -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        label or _l("Password"),
        validators=[DataRequired(message=_l("Choose a password."))],
    )
    repeat = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(message=_l("Type the password a second time.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )
    return password, repeat


class PasswordPolicyMixin:
    """Applies the platform's password policy to the `password` field. `policy_email` is the account's address
    (forms without an email field set it before validating)."""

    policy_email: str = ""

    def validate_password(self, field) -> None:
        email = self.email.data if hasattr(self, "email") and self.email.data else self.policy_email
        name = self.display_name.data if hasattr(self, "display_name") else ""
        problems = password_problems(field.data or "", email or "", (name or "",))
        if problems:
            raise ValidationError(" ".join(problems))


class RegisterForm(PasswordPolicyMixin, FlaskForm):
    role = RadioField(
        _l("I am a"),
        choices=[
            SelectChoice(
                "supplier", _l("supplier: a company, start-up or research centre with an innovation to offer")
            ),
            SelectChoice(
                "buyer", _l("public buyer: I buy for a government department, agency or local authority")
            ),
        ],
        validators=[InputRequired(message=_l("Choose whether you are a supplier or a public buyer."))],
    )
    email = email_field()
    display_name = display_name_field()
    password, password_repeat = new_password_fields()
    language = language_field()


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password."))])
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class EmailForm(FlaskForm):
    """Asks only for an address: password reset and a new confirmation link."""

    email = email_field()


class ResetPasswordForm(PasswordPolicyMixin, FlaskForm):
    password, password_repeat = new_password_fields(_l("New password"))


class ConfirmForm(FlaskForm):
    """A button: links in mails open a page, and the change happens on a POST (mail scanners only GET)."""
