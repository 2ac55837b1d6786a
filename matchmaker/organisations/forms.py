"""Forms of the organisations area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import AnyOf, Email, InputRequired, Length

from matchmaker import vocab
from matchmaker.forms import OneLineField
from matchmaker.models import MembershipRole
from matchmaker.services.organisations import OrganisationDetails


class OrganisationForm(FlaskForm):
    name = OneLineField(
        _l("Name"),
        validators=[InputRequired(message=_l("Enter the name of the organisation.")), Length(max=200)],
    )
    kind = RadioField(
        _l("Kind of organisation"),
        validators=[InputRequired(message=_l("Choose the kind of organisation."))],
    )
    enterprise_number = OneLineField(
        _l("Enterprise number (KBO/BCE)"),
        validators=[Length(max=20)],
        render_kw={"inputmode": "numeric", "spellcheck": "false", "class": "input-enterprise-number"},
    )
    website = OneLineField(
        _l("Website"),
        validators=[Length(max=300)],
        render_kw={"inputmode": "url", "spellcheck": "false", "placeholder": "https://"},
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)], render_kw={"rows": 6})
    policy_domain = SelectField(_l("Policy domain"))

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = vocab.choices(vocab.ORGANISATION_KINDS, only=kinds)
        if len(kinds) == 1 and not self.kind.data:
            self.kind.data = kinds[0]
        self.policy_domain.choices = [
            SelectChoice("", _l("Not applicable (not a government entity)")),
            *vocab.choices(vocab.POLICY_DOMAINS),
        ]

    def details(self) -> OrganisationDetails:
        return OrganisationDetails(
            name=self.name.data or "",
            kind=self.kind.data or "",
            enterprise_number=self.enterprise_number.data or "",
            website=self.website.data or "",
            description=self.description.data or "",
            policy_domain=self.policy_domain.data or "",
        )


class LogoForm(FlaskForm):
    """The logo upload of the organisation's edit page; what the file must be is checked by services.logos."""

    logo = FileField(
        _l("Logo image"),
        validators=[FileRequired(_l("Choose an image file."))],
        render_kw={"accept": "image/png,image/jpeg,image/webp,image/gif"},
    )


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            InputRequired(message=_l("Enter an email address.")),
            Email(message=_l("Enter an email address such as name@example.be."), check_deliverability=False),
            Length(max=254),
        ],
    )
    role = RadioField(
        _l("Role in the organisation"),
        choices=vocab.choices(vocab.MEMBERSHIP_ROLES),
        default=MembershipRole.MEMBER.value,
        validators=[InputRequired(message=_l("Choose administrator or member."))],
    )


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token to check."""


class RoleChangeForm(FlaskForm):
    role = HiddenField(validators=[AnyOf([role.value for role in MembershipRole])])


class JoinRequestForm(FlaskForm):
    message = TextAreaField(
        _l("Message to the administrators (optional)"),
        # The length is checked by the service, on the text with its line breaks as one character each, as
        # the browser counts them against maxlength.
        render_kw={"rows": 4, "maxlength": 1000},
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Why (optional; we send it to the person who asked)"),
        render_kw={"rows": 3, "maxlength": 1000},  # the length is checked by the service, as the message
    )


class MailDomainForm(FlaskForm):
    domain = OneLineField(
        _l("Mail domain"),
        validators=[
            InputRequired(message=_l("Enter a mail domain, for example mow.vlaanderen.be.")),
            Length(max=253, message=_l("A domain name has at most 253 characters.")),
        ],
        render_kw={"spellcheck": "false", "autocapitalize": "none", "placeholder": "mow.vlaanderen.be"},
    )


class DomainJoinForm(FlaskForm):
    """The button that joins the organisation of the user's mail domain: says which one the page offered."""

    organisation_id = HiddenField(validators=[InputRequired()])
