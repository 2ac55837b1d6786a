"""Forms of the catalogue: offerings, needs, themes and the life-cycle buttons."""

import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from matchmaker.conversations.forms import QUESTION_MODE_CHOICES, QUESTION_MODE_LABEL
from matchmaker.forms import OneLineField
from matchmaker.models import utcnow
from matchmaker.models.labels import CONTENT_LANGUAGES, INNOVATION_TYPES, PROCUREMENT_ROUTES, TRL_LEVELS
from matchmaker.routing import parse_id
from matchmaker.services import ServiceError
from matchmaker.services import catalogue as catalogue_service
from matchmaker.services import cpv as cpv_service

_THOUSANDS = re.compile(r"^\d{1,3}([.,\s\u00a0\u202f]\d{3})+$")


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (the `field` macro renders it as a fieldset)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class AmountField(IntegerField):
    """Whole euros; accepts '150000', '150.000', '150 000' and '€ 150.000'."""

    def process_formdata(self, valuelist):
        if valuelist:
            text = valuelist[0].replace("€", "").replace("EUR", "").strip()
            if _THOUSANDS.match(text):
                text = re.sub(r"[.,\s\u00a0\u202f]", "", text)
            valuelist = [text]
        super().process_formdata(valuelist)


def _cpv_codes(form, field) -> None:
    try:
        cpv_service.validate_codes(field.data or "")
    except ServiceError as refusal:
        raise ValidationError(refusal.message) from None


def _links(form, field) -> None:
    try:
        catalogue_service.check_links(field.data or "")
    except ServiceError as refusal:
        raise ValidationError(refusal.message) from None


class _ItemForm(FlaskForm):
    """What offerings and needs share."""

    title = OneLineField(_l("Title"), validators=[DataRequired(), Length(max=catalogue_service.TITLE_MAX)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=catalogue_service.SUMMARY_MAX)])
    keywords = OneLineField(
        _l("Keywords"), validators=[Optional(), Length(max=catalogue_service.KEYWORDS_MAX)]
    )
    language = SelectField(
        _l("Language of this text"),
        choices=[SelectChoice(lang.value, label) for lang, label in CONTENT_LANGUAGES.items()],
    )
    themes = MultiCheckboxField(_l("Themes"), coerce=int, validate_choice=True)
    cpv_codes = OneLineField(_l("CPV codes"), validators=[Optional(), _cpv_codes])
    version = HiddenField()

    def set_theme_choices(self, themes, language: str) -> None:
        self.themes.choices = [SelectChoice(theme.id, theme.name(language)) for theme in themes]

    def version_number(self) -> int | None:
        return parse_id(self.version.data)


class OfferingForm(_ItemForm):
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=catalogue_service.TEXT_MAX)]
    )
    innovation_type = SelectField(
        _l("Type of innovation"),
        choices=[SelectChoice(kind.value, label) for kind, label in INNOVATION_TYPES.items()],
    )
    trl = SelectField(
        _l("Maturity (technology readiness level)"),
        choices=[SelectChoice("", _l("Not applicable"))]
        + [SelectChoice(str(n), label) for n, label in TRL_LEVELS.items()],
    )
    reference_projects = TextAreaField(
        _l("References and pilots"), validators=[Optional(), Length(max=catalogue_service.TEXT_MAX)]
    )
    links = TextAreaField(_l("Links and attachments"), validators=[Optional(), _links])

    def to_input(self) -> catalogue_service.OfferingInput:
        return catalogue_service.OfferingInput(
            title=self.title.data or "",
            summary=self.summary.data or "",
            description=self.description.data or "",
            innovation_type=self.innovation_type.data,
            trl=int(self.trl.data) if self.trl.data else None,
            keywords=self.keywords.data or "",
            language=self.language.data,
            reference_projects=self.reference_projects.data or "",
            links=self.links.data or "",
            theme_ids=list(self.themes.data or []),
            cpv_codes=self.cpv_codes.data or "",
        )


class NeedForm(_ItemForm):
    challenge = TextAreaField(
        _l("Challenge"), validators=[Optional(), Length(max=catalogue_service.TEXT_MAX)]
    )
    expected_outcome = TextAreaField(
        _l("Expected outcome"), validators=[Optional(), Length(max=catalogue_service.TEXT_MAX)]
    )
    budget_min = AmountField(
        _l("Indicative budget: from (EUR)"),
        validators=[Optional(), NumberRange(min=0, max=catalogue_service.BUDGET_MAX)],
    )
    budget_max = AmountField(
        _l("Indicative budget: up to (EUR)"),
        validators=[Optional(), NumberRange(min=0, max=catalogue_service.BUDGET_MAX)],
    )
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    procurement_route = SelectField(
        _l("Procurement route"),
        choices=[SelectChoice(route.value, label) for route, label in PROCUREMENT_ROUTES.items()],
    )
    registered_only = BooleanField(_l("Show this need to registered users only"))
    # Optional: a form posted without it (an older page) leaves the need's choice as it is.
    question_mode = RadioField(QUESTION_MODE_LABEL, choices=QUESTION_MODE_CHOICES, validators=[Optional()])

    def __init__(self, *args, previous_deadline: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.previous_deadline = previous_deadline

    def validate_budget_max(self, field) -> None:
        if self.budget_min.data is not None and field.data is not None and self.budget_min.data > field.data:
            raise ValidationError(_("The maximum budget must be at least the minimum budget."))

    def validate_deadline(self, field) -> None:
        if field.data and field.data != self.previous_deadline and field.data < utcnow().date():
            raise ValidationError(_("The deadline cannot be in the past."))

    def to_input(self) -> catalogue_service.NeedInput:
        return catalogue_service.NeedInput(
            title=self.title.data or "",
            summary=self.summary.data or "",
            challenge=self.challenge.data or "",
            expected_outcome=self.expected_outcome.data or "",
            keywords=self.keywords.data or "",
            budget_min=self.budget_min.data,
            budget_max=self.budget_max.data,
            deadline=self.deadline.data,
            procurement_route=self.procurement_route.data,
            language=self.language.data,
            registered_only=bool(self.registered_only.data),
            question_mode=self.question_mode.data or None,
            theme_ids=list(self.themes.data or []),
            cpv_codes=self.cpv_codes.data or "",
        )


class ThemeForm(FlaskForm):
    slug = OneLineField(
        _l("Short name (in web addresses)"),
        validators=[DataRequired(), Length(max=60)],
    )
    name_nl = OneLineField(_l("Name in Dutch"), validators=[DataRequired(), Length(max=120)])
    name_fr = OneLineField(_l("Name in French"), validators=[DataRequired(), Length(max=120)])
    name_en = OneLineField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    position = IntegerField(
        _l("Position in lists"), default=0, validators=[InputRequired(), NumberRange(min=0, max=10_000)]
    )


class ActionForm(FlaskForm):
    """A button that changes something (publish, archive, ...): only the CSRF token."""
