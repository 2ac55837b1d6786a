from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from matchmaker.i18n import LANGUAGE_NAMES


class LanguageForm(FlaskForm):
    language = SelectField(choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()])
    next = HiddenField()
