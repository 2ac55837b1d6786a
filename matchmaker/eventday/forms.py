"""Forms of the event day area: buttons that post (CSRF token only), and the move to a free table."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired


class ActionForm(FlaskForm):
    """A button that posts (CSRF token only)."""


class FreeTableForm(FlaskForm):
    """The table a meeting moves to, among the free ones of its slot (anything else is refused by the form,
    before any query)."""

    table = SelectField(_l("Table"), coerce=int, validators=[InputRequired(message=_l("Choose a table."))])

    def set_tables(self, tables) -> None:
        self.table.choices = [SelectChoice(t.id, t.label) for t in tables]
