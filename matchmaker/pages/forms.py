from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField


class LanguageForm(FlaskForm):
    language = SelectField(choices=[("nl", "Nederlands"), ("fr", "Français"), ("en", "English")])
    next = HiddenField()
