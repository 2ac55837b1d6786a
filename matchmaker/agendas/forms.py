from flask_wtf import FlaskForm


class ResetCalendarLinkForm(FlaskForm):
    """The button that replaces the secret calendar feed URL (CSRF token only)."""
