"""Forms of the events area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from matchmaker import vocab
from matchmaker.forms import OneLineField
from matchmaker.models import Admission, StaffRole
from matchmaker.models.labels import ADMISSIONS, BLOCK_KINDS, PARTICIPANT_ROLES
from matchmaker.services import event_team
from matchmaker.services.events import EventInput

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (the `field` macro renders it as a fieldset)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _choices(labels) -> list[SelectChoice]:
    return [SelectChoice(str(code), label) for code, label in labels.items()]


class EventForm(FlaskForm):
    title = OneLineField(
        _l("Title"), validators=[InputRequired(message=_l("Enter a title.")), Length(max=200)]
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 6}
    )
    themes = MultiCheckboxField(_l("Themes"), coerce=int, validate_choice=True)
    venue_address = OneLineField(_l("Venue address"), validators=[Optional(), Length(max=300)])
    room_plan_note = TextAreaField(
        _l("Rooms and directions"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    online_url = OneLineField(
        _l("Online link"),
        validators=[Optional(), Length(max=500)],
        render_kw={"inputmode": "url", "spellcheck": "false", "placeholder": "https://"},
    )
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens"), format=DATETIME_FORMAT, validators=[Optional()]
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration closes"), format=DATETIME_FORMAT, validators=[Optional()]
    )
    request_deadline = DateTimeLocalField(
        _l("Deadline for meeting requests"), format=DATETIME_FORMAT, validators=[Optional()]
    )
    capacity_buyers = IntegerField(
        _l("Places for buyers"), validators=[Optional(), NumberRange(min=0, max=100000)]
    )
    capacity_suppliers = IntegerField(
        _l("Places for suppliers"), validators=[Optional(), NumberRange(min=0, max=100000)]
    )
    admission = RadioField(
        _l("Admission"),
        choices=_choices(ADMISSIONS),
        default=Admission.AUTOMATIC.value,
        validators=[InputRequired(message=_l("Choose how participants are admitted."))],
    )
    max_open_requests = IntegerField(
        _l("Open requests per participant"),
        default=10,
        validators=[InputRequired(message=_l("Enter a number.")), NumberRange(min=1, max=500)],
    )
    table_count = IntegerField(
        _l("Number of tables or rooms"),
        default=10,
        validators=[InputRequired(message=_l("Enter a number.")), NumberRange(min=0, max=500)],
    )
    table_names = TextAreaField(
        _l("Names of the tables or rooms"), validators=[Optional(), Length(max=10000)], render_kw={"rows": 3}
    )

    def set_theme_choices(self, themes, language: str) -> None:
        self.themes.choices = [SelectChoice(theme.id, theme.name(language)) for theme in themes]

    def validate_registration_closes_at(self, field) -> None:
        opens = self.registration_opens_at.data
        if opens and field.data and field.data <= opens:
            raise ValidationError(_l("Registration must close after it opens."))

    def load(self, data: EventInput) -> None:
        for name in (
            "title",
            "description",
            "venue_address",
            "room_plan_note",
            "online_url",
            "registration_opens_at",
            "registration_closes_at",
            "request_deadline",
            "capacity_buyers",
            "capacity_suppliers",
            "admission",
            "max_open_requests",
            "table_count",
        ):
            getattr(self, name).data = getattr(data, name)
        self.themes.data = list(data.theme_ids)
        self.table_names.data = "\n".join(data.table_names).strip()

    def to_input(self) -> EventInput:
        return EventInput(
            title=self.title.data or "",
            description=self.description.data or "",
            theme_ids=list(self.themes.data or []),
            venue_address=self.venue_address.data or "",
            room_plan_note=self.room_plan_note.data or "",
            online_url=self.online_url.data or "",
            registration_opens_at=self.registration_opens_at.data,
            registration_closes_at=self.registration_closes_at.data,
            request_deadline=self.request_deadline.data,
            capacity_buyers=self.capacity_buyers.data,
            capacity_suppliers=self.capacity_suppliers.data,
            admission=self.admission.data or "",
            max_open_requests=self.max_open_requests.data or 1,
            table_count=self.table_count.data or 0,
            table_names=(self.table_names.data or "").splitlines(),
        )


class DayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date of the day."))])
    start_time = TimeField(
        _l("Starts at"), validators=[InputRequired(message=_l("Enter when the day starts."))]
    )
    end_time = TimeField(_l("Ends at"), validators=[InputRequired(message=_l("Enter when the day ends."))])
    slot_minutes = IntegerField(
        _l("Length of a meeting (minutes)"),
        default=20,
        validators=[InputRequired(message=_l("Enter a number of minutes.")), NumberRange(min=5, max=240)],
    )


class BlockForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=_choices(BLOCK_KINDS))
    title = OneLineField(_l("Title"), validators=[Optional(), Length(max=200)])
    start_time = TimeField(_l("Starts at"), validators=[InputRequired(message=_l("Enter when it starts."))])
    end_time = TimeField(_l("Ends at"), validators=[InputRequired(message=_l("Enter when it ends."))])


class RegistrationForm(FlaskForm):
    role = RadioField(_l("I take part as"), validators=[InputRequired(message=_l("Choose your role."))])
    items = MultiCheckboxField(_l("What I bring"), coerce=int, validate_choice=False)
    slots = MultiCheckboxField(_l("When I am available"), coerce=int, validate_choice=False)
    max_meetings = IntegerField(
        _l("Maximum number of meetings"),
        default=8,
        validators=[InputRequired(message=_l("Enter a number.")), NumberRange(min=1, max=100)],
    )

    def set_choices(self, roles: list[str], items_by_role: dict[str, list], slots: list) -> None:
        self.role.choices = [SelectChoice(role, PARTICIPANT_ROLES[role]) for role in roles]
        seen = []
        for role in roles:
            seen.extend(SelectChoice(item.id, item.title) for item in items_by_role.get(role, []))
        self.items.choices = seen
        self.slots.choices = [
            SelectChoice(slot.id, f"{slot.starts_at:%H:%M}–{slot.ends_at:%H:%M}") for slot in slots
        ]


class OnBehalfForm(FlaskForm):
    email = EmailField(
        _l("Email address of the participant"),
        validators=[InputRequired(message=_l("Enter an email address.")), Email(), Length(max=254)],
    )
    role = RadioField(
        _l("Role"),
        choices=_choices(PARTICIPANT_ROLES),
        validators=[InputRequired(message=_l("Choose a role."))],
    )
    max_meetings = IntegerField(
        _l("Maximum number of meetings"), default=8, validators=[InputRequired(), NumberRange(min=1, max=100)]
    )


class RequestForm(FlaskForm):
    to = HiddenField()
    # What the request is about, from the page it was asked on (`?offering=` / `?need=`); checked by
    # services.meeting_requests.request_items, which explains a refusal.
    offering = HiddenField()
    need = HiddenField()
    message = TextAreaField(
        _l("Your message"),
        validators=[Optional(), Length(max=1000, message=_l("Keep your message under 1000 characters."))],
        render_kw={"rows": 4, "maxlength": 1000},
    )


class ActionForm(FlaskForm):
    """A button that posts (CSRF token only)."""


class StatusForm(FlaskForm):
    status = HiddenField(validators=[InputRequired()])


# --- the event's team (issue 16) ---------------------------------------------------------------------


class AddMemberForm(FlaskForm):
    email = EmailField(
        _l("Email address of their account"),
        validators=[
            InputRequired(message=_l("Enter an email address.")),
            Email(message=_l("Enter an email address such as name@example.be."), check_deliverability=False),
            Length(max=254),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],  # as pasted from a mail
    )
    role = RadioField(
        _l("Role in the team"),
        choices=vocab.choices(event_team.ROLE_LABELS),
        default=StaffRole.CHECK_IN.value,
        validate_choice=False,  # checked below, with a message that says what to do
        validators=[
            InputRequired(message=_l("Choose a role in the team.")),
            AnyOf([role.value for role in StaffRole], message=_l("Choose a role in the team.")),
        ],
    )


class RoleForm(FlaskForm):
    """A member's new role, from the button that says it."""

    role = HiddenField()
