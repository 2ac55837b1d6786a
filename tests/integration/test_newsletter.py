"""The newsletter: double opt-in without enumeration, consent recorded, spam traps, managing themes and
unsubscribing through the token link (and RFC 8058 one-click), and announcing an event once to the confirmed
subscribers of its themes."""

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape

from matchmaker.extensions import db
from matchmaker.models import (
    AnnouncementDelivery,
    DeliveryStatus,
    ErasedConsent,
    EventAnnouncement,
    EventStatus,
    Job,
    JobStatus,
    Subscriber,
    SubscriberStatus,
    Theme,
    utcnow,
)
from matchmaker.services import antispam
from matchmaker.services import newsletter as service
from matchmaker.tasks.periodic import enqueue_periodic, sweep


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
def make_themed_event(make_event):
    """An event on the given themes, as an announcement needs: open for registration unless a draft."""

    def factory(theme_list, status=EventStatus.REGISTRATION_OPEN, by=None, title="Smart roads meet & greet"):
        return make_event(
            open_registration=status != EventStatus.DRAFT,
            by=by,
            title=title,
            venue_address="Havenlaan 88, Brussel",
            theme_ids=[t.id for t in theme_list],
            table_count=2,
        )

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


def mail_to(outbox, email: str, seconds: float = 10):
    """The last mail to `email`; in the thread mode its delivery job runs beside the test, so wait for it."""
    deadline = time.monotonic() + seconds
    while True:
        mails = [mail for mail in outbox if mail.to == email]
        if mails or time.monotonic() > deadline:
            assert mails, f"no mail to {email}"
            return mails[-1]
        time.sleep(0.02)


def subscribe_and_confirm(client, outbox, email, language="nl", theme_ids=()):
    client.post(
        "/newsletter/", data=_form(email=email, language=language, themes=[str(i) for i in theme_ids])
    )
    confirm_path = link_in(mail_to(outbox, email), "/newsletter/confirm/")
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


def test_a_pending_address_asked_for_again_keeps_the_link_mailed_before(client, outbox, themes):
    """Issue 14, finding 9 (d): anyone who typed a pending address into the form again voided the
    confirmation link its owner had been sent. The earlier link stays valid, and the owner gets a new mail."""
    client.post("/newsletter/", data=_form())
    first_path = link_in(outbox[-1], "/newsletter/confirm/")
    client.post("/newsletter/", data=_form(email="NINA@example.org", language="nl"))  # someone else
    assert [m.to for m in outbox] == ["nina@example.org", "nina@example.org"]  # the owner hears of it
    assert client.post(first_path).status_code == 302
    assert subscriber().status == SubscriberStatus.CONFIRMED


def test_either_confirmation_link_of_a_pending_address_confirms_it(client, outbox, themes):
    client.post("/newsletter/", data=_form())
    client.post("/newsletter/", data=_form(themes=[str(themes["energy"].id)]))
    second_path = link_in(outbox[-1], "/newsletter/confirm/")
    assert client.post(second_path).status_code == 302
    confirmed = subscriber()
    assert confirmed.status == SubscriberStatus.CONFIRMED
    assert [t.slug for t in confirmed.themes] == ["energy"]  # the last choices, shown on the confirm page


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
    assert b"which is what spam robots do" in response.data and b"send it again" in response.data
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
    client, auth, outbox, themes, organizer, make_themed_event
):
    mobility, energy = themes["mobility"], themes["energy"]
    subscribe_and_confirm(client, outbox, "mobility@example.org", "fr", [mobility.id])
    subscribe_and_confirm(client, outbox, "everything@example.org", "en", [])
    subscribe_and_confirm(client, outbox, "energy@example.org", "nl", [energy.id])
    gone = subscribe_and_confirm(client, outbox, "gone@example.org", "nl", [mobility.id])
    service.unsubscribe(gone)
    client.post("/newsletter/", data=_form(email="pending@example.org", themes=[str(mobility.id)]))
    event = make_themed_event([mobility])
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


def test_an_event_cannot_be_announced_twice(client, auth, outbox, themes, organizer, make_themed_event):
    subscribe_and_confirm(client, outbox, "mobility@example.org", "nl", [themes["mobility"].id])
    event = make_themed_event([themes["mobility"]])
    auth.login(organizer)
    client.post(f"/newsletter/announce/{event.id}")
    outbox.clear()
    again = client.post(f"/newsletter/announce/{event.id}")
    assert again.status_code == 409
    assert b"already been announced" in again.data
    assert outbox == []
    assert b"This event was announced on" in client.get(f"/newsletter/announce/{event.id}").data


def test_the_database_refuses_a_second_announcement(themes, organizer, make_themed_event):
    event = make_themed_event([themes["mobility"]])
    db.session.add(EventAnnouncement(event_id=event.id))
    db.session.commit()
    db.session.add(EventAnnouncement(event_id=event.id))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_draft_cannot_be_announced(client, auth, outbox, themes, organizer, make_themed_event):
    subscribe_and_confirm(client, outbox, "mobility@example.org", "nl", [themes["mobility"].id])
    event = make_themed_event([themes["mobility"]], status=EventStatus.DRAFT)
    outbox.clear()
    auth.login(organizer)
    assert b"Publish the event before you announce it" in client.get(f"/newsletter/announce/{event.id}").data
    response = client.post(f"/newsletter/announce/{event.id}")
    assert response.status_code == 409
    assert outbox == []
    assert db.session.get(EventAnnouncement, event.id) is None


def test_only_the_events_organizer_or_an_admin_may_announce(
    client, auth, outbox, themes, make_user, make_themed_event
):
    event = make_themed_event([themes["mobility"]])
    draft = make_themed_event([themes["mobility"]], status=EventStatus.DRAFT)
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


def test_visitors_are_sent_to_log_in_to_announce(client, themes, make_themed_event):
    event = make_themed_event([themes["mobility"]])
    assert "/login" in client.get(f"/newsletter/announce/{event.id}").headers["Location"]


def test_the_manage_page_of_the_events_links_to_the_announcement(
    client, auth, themes, organizer, make_themed_event
):
    event = make_themed_event([themes["mobility"]])
    auth.login(organizer)
    assert f'href="/newsletter/announce/{event.id}"'.encode() in client.get("/events/manage").data


def test_counts_of_subscribers(client, outbox, themes):
    subscribe_and_confirm(client, outbox, "a@example.org")
    client.post("/newsletter/", data=_form(email="b@example.org"))
    assert service.subscriber_counts() == {"pending": 1, "confirmed": 1, "unsubscribed": 0}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 2


def test_one_click_needs_no_csrf_token_but_a_click_on_the_page_does(database, app, client, outbox, themes):
    from tests.helpers import make_test_app

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


@pytest.mark.parametrize("app_overrides", [{"TASK_MODE": "thread"}])
def test_outside_tests_the_mails_go_out_in_a_job_with_progress(
    client, auth, outbox, themes, organizer, make_themed_event
):
    for n in range(3):
        subscribe_and_confirm(client, outbox, f"s{n}@example.org", "nl", [themes["mobility"].id])
    event = make_themed_event([themes["mobility"]])
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
    assert status == {
        "recipients": 3,
        "sent": 3,
        "failed": 0,
        "unknown": 0,
        "finished": True,
        "interrupted": False,
    }
    # Each mail is delivered by a job of its own, beside the announcement's.
    assert sorted(mail_to(outbox, f"s{n}@example.org").to for n in range(3)) == [
        "s0@example.org",
        "s1@example.org",
        "s2@example.org",
    ]
    assert len(outbox) == 3
    assert b"3 subscribers received it." in client.get(f"/newsletter/announce/{event.id}").data


@pytest.mark.parametrize("app_overrides", [{"TASK_MODE": "thread"}])
def test_mails_sent_in_the_background_link_to_the_public_address(
    app, client, auth, outbox, themes, organizer, make_themed_event, monkeypatch
):
    subscribe_and_confirm(client, outbox, "s0@example.org", "en", [themes["mobility"].id])
    event = make_themed_event([themes["mobility"]])
    outbox.clear()
    monkeypatch.setitem(app.config, "SERVER_BASE_URL", "https://matchmaker.example/platform/")
    auth.login(organizer)
    assert client.post(f"/newsletter/announce/{event.id}").status_code == 302
    deadline = time.monotonic() + 10
    while not outbox and time.monotonic() < deadline:
        time.sleep(0.05)
    [sent] = outbox
    base = "https://matchmaker.example/platform"
    assert f"{base}/events/{event.id}\n" in sent.body
    assert re.search(re.escape(base) + r"/newsletter/manage/[\w.-]+\n", sent.body), sent.body
    assert re.search(re.escape(base) + r"/newsletter/unsubscribe/[\w.-]+\n", sent.body), sent.body
    unsubscribe = sent.headers["List-Unsubscribe"]
    assert re.fullmatch("<" + re.escape(base) + r"/newsletter/unsubscribe/[\w.-]+>", unsubscribe), unsubscribe
    assert "http://localhost" not in sent.body


def test_the_progress_page_shows_an_unfinished_announcement(
    client, auth, themes, organizer, make_themed_event
):
    event = make_themed_event([themes["mobility"]])
    db.session.add(EventAnnouncement(event_id=event.id, recipients=40, sent=15))
    db.session.commit()
    auth.login(organizer)
    html = client.get(f"/newsletter/announce/{event.id}").get_data(as_text=True)
    assert "Sending the announcement:" in html and 'value="15"' in html and 'max="40"' in html
    assert re.search(r'src="/static/js/newsletter\.[0-9a-f]{12}\.js"', html)  # its content's hash in the name


def test_a_mail_that_cannot_be_delivered_is_counted_and_the_others_still_go(
    client, auth, outbox, themes, organizer, make_themed_event, monkeypatch
):
    import smtplib

    from matchmaker.services import mail

    for address in ("ok@example.org", "broken@example.org"):
        subscribe_and_confirm(client, outbox, address, "nl", [themes["mobility"].id])
    event = make_themed_event([themes["mobility"]])
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
    client, auth, themes, organizer, make_user, make_themed_event
):
    event = make_themed_event([themes["mobility"]])
    auth.login(organizer)
    assert client.get(f"/newsletter/announce/{event.id}/status").status_code == 404  # not announced yet
    db.session.add(EventAnnouncement(event_id=event.id, recipients=1))
    db.session.commit()
    assert client.get(f"/newsletter/announce/{event.id}/status").status_code == 200
    auth.login(make_user(roles=("organizer",)))
    assert client.get(f"/newsletter/announce/{event.id}/status").status_code == 403


# --- interrupted sendings: resume without mailing anyone twice ---------------------------------------


class Crash(BaseException):
    """Stands for the process dying mid-sending (not an Exception: nothing catches it)."""


def _crash_after(monkeypatch, good: int):
    """Make the mailer deliver `good` mails, then die while sending the next one."""
    from matchmaker.services import mail

    real_send = mail.send_mail
    calls = {"n": 0}

    def dying(to, *args, **kwargs):
        if kwargs.get("headers") and "List-Unsubscribe" in kwargs["headers"]:
            calls["n"] += 1
            if calls["n"] > good:
                raise Crash()
        return real_send(to, *args, **kwargs)

    monkeypatch.setattr(mail, "send_mail", dying)
    return lambda: monkeypatch.setattr(mail, "send_mail", real_send)


def _stall(event, minutes=30):
    """Pretend the last progress was long ago, as after a crash."""
    announcement = db.session.get(EventAnnouncement, event.id)
    announcement.progress_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def _announce_and_crash(
    client, auth, outbox, themes, organizer, make_themed_event, monkeypatch, good=2, total=5
):
    for n in range(total):
        subscribe_and_confirm(client, outbox, f"s{n}@example.org", "nl", [themes["mobility"].id])
    event = make_themed_event([themes["mobility"]])
    outbox.clear()
    auth.login(organizer)
    restore = _crash_after(monkeypatch, good)
    with pytest.raises(Crash):
        client.post(f"/newsletter/announce/{event.id}")
    restore()
    db.session.rollback()
    db.session.expire_all()
    return event


def _statuses(event) -> dict[str, str]:
    rows = db.session.execute(
        sa.select(Subscriber.email, AnnouncementDelivery.status)
        .join(Subscriber, Subscriber.id == AnnouncementDelivery.subscriber_id)
        .where(AnnouncementDelivery.event_id == event.id)
    ).all()
    return dict(rows)


def _job(event) -> Job:
    return db.session.scalars(
        sa.select(Job).where(Job.kind == "newsletter.announce", Job.dedupe_key == f"announcement-{event.id}")
    ).one()


def _lease_expired(event) -> None:
    """The dead worker's lease runs out, as it does some seconds after a kill -9."""
    db.session.execute(
        sa.update(Job).where(Job.id == _job(event).id).values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def _given_up(event) -> None:
    """The job failed on its last attempt (a database that stayed down, say): nothing goes on by itself."""
    db.session.execute(
        sa.update(Job).where(Job.id == _job(event).id).values(status=JobStatus.FAILED, owner=None)
    )
    db.session.commit()


def test_each_mail_is_committed_with_its_delivery_row(
    client, auth, outbox, themes, organizer, make_themed_event, monkeypatch
):
    event = _announce_and_crash(
        client, auth, outbox, themes, organizer, make_themed_event, monkeypatch, good=2
    )
    assert [m.to for m in outbox] == ["s0@example.org", "s1@example.org"]
    # The third one died with its transaction: no row, so the job run again mails it.
    assert _statuses(event) == {"s0@example.org": DeliveryStatus.SENT, "s1@example.org": DeliveryStatus.SENT}
    announcement = db.session.get(EventAnnouncement, event.id)
    assert (announcement.sent, announcement.recipients, announcement.finished) == (2, 5, False)
    assert _job(event).status == JobStatus.RUNNING  # its worker died holding it


def test_a_sending_whose_worker_died_goes_on_by_itself_and_mails_nobody_twice(
    client, auth, outbox, themes, organizer, make_themed_event, monkeypatch
):
    event = _announce_and_crash(
        client, auth, outbox, themes, organizer, make_themed_event, monkeypatch, good=2
    )
    assert sweep() == 0  # the lease still holds: the worker may be alive
    _lease_expired(event)
    assert sweep() == 1  # another worker takes the job over
    assert sorted(m.to for m in outbox) == [f"s{n}@example.org" for n in range(5)]
    assert set(_statuses(event).values()) == {DeliveryStatus.SENT} and len(_statuses(event)) == 5
    announcement = db.session.get(EventAnnouncement, event.id)
    db.session.refresh(announcement)
    assert (announcement.sent, announcement.unknown, announcement.recipients) == (5, 0, 5)
    assert announcement.finished and _job(event).status == JobStatus.DONE and _job(event).attempts == 2
    assert sweep() == 0


def test_a_sending_that_is_still_moving_is_not_interrupted(
    client, auth, outbox, themes, organizer, make_themed_event, monkeypatch
):
    event = _announce_and_crash(client, auth, outbox, themes, organizer, make_themed_event, monkeypatch)
    html = client.get(f"/newsletter/announce/{event.id}").get_data(as_text=True)
    assert "Sending the announcement:" in html and "Resume sending" not in html
    assert client.get(f"/newsletter/announce/{event.id}/status").get_json()["interrupted"] is False
    response = client.post(f"/newsletter/announce/{event.id}/resume")
    assert response.status_code == 409 and b"nothing to resume" in response.data
    assert len(outbox) == 2


def test_a_stalled_sending_whose_job_is_still_there_is_not_interrupted(
    client, auth, outbox, themes, organizer, make_themed_event, monkeypatch
):
    event = _announce_and_crash(client, auth, outbox, themes, organizer, make_themed_event, monkeypatch)
    _stall(event)  # no progress for half an hour, but the job will be taken over: no button
    assert not service.is_interrupted(db.session.get(EventAnnouncement, event.id))
    _given_up(event)
    assert service.is_interrupted(db.session.get(EventAnnouncement, event.id))


def test_a_sending_whose_job_gave_up_shows_as_interrupted_with_a_resume_button(
    client, auth, outbox, themes, organizer, make_themed_event, monkeypatch
):
    event = _announce_and_crash(client, auth, outbox, themes, organizer, make_themed_event, monkeypatch)
    _given_up(event)
    _stall(event)
    html = client.get(f"/newsletter/announce/{event.id}").get_data(as_text=True)
    assert "The sending was interrupted" in html
    assert "2 of 5 subscribers have received it." in html
    assert "3 subscribers have not been reached yet." in html
    assert f'action="/newsletter/announce/{event.id}/resume"' in html
    assert client.get(f"/newsletter/announce/{event.id}/status").get_json()["interrupted"] is True


def test_resuming_sends_only_to_those_not_reached_and_never_twice(
    client, auth, outbox, themes, organizer, make_themed_event, monkeypatch
):
    event = _announce_and_crash(
        client, auth, outbox, themes, organizer, make_themed_event, monkeypatch, good=2
    )
    _given_up(event)
    _stall(event)
    late = subscribe_and_confirm(client, outbox, "late@example.org", "fr", [themes["mobility"].id])
    auth.login(organizer)
    outbox.clear()
    response = client.post(f"/newsletter/announce/{event.id}/resume")
    assert response.status_code == 302
    assert sorted(m.to for m in outbox) == [
        "late@example.org",
        "s2@example.org",
        "s3@example.org",
        "s4@example.org",
    ]
    assert _statuses(event)[late.email] == DeliveryStatus.SENT
    announcement = db.session.get(EventAnnouncement, event.id)
    db.session.refresh(announcement)
    assert (announcement.sent, announcement.failed, announcement.unknown) == (6, 0, 0)
    assert announcement.recipients == 6 and announcement.finished and announcement.resumed_at is not None
    page = client.get(f"/newsletter/announce/{event.id}").get_data(as_text=True)
    assert "6 subscribers received it." in page
    # Finished: resuming again is refused and sends nothing.
    outbox.clear()
    assert client.post(f"/newsletter/announce/{event.id}/resume").status_code == 409
    assert outbox == []


def test_a_sending_from_before_the_queue_does_not_mail_again_whom_it_had_claimed(
    client, auth, outbox, themes, organizer, make_themed_event
):
    for n in range(3):
        subscribe_and_confirm(client, outbox, f"s{n}@example.org", "nl", [themes["mobility"].id])
    event = make_themed_event([themes["mobility"]])
    # A thread of the web process claimed s0's mail (a "sending" row), then the process restarted.
    db.session.add(EventAnnouncement(event_id=event.id, announced_by_id=organizer.id, recipients=3))
    db.session.flush()
    claimed = service.get_subscriber("s0@example.org")
    db.session.add(AnnouncementDelivery(event_id=event.id, subscriber_id=claimed.id))
    db.session.commit()
    _stall(event)
    outbox.clear()
    auth.login(organizer)
    assert client.post(f"/newsletter/announce/{event.id}/resume").status_code == 302
    assert sorted(m.to for m in outbox) == ["s1@example.org", "s2@example.org"]
    assert _statuses(event)["s0@example.org"] == DeliveryStatus.UNKNOWN
    html = client.get(f"/newsletter/announce/{event.id}").get_data(as_text=True)
    assert "2 subscribers received it." in html
    assert "For 1 mail it is not known whether it went out before the sending stopped" in html


def test_a_second_sending_at_the_same_time_skips_what_the_first_claimed(
    client, auth, outbox, themes, organizer, make_themed_event
):
    for n in range(3):
        subscribe_and_confirm(client, outbox, f"s{n}@example.org", "nl", [themes["mobility"].id])
    event = make_themed_event([themes["mobility"]])
    db.session.add(EventAnnouncement(event_id=event.id, announced_by_id=organizer.id))
    db.session.flush()
    first = service.get_subscriber("s0@example.org")
    db.session.add(AnnouncementDelivery(event_id=event.id, subscriber_id=first.id))  # claimed elsewhere
    db.session.commit()
    outbox.clear()
    service.deliver_announcement(event.id)
    assert sorted(m.to for m in outbox) == ["s1@example.org", "s2@example.org"]
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AnnouncementDelivery)
            .where(AnnouncementDelivery.event_id == event.id)
        )
        == 3
    )


def test_the_database_refuses_two_deliveries_to_one_subscriber(themes, organizer, make_themed_event):
    event = make_themed_event([themes["mobility"]])
    one = Subscriber(email="x@example.org", token_nonce="n", consent_version="v")
    db.session.add_all([EventAnnouncement(event_id=event.id), one])
    db.session.commit()
    db.session.add(AnnouncementDelivery(event_id=event.id, subscriber_id=one.id))
    db.session.commit()
    db.session.add(AnnouncementDelivery(event_id=event.id, subscriber_id=one.id))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_only_the_organizer_may_resume(
    client, auth, outbox, themes, organizer, make_user, make_themed_event, monkeypatch
):
    event = _announce_and_crash(client, auth, outbox, themes, organizer, make_themed_event, monkeypatch)
    _given_up(event)
    _stall(event)
    outbox.clear()
    auth.login(make_user(roles=("organizer",)))
    assert client.post(f"/newsletter/announce/{event.id}/resume").status_code == 403
    auth.login_as("supplier")
    assert client.post(f"/newsletter/announce/{event.id}/resume").status_code == 403
    auth.logout()
    assert "/login" in client.post(f"/newsletter/announce/{event.id}/resume").headers["Location"]
    assert outbox == []
    assert service.is_interrupted(db.session.get(EventAnnouncement, event.id))


# --- administrators' overview and export --------------------------------------------------------------


def test_the_admin_overview_counts_subscribers_per_status_and_theme(client, auth, outbox, themes, make_user):
    mobility, energy = themes["mobility"], themes["energy"]
    subscribe_and_confirm(client, outbox, "a@example.org", "nl", [mobility.id, energy.id])
    subscribe_and_confirm(client, outbox, "b@example.org", "fr", [mobility.id])
    subscribe_and_confirm(client, outbox, "c@example.org", "en", [])
    service.unsubscribe(subscribe_and_confirm(client, outbox, "d@example.org", "nl", [energy.id]))
    client.post("/newsletter/", data=_form(email="e@example.org", themes=[str(energy.id)]))
    rows = {(row.theme.slug if row.theme else None): row.counts for row in service.theme_counts()}
    assert rows["mobility"] == {"pending": 0, "confirmed": 2, "unsubscribed": 0}
    assert rows["energy"] == {"pending": 1, "confirmed": 1, "unsubscribed": 0}  # unsubscribing drops themes
    assert rows[None] == {"pending": 0, "confirmed": 1, "unsubscribed": 1}
    assert service.language_counts() == {"nl": 1, "fr": 1, "en": 1}
    auth.login(make_user(roles=("admin",)))
    html = client.get("/newsletter/admin").get_data(as_text=True)
    assert 'data-status="confirmed">3<' in html and 'data-status="pending">1<' in html
    assert 'data-status="unsubscribed">1<' in html and 'data-status="erased">0<' in html
    assert "Mobility" in html and "Every theme (no theme chosen)" in html
    assert 'href="/newsletter/admin/subscribers.csv"' in html


def test_the_admin_tabs_link_to_the_page_editor_and_the_newsletter(client, auth, make_user):
    auth.login(make_user(roles=("admin",)))
    for path in ("/admin/", "/admin/pages", "/newsletter/admin"):
        html = client.get(path).get_data(as_text=True)
        assert 'href="/admin/pages"' in html and 'href="/newsletter/admin"' in html, path
    html = client.get("/newsletter/admin").get_data(as_text=True)
    assert 'href="/newsletter/admin" aria-current="page"' in html


def test_the_export_holds_confirmed_subscribers_with_their_consent(client, auth, outbox, themes, make_user):
    import csv
    import io
    from datetime import UTC
    from zoneinfo import ZoneInfo

    subscribe_and_confirm(client, outbox, "a@example.org", "fr", [themes["energy"].id, themes["mobility"].id])
    client.post("/newsletter/", data=_form(email="pending@example.org"))
    auth.login(make_user(roles=("admin",)))
    response = client.get("/newsletter/admin/subscribers.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header[0] == "Email address" and "Version of the consent text" in header
    [row] = rows  # the pending address is not exported
    record = dict(zip(header, row, strict=True))
    stored = service.get_subscriber("a@example.org")
    assert record["Email address"] == "a@example.org"
    assert record["Language"] == "French"  # labels and theme names in the reader's language
    assert record["Themes"] == "Mobility; Energy"
    brussels = ZoneInfo("Europe/Brussels")  # times as the site shows them, to the second
    consent = stored.consent_at.replace(tzinfo=UTC).astimezone(brussels)
    assert record["Consent given"] == consent.strftime("%Y-%m-%d %H:%M:%S")
    confirmed = stored.confirmed_at.replace(tzinfo=UTC).astimezone(brussels)
    assert record["Confirmed"] == confirmed.strftime("%Y-%m-%d %H:%M:%S")
    assert record["Version of the consent text"] == service.CONSENT_VERSION
    assert record["Consent text"] == service.consent_text()


def test_the_export_defuses_spreadsheet_formulas(client, auth, outbox, themes, make_user):
    import csv
    import io

    tricky = Subscriber(
        email="=hyperlink(1)@example.org",
        status=SubscriberStatus.CONFIRMED,
        token_nonce="n",
        consent_version="-1+1",
        confirmed_at=utcnow(),
    )
    db.session.add(tricky)
    db.session.commit()
    auth.login(make_user(roles=("admin",)))
    text = client.get("/newsletter/admin/subscribers.csv").get_data(as_text=True).lstrip("\ufeff")
    header, row = list(csv.reader(io.StringIO(text)))
    record = dict(zip(header, row, strict=True))
    assert record["Email address"] == "'=hyperlink(1)@example.org"
    assert record["Version of the consent text"] == "'-1+1"
    assert record["Themes"] == "all themes"


@pytest.mark.parametrize("path", ["/newsletter/admin", "/newsletter/admin/subscribers.csv"])
def test_the_newsletter_admin_is_for_platform_administrators(client, auth, make_user, path):
    assert "/login" in client.get(path).headers["Location"]
    auth.login(make_user(roles=("organizer",)))
    assert client.get(path).status_code == 403
    auth.login_as("supplier")
    assert client.get(path).status_code == 403


# --- erasing old addresses (GDPR) ---------------------------------------------------------------------


def _aged(email, status, days, confirmed=True, version="2026-11"):
    when = utcnow() - timedelta(days=days)
    subscriber = Subscriber(
        email=email,
        status=status,
        token_nonce="n",
        consent_version=version,
        consent_at=when - timedelta(days=10),
        confirmed_at=(when - timedelta(days=9)) if confirmed else None,
        unsubscribed_at=when if status == SubscriberStatus.UNSUBSCRIBED else None,
    )
    db.session.add(subscriber)
    db.session.commit()
    return subscriber


def test_purge_erases_addresses_past_the_retention_and_keeps_an_anonymous_count(runner, themes):
    _aged("old1@example.org", SubscriberStatus.UNSUBSCRIBED, 400)
    _aged("old2@example.org", SubscriberStatus.UNSUBSCRIBED, 366, version="2025-01")
    _aged("recent@example.org", SubscriberStatus.UNSUBSCRIBED, 300)
    _aged("stale@example.org", SubscriberStatus.PENDING, 400, confirmed=False)
    _aged("member@example.org", SubscriberStatus.CONFIRMED, 900)
    result = runner.invoke(args=["newsletter", "purge"])
    assert result.exit_code == 0, result.output
    assert "3 address(es) unsubscribed or unconfirmed for more than 365 days." in result.output
    assert "3 address(es) erased" in result.output
    left = set(db.session.scalars(sa.select(Subscriber.email)))
    assert left == {"recent@example.org", "member@example.org"}
    tally = {(r.consent_version, r.confirmed): r.count for r in db.session.scalars(sa.select(ErasedConsent))}
    assert tally == {("2026-11", True): 1, ("2025-01", True): 1, ("2026-11", False): 1}
    assert service.erased_count() == 3
    assert not any(
        "example.org" in str(value)
        for row in db.session.execute(sa.select(ErasedConsent)).all()
        for value in vars(row[0]).values()
    )
    again = runner.invoke(args=["newsletter", "purge"])  # safe to run again: nothing more to erase
    assert "0 address(es) erased." in again.output and service.erased_count() == 3


def test_purge_adds_to_the_existing_count(themes):
    _aged("a@example.org", SubscriberStatus.UNSUBSCRIBED, 400)
    assert service.purge_subscribers() == 1
    _aged("b@example.org", SubscriberStatus.UNSUBSCRIBED, 400)
    _aged("c@example.org", SubscriberStatus.UNSUBSCRIBED, 400)
    assert service.purge_subscribers(batch=1) == 2
    [row] = db.session.scalars(sa.select(ErasedConsent)).all()
    assert row.count == 3


@pytest.mark.parametrize("app_overrides", [{"NEWSLETTER_RETENTION_DAYS": 30}])
def test_the_retention_period_is_configurable(runner, themes):
    _aged("a@example.org", SubscriberStatus.UNSUBSCRIBED, 31)
    _aged("b@example.org", SubscriberStatus.UNSUBSCRIBED, 29)
    dry = runner.invoke(args=["newsletter", "purge", "--dry-run"])
    assert "1 address(es) unsubscribed or unconfirmed for more than 30 days." in dry.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 2
    runner.invoke(args=["newsletter", "purge"])
    assert [s.email for s in db.session.scalars(sa.select(Subscriber))] == ["b@example.org"]


def test_purging_removes_the_erased_addresses_from_announcement_records(themes, organizer, make_themed_event):
    event = make_themed_event([themes["mobility"]])
    old = _aged("old@example.org", SubscriberStatus.UNSUBSCRIBED, 400)
    db.session.add(EventAnnouncement(event_id=event.id, sent=1, recipients=1))
    db.session.flush()
    db.session.add(AnnouncementDelivery(event_id=event.id, subscriber_id=old.id, status=DeliveryStatus.SENT))
    db.session.commit()
    service.purge_subscribers()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnnouncementDelivery)) == 0
    assert db.session.get(EventAnnouncement, event.id).sent == 1  # the announcement's totals stay


def test_the_daily_purge_job_erases_addresses_past_the_retention(themes):
    _aged("old@example.org", SubscriberStatus.UNSUBSCRIBED, 400)
    _aged("recent@example.org", SubscriberStatus.UNSUBSCRIBED, 10)
    job_id = enqueue_periodic("newsletter.purge")
    assert db.session.get(Job, job_id).result == {"erased": 1}
    assert [s.email for s in db.session.scalars(sa.select(Subscriber))] == ["recent@example.org"]
    assert enqueue_periodic("newsletter.purge") is None
