"""How a route shows a service's refusal: in one line, on its form or as a flash message; and the field of
every one-line text (`OneLineField`).

    try:
        service.update_thing(acting_user(), thing, form.to_input())
    except ServiceError as refusal:
        form_refused(form, refusal)

The refused unit of work is rolled back here (no route rolls back itself), so the page that shows the
refusal never renders or flushes half a change. `NotAllowed` and `NotFound` are not shown on the form: they go
on to the error pages (403, 404) of `matchmaker.errors`.
"""

from collections.abc import Mapping

from flask import flash
from wtforms import StringField

from matchmaker.services import NotAllowed, NotFound, Refusal, discard
from matchmaker.textutil import one_line


class OneLineField(StringField):
    """The field of every one-line text a person types (names, titles, subjects, places, search words):
    line breaks and other control characters become spaces as the form reads them (`textutil.one_line`), so
    the person sees what is kept, and lengths are checked on it. Only multi-line texts (TextAreaField),
    passwords, hidden tokens, the honeypot and email addresses (which their validator refuses with a
    control character in them) are other StringFields. Pass `widget=SearchInput()` for a search box."""

    def process_formdata(self, valuelist) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = one_line(self.data)


def refused(refusal: Refusal) -> str:
    """Discard the refused changes and return the message to show (403 and 404 refusals are raised on)."""
    discard()
    if isinstance(refusal, (NotAllowed, NotFound)):
        raise refusal
    return refusal.message


def add_problems(form, problems: Mapping[str, str]) -> None:
    """Each message under the field it names; messages about no field of this form go to the top."""
    for name, message in problems.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def form_refused(form, refusal: Refusal, field: str | None = None) -> None:
    """Show the refusal on the form: per-field problems under their fields, else the message under `field`
    (when the route knows which field a plain refusal is about) or at the top of the form."""
    message = refused(refusal)
    problems = getattr(refusal, "problems", None) or {field or "": message}  # "" is no field: to the top
    add_problems(form, problems)


def flash_refused(refusal: Refusal, category: str = "danger") -> None:
    """Show the refusal as a flash message (for buttons without a form page)."""
    flash(refused(refusal), category)
