"""Forms of the matches area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField
from wtforms.validators import InputRequired

DECISION_CHOICES = (
    SelectChoice("interested", _l("Interested")),
    SelectChoice("not_interested", _l("Not interested")),
    SelectChoice("undecided", _l("Undecided")),
)


class InterestForm(FlaskForm):
    """One side's answer to a proposal; the page shows it as buttons named `decision`."""

    decision = SelectField(
        _l("Your answer"),
        choices=DECISION_CHOICES,
        validators=[InputRequired(message=_l("Choose whether you are interested or not."))],
    )
    next = HiddenField()


class OverviewFilterForm(FlaskForm):
    """The organizers' overview filter (GET: no CSRF token needed for reading)."""

    class Meta:
        csrf = False

    theme = SelectField(_l("Theme"), choices=[], validate_choice=True)

    def set_themes(self, themes, language: str, all_label: str) -> None:
        self.theme.choices = [SelectChoice("", all_label)] + [
            SelectChoice(str(theme.id), theme.name(language)) for theme in themes
        ]
