"""Forms of the 3%-norm tracker. Amounts are text fields parsed by services.tracker.parse_euro, so that
"1.234.567,89" and "1234567.89" both work; the parsed cents are kept on the field as `cents`."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from matchmaker.forms import OneLineField
from matchmaker.models.labels import PROCUREMENT_ROUTES
from matchmaker.models.tracker import FIRST_YEAR, LAST_YEAR
from matchmaker.services.tracker import ProjectInput, parse_euro


class EuroField(OneLineField):
    """A euro amount typed as people type it; `.cents` holds the parsed value after validation."""

    cents: int | None = None

    def pre_validate(self, form) -> None:
        self.cents = None
        if self.data is None or not str(self.data).strip():
            return  # InputRequired / Optional decide
        try:
            self.cents = parse_euro(self.data)
        except ValueError as problem:
            raise ValidationError(str(problem)) from None


AMOUNT_KW = {"inputmode": "decimal", "spellcheck": "false", "autocomplete": "off"}


class ActionForm(FlaskForm):
    """A button that posts (delete): only the CSRF token."""


class YearForm(FlaskForm):
    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(message=_l("Enter a year.")),
            NumberRange(
                min=FIRST_YEAR,
                max=LAST_YEAR,
                message=_l("Enter a year between %(min)s and %(max)s."),
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )
    budget = EuroField(
        _l("Procurement budget of the year (EUR)"),
        validators=[InputRequired(message=_l("Enter an amount in euro.")), Length(max=40)],
        render_kw=AMOUNT_KW,
    )


def explanation_field() -> TextAreaField:
    return TextAreaField(
        _l("Why the innovation spend is more than the budget (only then)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 3},
    )


class BudgetForm(FlaskForm):
    budget = EuroField(
        _l("Procurement budget of the year (EUR)"),
        validators=[InputRequired(message=_l("Enter an amount in euro.")), Length(max=40)],
        render_kw=AMOUNT_KW,
    )
    explanation = explanation_field()


class ProjectForm(FlaskForm):
    title = OneLineField(
        _l("Title of the project"), validators=[InputRequired(message=_l("Enter a title.")), Length(max=200)]
    )
    procurement_route = SelectField(
        _l("Procurement route"),
        choices=[SelectChoice(route.value, label) for route, label in PROCUREMENT_ROUTES.items()],
        validators=[InputRequired(message=_l("Choose a procurement route."))],
    )
    amount = EuroField(
        _l("Amount spent in the year (EUR)"),
        validators=[InputRequired(message=_l("Enter an amount in euro.")), Length(max=40)],
        render_kw=AMOUNT_KW,
    )
    need_id = SelectField(_l("Need on the platform (optional)"), coerce=str, validate_choice=True)
    note = TextAreaField(
        _l("Note (optional)"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )
    explanation = explanation_field()

    def set_need_choices(self, needs) -> None:
        self.need_id.choices = [
            SelectChoice("", _l("None")),
            *[SelectChoice(str(n.id), n.title) for n in needs],
        ]

    def to_input(self) -> ProjectInput:
        return ProjectInput(
            title=self.title.data or "",
            procurement_route=self.procurement_route.data or "",
            amount_cents=self.amount.cents or 0,
            need_id=int(self.need_id.data) if self.need_id.data else None,
            note=self.note.data or "",
            explanation=self.explanation.data or "",
        )
