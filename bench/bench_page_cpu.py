"""CPU per request of the pages issue 12 times, measured inside one process: what a page costs, apart from
the machine it runs on.

The platform benchmark (bench_platform.py) measures latency under load, which on a shared or busy machine
says more about the neighbours than about the code. This one runs the same pages through Flask's test
client, one request at a time, against a database the platform benchmark built (its catalogue, event and
accounts, and the matching index its run stored), and reports for each page the CPU time of the request
(time.process_time: the database server's own time is not in it), the wall time, the SQL statements, the
HTML size, the part spent rendering templates and in the garbage collector. The heap is frozen first, as
gunicorn.conf.py does in every worker (matchmaker.warmup.freeze_heap).

    python -m bench page_cpu                                        the platform benchmark's database
    python -m bench page_cpu --pages proposals_buyer,agenda --requests 100
    python -m bench page_cpu --profile proposals_buyer              cProfile (CPU time) of one page, top 40
    python -m bench page_cpu --database postgresql+psycopg://postgres@127.0.0.1:5432/bench --meta FILE

Options: --database URL (default: the platform benchmark's), --meta FILE (the accounts and event of the
build: .cache/bench/platform-<items>-*.json, the newest by default), --requests N (40 a page, after 3 to
warm up), --pages a,b (home, proposals_buyer, proposals_supplier, participants, agenda), --profile PAGE,
--sort KEY (the profile's order: cumulative, or tottime for the functions' own time), --only REGEX (the
profile's functions whose file:line(name) matches, e.g. `url_for|gettext`), --publishing (before each
measured request the benchmark's supplier publishes one of its drafts or unpublishes it again, as in the
platform benchmark's "proposals while items are published": what the writes leave the pages to redo; the
writes themselves, and their refresh of the index, run in this process but are not in the figures).
Run `python -m bench platform` once first (its database stays after the run, index included).
"""

from __future__ import annotations

import cProfile
import gc
import json
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "bench"
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
PAGES = ("home", "proposals_buyer", "proposals_supplier", "participants", "agenda")


def _option(argv: list[str], name: str, default: str) -> str:
    for i, arg in enumerate(argv):
        if arg == f"--{name}" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return default


def _newest_meta() -> Path | None:
    found = sorted(CACHE.glob("platform-*.json"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


class Meter:
    """Statements and rendering time of the requests made while it is on."""

    def __init__(self, engine):
        import flask.templating
        import sqlalchemy as sa

        self.statements = 0
        self.render = 0.0
        self.gc = 0.0
        self._gc_started = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        original = flask.templating._render

        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.render += time.process_time() - started

        flask.templating._render = timed
        gc.callbacks.append(self._collection)

    def _statement(self, *_args) -> None:
        self.statements += 1

    def _collection(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._gc_started = time.process_time()
        else:
            self.gc += time.process_time() - self._gc_started

    def reset(self) -> None:
        self.statements, self.render, self.gc = 0, 0.0, 0.0


def main(argv: list[str]) -> int:
    database = _option(argv, "database", DEFAULT_DATABASE)
    meta_path = _option(argv, "meta", "") or _newest_meta()
    if not meta_path or not Path(meta_path).exists():
        print("no platform build found: run `python -m bench platform` first (or give --meta)")
        return 1
    meta = json.loads(Path(meta_path).read_text())
    requests = int(_option(argv, "requests", "40"))
    pages = [p for p in _option(argv, "pages", ",".join(PAGES)).split(",") if p]
    profiled = _option(argv, "profile", "")
    publishing = "--publishing" in argv
    os.environ.update(
        MATCHMAKER_ENV="production",
        SECRET_KEY="bench-page-cpu-" + "x" * 40,
        DATABASE_URL=database,
        TASK_MODE="eager",  # nothing is queued by these GET requests; no broker needed
        MAIL_BACKEND="memory",
        SERVER_BASE_URL="http://127.0.0.1:5000",
        PROXY_FIX_X_FOR="0",
        RATELIMIT_STORAGE_URI="memory://",
        LOGIN_RATE_LIMIT="1000 per minute",
    )
    sys.path.insert(0, str(REPO))
    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.warmup import freeze_heap, warm_up

    app = create_app()
    with app.app_context():
        engine = db.engine
    meter = Meter(engine)
    base = "https://localhost"

    def client_for(email: str | None):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
        if email is None:
            return client
        html = client.get("/auth/login", base_url=base).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        answer = client.post(
            "/auth/login",
            data={"csrf_token": token, "email": email, "password": meta["password"]},
            base_url=base,
            headers={"Referer": f"{base}/auth/login"},
        )
        if answer.status_code not in (302, 303):
            raise RuntimeError(f"logging in {email} failed (HTTP {answer.status_code})")
        return client

    event = meta["event_id"]
    targets = {
        "home": (None, "/"),
        "proposals_buyer": (meta["buyer"], "/matches/"),
        "proposals_supplier": (meta["supplier"], "/matches/"),
        "participants": (meta["organizer"], f"/events/{event}/participants"),
        "agenda": (meta["buyer"], f"/events/{event}/agenda"),
    }
    writes = {"n": 0}
    writer = client_for(meta["supplier"]) if publishing else None
    draft = meta["drafts"][-1][0] if publishing else None

    def write() -> None:
        """Publish the supplier's draft, or unpublish it again (each request's own CSRF token)."""
        if writer is None:
            return
        html = writer.get(f"/catalogue/offerings/{draft}", base_url=base).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        verb = "publish" if writes["n"] % 2 == 0 else "unpublish"
        answer = writer.post(
            f"/catalogue/offerings/{draft}/{verb}",
            data={"csrf_token": token},
            base_url=base,
            headers={"Referer": f"{base}/catalogue/offerings/{draft}"},
        )
        if answer.status_code not in (302, 303):
            raise RuntimeError(f"{verb} of offering {draft} failed (HTTP {answer.status_code})")
        writes["n"] += 1

    warm_up(app)
    freeze_heap()
    print(f"{requests} requests a page against {database}; CPU and wall in ms a request")
    columns = ("cpu p50", "cpu min", "wall p50", "SQL", "render", "gc", "KB")
    print(f"{'page':20s} " + " ".join(f"{c:>8s}" for c in columns))
    for name in pages:
        email, path = targets[name]
        client = client_for(email)
        for _ in range(3):
            answer = client.get(path, base_url=base)
            if answer.status_code != 200:
                print(f"{name}: HTTP {answer.status_code} at {path}")
                return 1
        cpu, wall = [], []
        statements, render, collected = 0, 0.0, 0.0
        for _ in range(requests):
            write()
            meter.reset()
            started, clock = time.process_time(), time.perf_counter()
            answer = client.get(path, base_url=base)
            cpu.append((time.process_time() - started) * 1000)
            wall.append((time.perf_counter() - clock) * 1000)
            statements, render, collected = (
                statements + meter.statements,
                render + meter.render,
                collected + meter.gc,
            )
        print(
            f"{name:20s} {statistics.median(cpu):8.1f} {min(cpu):8.1f} {statistics.median(wall):8.1f} "
            f"{statements / requests:8.1f} {render * 1000 / requests:8.1f} "
            f"{collected * 1000 / requests:8.2f} {len(answer.data) / 1024:8.1f}"
        )
        if name == profiled:
            profile = cProfile.Profile(time.process_time)
            for _ in range(requests):
                write()
                profile.enable()
                client.get(path, base_url=base)
                profile.disable()
            stats = pstats.Stats(profile).sort_stats(_option(argv, "sort", "cumulative"))
            only = _option(argv, "only", "")
            stats.print_stats(*([only, 40] if only else [40]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
