"""The whole platform under load, in its production configuration, against the targets of issue 12.

Builds a catalogue (by default 50,000 items: 35,000 published offerings, 15,000 open needs, a few thousand
organisations, an event with 500 participants and a published agenda) into a fresh PostgreSQL database
migrated with `flask db upgrade`, lets the platform build its matching index through its own command line,
then starts gunicorn (4 workers, `wsgi:app`, MATCHMAKER_ENV=production) with Celery workers and beat on
loopback ports, plus a hello-world Flask app under the same gunicorn settings as the baseline. A load
generator in a separate process (a thread pool of http.client connections, one new connection a request,
latency measured per request) runs at concurrency 10.

Measured: p50/p95/max and requests/s of the home page, a buyer's and a supplier's proposals page, the
organizer's participant list of the 500-participant event, a participant's agenda, the proposals page while
items are being published; the time to download the offerings export; the latency of publishing and editing
an item and the time until the proposals show it; the resident memory (VmRSS, VmHWM from /proc) of every
gunicorn worker and of the Celery processes; the CPU time each process group (web workers, Celery,
PostgreSQL, the load generators, the rest of the machine) spent per request of each load. Every figure is
printed beside the hello-world baseline and the issue's target (pass/fail), and written to
bench/results/platform-<items>-<time>.json.

Once the index is built, the database is vacuumed, analysed and checkpointed before anything is measured
(a platform in service has settled; right after millions of rows are written it has not).

The built database is cached as a `pg_dump -Fc` in .cache/bench (keyed by the size, the migration heads and
the builder's version) and restored with pg_restore on the next run; a dump of an older schema is restored
and upgraded with `flask db upgrade`. `--rebuild` builds afresh.

    python -m bench platform                                      50,000 items (the issue's targets)
    python -m bench platform --items 2000                         a quick end-to-end check of the harness
    python -m bench platform --items 50000 --database postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python -m bench platform --build-only                         build (or restore) and cache, no load

Options: --items N, --database URL (dropped and created again!), --redis URL, --concurrency N (10),
--requests N (per page, 300), --seconds S (cap per page, 30), --web-workers N (4), --celery-concurrency N (2),
--timeout S (gunicorn's, 30), --gunicorn-args "..." (more, for both apps), --index-command "match rebuild",
--index-timeout S (1800), --ready-timeout S (300: the wait for the buyer's first proposals), --updates N
(polled publish/edit pairs, 3), --update-timeout S (60), --writes N (timed publish/edit requests, 10),
--rebuild, --build-only, --json PATH.
Needs PostgreSQL (createdb/dropdb/pg_dump/pg_restore on the PATH; trust auth) and Redis.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.client import HTTPConnection, HTTPException
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "bench"
RESULTS = REPO / "bench" / "results"
BIN = Path(sys.executable).parent
BUILD_VERSION = 1  # bump when platform_build changes what it builds: cached dumps are then rebuilt

DEFAULTS = {
    "items": "50000",
    "database": "postgresql+psycopg://postgres@127.0.0.1:5432/bench",
    "redis": "redis://127.0.0.1:6379/11",
    "concurrency": "10",
    "requests": "300",
    "seconds": "30",
    "web-workers": "4",
    "celery-concurrency": "2",
    "timeout": "30",
    "index-command": "match rebuild",
    "index-timeout": "1800",
    "ready-timeout": "300",
    "updates": "3",
    "update-timeout": "60",
    "writes": "10",
    "json": "",
    "gunicorn-args": "",
}
FLAGS = ("rebuild", "build-only")

# The targets: (key, label, unit, limit); a figure passes when it is at most the limit.
TARGETS = [
    ("write_p95_ms", "publish/edit an item, p95", "ms", 300),
    ("update_s_max", "proposals up to date after publish/edit, slowest", "s", 10),
    ("proposals_buyer_p95_ms", "proposals page (buyer), p95", "ms", 150),
    ("proposals_supplier_p95_ms", "proposals page (supplier), p95", "ms", 150),
    ("proposals_while_publishing_p95_ms", "proposals while items are published, p95", "ms", 150),
    ("participants_p95_ms", "participant list (500 participants), p95", "ms", 150),
    ("agenda_p95_ms", "agenda, p95", "ms", 150),
    ("proposals_buyer_kb", "proposals page (buyer) HTML", "KB", 300),
    ("participants_kb", "participant list HTML", "KB", 300),
    ("agenda_kb", "agenda HTML", "KB", 300),
    ("export_s", "offerings export, whole download", "s", 10),
    ("web_worker_rss_mb_max", "largest gunicorn worker, resident", "MB", 250),
    ("celery_rss_mb_total", "Celery processes together, resident", "MB", 2048),
]


def make_hello_app():
    """The baseline: one route returning a short string (gunicorn 'bench.bench_platform:make_hello_app()')."""
    from flask import Flask

    app = Flask("hello")

    @app.get("/")
    def hello():
        return "Hello, world!"

    return app


# --------------------------------------------------------------------------------------------------------
# Options, processes, memory


def parse_options(argv: list[str]) -> dict:
    options = dict(DEFAULTS)
    options.update(dict.fromkeys(FLAGS, False))
    args = list(argv)
    while args:
        arg = args.pop(0)
        if not arg.startswith("--"):
            raise SystemExit(f"bench platform: unexpected argument {arg!r}")
        name, eq, value = arg[2:].partition("=")
        if name in FLAGS:
            options[name] = True
        elif name in DEFAULTS:
            options[name] = value if eq else (args.pop(0) if args else "")
        else:
            raise SystemExit(f"bench platform: unknown option --{name} (see the module's docstring)")
    return options


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _proc_status(pid: int) -> dict:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "PPid", "Name"):
                out[key] = value.strip()
    except OSError:
        pass
    return out


def descendants(pid: int) -> list[int]:
    """The process and all its descendants (from /proc: psutil is not installed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            ppid = _proc_status(int(entry.name)).get("PPid")
            if ppid:
                children.setdefault(int(ppid), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB; zeros when it is gone."""
    status = _proc_status(pid)

    def mb(key):
        return int(status.get(key, "0 kB").split()[0]) / 1024

    return mb("VmRSS"), mb("VmHWM")


def _cpu_ticks(pid: int) -> int:
    """CPU clock ticks of a process and of its children it has waited for (utime, stime, cutime, cstime)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(f) for f in fields[11:15])


def _postgres_pids() -> list[int]:
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _proc_status(int(entry.name)).get("Name") == "postgres"
    ]


def _machine_busy_ticks() -> int:
    """Ticks every core spent on anything but idling or waiting for I/O (/proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return user + nice + system + irq + softirq + steal


class CpuMeter:
    """Where the machine's CPU went during a phase: the stack's process groups (web, Celery...), PostgreSQL
    (its server processes, ended backends included through the postmaster), this harness with its load
    generators, and the rest of the machine. In CPU seconds, from /proc."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, stack: Stack):
        self.stack = stack
        self.started = self._sample()

    def _sample(self) -> dict[str, int]:
        out = {
            name: sum(_cpu_ticks(pid) for pid in descendants(proc.pid))
            for name, proc in self.stack.procs.items()
        }
        out["postgres"] = sum(_cpu_ticks(pid) for pid in _postgres_pids())
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
        out["harness"] = round(seconds * self.TICK)
        out["machine"] = _machine_busy_ticks()
        return out

    def since(self) -> dict[str, float]:
        """CPU seconds of each group since the meter started; `other`: the machine's busy time beyond them."""
        now = self._sample()
        spent = {name: max(0, now[name] - self.started.get(name, 0)) / self.TICK for name in now}
        machine = spent.pop("machine")
        spent["other"] = max(0.0, machine - sum(spent.values()))
        return {name: round(value, 2) for name, value in spent.items()}


class Stack:
    """The processes of one run; stopped (SIGTERM to each process group, then SIGKILL) at the end."""

    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen] = {}
        self.peak_rss: dict[str, dict[int, float]] = {}

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = (self.logdir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def alive(self, name: str) -> bool:
        return name in self.procs and self.procs[name].poll() is None

    def sample_memory(self) -> None:
        """Remember each process's largest resident size seen so far."""
        for name, proc in self.procs.items():
            pids = descendants(proc.pid)
            if name.startswith(("web", "hello")):
                pids = [p for p in pids if p != proc.pid]  # the workers, not the gunicorn master
            seen = self.peak_rss.setdefault(name, {})
            for pid in pids:
                rss, _ = memory_mb(pid)
                if rss:
                    seen[pid] = max(seen.get(pid, 0.0), rss)

    def high_water(self, name: str) -> dict[int, float]:
        proc = self.procs.get(name)
        if proc is None:
            return {}
        pids = descendants(proc.pid)
        if name.startswith(("web", "hello")):
            pids = [p for p in pids if p != proc.pid]
        return {pid: memory_mb(pid)[1] for pid in pids if memory_mb(pid)[1]}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.time() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def flask(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# --------------------------------------------------------------------------------------------------------
# HTTP: a client with cookies and forms for the orchestrator; the load generator runs in a child process


class Forms(HTMLParser):
    """The forms of a page as a browser would submit them (without pressing a named button)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": []}
            )
            return
        if not self.forms or ("name" not in a and tag in ("input", "select", "textarea")):
            return
        fields = self.forms[-1]["fields"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            fields.append((a["name"], a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value") or "", "selected" in a))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None and self.forms:
            chosen = [v for v, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            self.forms[-1]["fields"] += [(self._select, v) for v in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self.forms:
            self.forms[-1]["fields"].append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


class Client:
    def __init__(self, port: int, timeout: float = 120):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, fields=None, follow: bool = True):
        """(status, content type, body text, seconds of the first request, final path)."""
        body = urllib.parse.urlencode(fields).encode() if fields is not None else None
        started = time.perf_counter()
        seconds = None
        for _ in range(6):
            conn = HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            headers = {"Accept-Language": "nl", "Cookie": self.cookie_header()}
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            conn.close()
            seconds = seconds if seconds is not None else time.perf_counter() - started
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    cookie_value = rest.split(";", 1)[0]
                    if cookie_value and "max-age=0" not in value.lower():
                        self.cookies[name.strip()] = cookie_value
                    else:
                        self.cookies.pop(name.strip(), None)
            location = response.getheader("Location")
            if follow and response.status in (301, 302, 303, 307) and location:
                parsed = urllib.parse.urlsplit(location)
                path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
                method, body = "GET", None
                continue
            text = data.decode("utf-8", "replace")
            return response.status, response.getheader("Content-Type") or "", text, seconds, path, len(data)
        raise RuntimeError(f"too many redirects at {path}")

    def get(self, path: str):
        return self.request("GET", path)

    def token(self, path: str) -> str:
        """The CSRF token from a page's forms (the session's token serves every form for hours)."""
        status, _, html, *_ = self.get(path)
        for form in forms_of(html):
            for name, value in form["fields"]:
                if name == "csrf_token":
                    self.csrf = value
                    return value
        raise RuntimeError(f"no CSRF token on {path} (HTTP {status})")

    def login(self, email: str, password: str) -> None:
        status, _, html, *_ = self.get("/auth/login")
        form = next((f for f in forms_of(html) if any(n == "password" for n, _ in f["fields"])), None)
        if form is None:
            raise RuntimeError(f"no login form (HTTP {status})")
        fields = [(n, v) for n, v in form["fields"] if n not in ("email", "password")]
        fields += [("email", email), ("password", password)]
        status, _, html, _, final, _ = self.request("POST", form["action"] or "/auth/login", fields)
        if status != 200 or "/auth/login" in final:
            raise RuntimeError(f"logging in {email} failed (HTTP {status}, at {final})")

    def post(self, path: str, fields=None, follow: bool = False):
        fields = list(fields or [])
        if not any(n == "csrf_token" for n, _ in fields):
            fields.append(("csrf_token", self.csrf or ""))
        return self.request("POST", path, fields, follow=follow)


def load_child(spec_path: str) -> int:
    """Run in its own process: `concurrency` threads send GETs over new connections until `requests` are
    done or `seconds` have passed; prints the latencies (s), statuses and sizes as JSON."""
    spec = json.loads(Path(spec_path).read_text())
    targets, port = spec["targets"], spec["port"]
    lock = threading.Lock()
    counter = {"next": 0}
    results: list[tuple[float, int, int]] = []
    errors: list[str] = []

    def one(target) -> tuple[float, int, int]:
        started = time.perf_counter()
        conn = HTTPConnection("127.0.0.1", port, timeout=300)
        conn.request(
            "GET", target["path"], headers={"Cookie": target.get("cookie", ""), "Accept-Language": "nl"}
        )
        response = conn.getresponse()
        size = len(response.read())
        conn.close()
        return time.perf_counter() - started, response.status, size

    in_flight: dict[int, float] = {}  # thread id -> start of its unanswered request

    def worker(measure: bool, deadline: float, limit: int) -> None:
        me = threading.get_ident()
        while True:
            with lock:
                i = counter["next"]
                counter["next"] += 1
            if i >= limit or time.perf_counter() > deadline:
                return
            in_flight[me] = time.perf_counter()
            try:
                outcome = one(targets[i % len(targets)])
            except (OSError, HTTPException) as error:
                errors.append(repr(error))
                continue
            finally:
                in_flight.pop(me, None)
            if measure:
                with lock:
                    results.append(outcome)

    def run(measure: bool, limit: int, seconds: float) -> float:
        """Stop sending after `seconds`; wait for the answers in flight at most `grace` seconds more (a
        request still unanswered then counts as failed, with the time it waited so far as its latency)."""
        counter["next"] = 0
        started = time.perf_counter()
        threads = [
            threading.Thread(target=worker, args=(measure, started + seconds, limit), daemon=True)
            for _ in range(spec["concurrency"])
        ]
        for thread in threads:
            thread.start()
        give_up = started + seconds + spec.get("grace", 60)
        for thread in threads:
            thread.join(max(0.0, give_up - time.perf_counter()))
        if any(thread.is_alive() for thread in threads):
            now = time.perf_counter()
            with lock:
                for begun in list(in_flight.values()):
                    if measure:
                        results.append((now - begun, 0, 0))
                    errors.append("no answer before the load generator gave up")
                in_flight.clear()
                counter["next"] = limit  # the threads send nothing more
        return time.perf_counter() - started

    run(False, spec.get("warmup", 0), spec["seconds"])  # every worker renders once before measuring
    wall = run(True, spec["requests"], spec["seconds"])
    statuses: dict[str, int] = {}
    for _, status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    sys.stdout.write(
        json.dumps(
            {
                "latencies": [r[0] for r in results],
                "statuses": statuses,
                "bytes": max((r[2] for r in results), default=0),
                "wall": wall,
                "errors": errors[:5],
                "error_count": len(errors),
            }
        )
        + "\n"
    )
    sys.stdout.flush()
    os._exit(0)  # threads still waiting for an answer must not keep this process alive


def summarise(raw: dict) -> dict:
    times = sorted(t * 1000 for t in raw.get("latencies", []))
    if not times:
        return {"n": 0, "statuses": raw.get("statuses", {}), "errors": raw.get("errors", [])}

    def pct(p: float) -> float:
        return times[min(len(times) - 1, round(p * (len(times) - 1)))]

    bad = sum(n for s, n in raw["statuses"].items() if not s.startswith(("2", "3")))
    return {
        "n": len(times),
        "p50_ms": round(pct(0.50), 1),
        "p95_ms": round(pct(0.95), 1),
        "max_ms": round(times[-1], 1),
        "rps": round(len(times) / raw["wall"], 2) if raw["wall"] else None,
        "kb": round(raw["bytes"] / 1024, 1),
        "statuses": raw["statuses"],
        "failed_requests": bad + raw.get("error_count", 0),
    }


def run_load(
    port: int, targets: list[dict], opts: dict, logdir: Path, name: str, requests: int | None = None
) -> subprocess.Popen:
    spec = {
        "port": port,
        "targets": targets,
        "concurrency": int(opts["concurrency"]),
        "requests": requests or int(opts["requests"]),
        "seconds": float(opts["seconds"]),
        "warmup": int(opts["concurrency"]),
    }
    path = logdir / f"load-{name}.json"
    path.write_text(json.dumps(spec))
    return subprocess.Popen(
        [sys.executable, "-m", "bench.bench_platform", "--load-child", str(path)],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        stdout=subprocess.PIPE,
        text=True,
    )


def collect(proc: subprocess.Popen) -> dict:
    try:
        out, _ = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    try:
        return summarise(json.loads(out.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {"n": 0, "error": f"load generator exited {proc.returncode}"}


def measure(port, targets, opts, logdir, name, stack: Stack | None = None) -> dict:
    meter = CpuMeter(stack) if stack is not None else None
    out = collect(run_load(port, targets, opts, logdir, name))
    if meter is not None:
        add_cpu(out, meter)
    return out


def add_cpu(summary: dict, meter: CpuMeter) -> None:
    """The phase's CPU seconds by process group, and in milliseconds a request of the load."""
    spent = meter.since()
    summary["cpu_s"] = spent
    if summary.get("n"):
        summary["cpu_ms_per_request"] = {k: round(v * 1000 / summary["n"], 1) for k, v in spent.items()}


# --------------------------------------------------------------------------------------------------------
# The database: build or restore


def _pg_args(url) -> list[str]:
    return ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]


def settle_database(opts: dict) -> float:
    """VACUUM (ANALYZE) and CHECKPOINT once the index is built: millions of rows were just written, and
    autovacuum and the checkpointer would otherwise work through them during the measurements (runs on the
    same code differed by a third). A platform in service has long settled; the measurements start so."""
    import psycopg
    import sqlalchemy as sa

    url = sa.engine.make_url(opts["database"]).set(drivername="postgresql")
    started = time.perf_counter()
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
        connection.execute("CHECKPOINT")
    return round(time.perf_counter() - started, 1)


def prepare_database(opts: dict, env: dict, log) -> dict:
    import sqlalchemy as sa

    from bench.platform_build import build

    url = sa.engine.make_url(opts["database"])
    pg = _pg_args(url)
    heads_out = flask(env, "db", "heads").stdout
    heads = "+".join(sorted(re.findall(r"^(\w+)", heads_out, re.M))) or "unknown"
    items = int(opts["items"])
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = f"platform-{items}-b{BUILD_VERSION}"
    dump, meta_file = CACHE / f"{stem}-{heads}.dump", CACHE / f"{stem}-{heads}.json"
    older = sorted(CACHE.glob(f"{stem}-*.dump"), key=lambda p: p.stat().st_mtime, reverse=True)
    subprocess.run(["dropdb", *pg, "--if-exists", "--force", url.database], check=True)
    subprocess.run(["createdb", *pg, url.database], check=True)
    started = time.perf_counter()
    source = dump if dump.exists() else (older[0] if older else None)
    if source is not None and source.with_suffix(".json").exists() and not opts["rebuild"]:
        log(f"restoring {source.name} (pg_restore)")
        subprocess.run(
            ["pg_restore", *pg, "--no-owner", "-j", "2", "-d", url.database, str(source)], check=True
        )
        meta = json.loads(source.with_suffix(".json").read_text())
        if source != dump:
            log(f"  the dump's schema is older than the code's heads ({heads}): flask db upgrade")
            upgraded = flask(env, "db", "upgrade")
            if upgraded.returncode:
                raise RuntimeError(f"flask db upgrade failed:\n{upgraded.stderr[-2000:]}")
        meta["restored_from"] = source.name
        meta["restore_seconds"] = round(time.perf_counter() - started, 1)
        return meta
    log(f"building {items} items into {url.database} (no cached dump for {stem}-{heads})")
    for args in (("db", "upgrade"), ("admin", "set-up")):
        done = flask(env, *args)
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    meta = build(url.render_as_string(hide_password=False), items, log=log)
    log(f"  built in {meta['build_seconds']} s; dumping to {dump}")
    partial = dump.with_suffix(".partial")
    subprocess.run(["pg_dump", *pg, "-Fc", "-f", str(partial), url.database], check=True)
    partial.rename(dump)
    meta_file.write_text(json.dumps(meta, indent=1))
    meta["built"] = True
    return meta


# --------------------------------------------------------------------------------------------------------
# The run


def platform_env(opts: dict, port: int) -> dict:
    return dict(
        os.environ,
        PYTHONPATH=str(REPO),
        FLASK_APP="wsgi",
        MATCHMAKER_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=opts["database"],
        REDIS_URL=opts["redis"],
        TASK_MODE="celery",
        CELERY_KEY_PREFIX=f"bench-{os.getpid()}:",
        MAIL_BACKEND="memory",
        SERVER_BASE_URL=f"http://127.0.0.1:{port}",
        PROXY_FIX_X_FOR="0",
        # The bench logs in three accounts a run: repeated runs must not hit the hourly limit of one address.
        LOGIN_RATE_LIMIT="1000 per minute",
    )


def wait_ready(port: int, stack: Stack, name: str, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not stack.alive(name):
            raise RuntimeError(f"{name} exited; see {stack.logdir / (name + '.log')}")
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/")
            status = conn.getresponse().status
            conn.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{name} did not answer on port {port} within {seconds} s")


def gunicorn(opts: dict, port: int, app: str) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        "--workers",
        opts["web-workers"],
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        opts["timeout"],
        "--forwarded-allow-ips",
        "*",
        *shlex.split(opts["gunicorn-args"]),
        app,
    ]


def index_command(env: dict, opts: dict) -> list[str]:
    return shlex.split(opts["index-command"])


def proposal_link(need_id: int, offering_id: int) -> str:
    """The pattern of the link to a proposal's page (what the proposals page shows for each pair)."""
    return re.escape(f"/matches/{need_id}/{offering_id}") + r"\b"


def wait_for_models(worker_log: Path, opts: dict) -> float | None:
    """Seconds until every Celery pool process says it loaded the matching model (the worker's log), None
    after --ready-timeout."""
    started = time.perf_counter()
    wanted = int(opts["celery-concurrency"])
    while time.perf_counter() - started < float(opts["ready-timeout"]):
        text = worker_log.read_text(errors="replace") if worker_log.exists() else ""
        if text.count("Matching model of generation") >= wanted:
            return round(time.perf_counter() - started, 1)
        time.sleep(0.5)
    return None


def wait_for(
    client: Client, path: str, pattern: str, timeout: float, started: float | None = None
) -> float | None:
    """Seconds until the regular expression `pattern` matches the page (polled every 0.25 s), None after
    `timeout`; counted from `started` (a perf_counter reading: when the change was answered) if given."""
    started = time.perf_counter() if started is None else started
    while time.perf_counter() - started < timeout:
        try:
            status, _, html, *_ = client.get(path)
            if status == 200 and re.search(pattern, html):
                return time.perf_counter() - started
        except (OSError, HTTPException):
            pass
        time.sleep(0.25)
    return None


def proposals_page_of(client: Client, offering_id: int, pages: int = 50) -> str:
    """The page of the supplier's proposals (five items a page) that lists this offering."""
    for number in range(1, pages + 1):
        path = f"/matches/?per_item=20&page={number}"
        status, _, html, *_ = client.get(path)
        if status == 200 and f'id="item-offering-{offering_id}"' in html:
            return path
        if status != 200 or f"page={number + 1}" not in html:
            break
    raise RuntimeError(f"offering {offering_id} is on none of the supplier's proposals pages")


def need_text(opts: dict, need_id: int) -> dict:
    """What the need says and declares (text, CPV codes, themes): an offering edited to say the same becomes
    that need's best proposal (the text alone did not always: the CPV and theme parts of the score differ)."""
    import sqlalchemy as sa

    engine = sa.create_engine(opts["database"])
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT title, summary, challenge FROM need WHERE id = :i"), {"i": need_id}
        ).one()
        codes = conn.execute(sa.text("SELECT code FROM need_cpv_code WHERE need_id = :i"), {"i": need_id})
        themes = conn.execute(sa.text("SELECT theme_id FROM need_theme WHERE need_id = :i"), {"i": need_id})
        cpv, theme_ids = " ".join(r[0] for r in codes), [str(r[0]) for r in themes]
    engine.dispose()
    return {
        "title": row.title, "summary": row.summary, "description": row.challenge,
        "cpv_codes": cpv, "themes": theme_ids,
    }  # fmt: skip


def edit_offering(client: Client, offering_id: int, text: dict) -> tuple[float, int]:
    """Submit the offering's edit form with the text of a need: (seconds of the POST, its status)."""
    path = f"/catalogue/offerings/{offering_id}/edit"
    status, _, html, *_ = client.get(path)
    form = next((f for f in forms_of(html) if any(n == "title" for n, _ in f["fields"])), None)
    if form is None:
        raise RuntimeError(f"no edit form at {path} (HTTP {status})")
    fields = [(n, text.get(n, v)) for n, v in form["fields"] if n != "themes"]
    fields += [("themes", theme) for theme in text.get("themes", [])]
    status, _, _, seconds, _, _ = client.request("POST", form["action"] or path, fields, follow=False)
    return seconds, status


def writes_and_updates(supplier: Client, meta: dict, opts: dict, log) -> dict:
    """Publish drafts (each copies a need's text) and edit published offerings to copy another need's text,
    timing each request; for the first --updates of each, poll the supplier's proposals until the pair is
    there. Every draft published here is unpublished again (also timed)."""
    updates, timeout, writes = int(opts["updates"]), float(opts["update-timeout"]), int(opts["writes"])
    drafts = [tuple(d) for d in meta["drafts"]]
    supplier.token("/catalogue/offerings/mine")
    latencies, update_times, statuses, notes = [], [], {}, []

    def note(status):
        statuses[str(status)] = statuses.get(str(status), 0) + 1

    def shown_after(need_id: int, offering_id: int, answered: float) -> float | None:
        """Seconds from the change's answer until the supplier's proposals page lists the pair."""
        try:
            page = proposals_page_of(supplier, offering_id)
        except RuntimeError as error:
            notes.append(str(error))
            waited = None
        else:
            waited = wait_for(supplier, page, proposal_link(need_id, offering_id), timeout, answered)
        update_times.append(waited)
        return waited

    for i, (offering_id, need_id) in enumerate(drafts[:writes]):
        status, _, _, seconds, _, _ = supplier.post(f"/catalogue/offerings/{offering_id}/publish")
        answered = time.perf_counter()
        latencies.append(seconds)
        note(status)
        if i < updates:
            waited = shown_after(need_id, offering_id, answered)
            log(
                f"  published offering {offering_id}: {seconds * 1000:.0f} ms; in the proposals after "
                f"{f'{waited:.1f} s' if waited is not None else f'more than {timeout:.0f} s'}"
            )
    for offering_id, _need in drafts[:writes]:
        status, _, _, seconds, _, _ = supplier.post(f"/catalogue/offerings/{offering_id}/unpublish")
        latencies.append(seconds)
        note(status)
    targets = [d[1] for d in drafts[-writes:]]
    for i, offering_id in enumerate((meta["supplier_offerings"] * writes)[:writes]):
        try:
            seconds, status = edit_offering(supplier, offering_id, need_text(opts, targets[i]))
            answered = time.perf_counter()
        except RuntimeError as error:
            notes.append(str(error))
            continue
        latencies.append(seconds)
        note(status)
        if i < updates:
            waited = shown_after(targets[i], offering_id, answered)
            log(
                f"  edited offering {offering_id}: {seconds * 1000:.0f} ms; in the proposals after "
                f"{f'{waited:.1f} s' if waited is not None else f'more than {timeout:.0f} s'}"
            )
    times = sorted(t * 1000 for t in latencies)
    found = [t for t in update_times if t is not None]
    return {
        "write_requests": len(times),
        "write_statuses": statuses,
        "write_p50_ms": round(statistics.median(times), 1) if times else None,
        "write_p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 1)
        if times
        else None,
        "write_max_ms": round(times[-1], 1) if times else None,
        "update_times_s": [round(t, 2) if t is not None else None for t in update_times],
        # A pair never seen counts as the poll's timeout (a failure against the 10 s target).
        "update_s_max": round(max([*found, *([timeout] * (len(update_times) - len(found)))]), 2)
        if update_times
        else None,
        "notes": notes,
    }


def publish_during_load(supplier: Client, meta: dict, load: subprocess.Popen, opts: dict) -> dict:
    """While the proposals load runs: publish a draft, wait a second, unpublish it, wait a second..."""
    latencies, n = [], 0
    drafts = meta["drafts"][int(opts["writes"]) :] or meta["drafts"]
    # A write stuck behind queued page requests (workers killed by gunicorn's timeout) must not hold the run.
    writer = Client(supplier.port, timeout=float(opts["timeout"]) * 2)
    writer.cookies, writer.csrf = supplier.cookies, supplier.csrf
    while load.poll() is None:
        offering_id = drafts[n % len(drafts)][0]
        for verb in ("publish", "unpublish"):
            if verb == "publish" and load.poll() is not None:
                break
            try:
                _, _, _, seconds, _, _ = writer.post(f"/catalogue/offerings/{offering_id}/{verb}")
                latencies.append(seconds * 1000)
            except (OSError, HTTPException):
                latencies.append(writer.timeout * 1000)  # no answer counts as the longest wait
            time.sleep(1)
        n += 1
    latencies.sort()
    return {
        "writes": len(latencies),
        "write_p95_ms": round(latencies[round(0.95 * (len(latencies) - 1))], 1) if latencies else None,
    }


def export_download(organizer: Client, log, rounds: int = 2) -> dict:
    """Whole download of the offerings export. A page instead of a file (an export run in the background)
    is followed: polled for a link to the file, which is then downloaded; the time is until the last byte."""
    times, sizes, kinds = [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        status, ctype, body, _, final, size = organizer.get("/catalogue/exchange/export/offerings.csv")
        while status == 200 and "text/html" in ctype and time.perf_counter() - started < 300:
            links = re.findall(r'href="([^"]+(?:\.csv|/download)[^"]*)"', body)
            if links:
                status, ctype, body, _, final, size = organizer.get(links[0].replace("&amp;", "&"))
                break
            time.sleep(0.5)
            status, ctype, body, _, final, size = organizer.get(final)
        times.append(time.perf_counter() - started)
        sizes.append(size)
        kinds.append(f"{status} {ctype.split(';')[0]}")
    log(f"  export: {', '.join(f'{t:.1f} s' for t in times)}, {sizes[-1] / 1e6:.1f} MB, {kinds[-1]}")
    ok = all(k.startswith("200 text/csv") for k in kinds)
    return {
        "export_s": round(max(times), 2) if ok else None,
        "export_runs_s": [round(t, 2) for t in times],
        "export_mb": round(sizes[-1] / 1e6, 2),
        "export_response": kinds[-1],
    }


def report(figures: dict, hello: dict) -> tuple[list[dict], bool]:
    rows, ok = [], True
    # The hello-world figure of the same kind: its p95 beside latencies, one request (its slowest, in
    # seconds) beside the export, its page size, its workers' memory; nothing beside the update delay.
    base = {
        "ms": hello.get("p95_ms"),
        "KB": hello.get("kb"),
        "s": round(hello["max_ms"] / 1000, 3) if hello.get("max_ms") else None,
        "MB": hello.get("worker_rss_mb"),
    }
    for key, label, unit, limit in TARGETS:
        value = figures.get(key)
        passed = value is not None and value <= limit
        ok &= passed
        baseline = None if key == "update_s_max" else base[unit]
        rows.append(
            {
                "target": label,
                "key": key,
                "value": value,
                "unit": unit,
                "limit": limit,
                "pass": passed,
                "hello": baseline,
                "x_hello": round(value / baseline, 1) if value is not None and baseline else None,
            }
        )
    return rows, ok


def print_table(rows: list[dict], pages: dict, hello: dict) -> None:
    print()
    print(f"{'target':52s} {'measured':>12s} {'limit':>9s} {'hello':>9s} {'x hello':>8s}  result")
    for r in rows:
        value = "n/a" if r["value"] is None else f"{r['value']:.1f} {r['unit']}"
        base = "" if r["hello"] is None else f"{r['hello']:.1f}"
        times = "" if r["x_hello"] is None else f"{r['x_hello']:.0f}x"
        print(
            f"{r['target']:52s} {value:>12s} {r['limit']:>6} {r['unit']:2s} {base:>9s} {times:>8s}  "
            f"{'pass' if r['pass'] else 'FAIL'}"
        )
    print()
    print(
        f"{'page (concurrency ' + str(hello.get('concurrency', '')) + ')':36s} {'n':>5s} {'p50 ms':>9s} "
        f"{'p95 ms':>9s} {'max ms':>9s} {'req/s':>8s} {'KB':>8s}  HTTP"
    )
    for name, s in {"hello world (baseline)": hello, **pages}.items():
        if not s.get("n"):
            print(f"{name:36s} no answers {s.get('error') or s.get('statuses') or ''}")
            continue
        print(
            f"{name:36s} {s['n']:5d} {s['p50_ms']:9.1f} {s['p95_ms']:9.1f} {s['max_ms']:9.1f} "
            f"{s['rps']:8.1f} {s['kb']:8.1f}  {s['statuses']}"
        )
    groups = sorted({g for s in pages.values() for g in s.get("cpu_ms_per_request", {})})
    if groups:
        print()
        print(f"{'CPU ms a request, by process group':36s} " + " ".join(f"{g[:13]:>13s}" for g in groups))
        for name, s in pages.items():
            cpu = s.get("cpu_ms_per_request")
            if cpu:
                print(f"{name:36s} " + " ".join(f"{cpu.get(g, 0):13.1f}" for g in groups))


def _terminated(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")  # the finally below stops the processes started


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _terminated)
    opts = parse_options(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    logdir = RESULTS / f"platform-{opts['items']}-{stamp}"
    logdir.mkdir(parents=True, exist_ok=True)
    web_port, hello_port = free_port(), free_port()
    env = platform_env(opts, web_port)

    def log(message: str) -> None:
        print(message, flush=True)

    log(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; logs in {logdir}")
    try:
        meta = prepare_database(opts, env, log)
    except (subprocess.CalledProcessError, RuntimeError, OSError) as error:
        log(f"could not prepare the database: {error}")
        return 1
    if opts["build-only"]:
        log(json.dumps({k: v for k, v in meta.items() if k != "drafts"}))
        return 0
    result: dict = {"options": dict(opts), "meta": meta, "started": stamp}
    result["commit"] = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    figures: dict = {}
    pages: dict = {}
    hello: dict = {}  # a run that stops before the baseline reports what it has, against no baseline
    stack = Stack(logdir)
    try:
        stack.start("web", gunicorn(opts, web_port, "wsgi:app"), env)
        hello_env = dict(os.environ, PYTHONPATH=str(REPO))
        stack.start("hello", gunicorn(opts, hello_port, "bench.bench_platform:make_hello_app()"), hello_env)
        celery = str(BIN / "celery")
        stack.start(
            "celery-worker",
            [
                celery,
                "-A",
                "matchmaker.worker",
                "worker",
                "--concurrency",
                opts["celery-concurrency"],
                "--loglevel",
                "INFO",
            ],
            env,
        )
        stack.start(
            "celery-beat",
            [
                celery,
                "-A",
                "matchmaker.worker",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(logdir / "beat-schedule"),
            ],
            env,
        )
        wait_ready(web_port, stack, "web")
        wait_ready(hello_port, stack, "hello")
        log(
            f"gunicorn {opts['web-workers']} workers on :{web_port}, hello world on :{hello_port}, "
            f"Celery worker (concurrency {opts['celery-concurrency']}) and beat"
        )

        # The platform's own index build, through its command line.
        command = index_command(env, opts)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        try:
            done = flask(env, *command, timeout=float(opts["index-timeout"]))
            index = {
                "command": " ".join(command),
                "returncode": done.returncode,
                "output": (done.stdout + done.stderr).strip()[-1500:],
            }
        except subprocess.TimeoutExpired:
            index = {"command": " ".join(command), "returncode": None, "output": "timed out"}
        index["seconds"] = round(time.perf_counter() - started, 1)
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        index["peak_rss_mb"] = round(after / 1024, 1) if after > before else None
        result["index"] = index
        log(
            f"flask {index['command']}: exit {index['returncode']} in {index['seconds']} s: "
            f"{index['output'].splitlines()[-1] if index['output'] else ''}"
        )

        result["settle_s"] = settle_database(opts)
        log(f"database vacuumed, analysed and checkpointed in {result['settle_s']} s")

        buyer, supplier, organizer = Client(web_port), Client(web_port), Client(web_port)
        for client, who in ((buyer, "buyer"), (supplier, "supplier"), (organizer, "organizer")):
            client.login(meta[who], meta["password"])
        # Proposals ready: the buyer's page links to a proposal (or go on without after --ready-timeout).
        started = time.perf_counter()
        ready = wait_for(buyer, "/matches/", r"/matches/\d+/\d+", float(opts["ready-timeout"]))
        result["first_proposals_s"] = round(time.perf_counter() - started, 1) if ready is not None else None
        log(f"the buyer's proposals page shows proposals after {result['first_proposals_s']} s")
        # Each Celery pool process loads the served model in the background once it is served (seconds of
        # CPU each): a platform in service has long done so; the measurements start once they have.
        result["workers_warm_s"] = wait_for_models(logdir / "celery-worker.log", opts)
        log(f"the Celery processes hold the matching model after {result['workers_warm_s']} s more")
        stack.sample_memory()

        hello = measure(hello_port, [{"path": "/"}], opts, logdir, "hello")
        hello["concurrency"] = int(opts["concurrency"])
        event = meta["event_id"]
        plan = [
            ("home", [{"path": "/"}]),
            ("proposals_buyer", [{"path": "/matches/", "cookie": buyer.cookie_header()}]),
            ("proposals_supplier", [{"path": "/matches/", "cookie": supplier.cookie_header()}]),
            (
                "participants",
                [{"path": f"/events/{event}/participants", "cookie": organizer.cookie_header()}],
            ),
            ("agenda", [{"path": f"/events/{event}/agenda", "cookie": buyer.cookie_header()}]),
        ]
        for name, targets in plan:
            pages[name] = measure(web_port, targets, opts, logdir, name, stack)
            stack.sample_memory()
            s = pages[name]
            log(
                f"  {name}: "
                + (
                    f"p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, {s['rps']} req/s, {s['kb']} KB, "
                    f"HTTP {s['statuses']}; CPU ms a request {s.get('cpu_ms_per_request')}"
                    if s.get("n")
                    else f"no answers {s}"
                )
            )
            if s.get("n"):
                figures[f"{name}_p95_ms"] = s["p95_ms"]
                figures[f"{name}_kb"] = s["kb"]

        try:
            figures.update(export_download(organizer, log))
        except (OSError, RuntimeError) as error:
            log(f"  export failed: {error}")
        stack.sample_memory()

        try:
            writes = writes_and_updates(supplier, meta, opts, log)
            result["writes"] = writes
            figures["write_p95_ms"] = writes["write_p95_ms"]
            figures["update_s_max"] = writes["update_s_max"]
            log(
                f"  publish/edit/unpublish: p50 {writes['write_p50_ms']} ms, "
                f"p95 {writes['write_p95_ms']} ms, "
                f"HTTP {writes['write_statuses']}; proposals updated after {writes['update_times_s']} s"
            )
        except (OSError, RuntimeError) as error:
            log(f"  publishing/editing failed: {error}")
        stack.sample_memory()

        meter = CpuMeter(stack)
        load = run_load(
            web_port,
            [
                {"path": "/matches/", "cookie": buyer.cookie_header()},
                {"path": "/matches/", "cookie": supplier.cookie_header()},
            ],
            opts,
            logdir,
            "proposals-while-publishing",
        )
        during = publish_during_load(supplier, meta, load, opts)
        pages["proposals_while_publishing"] = collect(load)
        add_cpu(pages["proposals_while_publishing"], meter)
        pages["proposals_while_publishing"]["publishing"] = during
        if pages["proposals_while_publishing"].get("n"):
            figures["proposals_while_publishing_p95_ms"] = pages["proposals_while_publishing"]["p95_ms"]
        log(f"  proposals while publishing: {pages['proposals_while_publishing']}")
        stack.sample_memory()

        memory = {
            name: {str(pid): round(mb, 1) for pid, mb in peaks.items()}
            for name, peaks in stack.peak_rss.items()
        }
        high = {
            name: {str(pid): round(mb, 1) for pid, mb in stack.high_water(name).items()}
            for name in stack.procs
        }
        result["memory_rss_mb"], result["memory_hwm_mb"] = memory, high
        web = list(memory.get("web", {}).values())
        figures["web_worker_rss_mb_max"] = max(web) if web else None
        celery_rss = [*memory.get("celery-worker", {}).values()]
        figures["celery_rss_mb_total"] = round(sum(celery_rss), 1) if celery_rss else None
        hello_rss = list(memory.get("hello", {}).values())
        hello["worker_rss_mb"] = max(hello_rss) if hello_rss else None
        log(f"  resident memory (largest seen, MB): {memory}; high-water marks: {high}")
        for name in stack.procs:
            if not stack.alive(name):
                log(f"  WARNING: {name} exited with {stack.procs[name].returncode} during the run")
    except Exception as error:  # noqa: BLE001 - a harness reports what it measured so far, whatever broke
        log(f"the run stopped early: {error!r} (see the logs in {logdir})")
        result["error"] = repr(error)
    finally:
        stack.stop()

    rows, ok = report(figures, hello)
    result.update({"figures": figures, "pages": pages, "hello": hello, "targets": rows, "all_pass": ok})
    print_table(rows, pages, hello)
    out = Path(opts["json"]) if opts["json"] else RESULTS / f"platform-{opts['items']}-{stamp}.json"
    out.write_text(json.dumps(result, indent=1, default=str))
    print(f"\n{'all targets met' if ok else 'TARGETS MISSED'}; JSON in {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--load-child":
        sys.exit(load_child(sys.argv[2]))
    sys.exit(main(sys.argv[1:]))
