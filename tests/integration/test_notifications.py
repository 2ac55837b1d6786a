"""Notifications: stored per user, rendered in the reader's language, mailed immediately, in a daily
digest or not at all; read, mark all read; nobody sees someone else's."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import EmailMode, Job, Notification, utcnow
from matchmaker.services import notifications as service
from matchmaker.tasks.periodic import enqueue_periodic

pytestmark = pytest.mark.usefixtures("request_context")


def test_notify_stores_the_notification_and_mails_it_at_once_by_default(make_user, outbox):
    user = make_user(display_name="Nora")
    notification = service.notify(user, "registration_approved", url="/events/7", event="Water day")
    assert notification.id and notification.params == {"event": "Water day"}
    assert [m.to for m in outbox] == [user.email]
    assert "Water day" in outbox[0].subject
    assert "http://localhost/events/7" in outbox[0].body
    assert notification.emailed_at is not None


def test_the_text_is_rendered_in_the_readers_language(client, auth, make_user):
    user = make_user(language="fr")
    service.notify(user, "request_accepted", url="/events/1/requests", name="Bart", event="Journée de l'eau")
    auth.login(user)
    page = client.get("/notifications/").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Bart" in page and "Journée de l&#39;eau" in page


def test_a_mail_goes_out_in_the_recipients_language(make_user, outbox, monkeypatch):
    # The French catalogue is filled in a later translation pass; check the locale the text is rendered in.
    locales = []
    real_render = service.render_text

    def spy(notification):
        locales.append(str(get_locale()))
        return real_render(notification)

    monkeypatch.setattr(service, "render_text", spy)
    service.notify(make_user(language="fr"), "registration_approved", event="Journée")
    assert locales == ["fr"]
    assert "Journée" in outbox[0].body


def test_users_who_chose_no_email_get_none(make_user, outbox):
    user = make_user()
    service.set_email_mode(user, EmailMode.NONE)
    service.notify(user, "registration_approved", event="Water day")
    assert outbox == []
    assert service.unread_count(user) == 1


def test_the_daily_digest_sends_one_mail_with_everything_new_and_only_once(runner, make_user, outbox):
    daily, immediate = make_user(display_name="Daisy"), make_user()
    service.set_email_mode(daily, EmailMode.DAILY)
    service.notify(daily, "registration_approved", url="/events/1", event="Water day")
    service.notify(
        daily,
        "request_received",
        url="/events/1/requests",
        name="Bart",
        organisation="MOW",
        event="Water day",
    )
    service.notify(immediate, "registration_approved", event="Water day")
    assert [m.to for m in outbox] == [immediate.email]
    result = runner.invoke(args=["notifications", "send-digests"])
    assert result.exit_code == 0 and "1 digest(s) sent." in result.output
    digest = outbox[-1]
    assert digest.to == daily.email
    assert "2" in digest.subject
    assert "Bart" in digest.body and "http://localhost/events/1/requests" in digest.body
    assert "0 digest(s) sent." in runner.invoke(args=["notifications", "send-digests"]).output
    assert len(outbox) == 2


@pytest.mark.parametrize("app_overrides", [{"NOTIFICATION_RETENTION_DAYS": 30}])
def test_the_purge_command_deletes_notifications_past_the_retention_period(runner, make_user):
    user = make_user()
    service.notify(user, "registration_approved", event="Old day")
    service.notify(user, "registration_approved", event="Recent day")
    old, recent = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    old.created_at = utcnow() - timedelta(days=31)
    old.read_at = None  # unread or not, it goes
    recent.created_at = utcnow() - timedelta(days=29)
    db.session.commit()
    result = runner.invoke(args=["notifications", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 notification(s) older than 30 days deleted." in result.output
    assert db.session.scalars(sa.select(Notification.id)).all() == [recent.id]
    assert "0 notification(s)" in runner.invoke(args=["notifications", "purge"]).output


def test_an_unknown_kind_is_a_programming_error(make_user):
    with pytest.raises(ValueError, match="register_kind"):
        service.notify(make_user(), "no_such_kind")


def test_adding_a_kind_is_one_line(make_user, client, auth):
    service.register_kind("test_mutual_match", _l("You and %(name)s both want to meet."))
    try:
        user = make_user()
        service.notify(user, "test_mutual_match", name="Vito")
        auth.login(user)
        assert "You and Vito both want to meet." in client.get("/notifications/").get_data(as_text=True)
    finally:
        service.KINDS.pop("test_mutual_match")


def test_a_missing_parameter_does_not_break_the_list(make_user, client, auth):
    user = make_user()
    db.session.add(Notification(user_id=user.id, kind="request_accepted", params={}))
    db.session.add(Notification(user_id=user.id, kind="retired_kind", params={}))
    db.session.commit()
    auth.login(user)
    assert client.get("/notifications/").status_code == 200


def test_the_unread_count_shows_in_the_header(client, auth, make_user):
    user = make_user()
    for _ in range(3):
        service.notify(user, "registration_approved", event="Water day")
    auth.login(user)
    page = client.get("/").get_data(as_text=True)
    assert 'class="badge rounded-pill text-bg-danger">3<' in page


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, auth, make_user):
    user = make_user()
    notification = service.notify(user, "registration_approved", url="/events/5", event="Water day")
    auth.login(user)
    response = client.post(f"/notifications/{notification.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/events/5"
    db.session.refresh(notification)
    assert notification.read_at is not None


def test_a_link_to_another_site_is_never_followed(client, auth, make_user):
    user = make_user()
    notification = service.notify(user, "registration_approved", url="//evil.example/x", event="Water day")
    auth.login(user)
    response = client.post(f"/notifications/{notification.id}/open")
    assert response.headers["Location"] == "/notifications/"


def test_mark_all_read(client, auth, make_user):
    user, other = make_user(), make_user()
    for target in (user, user, other):
        service.notify(target, "registration_approved", event="Water day")
    auth.login(user)
    response = client.post("/notifications/read-all", follow_redirects=True)
    assert "2 notifications are marked as read." in response.get_data(as_text=True)
    assert service.unread_count(user) == 0
    assert service.unread_count(other) == 1


@pytest.mark.parametrize("action", ["open", "read"])
def test_someone_elses_notification_is_not_found(client, auth, make_user, action):
    owner = make_user()
    notification = service.notify(owner, "registration_approved", event="Water day")
    auth.login(make_user())
    assert client.post(f"/notifications/{notification.id}/{action}").status_code == 404
    db.session.refresh(notification)
    assert notification.read_at is None


def test_someone_elses_notifications_are_not_listed(client, auth, make_user):
    service.notify(make_user(), "registration_approved", event="Secret event")
    auth.login(make_user())
    assert "Secret event" not in client.get("/notifications/").get_data(as_text=True)


def test_the_email_preference_is_saved_from_the_settings_page(client, auth, make_user):
    user = auth.login(make_user())
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="immediate"', page)
    form = {"reminder_minutes": "event", "reminder_in_app": "y", "reminder_mails": "y"}
    assert client.post("/notifications/settings", data={**form, "email_mode": "daily"}).status_code == 302
    assert service.email_mode(user) == EmailMode.DAILY
    response = client.post("/notifications/settings", data={**form, "email_mode": "hourly"})
    assert response.status_code == 422 and service.email_mode(user) == EmailMode.DAILY


def test_notifications_need_a_login(client):
    assert client.get("/notifications/").status_code == 302


def test_read_notifications_are_not_put_in_a_digest(make_user, outbox):
    user = make_user()
    service.set_email_mode(user, EmailMode.DAILY)
    notification = service.notify(user, "registration_approved", event="Water day")
    service.mark_read(user, notification)
    assert service.send_digests() == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


def test_the_daily_digest_job_mails_once_per_day(make_user, outbox):
    daily = make_user()
    service.set_email_mode(daily, EmailMode.DAILY)
    service.notify(daily, "registration_approved", url="/events/1", event="Water day")
    now = utcnow()
    job_id = enqueue_periodic("notifications.send_digests", now=now)
    assert db.session.get(Job, job_id).result == {"sent": 1}
    assert [m.to for m in outbox] == [daily.email]
    service.notify(daily, "registration_approved", url="/events/2", event="Fire day")
    assert enqueue_periodic("notifications.send_digests", now=now) is None  # today's digest went out
    assert len(outbox) == 1
    enqueue_periodic("notifications.send_digests", now=now + timedelta(days=1))
    assert len(outbox) == 2 and "Fire day" in outbox[-1].body


@pytest.mark.parametrize("app_overrides", [{"NOTIFICATION_RETENTION_DAYS": 30}])
def test_the_daily_purge_job_deletes_notifications_past_the_retention_period(make_user):
    user = make_user()
    service.notify(user, "registration_approved", event="Old day")
    service.notify(user, "registration_approved", event="Recent day")
    old, recent = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    old.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    job_id = enqueue_periodic("notifications.purge")
    assert db.session.get(Job, job_id).result == {"deleted": 1}
    assert db.session.scalars(sa.select(Notification.id)).all() == [recent.id]
