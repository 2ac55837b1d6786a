"""Forms of the admin area. The search forms are GET forms (no CSRF token: they change nothing)."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import SearchInput

from matchmaker import vocab
from matchmaker.forms import OneLineField


class _SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = OneLineField(_l("Search"), validators=[Optional(), Length(max=200)], widget=SearchInput())

    def __init__(self, **kwargs):
        super().__init__(formdata=request.args, **kwargs)

    def value(self, name: str) -> str:
        """A filter's value, or "" when it is not one of the offered choices."""
        field = self[name]
        if isinstance(field, SelectField):
            return field.data if field.data in {choice.value for choice in field.choices} else ""
        return (field.data or "").strip()[:200]


class UserSearchForm(_SearchForm):
    q = OneLineField(
        _l("Name or email address"), validators=[Optional(), Length(max=200)], widget=SearchInput()
    )
    role = SelectField(_l("Role"), validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("active", _l("Active")),
            SelectChoice("inactive", _l("Deactivated")),
            SelectChoice("unconfirmed", _l("Email address not confirmed")),
        ],
        validators=[Optional()],
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.role.choices = [SelectChoice("", _l("All roles")), *vocab.choices(vocab.PLATFORM_ROLES)]


class OrganisationSearchForm(_SearchForm):
    q = OneLineField(
        _l("Name or enterprise number"), validators=[Optional(), Length(max=200)], widget=SearchInput()
    )
    kind = SelectField(_l("Kind"), validators=[Optional()])
    verification = SelectField(_l("Verification"), validators=[Optional()])

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kind.choices = [SelectChoice("", _l("All kinds")), *vocab.choices(vocab.ORGANISATION_KINDS)]
        self.verification.choices = [SelectChoice("", _l("Any")), *vocab.choices(vocab.VERIFICATIONS)]


class VerificationForm(FlaskForm):
    state = RadioField(
        _l("Verification"),
        choices=vocab.choices(vocab.VERIFICATIONS),
        validators=[InputRequired(message=_l("Choose verified, suspended or waiting for verification."))],
    )
    reason = TextAreaField(
        _l("Why (required to suspend; kept with the decision)"),
        validators=[Optional(), Length(max=2000, message=_l("Keep the reason under 2,000 characters."))],
    )


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token to check."""


class MergeSearchForm(_SearchForm):
    q = OneLineField(
        _l("Name or enterprise number of the organisation to keep"),
        validators=[Optional(), Length(max=200)],
        widget=SearchInput(),
    )


class MergeForm(FlaskForm):
    kept_id = HiddenField(validators=[InputRequired()])
