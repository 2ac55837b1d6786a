"""Issue 14, finding 6 and 9 (c): a line break or control character in a one-line text (a name, a title, a
subject, a place) can neither break a mail, a calendar file nor a page.

One rule (`textutil.one_line`): forms turn line breaks and control characters into spaces as they read them
(`forms.OneLineField`, on every one-line field), services do the same for what comes from elsewhere (imports,
commands), and the writers of mail headers and calendar lines clean what they write whatever is stored
(rows written before the rule, or behind the services' back)."""

import email
import email.policy
import importlib
import pathlib

import icalendar
import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import EmailField, HiddenField, PasswordField, StringField, TextAreaField

import matchmaker
from matchmaker.extensions import db
from matchmaker.forms import OneLineField
from matchmaker.models import Event, Offering, Organisation, ProgrammeBlock, Registration, User
from matchmaker.services import events as events_service
from matchmaker.services import mail
from matchmaker.services.events import EventInput
from tests.integration.test_auth import registration

# Carriage returns and line feeds as old data or a crafted request may hold them, each followed by what
# would be a property of its own (calendar) or a header of its own (mail) if it started a line.
BREAKS = ["\r", "\n", "\r\n"]
INJECTED_PROPERTY = "X-INJECTED:1"
INJECTED_HEADER = "Bcc: spy@example.org"
DIRTY = "Anne\r\nBcc: spy@example.org\x00\x07\u2028\u202eend"
CLEAN = "Anne Bcc: spy@example.org end"


def _post_data(**fields) -> MultiDict:
    return MultiDict(fields)


# --- forms: every one-line field applies the rule ------------------------------------------------------

# StringFields that are not one-line text a person types, with the reason.
NOT_ONE_LINE_TEXT = {
    ("SpamTrapForm", "website"): "the honeypot: what a bot typed must stay as it is",
    ("OneClickUnsubscribeForm", "one_click"): "a fixed value sent by mail clients",
}


def _form_classes() -> list[type]:
    """Every form class of the platform: the modules that mention FlaskForm are imported, then the subclasses
    of FlaskForm are walked."""
    root = pathlib.Path(matchmaker.__file__).parent
    for path in root.rglob("*.py"):
        if "FlaskForm" in path.read_text(encoding="utf-8"):
            relative = path.relative_to(root.parent).with_suffix("")
            importlib.import_module(".".join(relative.parts))
    found, todo = [], [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("matchmaker."):
                found.append(sub)
    return found


def _declared_fields(form: type):
    for cls in form.__mro__:
        for name, value in vars(cls).items():
            field_class = getattr(value, "field_class", None)
            if isinstance(field_class, type):
                yield cls, name, field_class


def test_every_one_line_text_field_of_every_form_applies_the_one_line_rule():
    """Finding 6: one shared field for all of them (names, titles, places, search words)."""
    forms = _form_classes()
    assert len(forms) > 40  # the walk found the forms
    offenders = set()
    for form in forms:
        for owner, name, field_class in _declared_fields(form):
            if not issubclass(field_class, StringField) or issubclass(field_class, OneLineField):
                continue
            if issubclass(field_class, (TextAreaField, PasswordField, HiddenField, EmailField)):
                continue  # lines are kept / typed as is / a token / refused by the Email validator
            if (owner.__name__, name) in NOT_ONE_LINE_TEXT:
                continue
            offenders.add(f"{owner.__module__}.{owner.__name__}.{name} ({field_class.__name__})")
    assert not offenders, sorted(offenders)


def _form(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


# One field of each family: names, titles, places, subjects, search words.
FIELDS = [
    ("matchmaker.auth.forms.RegisterForm", "display_name", {}),
    ("matchmaker.account.forms.ProfileForm", "display_name", {}),
    ("matchmaker.content.forms.ContactForm", "name", {}),
    ("matchmaker.content.forms.PageForm", "title_nl", {}),
    ("matchmaker.organisations.forms.OrganisationForm", "name", {"kinds": ["startup"]}),
    ("matchmaker.organisations.forms.OrganisationForm", "website", {"kinds": ["startup"]}),
    ("matchmaker.charter.forms.SignForm", "signatory_name", {}),
    ("matchmaker.charter.forms.SignForm", "signatory_function", {}),
    ("matchmaker.events.forms.EventForm", "title", {}),
    ("matchmaker.events.forms.EventForm", "venue_address", {}),
    ("matchmaker.events.forms.BlockForm", "title", {}),
    ("matchmaker.catalogue.forms.OfferingForm", "title", {}),
    ("matchmaker.catalogue.forms.NeedForm", "keywords", {}),
    ("matchmaker.catalogue.forms.ThemeForm", "name_fr", {}),
    ("matchmaker.tracker.forms.ProjectForm", "title", {}),
    ("matchmaker.agendas.forms.CancelForm", "reason", {}),
    ("matchmaker.catalogue.search.BrowseForm", "q", {"kind": "offering", "viewer": None}),
]


@pytest.mark.parametrize(
    ("path", "field", "kwargs"), FIELDS, ids=[f"{p.rsplit('.', 1)[1]}.{f}" for p, f, _ in FIELDS]
)
def test_a_one_line_field_turns_line_breaks_and_control_characters_into_spaces(app, path, field, kwargs):
    """Finding 6: each family of one-line fields (names, titles, places, subjects, search words)."""
    with app.test_request_context(method="POST"):
        form = _form(path)(formdata=_post_data(**{field: DIRTY}), meta={"csrf": False}, **kwargs)
        assert form[field].data == CLEAN


def test_the_admin_search_boxes_apply_the_rule_too(app):
    from matchmaker.admin.forms import UserSearchForm

    with app.test_request_context("/admin/users", query_string={"q": "an\r\nna"}):
        assert UserSearchForm().q.data == "an na"


# --- display names (finding 9 c): at registration and on the profile page -----------------------------


def test_a_display_name_with_control_characters_is_stored_on_one_line_at_registration(client):
    """Finding 9 (c): control characters were accepted in display names."""
    data = registration(display_name="An\x1b[31m\r\nPeeters\u202e\x07")
    response = client.post("/auth/register", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    user = db.session.scalars(sa.select(User)).one()
    assert user.display_name == "An [31m Peeters"


def test_a_display_name_with_control_characters_is_stored_on_one_line_from_the_profile_page(client, auth):
    """Finding 9 (c), on the profile page."""
    user = auth.login_as("supplier")
    data = {"display_name": "Marie\rDubois\x00\x08\u2029", "language": "fr"}
    response = client.post("/account/", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "Marie Dubois"


def test_a_display_name_of_nothing_but_control_characters_is_refused(client, auth):
    user = auth.login_as("supplier", display_name="Marie")
    response = client.post("/account/", data={"display_name": "\r\n\x07", "language": "fr"})
    assert response.status_code == 422
    assert b"Enter the name other users will see." in response.data
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "Marie"


# --- services: what comes from elsewhere than a form ---------------------------------------------------


def test_a_service_stores_a_one_line_text_from_any_caller_on_one_line(app, organizer):
    """Finding 6: the services-level cleaner, for commands, imports and any other writer."""
    event = events_service.create_event(
        organizer, EventInput(title="Meet\r\nX-INJECTED:1", venue_address="Havenlaan 88\n1000 Brussel")
    )
    assert (event.title, event.venue_address) == ("Meet X-INJECTED:1", "Havenlaan 88 1000 Brussel")


def test_a_catalogue_import_stores_titles_and_keywords_on_one_line(client, organizer, catalogue):
    """Finding 6: a CSV import (a quoted cell may hold line breaks)."""
    from matchmaker.services import exchange

    organisation = catalogue.bus_supplier.organisation
    content = (
        "title,organisation_enterprise_number,organisation,keywords,summary\r\n"
        f'"Radar\r\nX-INJECTED:1",,{organisation.name},"bus,\rtram","two\nlines"\r\n'
    )
    report = exchange.import_csv(organizer, "offerings", content.encode())
    assert report.ok, report.problems or report.file_errors
    offering = db.session.scalars(sa.select(Offering).where(Offering.title.startswith("Radar"))).one()
    assert offering.title == "Radar X-INJECTED:1"
    assert "\r" not in offering.keywords and "\n" not in offering.keywords
    assert offering.summary == "two\nlines"  # a text of several lines keeps them


# --- calendars: an .ics of old data parses, with no injected property ----------------------------------


def _store_behind_the_services(model, row_id: int, **values) -> None:
    """Old data: written before the rule, or by hand."""
    db.session.execute(sa.update(model).where(model.id == row_id).values(**values))
    db.session.commit()
    db.session.expire_all()


def _parsed(data: bytes) -> icalendar.Calendar:
    """The file, parsed; every content line ends with CRLF and holds no other CR or LF (RFC 5545 3.1)."""
    assert data.endswith(b"\r\n")
    for line in data[:-2].split(b"\r\n"):
        assert b"\r" not in line and b"\n" not in line, line
        assert not line.upper().startswith(b"X-INJECTED"), line
    return icalendar.Calendar.from_ical(data)


def _properties(calendar: icalendar.Calendar) -> set[str]:
    return {name for component in calendar.walk() for name in component}


@pytest.mark.parametrize("brk", BREAKS, ids=["CR", "LF", "CRLF"])
def test_an_event_calendar_file_with_a_title_stored_with_line_breaks_parses_without_injection(
    client, event, brk
):
    """Finding 6: a CR in a title wrote raw lines into /events/<id>.ics, an LF answered 500."""
    title = f"Meet{brk}{INJECTED_PROPERTY}{brk}DTSTART:19700101T000000Z"
    _store_behind_the_services(Event, event.id, title=title, venue_address=f"Havenlaan 88{brk}X-PLACE:1")
    response = client.get(f"/events/{event.id}.ics")
    assert response.status_code == 200
    calendar = _parsed(response.data)
    assert "X-INJECTED" not in _properties(calendar) and "X-PLACE" not in _properties(calendar)
    assert str(calendar["X-WR-CALNAME"]) == "Meet X-INJECTED:1 DTSTART:19700101T000000Z"
    (entry,) = calendar.walk("VEVENT")
    assert str(entry["SUMMARY"]) == "Meet X-INJECTED:1 DTSTART:19700101T000000Z"
    assert str(entry["LOCATION"]) == "Havenlaan 88 X-PLACE:1"
    assert entry.decoded("DTSTART").year > 2000


@pytest.mark.parametrize("brk", BREAKS, ids=["CR", "LF", "CRLF"])
def test_the_agenda_calendar_files_with_names_stored_with_line_breaks_parse_without_injection(
    client, auth, event, meeting, buyer, supplier, brk
):
    """Finding 6: the agenda's .ics files (download, one meeting, the secret feed) answered 500 on an LF."""
    _store_behind_the_services(Event, event.id, title=f"Meet{brk}{INJECTED_PROPERTY}")
    _store_behind_the_services(User, buyer.id, display_name=f"Bart{brk}{INJECTED_PROPERTY}")
    _store_behind_the_services(Organisation, buyer.organisation.id, name=f"Agency{brk}X-INJECTED:2\x07")
    block = db.session.scalars(sa.select(ProgrammeBlock)).first()
    _store_behind_the_services(ProgrammeBlock, block.id, title=f"Coffee{brk}X-INJECTED:3")
    auth.login(supplier)
    assert client.get(f"/events/{event.id}/agenda").status_code == 200
    registration_ = db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id, Registration.user_id == supplier.id)
    ).one()
    for path in (
        f"/events/{event.id}/agenda.ics",
        f"/events/{event.id}/agenda/meetings/{meeting.id}.ics",
        f"/calendar/{registration_.calendar_token}.ics",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        calendar = _parsed(response.data)
        assert not {p for p in _properties(calendar) if p.startswith("X-INJECTED")}, path
        (entry,) = calendar.walk("VEVENT")
        assert "Bart X-INJECTED:1" in str(entry["SUMMARY"]), path
        assert "Agency X-INJECTED:2" in str(entry["SUMMARY"]), path
        assert str(calendar["X-WR-CALNAME"]).endswith("Meet X-INJECTED:1"), path


# --- mails: a header with a name stored with line breaks parses without an injected header ------------


def _parsed_mail(sent: mail.SentMail) -> email.message.EmailMessage:
    raw = mail.build_message(sent).as_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def _only_headers(message) -> set[str]:
    return {name.lower() for name in message}


@pytest.mark.parametrize("brk", BREAKS, ids=["CR", "LF", "CRLF"])
def test_a_contact_name_with_line_breaks_is_mailed_on_one_line(client, outbox, make_user, brk):
    """Finding 6: a CR in a contact name answered 500."""
    from tests.integration.test_content import _contact

    make_user(roles=("admin",), language="en")
    response = client.post("/contact", data=_contact(name=f"Eve{brk}{INJECTED_HEADER}"))
    assert response.status_code == 302
    (sent,) = outbox
    message = _parsed_mail(sent)
    assert message["Subject"] == "Contact form: message from Eve Bcc: spy@example.org"
    assert "bcc" not in _only_headers(message)
    assert message["Reply-To"] == "vera@example.org"


@pytest.mark.parametrize("brk", BREAKS, ids=["CR", "LF", "CRLF"])
def test_a_mail_about_an_event_whose_title_was_stored_with_line_breaks_has_no_injected_header(
    app, outbox, event, supplier, register, brk
):
    """Finding 6: the outbox writes a subject from old data (a title stored with a line break) on one line."""
    _store_behind_the_services(Event, event.id, title=f"Meet{brk}{INJECTED_HEADER}")
    register(supplier, event)
    (sent,) = [m for m in outbox if m.to == supplier.email]
    assert "\r" not in sent.subject and "\n" not in sent.subject
    message = _parsed_mail(sent)
    assert "bcc" not in _only_headers(message)
    assert "Meet Bcc: spy@example.org" in message["Subject"]
    assert message.get_body(preferencelist=("plain",)).get_content().strip()  # the body is still the body
