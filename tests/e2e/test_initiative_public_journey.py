"""In the browser: the initiative's public pages in Dutch, French and English; an organisation's administrator
signs the charter and finds the organisation among the signatories; a visitor subscribes to the newsletter
and confirms through the mailed link. Every page passes axe's WCAG 2.1 AA rules."""

import re

import pytest

from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Organisation
from matchmaker.services import accounts
from matchmaker.services.content import seed_default_pages
from matchmaker.services.themes import ensure_default_themes
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture
def initiative(live_app):
    with live_app.app_context():
        ensure_default_themes()
        seed_default_pages()
        admin = accounts.create_user(
            "sarah@example.org", PASSWORD, "Sarah El Amrani", ("buyer",), language="en", confirmed=True
        )
        agency = Organisation(
            name="Agentschap Wegen en Verkeer",
            kind="government",
            policy_domain="mow",
            enterprise_number="0974638776",
            verification="verified",  # checked by the platform's administrators
        )
        db.session.add(agency)
        db.session.add(Membership(user=admin, organisation=agency, role=MembershipRole.ADMIN))
        db.session.commit()
    return {"admin": "sarah@example.org"}


PUBLIC_PAGES = [
    ("/initiative", "index"),
    ("/initiative/wat-en-waarom", "what"),
    ("/initiative/hoe-het-werkt", "how"),
    ("/initiative/initiatiefnemers", "initiators"),
    ("/charter/", "charter"),
    ("/contact", "contact"),
    ("/initiative/events-by-theme", "events-by-theme"),
    ("/newsletter/", "newsletter"),
]
HEADINGS = {
    "nl": "Overheidsopdrachten voor innovatie: wat en waarom",
    "fr": "Marchés publics pour l'innovation : quoi et pourquoi",
    "en": "Procurement of innovation: what and why",
}


@pytest.fixture
def published_events(live_app):
    """Two open events and a closed one, on themes, for the events-by-theme page."""
    from datetime import date, time, timedelta

    from matchmaker.models import Theme
    from matchmaker.services import events as events_service

    with live_app.app_context(), live_app.test_request_context():
        organizer = accounts.create_user(
            "olivia@example.org", PASSWORD, "Olivia Organizer", ("organizer",), confirmed=True
        )
        db.session.commit()
        themes = {t.slug: t for t in db.session.scalars(db.select(Theme))}
        for title, slugs, offset, closed in [
            ("Slimme mobiliteit", ["mobility"], 30, False),
            ("Energie en klimaat", ["energy", "climate-environment"], 45, False),
            ("Digitale overheid 2025", ["digital-government"], -60, True),
        ]:
            data = events_service.EventInput(
                title=title,
                venue_address="Havenlaan 88, 1000 Brussel",
                theme_ids=[themes[s].id for s in slugs],
            )
            event = events_service.create_event(organizer, data)
            events_service.add_day(
                organizer, event, date.today() + timedelta(days=offset), time(9), time(12), 20
            )
            events_service.change_status(organizer, event, "registration_open")
            if closed:
                event.status = "closed"
            db.session.commit()


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_public_pages_in_each_language(page, check_a11y, initiative, published_events, language):
    page.goto("/")
    page.locator(f"form.language-switch button[value={language}]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language
    for path, name in PUBLIC_PAGES:
        page.goto(path)
        assert page.locator("main h1").count() == 1, path
        # The colours are checked on the Dutch pages; in French and English the same styles hold other texts.
        check_a11y(page, f"initiative-{name}-{language}", contrast=language == "nl")
    page.goto("/initiative/wat-en-waarom")
    assert page.locator("main h1").inner_text() == HEADINGS[language]
    assert page.locator(".translation-note").count() == 0


def test_an_organisation_admin_signs_the_charter(page, check_a11y, initiative):
    log_in(page, initiative["admin"])
    page.goto("/charter/")
    assert page.get_by_text("No organisation has signed the charter yet.").is_visible()
    page.get_by_role("link", name="Sign the charter").click()
    check_a11y(page, "charter-sign")
    page.get_by_label("Name of the signatory").fill("Sarah El Amrani")
    page.get_by_label("Function of the signatory").fill("Director-general")
    page.get_by_label("We pledge to spend at least 3% of our procurement budget on innovation").check()
    page.get_by_label("I am authorised to sign this charter on behalf of my organisation.").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_text("Thank you: Agentschap Wegen en Verkeer has signed the charter.").is_visible()
    row = page.locator("#signatories tbody tr")
    assert row.count() == 1
    assert "Agentschap Wegen en Verkeer" in row.inner_text()
    assert "Government entity" in row.inner_text()
    assert "Mobility and Public Works (MOW)" in row.inner_text()
    check_a11y(page, "charter-signed")
    # Anyone sees it in the public list.
    page.context.clear_cookies()
    page.goto("/charter/")
    assert "Agentschap Wegen en Verkeer" in page.locator("#signatories").inner_text()


def test_a_visitor_subscribes_and_confirms_by_mail(
    page, check_a11y, initiative, live_server, live_app, monkeypatch
):
    monkeypatch.setitem(live_app.config, "FORM_MIN_SECONDS", 1)
    page.goto("/")
    page.locator("form.language-switch button[value=en]").click()
    page.goto("/newsletter/")
    check_a11y(page, "newsletter-subscribe")
    page.get_by_label("Email address").fill("visitor@example.org")
    page.get_by_label("Mobility").check()
    page.get_by_label("Energy").check()
    page.get_by_label("I agree").check()
    page.wait_for_timeout(1100)  # people take longer than the time trap's minimum to fill in a form
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state()
    assert "/newsletter/check-your-mailbox" in page.url
    check_a11y(page, "newsletter-check-mailbox")
    [mail] = [m for m in live_server.outbox if m.to == "visitor@example.org"]
    link = re.search(r"https?://\S+/newsletter/confirm/\S+", mail.body).group(0)
    page.goto(link)
    check_a11y(page, "newsletter-confirm")
    page.get_by_role("button", name="Confirm my subscription").click()
    page.wait_for_load_state()
    assert page.get_by_text("Thank you: your subscription is confirmed.").is_visible()
    assert page.get_by_label("Mobility").is_checked() and page.get_by_label("Energy").is_checked()
    check_a11y(page, "newsletter-manage")


def test_an_admin_previews_and_saves_a_page(page, check_a11y, initiative, live_app):
    with live_app.app_context():
        accounts.create_user(
            "ilse@example.org", PASSWORD, "Ilse Admin", ("admin",), language="en", confirmed=True
        )
        db.session.commit()
    log_in(page, "ilse@example.org")
    page.goto("/admin/pages")
    check_a11y(page, "pages-admin-list")
    page.get_by_role("link", name=re.compile(r"^Edit\W+The initiators$")).click()
    check_a11y(page, "pages-admin-edit")
    page.get_by_label("Text in English").fill(
        "# Who we are\n\nThe **Flemish** policy domains and research centres."
    )
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    preview = page.locator("#preview")
    assert preview.locator("h2", has_text="Who we are").count() == 1
    assert preview.locator("strong", has_text="Flemish").count() == 1
    check_a11y(page, "pages-admin-preview")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.get_by_text("The page is saved.").is_visible()
    page.goto("/initiative/initiatiefnemers")
    assert page.locator("main h2", has_text="Who we are").is_visible()


def test_an_admin_reviews_the_newsletter_and_resumes_an_interrupted_announcement(
    page, check_a11y, initiative, published_events, live_app
):
    from datetime import timedelta

    from matchmaker.models import Event, EventAnnouncement, Subscriber, utcnow

    with live_app.app_context():
        accounts.create_user(
            "ilse@example.org", PASSWORD, "Ilse Admin", ("admin",), language="en", confirmed=True
        )
        for n, status in enumerate(["confirmed", "confirmed", "pending", "unsubscribed"]):
            db.session.add(
                Subscriber(
                    email=f"s{n}@example.org",
                    status=status,
                    language="nl",
                    token_nonce=f"n{n}",
                    consent_version="2026-11",
                    confirmed_at=utcnow() if status == "confirmed" else None,
                )
            )
        event = db.session.scalar(db.select(Event).where(Event.title == "Slimme mobiliteit"))
        # A sending that stopped an hour ago, after one mail.
        db.session.add(
            EventAnnouncement(
                event_id=event.id, recipients=2, sent=1, progress_at=utcnow() - timedelta(hours=1)
            )
        )
        db.session.commit()
        event_id = event.id
    log_in(page, "ilse@example.org")
    page.goto("/admin/")
    page.locator(".admin-nav").get_by_role("link", name="Newsletter").click()
    assert page.locator("[data-status=confirmed]").inner_text() == "2"
    assert page.get_by_role("link", name="Export 2 confirmed subscribers (CSV)").is_visible()
    check_a11y(page, "newsletter-admin")
    page.locator(".admin-nav").get_by_role("link", name="Pages").click()
    assert page.locator(".admin-nav [aria-current=page]").inner_text() == "Pages"

    page.goto(f"/newsletter/announce/{event_id}")
    assert page.get_by_role("heading", name="The sending was interrupted").is_visible()
    check_a11y(page, "newsletter-announce-interrupted")
    page.get_by_role("button", name="Resume sending").click()
    page.wait_for_load_state()
    assert page.get_by_text("subscribers received it.").is_visible()
