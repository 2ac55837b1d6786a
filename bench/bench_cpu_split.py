"""Where the machine's CPU goes while gunicorn serves one page at concurrency 10: the web workers, PostgreSQL
and the load generator, in milliseconds of CPU a request (from /proc, Linux), beside the throughput and the
latencies. At concurrency 10 on 2 cores a page keeps p95 under 150 ms only if the three together stay near
25 ms a request; this says which of them to work on.

Against the database the platform benchmark built (run `python -m bench platform` once first): gunicorn with
4 workers in the production configuration, no Celery (pages only read), one page at a time, each worker
warmed first.

    python -m bench cpu_split                                       the four pages of issue 12
    python -m bench cpu_split --pages /matches/,/events/1/agenda --requests 600

Options: --database URL (the platform benchmark's), --meta FILE (its accounts: the newest
.cache/bench/platform-*.json), --pages a,b (paths; /matches/ and agendas as the buyer, an event's
participants as the organizer, anything else anonymous), --requests N (300 a page), --workers N (4).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

from bench.bench_page_cpu import DEFAULT_DATABASE, _newest_meta, _option
from bench.bench_platform import BIN, Client, Stack, free_port, platform_env, wait_ready

PAGES = ("/", "/matches/", "/events/{event}/participants", "/events/{event}/agenda")


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _children(pid: int) -> list[int]:
    done = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in done.stdout.split()]


def _postgres() -> list[int]:
    done = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True, check=False)
    return [int(p) for p in done.stdout.split()]


def _load(port: int, path: str, cookie: str, requests: int, concurrency: int = 10) -> list[float]:
    latencies: list[float] = []
    left = [requests]
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            started = time.perf_counter()
            conn = HTTPConnection("127.0.0.1", port, timeout=60)  # a new connection a request, as the bench
            conn.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "nl"})
            conn.getresponse().read()
            conn.close()
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(latencies)


def main(argv: list[str]) -> int:
    meta_path = _option(argv, "meta", "") or _newest_meta()
    if not meta_path or not Path(meta_path).exists():
        print("no platform build found: run `python -m bench platform` first (or give --meta)")
        return 1
    meta = json.loads(Path(meta_path).read_text())
    requests = int(_option(argv, "requests", "300"))
    asked = _option(argv, "pages", ",".join(PAGES)).split(",")
    pages = [p.format(event=meta["event_id"]) for p in asked if p]
    opts = {"database": _option(argv, "database", DEFAULT_DATABASE), "redis": "redis://127.0.0.1:6379/11"}
    port = free_port()
    env = platform_env(opts, port)
    logdir = Path(__file__).resolve().parent / "results" / f"cpu-split-{time.strftime('%Y%m%d-%H%M%S')}"
    logdir.mkdir(parents=True, exist_ok=True)
    stack = Stack(logdir)
    hz = os.sysconf("SC_CLK_TCK")
    try:
        workers_option = ["--workers", _option(argv, "workers", "4"), "--timeout", "30"]
        command = [str(BIN / "gunicorn"), *workers_option, "--bind", f"127.0.0.1:{port}", "wsgi:app"]
        web = stack.start("web", command, env)
        wait_ready(port, stack, "web")
        clients = {}
        for who in ("buyer", "organizer"):
            clients[who] = Client(port)
            clients[who].login(meta[who], meta["password"])
        print(f"{requests} requests a page at concurrency 10; CPU in ms a request")
        print(f"{'page':32s} {'req/s':>7s} {'p50':>6s} {'p95':>6s} {'web':>6s} {'pg':>6s} {'load':>6s}")
        for path in pages:
            who = "organizer" if path.endswith("/participants") else "buyer" if path != "/" else None
            cookie = clients[who].cookie_header() if who else ""
            _load(port, path, cookie, 40)  # every worker warm
            workers = _children(web.pid)
            web_before = {p: _ticks(p) for p in workers}
            pg_before = {p: _ticks(p) for p in _postgres()}
            own_before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            latencies = _load(port, path, cookie, requests)
            seconds = time.perf_counter() - started
            own = resource.getrusage(resource.RUSAGE_SELF)
            web_cpu = sum(_ticks(p) - web_before[p] for p in workers) / hz
            pg_cpu = sum(_ticks(p) - pg_before.get(p, 0) for p in _postgres()) / hz
            load_cpu = own.ru_utime + own.ru_stime - own_before.ru_utime - own_before.ru_stime
            p50, p95 = latencies[len(latencies) // 2], latencies[round(0.95 * (len(latencies) - 1))]
            per = 1000 / requests
            print(
                f"{path:32s} {requests / seconds:7.1f} {p50:6.0f} {p95:6.0f} {web_cpu * per:6.1f} "
                f"{pg_cpu * per:6.1f} {load_cpu * per:6.1f}"
            )
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
