"""Forms of the schedules area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange

from matchmaker.models import ParticipantRole, RunMode
from matchmaker.models.labels import PARTICIPANT_ROLES, RUN_MODES


def _choices(labels) -> list[SelectChoice]:
    return [SelectChoice(str(code), label) for code, label in labels.items()]


def slot_label(slot) -> str:
    return f"{slot.starts_at:%d/%m %H:%M}–{slot.ends_at:%H:%M}"


class ActionForm(FlaskForm):
    """A button that posts (CSRF token only)."""


class RunForm(FlaskForm):
    mode = RadioField(
        _l("What to schedule"),
        choices=_choices(RUN_MODES),
        default=RunMode.FULL,
        validators=[InputRequired(message=_l("Choose what to schedule."))],
    )
    suggestions = BooleanField(_l("Also fill free time with meetings the matching engine suggests"))
    time_limit = IntegerField(
        _l("Time limit in seconds"),
        default=60,
        validators=[
            InputRequired(message=_l("Enter a time limit in seconds.")),
            NumberRange(min=1, max=600, message=_l("Enter a time limit between 1 and 600 seconds.")),
        ],
    )


class PlaceForm(FlaskForm):
    """Where a meeting goes: a meeting slot and a table."""

    slot = SelectField(
        _l("Time slot"), coerce=int, validators=[InputRequired(message=_l("Choose a time slot."))]
    )
    table = SelectField(_l("Table"), coerce=int, validators=[InputRequired(message=_l("Choose a table."))])

    def set_place_choices(self, event) -> None:
        self.slot.choices = [SelectChoice(s.id, slot_label(s)) for s in event.meeting_slots]
        self.table.choices = [
            SelectChoice(t.id, t.label) for t in sorted(event.tables, key=lambda t: t.number)
        ]


class MoveForm(PlaceForm):
    pass


class SwapForm(FlaskForm):
    other = SelectField(
        _l("Swap places with"), coerce=int, validators=[InputRequired(message=_l("Choose a meeting."))]
    )


class AddMeetingForm(PlaceForm):
    buyer = SelectField(_l("Buyer"), coerce=int, validators=[InputRequired(message=_l("Choose a buyer."))])
    supplier = SelectField(
        _l("Supplier"), coerce=int, validators=[InputRequired(message=_l("Choose a supplier."))]
    )

    def set_people_choices(self, registrations) -> None:
        def label(r):
            return (
                f"{r.user.display_name} ({r.organisation_name})"
                if r.organisation_name
                else r.user.display_name
            )

        people = sorted(registrations, key=lambda r: label(r).casefold())
        self.buyer.choices = [SelectChoice(r.id, label(r)) for r in people if r.role == ParticipantRole.BUYER]
        self.supplier.choices = [
            SelectChoice(r.id, label(r)) for r in people if r.role == ParticipantRole.SUPPLIER
        ]


class LateParticipantForm(FlaskForm):
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
        _l("Maximum number of meetings"),
        default=6,
        validators=[InputRequired(), NumberRange(min=1, max=50)],
    )
