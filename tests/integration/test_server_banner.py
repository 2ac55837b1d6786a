"""Issue 14, finding 9 (a): no response names the server software (`Server: Werkzeug/3.1 Python/3.11`,
`Server: gunicorn`): not the app's responses, not the development server of `make run`, not gunicorn."""

import http.client
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time

import pytest
from werkzeug.serving import make_server

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGES = ["/", "/static/img/favicon.svg", "/no/such/page"]


@pytest.mark.parametrize("path", PAGES)
def test_the_app_sends_no_server_header(client, path):
    """Finding 9 (a), as the Flask test client sees the app."""
    response = client.get(path)
    response.close()
    assert "Server" not in response.headers
    assert "X-Powered-By" not in response.headers


def _get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_the_development_server_sends_no_server_header(app):
    """Finding 9 (a): Werkzeug's server (`flask run`, `make run`) wrote `Server: Werkzeug/...` on every
    answer, its own error answers included."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in PAGES:
            response = _get(server.port, path)
            assert response.status in (200, 404), path
            assert response.getheader("Server") is None, (path, response.getheaders())
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            # Too many header lines: answered by the server itself (431), not by the app.
            raw.sendall(b"GET / HTTP/1.1\r\n" + b"X-Many: yes\r\n" * 101 + b"\r\n")
            answer = raw.recv(65536).decode("latin-1")
        assert answer.startswith("HTTP/1.") and " 431 " in answer.split("\r\n", 1)[0], answer[:200]
        assert "\r\nserver:" not in answer.lower()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


HELLO = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_with_the_projects_settings_file_sends_no_server_header(tmp_path):
    """Finding 9 (a): gunicorn wrote `Server: gunicorn`; its settings file (gunicorn.conf.py) takes the line
    out. A real gunicorn, with the project's settings file, serving a one-line WSGI app."""
    (tmp_path / "hello_app.py").write_text(HELLO, encoding="utf-8")
    port = _free_port()
    gunicorn = pathlib.Path(sys.executable).with_name("gunicorn")
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [
            str(gunicorn),
            *("--config", str(ROOT / "gunicorn.conf.py")),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--chdir", str(tmp_path)),
            "hello_app:app",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = _get(port, "/")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    process.wait()
                    log.close()
                    pytest.fail(f"gunicorn did not start: {(tmp_path / 'gunicorn.log').read_text()[-2000:]}")
                time.sleep(0.1)
        assert response.status == 200
        assert response.getheader("Server") is None, response.getheaders()
        assert response.getheader("Date")  # the rest of gunicorn's own headers are still there
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
