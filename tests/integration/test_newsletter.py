"""The newsletter: double opt-in without enumeration, consent recorded, spam traps, managing themes and
unsubscribing through the token link (and RFC 8058 one-click), and announcing an event once to the confirmed
subscribers of its themes."""

import re
import time
from datetime import date, timedelta
from datetime import time as clock

import pytest
import sqlalchemy as sa
from markupsafe import escape

from matchmaker.extensions import db
from matchmaker.models import EventAnnouncement, EventStatus, Subscriber, SubscriberStatus, Theme
from matchmaker.services import antispam
from matchmaker.services import events as events_service
from matchmaker.services import newsletter as service
from matchmaker.services.events import EventInput


@pytest.fixture
def themes(app):
    mobility = Theme(
        slug="mobility", name_nl="Mobiliteit", name_fr="Mobilité", name_en="Mobility", position=1
    )
    energy = Theme(slug="energy", name_nl="Energie", name_fr="Énergie", name_en="Energy", position=2)
    db.session.add_all([mobility, energy])
    db.session.commit()
    return {"mobility": mobility, "energy": energy}


@pytest.fixture
def organizer(make_user):
    return make_user(roles=("organizer",), display_name="Olivia Organizer")


@pytest.fixture
def make_event(organizer):
    def factory(theme_list, status=EventStatus.REGISTRATION_OPEN, by=None, title="Smart roads meet & greet"):
        user = by or organizer
        event = events_service.create_event(
            user,
            EventInput(
                title=title,
                venue_address="Havenlaan 88, Brussel",
                theme_ids=[t.id for t in theme_list],
                table_count=2,
            ),
        )
        events_service.add_day(user, event, date.today() + timedelta(days=30), clock(9), clock(11), 20)
        if status != EventStatus.DRAFT:
            events_service.change_status(user, event, EventStatus.REGISTRATION_OPEN)
        return event

    return factory


def _form(**overrides):
    data = {
        "email": "Nina@Example.org",
        "language": "fr",
        "themes": [],
        "consent": "y",
        "website": "",
        "form_stamp": antispam.make_stamp(now=time.time() - 10),
    }
    data.update(overrides)
    return data


def link_in(mail, path: str) -> str:
    match = re.search(r"http://localhost(" + re.escape(path) + r"[^\s]+)", mail.body)
    assert match, mail.body
    return match.group(1)


def subscriber(email="nina@example.org") -> Subscriber | None:
    return service.get_subscriber(email)


def subscribe_and_confirm(client, outbox, email, language="nl", theme_ids=()):
    client.post(
        "/newsletter/", data=_form(email=email, language=language, themes=[str(i) for i in theme_ids])
    )
    confirm_path = link_in(outbox[-1], "/newsletter/confirm/")
    assert client.post(confirm_path).status_code == 302
    found = subscriber(email)
    assert found.status == SubscriberStatus.CONFIRMED
    return found


# --- subscribing: double opt-in ----------------------------------------------------------------------


def test_the_subscription_form_shows_the_themes_and_the_consent_text(client, themes):
    html = client.get("/newsletter/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Mobility" in html and "Energy" in html
    assert str(escape(service.consent_text())) in html
    assert 'name="form_stamp"' in html and 'name="website"' in html


def test_double_opt_in_confirms_through_the_mailed_link(client, outbox, themes):
    response = client.post("/newsletter/", data=_form(themes=[str(themes["energy"].id)]))
    assert response.status_code == 302 and "/newsletter/check-your-mailbox" in response.headers["Location"]
    pending = subscriber()
    assert pending.status == SubscriberStatus.PENDING
    assert pending.language == "fr" and [t.slug for t in pending.themes] == ["energy"]
    assert pending.consent_version == service.CONSENT_VERSION and pending.consent_at is not None
    assert pending.confirmed_at is None
    [mail] = outbox
    assert mail.to == "nina@example.org"
    assert mail.body.startswith("Bonjour")  # in the chosen language
    path = link_in(mail, "/newsletter/confirm/")
    page = client.get(path)
    assert page.status_code == 200  # a page with a button: following the link changes nothing
    assert subscriber().status == SubscriberStatus.PENDING
    response = client.post(path)
    assert response.status_code == 302 and "/newsletter/manage/" in response.headers["Location"]
    confirmed = subscriber()
    assert confirmed.status == SubscriberStatus.CONFIRMED and confirmed.confirmed_at is not None


def test_the_confirmation_mail_is_in_the_chosen_language(client, outbox, themes):
    client.post("/newsletter/", data=_form(language="fr"))
    client.post("/newsletter/", data=_form(email="jan@example.org", language="nl"))
    assert outbox[0].body.startswith("Bonjour")
    assert outbox[1].body.startswith("Beste")


def test_an_address_already_subscribed_gets_the_same_answer_and_nothing_changes(client, outbox, themes):
    confirmed = subscribe_and_confirm(client, outbox, "nina@example.org", "nl", [themes["mobility"].id])
    client.get("/newsletter/")  # shows (and so clears) the confirmation's flash message
    outbox.clear()
    first = client.post("/newsletter/", data=_form(email="someone@example.org"))
    page_new = (
        client.get(first.headers["Location"]).get_data(as_text=True).replace("someone@example.org", "X")
    )
    second = client.post(
        "/newsletter/", data=_form(email="nina@example.org", themes=[str(themes["energy"].id)])
    )
    page_old = client.get(second.headers["Location"]).get_data(as_text=True).replace("nina@example.org", "X")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert page_new == page_old
    db.session.refresh(confirmed)
    assert confirmed.status == SubscriberStatus.CONFIRMED
    assert [t.slug for t in confirmed.themes] == ["mobility"]  # not changed by whoever filled in the form
    mail = next(m for m in outbox if m.to == "nina@example.org")
    assert "/newsletter/manage/" in mail.body and "/newsletter/confirm/" not in mail.body


def test_a_pending_address_can_ask_again_and_the_old_link_stops_working(client, outbox, themes):
    client.post("/newsletter/", data=_form())
    old_path = link_in(outbox[-1], "/newsletter/confirm/")
    client.post("/newsletter/", data=_form())
    new_path = link_in(outbox[-1], "/newsletter/confirm/")
    assert old_path != new_path
    assert client.post(old_path).status_code == 404
    assert client.post(new_path).status_code == 302


@pytest.mark.parametrize("app_overrides", [{"NEWSLETTER_CONFIRM_MAX_AGE": timedelta(seconds=-1)}])
def test_an_expired_confirmation_link_is_refused(client, outbox, themes):
    client.post("/newsletter/", data=_form())
    response = client.post(link_in(outbox[-1], "/newsletter/confirm/"))
    assert response.status_code == 404
    assert b"expired" in response.data
    assert subscriber().status == SubscriberStatus.PENDING


@pytest.mark.parametrize("token", ["garbage", "eyJzIjoxfQ.forged.sig"])
def test_a_forged_link_is_refused(client, token):
    assert client.get(f"/newsletter/confirm/{token}").status_code == 404
    assert client.get(f"/newsletter/manage/{token}").status_code == 404
    assert client.get(f"/newsletter/unsubscribe/{token}").status_code == 404


# --- refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": ""}, b"Enter your email address."),
        ({"email": "nope"}, b"Enter a valid email address."),
        ({"consent": ""}, b"Tick the box to agree to receive the newsletter."),
        ({"language": "de"}, b"Not a valid choice"),
        ({"themes": ["999"]}, b"not a valid choice"),
    ],
)
def test_invalid_subscriptions_are_refused_with_a_message(client, outbox, themes, overrides, message):
    response = client.post("/newsletter/", data=_form(**overrides))
    assert response.status_code == 422
    assert message.lower() in response.data.lower()
    assert outbox == [] and subscriber() is None


def test_the_honeypot_pretends_and_sends_nothing(client, outbox, themes):
    response = client.post("/newsletter/", data=_form(website="buy-now"))
    assert response.status_code == 302
    assert outbox == [] and subscriber() is None


def test_a_form_sent_too_fast_is_refused(client, outbox, themes):
    response = client.post("/newsletter/", data=_form(form_stamp=antispam.make_stamp()))
    assert response.status_code == 422
    assert b"Please check the form and send it again." in response.data
    assert outbox == [] and subscriber() is None


@pytest.mark.parametrize(
    "app_overrides", [{"RATELIMIT_ENABLED": True, "NEWSLETTER_RATE_LIMIT": "2 per minute"}]
)
def test_subscribing_is_rate_limited(client, outbox, themes):
    for n in range(2):
        assert client.post("/newsletter/", data=_form(email=f"a{n}@example.org")).status_code == 302
    assert client.post("/newsletter/", data=_form(email="a9@example.org")).status_code == 429
    assert len(outbox) == 2


# --- managing and unsubscribing ----------------------------------------------------------------------


def test_the_manage_link_changes_themes_and_language(client, outbox, themes):
    confirmed = subscribe_and_confirm(client, outbox, "nina@example.org")
    token = service.manage_token(confirmed)
    assert client.get(f"/newsletter/manage/{token}").status_code == 200
    response = client.post(
        f"/newsletter/manage/{token}", data={"language": "en", "themes": [str(themes["energy"].id)]}
    )
    assert response.status_code == 302
    db.session.refresh(confirmed)
    assert confirmed.language == "en" and [t.slug for t in confirmed.themes] == ["energy"]


def test_the_manage_form_refuses_invalid_choices(client, outbox, themes):
    confirmed = subscribe_and_confirm(client, outbox, "nina@example.org")
    token = service.manage_token(confirmed)
    response = client.post(f"/newsletter/manage/{token}", data={"language": "xx", "themes": []})
    assert response.status_code == 422
    db.session.refresh(confirmed)
    assert confirmed.language == "nl"


def test_unsubscribing_from_the_link_asks_for_a_click_then_stops_the_mail(client, outbox, themes):
    confirmed = subscribe_and_confirm(client, outbox, "nina@example.org")
    path = f"/newsletter/unsubscribe/{service.manage_token(confirmed)}"
    assert client.get(path).status_code == 200
    assert subscriber().status == SubscriberStatus.CONFIRMED
    response = client.post(path)
    assert response.status_code == 200 and b"You are unsubscribed" in response.data
    gone = subscriber()
    assert gone.status == SubscriberStatus.UNSUBSCRIBED and gone.unsubscribed_at is not None
    assert gone.consent_version == service.CONSENT_VERSION  # the consent history stays


def test_one_click_unsubscribe_as_mail_clients_post_it(client, outbox, themes):
    confirmed = subscribe_and_confirm(client, outbox, "nina@example.org")
    path = f"/newsletter/unsubscribe/{service.manage_token(confirmed)}"
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert subscriber().status == SubscriberStatus.UNSUBSCRIBED


def test_one_click_with_a_forged_token_is_404(client):
    assert (
        client.post("/newsletter/unsubscribe/forged", data={"List-Unsubscribe": "One-Click"}).status_code
        == 404
    )


def test_an_unsubscribed_address_can_subscribe_again_with_a_new_opt_in(client, outbox, themes):
    confirmed = subscribe_and_confirm(client, outbox, "nina@example.org")
    old_token = service.manage_token(confirmed)
    service.unsubscribe(confirmed)
    client.post("/newsletter/", data=_form())
    again = subscriber()
    assert again.status == SubscriberStatus.PENDING
    assert client.get(f"/newsletter/manage/{old_token}").status_code == 404  # old links are void
    assert "/newsletter/confirm/" in outbox[-1].body


# --- announcing events -------------------------------------------------------------------------------


def test_an_announcement_reaches_only_confirmed_subscribers_of_matching_themes(
    client, auth, outbox, themes, organizer, make_event
):
    mobility, energy = themes["mobility"], themes["energy"]
    subscribe_and_confirm(client, outbox, "mobility@example.org", "fr", [mobility.id])
    subscribe_and_confirm(client, outbox, "everything@example.org", "en", [])
    subscribe_and_confirm(client, outbox, "energy@example.org", "nl", [energy.id])
    gone = subscribe_and_confirm(client, outbox, "gone@example.org", "nl", [mobility.id])
    service.unsubscribe(gone)
    client.post("/newsletter/", data=_form(email="pending@example.org", themes=[str(mobility.id)]))
    event = make_event([mobility])
    outbox.clear()

    auth.login(organizer)
    page = client.get(f"/newsletter/announce/{event.id}")
    assert page.status_code == 200
    assert b"2 confirmed subscribers follow the themes of this event" in page.data
    response = client.post(f"/newsletter/announce/{event.id}")
    assert response.status_code == 302
    assert sorted(m.to for m in outbox) == ["everything@example.org", "mobility@example.org"]
    by_to = {m.to: m for m in outbox}
    for address, mail in by_to.items():
        unsubscribe = (
            f"http://localhost/newsletter/unsubscribe/{service.manage_token(service.get_subscriber(address))}"
        )
        assert mail.headers["List-Unsubscribe"] == f"<{unsubscribe}>"
        assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe in mail.body
        assert f"http://localhost/events/{event.id}" in mail.body
    assert "Smart roads meet & greet" in by_to["mobility@example.org"].subject
    assert by_to["mobility@example.org"].body.startswith("Bonjour")  # each in the subscriber's language
    assert by_to["everything@example.org"].body.startswith("Hello")
    announcement = db.session.get(EventAnnouncement, event.id)
    assert announcement.recipients == 2 and announcement.announced_by_id == organizer.id


def test_an_event_cannot_be_announced_twice(client, auth, outbox, themes, organizer, make_event):
    subscribe_and_confirm(client, outbox, "mobility@example.org", "nl", [themes["mobility"].id])
    event = make_event([themes["mobility"]])
    auth.login(organizer)
    client.post(f"/newsletter/announce/{event.id}")
    outbox.clear()
    again = client.post(f"/newsletter/announce/{event.id}")
    assert again.status_code == 409
    assert b"already been announced" in again.data
    assert outbox == []
    assert b"This event was announced on" in client.get(f"/newsletter/announce/{event.id}").data


def test_the_database_refuses_a_second_announcement(themes, organizer, make_event):
    event = make_event([themes["mobility"]])
    db.session.add(EventAnnouncement(event_id=event.id))
    db.session.commit()
    db.session.add(EventAnnouncement(event_id=event.id))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_draft_cannot_be_announced(client, auth, outbox, themes, organizer, make_event):
    subscribe_and_confirm(client, outbox, "mobility@example.org", "nl", [themes["mobility"].id])
    event = make_event([themes["mobility"]], status=EventStatus.DRAFT)
    outbox.clear()
    auth.login(organizer)
    assert b"Publish the event before you announce it" in client.get(f"/newsletter/announce/{event.id}").data
    response = client.post(f"/newsletter/announce/{event.id}")
    assert response.status_code == 409
    assert outbox == []
    assert db.session.get(EventAnnouncement, event.id) is None


def test_only_the_events_organizer_or_an_admin_may_announce(
    client, auth, outbox, themes, make_user, make_event
):
    event = make_event([themes["mobility"]])
    draft = make_event([themes["mobility"]], status=EventStatus.DRAFT)
    auth.login(make_user(roles=("organizer",)))
    assert client.get(f"/newsletter/announce/{event.id}").status_code == 403
    assert client.post(f"/newsletter/announce/{event.id}").status_code == 403
    assert client.get(f"/newsletter/announce/{draft.id}").status_code == 404
    auth.login_as("supplier")
    assert client.post(f"/newsletter/announce/{event.id}").status_code == 403
    assert client.get("/newsletter/announce/9999").status_code == 404
    assert db.session.get(EventAnnouncement, event.id) is None
    auth.login(make_user(roles=("admin",)))
    assert client.post(f"/newsletter/announce/{event.id}").status_code == 302


def test_visitors_are_sent_to_log_in_to_announce(client, themes, make_event):
    event = make_event([themes["mobility"]])
    assert "/login" in client.get(f"/newsletter/announce/{event.id}").headers["Location"]


def test_the_manage_page_of_the_events_links_to_the_announcement(client, auth, themes, organizer, make_event):
    event = make_event([themes["mobility"]])
    auth.login(organizer)
    assert f'href="/newsletter/announce/{event.id}"'.encode() in client.get("/events/manage").data


def test_counts_of_subscribers(client, outbox, themes):
    subscribe_and_confirm(client, outbox, "a@example.org")
    client.post("/newsletter/", data=_form(email="b@example.org"))
    assert service.subscriber_counts() == {"pending": 1, "confirmed": 1, "unsubscribed": 0}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 2


def test_one_click_needs_no_csrf_token_but_a_click_on_the_page_does(database, app, client, outbox, themes):
    from tests.conftest import make_test_app

    confirmed = subscribe_and_confirm(client, outbox, "nina@example.org")
    path = f"/newsletter/unsubscribe/{service.manage_token(confirmed)}"
    strict = make_test_app(database, WTF_CSRF_ENABLED=True)
    with strict.app_context():
        browser = strict.test_client()
        assert browser.post(path).status_code == 400  # a form post without token: refused
        mail_client = strict.test_client()
        assert mail_client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
        db.session.remove()
        db.engine.dispose()
    db.session.expire_all()
    assert subscriber().status == SubscriberStatus.UNSUBSCRIBED


@pytest.mark.parametrize("app_overrides", [{"NEWSLETTER_INLINE": False}])
def test_outside_tests_the_mails_go_out_in_the_background_with_progress(
    client, auth, outbox, themes, organizer, make_event
):
    for n in range(3):
        subscribe_and_confirm(client, outbox, f"s{n}@example.org", "nl", [themes["mobility"].id])
    event = make_event([themes["mobility"]])
    outbox.clear()
    auth.login(organizer)
    assert client.post(f"/newsletter/announce/{event.id}").status_code == 302
    deadline = time.monotonic() + 10
    status = {}
    while time.monotonic() < deadline:
        status = client.get(f"/newsletter/announce/{event.id}/status").get_json()
        if status["finished"]:
            break
        time.sleep(0.05)
    assert status == {"recipients": 3, "sent": 3, "failed": 0, "finished": True}
    assert sorted(m.to for m in outbox) == ["s0@example.org", "s1@example.org", "s2@example.org"]
    assert b"3 subscribers received it." in client.get(f"/newsletter/announce/{event.id}").data


def test_the_progress_page_shows_an_unfinished_announcement(client, auth, themes, organizer, make_event):
    event = make_event([themes["mobility"]])
    db.session.add(EventAnnouncement(event_id=event.id, recipients=40, sent=15))
    db.session.commit()
    auth.login(organizer)
    html = client.get(f"/newsletter/announce/{event.id}").get_data(as_text=True)
    assert "Sending the announcement:" in html and 'value="15"' in html and 'max="40"' in html
    assert "/static/js/newsletter.js" in html


def test_a_mail_that_cannot_be_delivered_is_counted_and_the_others_still_go(
    client, auth, outbox, themes, organizer, make_event, monkeypatch
):
    import smtplib

    from matchmaker.services import mail

    for address in ("ok@example.org", "broken@example.org"):
        subscribe_and_confirm(client, outbox, address, "nl", [themes["mobility"].id])
    event = make_event([themes["mobility"]])
    outbox.clear()
    real_send = mail.send_mail

    def flaky(to, *args, **kwargs):
        if to == "broken@example.org":
            raise smtplib.SMTPRecipientsRefused({to: (550, b"no such user")})
        return real_send(to, *args, **kwargs)

    monkeypatch.setattr(mail, "send_mail", flaky)
    auth.login(organizer)
    client.post(f"/newsletter/announce/{event.id}")
    announcement = db.session.get(EventAnnouncement, event.id)
    db.session.refresh(announcement)
    assert (announcement.sent, announcement.failed, announcement.finished) == (1, 1, True)
    assert [m.to for m in outbox] == ["ok@example.org"]
    assert b"1 mail could not be delivered." in client.get(f"/newsletter/announce/{event.id}").data


def test_the_progress_status_is_for_the_organizer_only(
    client, auth, themes, organizer, make_user, make_event
):
    event = make_event([themes["mobility"]])
    auth.login(organizer)
    assert client.get(f"/newsletter/announce/{event.id}/status").status_code == 404  # not announced yet
    db.session.add(EventAnnouncement(event_id=event.id, recipients=1))
    db.session.commit()
    assert client.get(f"/newsletter/announce/{event.id}/status").status_code == 200
    auth.login(make_user(roles=("organizer",)))
    assert client.get(f"/newsletter/announce/{event.id}/status").status_code == 403
