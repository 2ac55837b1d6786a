"""The mail outbox against a real SMTP server (aiosmtpd on a loopback port): what arrives is read back with
Python's own `email` parser. Mails are stored with the change that causes them, delivered by the (eager)
workers after the commit, retried with backoff, listed for administrators when they keep failing."""

import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from matchmaker.extensions import db
from matchmaker.models import Invitation, Job, MailStatus, OutboxMail, utcnow
from matchmaker.services import accounts, contact, mail, organisations
from matchmaker.services.kernel import discard
from tests.factories import PASSWORD


class Recorder:
    """An aiosmtpd handler that keeps what it received and answers `refuse` (a reply line) while that is
    set: as with a real server, a mail can be refused after it was received (`refuse_after_data`)."""

    def __init__(self):
        self.messages: list = []
        self.envelopes: list = []
        self.data_commands = 0
        self.refuse: str | None = None
        self.refuse_after_data = False

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        if self.refuse and not self.refuse_after_data:
            return self.refuse
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return self.refuse or "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_USERNAME=None,
        MAIL_SENDER="Matchmaker <noreply@matchmaker.example>",
        MAIL_RETRY_SECONDS=0,  # every retry is due at once: the eager worker runs them one after the other
        MAIL_MAX_ATTEMPTS=3,
    )
    yield handler
    controller.stop()


@pytest.fixture
def english(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def _row(message_id: str) -> OutboxMail:
    return db.session.scalar(
        sa.select(OutboxMail)
        .where(OutboxMail.message_id == message_id)
        .execution_options(populate_existing=True)
    )


# --------------------------------------------------------------------------------------------------
# Unsafe header values


def test_an_invitation_from_an_organisation_whose_name_has_a_line_break_is_saved_and_delivered(
    smtp, english, make_user, make_organisation
):
    inviter = make_user(display_name="Anne\r\nBcc: spy@example.org")
    organisation = make_organisation(name="Acme\r\nBcc: spy@example.org", admins=(inviter,))
    organisations.invite_member(inviter, organisation, "new@example.org", "member")

    assert db.session.scalar(sa.select(Invitation.email)) == "new@example.org"  # the change is saved
    [message] = smtp.messages  # and its mail delivered
    assert smtp.envelopes == [("noreply@matchmaker.example", ["new@example.org"])]
    assert message["Subject"] == "Invitation to join Acme Bcc: spy@example.org on Matchmaker"
    assert message["Bcc"] is None and message["To"] == "new@example.org"
    assert "Anne" in message.get_body(("plain",)).get_content()
    assert db.session.scalar(sa.select(OutboxMail.status)) == MailStatus.SENT


def test_a_contact_message_with_line_breaks_in_name_and_address_cannot_inject_headers(
    smtp, english, make_user
):
    make_user(roles=("admin",), email="admin@matchmaker.example")
    contact.send_contact_message(
        "Anne\r\nBcc: spy@example.org", "anne@example.org\nCc: spy@example.org", "Hello", "en"
    )
    [message] = smtp.messages
    assert smtp.envelopes[0][1] == ["admin@matchmaker.example"]
    assert message["Subject"] == "Contact form: message from Anne Bcc: spy@example.org"
    assert str(message["Reply-To"]).startswith("anne@example.org")
    assert message["Cc"] is None and message["Bcc"] is None


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain", "plain"),
        ("a\r\nb", "a b"),
        ("a\rb\nc", "a b c"),
        ("tab\there", "tab here"),
        ("nul\x00and\x1bescape", "nul and escape"),
        ("line\u2028separator", "line separator"),
        ("  spaced   out  ", "spaced out"),
    ],
)
def test_header_values_lose_their_control_characters(raw, clean):
    assert mail.clean_header(raw) == clean


# --------------------------------------------------------------------------------------------------
# What arrives


def test_a_mail_arrives_with_its_headers_both_parts_and_the_message_id_it_was_created_with(
    smtp, english, make_user
):
    user = make_user(display_name="Anne", language="fr")
    sent = mail.send_mail(
        user.email,
        "reset_password",
        language="fr",
        headers={"List-Unsubscribe": "<https://matchmaker.example/u/abc>"},
        reset_url="https://matchmaker.example/reset/abc",
        user=user,
        valid_hours=2,
    )
    assert smtp.messages == []  # nothing goes out before the commit
    _row(sent.message_id).html = "<p>Bonjour <b>Anne</b></p>"
    db.session.commit()

    [message] = smtp.messages
    assert message["Message-ID"] == sent.message_id and sent.message_id.endswith("@matchmaker.example>")
    assert message["From"] == "Matchmaker <noreply@matchmaker.example>"
    assert message["To"] == user.email
    assert message["Subject"] == sent.subject == "Choisissez un nouveau mot de passe pour Matchmaker"
    assert message["List-Unsubscribe"] == "<https://matchmaker.example/u/abc>"
    assert message["Date"] is not None
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",)).get_content()
    assert "https://matchmaker.example/reset/abc" in plain and "Bonjour Anne" in plain
    assert "<b>Anne</b>" in message.get_body(("html",)).get_content()
    row = _row(sent.message_id)
    assert (row.status, row.attempts, row.sent_at is not None) == (MailStatus.SENT, 1, True)
    assert mail.outbox() == []  # the memory backend is not involved


def test_a_mail_of_a_change_that_is_rolled_back_is_never_sent(smtp, english, make_user):
    user = make_user()
    mail.send_mail(user.email, "password_changed", user=user, login_url="x", forgot_url="y")
    discard()
    db.session.commit()
    assert smtp.data_commands == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0


# --------------------------------------------------------------------------------------------------
# Failures, retries, administrators


def test_a_refusing_server_gets_the_mail_again_later_with_backoff(smtp, english, make_user, app):
    app.config["MAIL_RETRY_SECONDS"] = 60
    smtp.refuse = "451 4.3.0 Try again later"
    user = make_user()
    accounts.change_password(user, PASSWORD, "a brand new passphrase")

    row = db.session.scalar(sa.select(OutboxMail))
    assert accounts.verify_password(user, "a brand new passphrase")  # the change is saved
    assert (row.status, row.attempts) == (MailStatus.QUEUED, 1) and "451" in row.last_error
    wait = row.next_attempt_at - utcnow()
    assert timedelta(seconds=55) < wait <= timedelta(seconds=60)
    retry_job = db.session.scalar(sa.select(Job).where(Job.status == "queued"))
    assert retry_job.kind == "mail.deliver"
    assert abs(retry_job.not_before - row.next_attempt_at) < timedelta(seconds=1)
    assert mail.deliver_mail(row.message_id) == "skipped"  # not due yet

    smtp.refuse = None
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert mail.deliver_mail(row.message_id) == "sent"
    assert smtp.data_commands == 2 and len(smtp.messages) == 1
    # the second failure would have waited twice as long
    assert mail.backoff(2) == 2 * mail.backoff(1) == timedelta(seconds=120)


def test_a_mail_that_keeps_failing_is_listed_for_administrators_who_retry_it_once(
    smtp, english, make_user, client, auth
):
    smtp.refuse = "451 4.3.0 Try again later"
    user = make_user()
    accounts.change_password(user, PASSWORD, "a brand new passphrase")
    row = db.session.scalar(sa.select(OutboxMail))
    assert (row.status, row.attempts, smtp.data_commands) == (MailStatus.FAILED, 3, 3)
    assert smtp.messages == []

    auth.login_as("admin")
    page = client.get("/admin/mails")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert user.email in html and "451" in html
    assert '<td class="text-end" id="count-failed">1</td>' in html

    smtp.refuse = None
    response = client.post(f"/admin/mails/{row.id}/retry", follow_redirects=True)
    assert response.status_code == 200
    assert len(smtp.messages) == 1 and smtp.messages[0]["Message-ID"] == row.message_id
    assert _row(row.message_id).status == MailStatus.SENT
    assert client.post(f"/admin/mails/{row.id}/retry").status_code == 302  # nothing left to retry
    assert len(smtp.messages) == 1


def test_retry_all_queues_every_failed_mail(smtp, english, make_user, client, auth):
    smtp.refuse = "451 4.3.0 Try again later"
    first, second = make_user(), make_user()
    for user in (first, second):
        mail.send_mail(user.email, "password_changed", user=user, login_url="x", forgot_url="y")
    db.session.commit()
    assert mail.counts()["failed"] == 2
    smtp.refuse = None
    auth.login_as("admin")
    client.post("/admin/mails/retry")
    assert sorted(m["To"] for m in smtp.messages) == sorted([first.email, second.email])
    assert mail.counts() == {"queued": 0, "sending": 0, "sent": 2, "failed": 0}


def test_a_permanent_refusal_is_not_tried_again(smtp, english, make_user):
    smtp.refuse = "550 5.1.1 No such mailbox"
    user = make_user()
    sent = mail.send_mail(user.email, "password_changed", user=user, login_url="x", forgot_url="y")
    db.session.commit()
    row = _row(sent.message_id)
    assert (row.status, row.attempts, smtp.data_commands) == (MailStatus.FAILED, 1, 1)


def test_a_retry_after_an_uncertain_delivery_carries_the_same_message_id(smtp, english, make_user):
    # The server keeps the mail but its answer says otherwise (as when the connection breaks after DATA):
    # the mail is sent again, and the receiver can tell the copies are one mail.
    smtp.refuse, smtp.refuse_after_data = "451 4.3.0 Lost the answer", True
    user = make_user()
    sent = mail.send_mail(user.email, "password_changed", user=user, login_url="x", forgot_url="y")
    db.session.commit()
    assert len(smtp.messages) == 3
    assert {m["Message-ID"] for m in smtp.messages} == {sent.message_id}


def test_an_unreachable_server_leaves_the_mail_queued_and_the_request_answers(app, client, make_user):
    app.config.update(
        MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_USE_SSL=False
    )
    user = make_user()
    response = client.post("/auth/forgot-password", data={"email": user.email})
    assert response.status_code == 302
    row = db.session.scalar(sa.select(OutboxMail))
    assert row.template == "reset_password" and row.status == MailStatus.QUEUED
    assert row.attempts == 1 and row.next_attempt_at > utcnow()


def test_a_mail_whose_worker_died_while_sending_is_sent_again(smtp, english, make_user, app):
    user = make_user()
    smtp.refuse = "451 4.3.0 Try again later"
    app.config.update(MAIL_MAX_ATTEMPTS=9, MAIL_RETRY_SECONDS=3600)
    sent = mail.send_mail(user.email, "password_changed", user=user, login_url="x", forgot_url="y")
    db.session.commit()
    row = _row(sent.message_id)
    # As a worker that died in the middle leaves it: "sending", its lease run out.
    row.status, row.lease_until = MailStatus.SENDING, utcnow() - timedelta(seconds=1)
    db.session.commit()
    smtp.refuse = None
    assert mail.requeue_stale() == 1
    assert len(smtp.messages) == 1 and _row(sent.message_id).status == MailStatus.SENT


# --------------------------------------------------------------------------------------------------
# Upkeep


def test_the_purge_deletes_old_sent_mails_and_keeps_failed_ones(app, english, make_user):
    from matchmaker.tasks import enqueue

    app.config["MAIL_RETENTION_DAYS"] = 30
    user = make_user()
    ids = {}
    for name in ("old_sent", "new_sent", "old_failed"):
        ids[name] = mail.send_mail(user.email, "password_changed", user=user, login_url="x", forgot_url="y")
    db.session.commit()
    long_ago = utcnow() - timedelta(days=31)
    _row(ids["old_sent"].message_id).sent_at = long_ago
    failed = _row(ids["old_failed"].message_id)
    failed.status, failed.sent_at, failed.failed_at = MailStatus.FAILED, None, long_ago
    enqueue("mail.purge")
    db.session.commit()  # the eager worker runs the job
    left = set(db.session.scalars(sa.select(OutboxMail.message_id)))
    assert left == {ids["new_sent"].message_id, ids["old_failed"].message_id}
    from matchmaker.tasks.registry import kind_of

    assert kind_of("mail.purge").every == timedelta(days=1)


# --------------------------------------------------------------------------------------------------
# A mail cannot be dropped silently


@pytest.mark.fresh_app
def test_a_request_that_adds_a_mail_after_its_last_commit_is_caught(app, make_user):
    user = make_user()

    @app.post("/_test/forgetful")
    def forgetful():
        mail.send_mail(user.email, "password_changed", user=user, login_url="x", forgot_url="y")
        return "ok"  # and no commit

    with pytest.raises(mail.UncommittedMail):
        app.test_client().post("/_test/forgetful")
    assert mail.uncommitted() == []
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0


def test_a_mail_refused_with_its_change_is_not_reported(app, make_user):
    user = make_user()
    mail.send_mail(user.email, "password_changed", user=user, login_url="x", forgot_url="y")
    assert len(mail.uncommitted()) == 1
    discard()
    assert mail.uncommitted() == []


def test_mails_committed_with_their_change_are_delivered_to_the_memory_outbox(app, make_user, outbox):
    user = make_user()
    sent = mail.send_mail(user.email, "password_changed", user=user, login_url="x", forgot_url="y")
    assert outbox == [] and mail.uncommitted() == [f"password_changed {sent.message_id}"]
    db.session.commit()
    assert [m.message_id for m in outbox] == [sent.message_id] and mail.uncommitted() == []


def test_a_password_reset_request_stores_the_same_job_whether_or_not_the_address_has_an_account(
    client, make_user, outbox
):
    user = make_user()
    for email in (user.email, "nobody@example.org"):
        assert client.post("/auth/forgot-password", data={"email": email}).status_code == 302
    jobs = db.session.scalars(
        sa.select(Job).where(Job.kind == "accounts.password_reset").order_by(Job.id)
    ).all()
    assert [job.payload for job in jobs] == [{"email": user.email}, {"email": "nobody@example.org"}]
    assert [job.result for job in jobs] == [{"mailed": True}, {"mailed": False}]  # decided by the worker
    assert [m.to for m in outbox] == [user.email]


# --------------------------------------------------------------------------------------------------
# Subjects, the HTML alternative, Auto-Submitted and attachments (issue 15)


@pytest.mark.parametrize(
    ("subject", "limit", "expected"),
    [
        ("Short enough", 20, "Short enough"),
        ("Exactly twenty chars", 20, "Exactly twenty chars"),
        ("A meeting with Anne Dupont at the fair", 20, "A meeting with Anne\u2026"),
        ("Meeting, moved: with Anne", 16, "Meeting, moved\u2026"),
        ("Supercalifragilistic expialidocious", 25, "Supercalifragilistic\u2026"),
        ("Onewordthatiswaytoolongforanysubject", 10, "Onewordth\u2026"),
        ("Line\r\nbreak", 20, "Line break"),
    ],
)
def test_a_long_subject_is_cut_at_a_word_boundary_with_an_ellipsis(subject, limit, expected):
    shortened = mail.shorten_subject(subject, limit)
    assert shortened == expected and len(shortened) <= limit


def test_a_notification_subject_keeps_its_words_whole(app, english, make_user, outbox):
    from matchmaker.services import notifications

    user = make_user(display_name="Anne")
    notifications.notify(
        user,
        "event_venue_changed",
        url="/events/1",
        event="The international fair of sustainable procurement and circular construction",
        venue="Boulevard du Roi Albert II 20, 1000 Bruxelles",
    )
    [sent] = outbox
    assert len(sent.subject) <= mail.SUBJECT_MAX and sent.subject.endswith("\u2026")
    words = sent.subject.removesuffix("\u2026").split()
    assert all(word in sent.body for word in words)  # every word of the subject is whole
    assert "Bruxelles" in sent.body  # the body says it all


def test_every_automatic_mail_is_auto_submitted_with_an_html_part_readable_without_images(
    smtp, english, make_user
):
    user = make_user(display_name="Anne <b>")
    mail.send_mail(
        user.email, "password_changed", user=user, login_url="x", forgot_url="https://mm.example/f?a=1&b=2."
    )
    db.session.commit()
    [message] = smtp.messages
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    plain_part, html_part = message.iter_parts()
    assert plain_part.get_content_type() == "text/plain" and html_part.get_content_type() == "text/html"
    plain, html = plain_part.get_content(), html_part.get_content()
    assert "Anne <b>" in plain
    assert "Anne &lt;b&gt;" in html and "<b>" not in html  # the text is escaped, never markup
    assert '<a href="https://mm.example/f?a=1&amp;b=2">https://mm.example/f?a=1&amp;b=2</a>.' in html
    assert '<html lang="en">' in html and "<img" not in html and "<p" in html
    assert "<title>Your Matchmaker password was changed</title>" in html


def test_a_contact_message_is_a_person_s_message_and_not_auto_submitted(smtp, english, make_user):
    make_user(roles=("admin",), email="admin@matchmaker.example")
    contact.send_contact_message("Anne", "anne@example.org", "Hello", "en")
    [message] = smtp.messages
    assert message["Auto-Submitted"] is None
    assert message.get_body(("html",)) is not None


def test_an_attachment_travels_with_the_mail_in_a_mixed_message(smtp, english, make_user):
    user = make_user()
    invite = mail.Attachment(
        "meeting.ics", "text/calendar", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", {"method": "REQUEST"}
    )
    sent = mail.send_mail(
        user.email, "password_changed", user=user, login_url="x", forgot_url="y", attachments=[invite]
    )
    db.session.commit()
    assert sent.attachments == [invite] and mail.ATTACHMENTS not in sent.headers
    [message] = smtp.messages
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(("plain",)).get_content().startswith("Hello")
    [attached] = list(message.iter_attachments())
    assert attached.get_content_type() == "text/calendar"
    assert attached.get_param("method") == "REQUEST" and attached.get_filename() == "meeting.ics"
    assert "BEGIN:VCALENDAR" in attached.get_content()
    assert message[mail.ATTACHMENTS] is None


def test_the_html_part_keeps_the_paragraphs_lists_and_links_of_the_text():
    body = "Hello <Anne>,\n\nMeeting 1\n- When: 9:20\n- Where: https://x.example/a?b=1&c=2\n  more\n\nBye\n"
    assert mail.text_blocks(body) == [
        ("p", ["Hello &lt;Anne&gt;,"]),
        ("p", ["Meeting 1"]),
        (
            "ul",
            [
                "When: 9:20",
                'Where: <a href="https://x.example/a?b=1&amp;c=2">https://x.example/a?b=1&amp;c=2</a><br>more',
            ],
        ),
        ("p", ["Bye"]),
    ]


# --------------------------------------------------------------------------------------------------
# The headers as bytes on the wire (RFC 2369 / 8058 one-click unsubscribe, RFC 5322 folding)


def test_list_unsubscribe_goes_out_as_a_plain_url_and_subjects_unfold_to_what_was_written(app):
    """Issue 18: the header was RFC 2047-encoded (=?utf-8?q?=3Chttp...), which mail providers' one-click
    unsubscribe does not recognise, and long subjects came back with a space the folding had put in."""
    import email
    import email.policy

    url = "https://matchmaker.example/newsletter/unsubscribe/" + "Ab3-_" * 40
    subject = "Nieuw evenement: Slimme mobiliteit en verkeersveiligheid rond schoolpoorten in Vlaanderen"
    with app.test_request_context():
        message = mail.build_message(
            mail.SentMail(
                to="a@example.org",
                subject=subject,
                body="Hallo",
                headers={
                    "List-Unsubscribe": f"<{url}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
        )
    raw = message.as_bytes()  # as smtplib's send_message writes it: with the message's own policy
    headers = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    assert b"=?" not in headers and b"\n " not in headers  # no encoded words, no folds
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)  # the headers as written
    assert parsed["List-Unsubscribe"] == f"<{url}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.message_from_bytes(raw, policy=email.policy.default)["Subject"] == subject
