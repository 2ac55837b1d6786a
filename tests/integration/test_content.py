"""The initiative's public pages: three languages with a Dutch fallback, the administrators' editor
(preview, publish, optimistic locking), `flask seed-pages`, events by theme and the contact form."""

import time

import pytest
import sqlalchemy as sa

from matchmaker import demo
from matchmaker.extensions import db
from matchmaker.models import EventStatus, Page, Theme
from matchmaker.services import antispam
from matchmaker.services import content as service
from matchmaker.services import events as events_service
from matchmaker.services.events import EventInput
from tests.helpers import counting

SLUGS = ("wat-en-waarom", "hoe-het-werkt", "initiatiefnemers", "charter", "contact")


@pytest.fixture
def pages(app):
    service.seed_default_pages()
    return {p.slug: p for p in service.all_pages()}


@pytest.fixture
def admin(make_user):
    return make_user(roles=("admin",), display_name="Ada Admin", language="en")


def old_stamp(seconds: float = 10) -> str:
    return antispam.make_stamp(now=time.time() - seconds)


def in_language(client, language: str) -> None:
    with client.session_transaction() as session:
        session["language"] = language


# --- default pages -----------------------------------------------------------------------------------


def test_seeding_creates_every_page_in_three_languages_and_only_once(app, runner):
    result = runner.invoke(args=["content", "seed-pages"])
    assert result.exit_code == 0, result.output
    assert "5 created" in result.output
    pages = service.all_pages()
    assert [p.slug for p in pages] == list(SLUGS)
    for page in pages:
        assert page.published
        for lang in ("nl", "fr", "en"):
            assert page.has_translation(lang), (page.slug, lang)
    again = runner.invoke(args=["content", "seed-pages"])
    assert "0 created, 5 already there" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Page)) == 5


def test_seeding_leaves_an_edited_page_alone(pages, admin):
    page = pages["wat-en-waarom"]
    data = service.PageInput(
        {"nl": "Eigen titel", "fr": "", "en": ""}, {"nl": "Eigen tekst", "fr": "", "en": ""}
    )
    service.update_page(admin, page, data, page.version)
    service.seed_default_pages()
    db.session.refresh(page)
    assert page.title_nl == "Eigen titel"


def test_the_demo_seeds_the_pages(app, monkeypatch):
    monkeypatch.setattr(demo, "STEPS", [s for s in demo.STEPS if s[0] == "pages"])
    demo.seed_demo_data()
    assert {p.slug for p in service.all_pages()} == set(SLUGS)


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("nl", "Overheidsopdrachten voor innovatie: wat en waarom"),
        ("fr", "Marchés publics pour l&#39;innovation : quoi et pourquoi"),
        ("en", "Procurement of innovation: what and why"),
    ],
)
def test_a_page_is_shown_in_the_readers_language(client, pages, language, title):
    in_language(client, language)
    response = client.get("/initiative/wat-en-waarom")
    assert response.status_code == 200
    assert f"<h1>{title}</h1>".encode() in response.data
    assert b"translation-note" not in response.data


def test_a_missing_translation_falls_back_to_dutch_with_a_note(client, pages):
    page = pages["hoe-het-werkt"]
    page.title_en = ""
    page.body_en = ""
    db.session.commit()
    in_language(client, "en")
    html = client.get("/initiative/hoe-het-werkt").get_data(as_text=True)
    assert '<h1 lang="nl">Hoe het werkt</h1>' in html
    assert "This page is not yet available in your language. It is shown in Dutch." in html
    assert '<div class="page-body rendered-markdown" lang="nl">' in html


def test_page_headings_follow_the_title_and_markup_is_sanitised(client, pages, admin):
    page = pages["wat-en-waarom"]
    body = "# Section\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"
    service.update_page(admin, page, service.PageInput({"nl": "T"}, {"nl": body}), page.version)
    html = client.get("/initiative/wat-en-waarom").get_data(as_text=True)
    assert "<h2>Section</h2>" in html
    assert "<script>alert" not in html
    assert "javascript:" not in html


def test_the_initiative_index_lists_the_published_pages(client, pages):
    pages["initiatiefnemers"].published = False
    db.session.commit()
    in_language(client, "en")
    html = client.get("/initiative").get_data(as_text=True)
    assert 'href="/initiative/wat-en-waarom"' in html
    assert 'href="/charter/"' in html and 'href="/contact"' in html
    assert "/initiative/initiatiefnemers" not in html


def test_an_unpublished_page_is_hidden_from_visitors_but_not_from_admins(client, auth, pages, admin):
    pages["initiatiefnemers"].published = False
    db.session.commit()
    assert client.get("/initiative/initiatiefnemers").status_code == 404
    auth.login_as("supplier")
    assert client.get("/initiative/initiatiefnemers").status_code == 404
    auth.login(admin)
    response = client.get("/initiative/initiatiefnemers")
    assert response.status_code == 200
    assert b"This page is not published" in response.data


def test_an_unknown_page_is_404(client, pages):
    assert client.get("/initiative/does-not-exist").status_code == 404


def test_the_charter_and_contact_pages_live_at_their_own_address(client, pages):
    assert client.get("/initiative/charter").headers["Location"].endswith("/charter/")
    assert client.get("/initiative/contact").headers["Location"].endswith("/contact")


# --- editing (administrators) ------------------------------------------------------------------------


def _page_form(page: Page, **overrides) -> dict:
    data = {"position": str(page.position), "version": str(page.version), "action": "save"}
    for lang in ("nl", "fr", "en"):
        data[f"title_{lang}"] = getattr(page, f"title_{lang}")
        data[f"body_{lang}"] = getattr(page, f"body_{lang}")
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ["supplier", "buyer", "organizer"])
def test_only_platform_admins_reach_the_editor(client, auth, pages, role):
    auth.login_as(role)
    page = pages["wat-en-waarom"]
    assert client.get("/admin/pages").status_code == 403
    assert client.get(f"/admin/pages/{page.id}/edit").status_code == 403
    assert client.post(f"/admin/pages/{page.id}/edit", data=_page_form(page)).status_code == 403
    assert client.post(f"/admin/pages/{page.id}/unpublish").status_code == 403
    assert client.get("/admin/pages/new").status_code == 403
    db.session.refresh(page)
    assert page.published


def test_visitors_are_sent_to_log_in(client, pages):
    response = client.get("/admin/pages")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_admin_lists_and_edits_a_page(client, auth, pages, admin):
    auth.login(admin)
    listing = client.get("/admin/pages").get_data(as_text=True)
    assert listing.count('href="/admin/pages/') >= 5
    assert "0 confirmed newsletter subscribers" in listing
    page = pages["hoe-het-werkt"]
    response = client.get(f"/admin/pages/{page.id}/edit")
    assert response.status_code == 200
    response = client.post(
        f"/admin/pages/{page.id}/edit",
        data=_page_form(page, title_en="How it works today", body_en="New **text**"),
    )
    assert response.status_code == 302
    db.session.refresh(page)
    assert page.title_en == "How it works today"
    assert page.updated_by_id == admin.id
    assert page.version == 2
    in_language(client, "en")
    assert b"New <strong>text</strong>" in client.get("/initiative/hoe-het-werkt").data


def test_the_preview_renders_on_the_server_and_saves_nothing(client, auth, pages, admin):
    auth.login(admin)
    page = pages["hoe-het-werkt"]
    response = client.post(
        f"/admin/pages/{page.id}/edit",
        data=_page_form(page, body_fr="# Titre\n\nUn *essai*", action="preview"),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Preview — not saved yet" in html
    assert "<h2>Titre</h2>" in html and "<em>essai</em>" in html
    db.session.refresh(page)
    assert "essai" not in page.body_fr and page.version == 1


def test_a_page_without_dutch_title_is_refused_with_a_message(client, auth, pages, admin):
    auth.login(admin)
    page = pages["contact"]
    response = client.post(f"/admin/pages/{page.id}/edit", data=_page_form(page, title_nl=""))
    assert response.status_code == 422
    assert b"Enter a Dutch title." in response.data
    db.session.refresh(page)
    assert page.title_nl == "Contact"


def test_a_stale_edit_is_refused_and_the_text_is_kept(client, auth, pages, admin, make_user):
    other = make_user(roles=("admin",), display_name="Bob Admin")
    page = pages["contact"]
    form = _page_form(page, body_en="My version")  # loaded at version 1
    service.update_page(
        other,
        page,
        service.PageInput(
            {"nl": "Contact", "fr": "Contact", "en": "Contact"},
            {"nl": "Hun versie", "fr": "x", "en": "Their version"},
        ),
        page.version,
    )
    auth.login(admin)
    response = client.post(f"/admin/pages/{page.id}/edit", data=form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this page" in html
    assert "My version" in html  # the editor's text is still in the form
    assert "Their version" in html  # ... beside the saved one
    assert "Bob Admin" in html
    db.session.refresh(page)
    assert page.body_en == "Their version"


def test_a_concurrent_update_is_caught_by_the_version_column(pages, admin):
    page = pages["contact"]
    db.session.execute(sa.update(Page).where(Page.id == page.id).values(version=Page.version + 1))
    # The session still believes version 1: SQLAlchemy's versioned UPDATE finds no row.
    with pytest.raises(service.EditConflict):
        service.update_page(admin, page, service.PageInput({"nl": "X"}, {"nl": "Y"}), 1)


def test_publish_and_unpublish(client, auth, pages, admin):
    auth.login(admin)
    page = pages["initiatiefnemers"]
    assert client.post(f"/admin/pages/{page.id}/unpublish").status_code == 302
    db.session.refresh(page)
    assert not page.published
    auth.logout()
    assert client.get("/initiative/initiatiefnemers").status_code == 404
    auth.login(admin)
    client.post(f"/admin/pages/{page.id}/publish")
    db.session.refresh(page)
    assert page.published


def test_an_admin_creates_a_page_unpublished(client, auth, pages, admin):
    auth.login(admin)
    response = client.post(
        "/admin/pages/new",
        data={
            "slug": "faq",
            "position": "60",
            "title_nl": "Veelgestelde vragen",
            "body_nl": "Tekst",
            "title_fr": "",
            "body_fr": "",
            "title_en": "",
            "body_en": "",
            "action": "save",
        },
    )
    assert response.status_code == 302
    page = service.get_page("faq")
    assert page is not None and not page.published


@pytest.mark.parametrize("slug", ["Bad Slug", "events-by-theme", "contact"])
def test_a_new_page_needs_a_free_valid_address(client, auth, pages, admin, slug):
    auth.login(admin)
    response = client.post(
        "/admin/pages/new",
        data={
            "slug": slug,
            "position": "1",
            "title_nl": "X",
            "body_nl": "",
            "title_fr": "",
            "body_fr": "",
            "title_en": "",
            "body_en": "",
            "action": "save",
        },
    )
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Page)) == 5


def test_editing_a_missing_page_is_404(client, auth, admin):
    auth.login(admin)
    assert client.get("/admin/pages/999/edit").status_code == 404
    assert client.post("/admin/pages/999/publish").status_code == 404


# --- events by theme ---------------------------------------------------------------------------------


def test_events_are_grouped_by_theme_without_drafts(client, make_user):
    organizer = make_user(roles=("organizer",))
    mobility = Theme(
        slug="mobility", name_nl="Mobiliteit", name_fr="Mobilité", name_en="Mobility", position=1
    )
    energy = Theme(slug="energy", name_nl="Energie", name_fr="Énergie", name_en="Energy", position=2)
    db.session.add_all([mobility, energy])
    db.session.commit()

    def make(title, themes, status=EventStatus.REGISTRATION_OPEN, day_offset=30):
        from datetime import date, time, timedelta

        event = events_service.create_event(
            organizer,
            EventInput(title=title, venue_address="Brussel", theme_ids=[t.id for t in themes], table_count=2),
        )
        events_service.add_day(
            organizer, event, date.today() + timedelta(days=day_offset), time(9), time(11), 20
        )
        if status != EventStatus.DRAFT:
            events_service.change_status(organizer, event, EventStatus.REGISTRATION_OPEN)
        if status == EventStatus.CLOSED:
            event.status = EventStatus.CLOSED
            db.session.commit()
        return event

    make("Smart roads", [mobility])
    make("Heat networks", [energy, mobility])
    make("Secret draft", [mobility], status=EventStatus.DRAFT)
    make("Old charging event", [energy], status=EventStatus.CLOSED, day_offset=-30)
    make("General meetup", [])
    in_language(client, "en")
    html = client.get("/initiative/events-by-theme").get_data(as_text=True)
    assert "Secret draft" not in html
    mobility_part = html[html.index('id="theme-mobility"') : html.index('id="theme-energy"')]
    energy_part = html[html.index('id="theme-energy"') : html.index('id="theme-other"')]
    assert "Smart roads" in mobility_part and "Heat networks" in mobility_part
    assert "Old charging event" not in mobility_part
    assert "Heat networks" in energy_part and "Old charging event" in energy_part
    assert (
        energy_part.index("Heat networks")
        < energy_part.index('id="theme-energy-past"')
        < energy_part.index("Old charging event")
    )
    assert "General meetup" in html[html.index('id="theme-other"') :]


def test_events_by_theme_runs_the_same_number_of_queries_for_more_events(client, make_user):
    from datetime import date, time, timedelta

    organizer = make_user(roles=("organizer",))
    themes = [
        Theme(slug=f"t{n}", name_nl=f"T{n}", name_fr=f"T{n}", name_en=f"Theme {n}", position=n)
        for n in range(3)
    ]
    db.session.add_all(themes)
    db.session.commit()

    def add_events(count):
        for n in range(count):
            event = events_service.create_event(
                organizer,
                EventInput(
                    title=f"Event {n}",
                    venue_address="Brussel",
                    theme_ids=[themes[n % 3].id, themes[(n + 1) % 3].id] if n % 4 else [],
                    table_count=2,
                ),
            )
            for extra in range(1 + n % 2):  # one-day and two-day events
                events_service.add_day(
                    organizer, event, date.today() + timedelta(days=10 + n + extra), time(9), time(11), 20
                )
            events_service.change_status(organizer, event, EventStatus.REGISTRATION_OPEN)

    def queries_for_the_page():
        db.session.expire_all()  # as in a new request: nothing loaded yet
        with counting() as statements:
            response = client.get("/initiative/events-by-theme")
        assert response.status_code == 200
        return len(statements), response.get_data(as_text=True)

    add_events(3)
    few, _html = queries_for_the_page()
    add_events(12)
    many, html = queries_for_the_page()
    assert html.count('class="event-card"') > 15  # all shown, under each of their themes
    assert many == few, f"{few} statements for 3 events, {many} for 15"


def test_events_by_theme_without_events_says_so(client):
    assert b"No events have been published yet" in client.get("/initiative/events-by-theme").data


# --- contact -----------------------------------------------------------------------------------------


def _contact(**overrides):
    data = {
        "name": "Vera Visitor",
        "email": "vera@example.org",
        "message": "Can a city join the meet & greets?",
        "website": "",
        "form_stamp": old_stamp(),
    }
    data.update(overrides)
    return data


def test_the_contact_page_shows_the_text_and_the_form(client, pages):
    in_language(client, "fr")
    html = client.get("/contact").get_data(as_text=True)
    assert "<h1>Contact</h1>" in html
    assert "deux jours ouvrables" in html
    assert 'name="form_stamp"' in html and 'name="website"' in html


def test_a_contact_message_is_mailed_to_every_admin_in_their_language(
    client, pages, outbox, make_user, admin
):
    make_user(roles=("admin",), email="second@example.org", language="fr")
    response = client.post("/contact", data=_contact())
    assert response.status_code == 302 and response.headers["Location"].endswith("/contact/sent")
    assert sorted(m.to for m in outbox) == sorted([admin.email, "second@example.org"])
    by_to = {m.to: m for m in outbox}
    assert by_to[admin.email].subject == "Contact form: message from Vera Visitor"
    assert "Can a city join the meet & greets?" in by_to[admin.email].body
    assert by_to[admin.email].headers["Reply-To"] == "vera@example.org"


def test_the_honeypot_silently_drops_the_message(client, pages, outbox, admin):
    response = client.post("/contact", data=_contact(website="http://spam.example"))
    assert response.status_code == 302  # a bot is told it worked ...
    assert outbox == []  # ... but nothing is sent


def test_a_form_sent_too_fast_is_refused_and_kept(client, pages, outbox, admin):
    response = client.post("/contact", data=_contact(form_stamp=antispam.make_stamp()))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "less than 3 seconds after it was opened" in html and "check it and send it again" in html
    assert "Can a city join the meet &amp; greets?" in html
    assert outbox == []


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_ENABLED": True, "CONTACT_RATE_LIMIT": "2 per minute"}])
def test_refused_sends_do_not_use_up_the_rate_limit(client, pages, outbox, admin):
    """Issue 18: a fast typist refused by the time trap tried again and met the rate limit's page, losing the
    message. Only sends that are acted on count now."""
    for _attempt in range(4):
        response = client.post("/contact", data=_contact(form_stamp=antispam.make_stamp()))
        assert response.status_code == 422
    assert client.post("/contact", data=_contact()).status_code == 302
    assert len(outbox) == 1


@pytest.mark.parametrize("stamp", ["", "12345.forged", "not-a-stamp"])
def test_a_missing_or_forged_time_stamp_is_refused(client, pages, outbox, admin, stamp):
    response = client.post("/contact", data=_contact(form_stamp=stamp))
    assert response.status_code == 422
    assert b"This form has expired" in response.data
    assert outbox == []


def test_a_stamp_older_than_a_day_is_refused(client, pages, outbox, admin):
    response = client.post("/contact", data=_contact(form_stamp=old_stamp(seconds=2 * 24 * 3600)))
    assert response.status_code == 422
    assert outbox == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter your name."),
        ("email", "not-an-address", "Enter a valid email address."),
        ("message", "", "Write your message."),
        ("message", "x" * 5001, "at most 5000 characters"),
    ],
)
def test_invalid_contact_input_is_refused_with_a_message(client, pages, outbox, admin, field, value, message):
    response = client.post("/contact", data=_contact(**{field: value}))
    assert response.status_code == 422
    assert message.encode() in response.data
    assert outbox == []


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_ENABLED": True, "CONTACT_RATE_LIMIT": "2 per minute"}])
def test_the_contact_form_is_rate_limited(client, pages, outbox, admin):
    for _ in range(2):
        assert client.post("/contact", data=_contact()).status_code == 302
    assert client.post("/contact", data=_contact()).status_code == 429
    assert len(outbox) == 2


def test_inactive_or_unconfirmed_admins_get_no_contact_mail(client, pages, outbox, make_user, admin):
    make_user(roles=("admin",), email="unconfirmed@example.org", confirmed=False)
    inactive = make_user(roles=("admin",), email="inactive@example.org")
    inactive.active = False
    db.session.commit()
    client.post("/contact", data=_contact())
    assert [m.to for m in outbox] == [admin.email]


def test_without_anyone_to_receive_it_the_message_is_refused_and_kept(client, pages, outbox):
    response = client.post("/contact", data=_contact())
    assert response.status_code == 422
    assert b"Your message could not be delivered" in response.data
    assert b"Can a city join the meet &amp; greets?" in response.data


@pytest.mark.parametrize("app_overrides", [{"CONTACT_EMAIL": "info@example.org"}])
def test_a_configured_contact_address_also_gets_the_message(client, pages, outbox):
    assert client.post("/contact", data=_contact()).status_code == 302
    assert [m.to for m in outbox] == ["info@example.org"]
