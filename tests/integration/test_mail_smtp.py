"""SMTP delivery, against a minimal SMTP server on a local port: what production sends goes over the wire
with its headers, both parts and the login the environment configures."""

import base64
import email
import socket
import socketserver
import threading
from email import policy

import pytest

from matchmaker.services import mail


class _Session(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        server = self.server
        self.reply("220 test ESMTP")
        while True:
            line = self.rfile.readline().decode().rstrip("\r\n")
            if not line:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-test")
                self.reply("250 AUTH PLAIN")
            elif verb == "AUTH":
                _, credentials = line.split(" ", 2)[1:]
                server.logins.append(base64.b64decode(credentials).split(b"\0")[1:])
                self.reply("235 ok")
            elif verb in ("MAIL", "RCPT"):
                server.envelope.append(line)
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                server.messages.append(b"".join(data))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Session)
    server.daemon_threads = True
    server.logins, server.envelope, server.messages = [], [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_mail_goes_out_through_smtp_with_login_and_headers(app, smtp_server):
    app.config.update(
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.server_address[1],
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_USERNAME="matchmaker",
        MAIL_PASSWORD="s3cret",
        MAIL_SENDER="Matchmaker <noreply@matchmaker.example>",
    )
    with app.test_request_context():
        sent = mail.send_mail(
            "procurer@agency.example",
            "reset_password",
            language="fr",
            headers={"List-Unsubscribe": "<https://matchmaker.example/u/abc>"},
            reset_url="https://matchmaker.example/reset/abc",
            user=type("U", (), {"display_name": "Anne"})(),
            valid_hours=2,
        )
    assert mail.outbox() == []  # not recorded: sent
    assert smtp_server.logins == [[b"matchmaker", b"s3cret"]]
    assert any("procurer@agency.example" in line for line in smtp_server.envelope)
    message = email.message_from_bytes(smtp_server.messages[0], policy=policy.default)
    assert message["To"] == "procurer@agency.example"
    assert message["From"] == "Matchmaker <noreply@matchmaker.example>"
    assert message["Subject"] == sent.subject and message["Message-ID"].endswith("@matchmaker.example>")
    assert message["List-Unsubscribe"] == "<https://matchmaker.example/u/abc>"
    body = message.get_body(("plain",)).get_content()
    assert "https://matchmaker.example/reset/abc" in body and "Bonjour Anne" in body


def test_an_unreachable_smtp_server_raises_for_the_caller_to_handle(app):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_SSL=False)
    with app.test_request_context(), pytest.raises(OSError):
        mail.send_mail(
            "someone@example.org",
            "reset_password",
            reset_url="x",
            user=type("U", (), {"display_name": "B"})(),
            valid_hours=2,
        )
