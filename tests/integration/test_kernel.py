
"""The service kernel: one family of refusals, one commit helper, and routes that show a refusal in one line
without leaving half a change in the session."""

import re

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import StringField

from matchmaker.extensions import db
from matchmaker.forms import flash_refused, form_refused
from matchmaker.models import EventStatus, Page, Subscriber, SubscriberStatus, Theme
from matchmaker.services import (
    Conflict,
    EditConflict,
    Invalid,
    NotAllowed,
    NotFound,
    Refusal,
    ServiceError,
    accounts,
    claimed,
    commit,
    unit_of_work,
)
from matchmaker.services import events as events_service
from matchmaker.services import newsletter as newsletter_service

pytestmark = pytest.mark.usefixtures("request_context")


def _theme(slug: str, active: bool = True) -> Theme:
    return Theme(slug=slug, name_nl=slug, name_fr=slug, name_en=slug, active=active)


def _themes() -> list[str]:
    return list(db.session.scalars(sa.select(Theme.slug).order_by(Theme.slug)))


# --- the refusals ------------------------------------------------------------------------------------


def test_service_error_is_the_base_of_every_refusal():
    assert ServiceError is Refusal
    for kind in (Invalid, Conflict, NotAllowed, NotFound, EditConflict):
        assert issubclass(kind, Refusal)
    assert issubclass(EditConflict, Conflict)


def test_invalid_carries_problems_per_field_and_a_general_message():
    refusal = Invalid({"title": "Enter a title.", "venue": "Give a venue."})
    assert refusal.problems == {"title": "Enter a title.", "venue": "Give a venue."}
    assert refusal.message == "Enter a title. Give a venue."
    assert Invalid({"title": "Enter a title."}, "Check the form.").message == "Check the form."


def test_invalid_with_only_a_message_is_about_the_field_its_kind_names():
    assert Invalid("Check the form.").problems == {}
    wrong = accounts.WrongPassword("Your current password is not correct.")
    assert wrong.problems == {"current_password": "Your current password is not correct."}


def test_invalid_without_message_or_problem_is_a_programming_error():
    with pytest.raises(ValueError):
        Invalid({})


# --- commit and unit of work ---------------------------------------------------------------------------


def test_commit_turns_an_integrity_error_into_a_conflict_and_the_session_goes_on(app):
    db.session.add(_theme("mobility"))
    commit()
    db.session.add(_theme("mobility"))
    with pytest.raises(Conflict, match="This short name is taken"):
        commit("This short name is taken.")
    db.session.add(_theme("energy"))  # the failed transaction is gone: the session works again
    commit()
    assert _themes() == ["energy", "mobility"]


def test_a_claim_lost_to_another_writer_is_false_and_the_session_goes_on(app):
    db.session.add(_theme("mobility"))
    assert claimed()
    db.session.add(_theme("mobility"))
    assert not claimed()
    db.session.add(_theme("energy"))
    assert claimed()
    assert _themes() == ["energy", "mobility"]


def test_commit_without_a_message_gives_a_general_one(app):
    db.session.add(_theme("mobility"))
    commit()
    db.session.add(_theme("mobility"))
    with app.test_request_context(), pytest.raises(Conflict, match="Someone else changed this"):
        commit()


def test_commit_turns_a_stale_version_into_the_conflict_asked_for(app):
    page = Page(slug="about", title_nl="Over", published=True)
    db.session.add(page)
    commit()
    assert page.version == 1  # loaded, as by the editor's form
    # Someone else saved the page in the meantime: the version in the database moved on.
    db.session.execute(
        sa.update(Page)
        .where(Page.id == page.id)
        .values(version=Page.version + 1)
        .execution_options(synchronize_session=False)
    )
    page.title_nl = "Over ons"
    with pytest.raises(EditConflict, match="saved first"):
        commit("saved first", EditConflict)
    assert db.session.get(Page, page.id).title_nl == "Over"


def test_a_refusal_inside_a_unit_of_work_rolls_back_what_it_changed(app):
    theme = _theme("mobility")
    db.session.add(theme)
    commit()
    with pytest.raises(Invalid), unit_of_work():
        theme.name_en = "Changed half-way"
        db.session.add(_theme("energy"))
        raise Invalid({"name_en": "Refused after the change."})
    assert not db.session.dirty and not db.session.new
    assert theme.name_en == "mobility"
    assert _themes() == ["mobility"]


def test_a_unit_of_work_commits_and_turns_a_failed_flush_into_a_conflict(app):
    with unit_of_work():
        db.session.add(_theme("mobility"))
    with pytest.raises(Conflict, match="taken"), unit_of_work("taken"):
        db.session.add(_theme("mobility"))
        db.session.flush()
    db.session.add(_theme("energy"))
    commit()
    assert _themes() == ["energy", "mobility"]


# --- the web side: one line per route ------------------------------------------------------------------


class _TitleForm(FlaskForm):
    title = StringField()


@pytest.fixture
def form(app):
    with app.test_request_context(method="POST"):
        yield _TitleForm(meta={"csrf": False})


def test_a_form_shows_problems_under_their_fields_and_the_others_on_top(form):
    form_refused(form, Invalid({"title": "Enter a title.", "elsewhere": "Not a field of this form."}))
    assert form.title.errors == ["Enter a title."]
    assert form.form_errors == ["Not a field of this form."]


def test_a_plain_refusal_goes_on_top_or_under_the_field_the_route_names(form):
    form_refused(form, ServiceError("Registration is closed."))
    assert form.form_errors == ["Registration is closed."] and not form.title.errors
    form_refused(form, ServiceError("Too short."), field="title")
    assert form.title.errors == ["Too short."]


def test_the_form_helper_discards_the_refused_changes(form):
    theme = _theme("mobility")
    db.session.add(theme)
    commit()
    theme.name_en = "Left behind by a service"
    form_refused(form, ServiceError("Refused."))
    assert theme.name_en == "mobility"


@pytest.mark.parametrize("kind", [NotAllowed, NotFound])
def test_not_allowed_and_not_found_are_not_shown_on_the_form(form, kind):
    with pytest.raises(kind):
        form_refused(form, kind("No."))
    assert not form.form_errors


@pytest.mark.fresh_app
@pytest.mark.parametrize(("kind", "status"), [(NotAllowed, 403), (NotFound, 404)])
def test_not_allowed_and_not_found_answer_with_the_error_pages(app, client, kind, status):
    def refusing_view():
        theme = db.session.scalars(sa.select(Theme)).one()
        theme.name_en = "Half a change"
        try:
            raise kind("No.")
        except ServiceError as refusal:
            flash_refused(refusal)
        return "not reached"

    db.session.add(_theme("mobility"))
    commit()
    app.add_url_rule("/kernel-test", "kernel_test", refusing_view)
    response = client.get("/kernel-test")
    assert response.status_code == status
    assert db.session.scalars(sa.select(Theme)).one().name_en == "mobility"


# --- refused writes through the real routes and services ------------------------------------------------


def test_an_event_edit_refused_half_way_shows_the_message_and_leaves_nothing_behind(
    client, auth, event, organizer
):
    events_service.change_status(organizer, event, EventStatus.REGISTRATION_CLOSED)
    events_service.publish_agenda(organizer, event)
    auth.login(organizer)
    response = client.post(
        f"/events/{event.id}/edit",
        data={
            "title": "A new title, then the tables refuse",
            "venue_address": event.venue_address,
            "admission": "automatic",
            "max_open_requests": "5",
            "table_count": "1",  # fewer tables than the published agenda uses
        },
    )
    assert response.status_code == 422
    assert "Tables cannot be removed once the agenda is published." in response.get_data(as_text=True)
    # The test's session is the one the request used: the refused title must not linger in it.
    assert not db.session.dirty
    assert event.title == "Smart mobility meet & greet"
    assert len(event.tables) == 4


def test_an_event_form_refusal_is_shown_under_its_field(client, auth):
    auth.login_as("organizer")
    response = client.post(
        "/events/new",
        data={
            "title": "Meet & greet",
            "venue_address": "Havenlaan 88, 1000 Brussel",
            "registration_opens_at": "2027-01-10T09:00",
            "registration_closes_at": "2027-01-01T09:00",
            "admission": "automatic",
            "max_open_requests": "5",
            "table_count": "2",
        },
    )
    assert response.status_code == 422
    error = re.search(r'id="registration_closes_at-error"[^>]*>([^<]*)<', response.get_data(as_text=True))
    assert error and "Registration must close after it opens." in error.group(1)


def test_refused_newsletter_preferences_change_nothing(app, request_context):
    kept, retired = _theme("mobility"), _theme("retired", active=False)
    subscriber = Subscriber(
        email="reader@example.org",
        language="nl",
        status=SubscriberStatus.CONFIRMED,
        token_nonce="0" * 32,
        consent_version=newsletter_service.CONSENT_VERSION,
    )
    db.session.add_all([kept, retired, subscriber])
    commit()
    with pytest.raises(ServiceError, match="Choose themes from the list"):
        newsletter_service.update_preferences(subscriber, "fr", [kept.id, retired.id])
    assert not db.session.dirty
    assert subscriber.language == "nl"
