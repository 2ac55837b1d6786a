"""Forms of the account area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired

from matchmaker.auth.forms import (
    PasswordPolicyMixin,
    display_name_field,
    email_field,
    language_field,
    new_password_fields,
)


def current_password_field() -> PasswordField:
    return PasswordField(
        _l("Your current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
    )


class ProfileForm(FlaskForm):
    display_name = display_name_field()
    language = language_field()


class ChangePasswordForm(PasswordPolicyMixin, FlaskForm):
    current_password = current_password_field()
    password, password_repeat = new_password_fields(_l("New password"))


class ChangeEmailForm(FlaskForm):
    email = email_field(_l("New email address"))
    current_password = current_password_field()


class DeleteAccountForm(FlaskForm):
    understood = BooleanField(
        _l("I understand that my account and personal data are deleted for good"),
        validators=[
            DataRequired(message=_l("Tick the box to confirm that you want to delete your account.")),
        ],
    )
    current_password = current_password_field()
