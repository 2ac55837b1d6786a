"""Lighthouse's mobile performance score of the home page, the catalogue and an event page (issue 18: at least
95 on each).

    python -m bench lighthouse                 (or `make lighthouse`) the median of three runs per page
    python -m bench lighthouse --runs=1        one run per page
    python -m bench lighthouse --url=http://127.0.0.1:5000   an already running platform (e.g. `make run`)

Without --url, the platform is served as in production: a fresh SQLite database with the demo data, the
production configuration and gunicorn (the demo's event gives the event page). Lighthouse comes from the npm
registry into .cache/node (the Makefile installs it) and drives Debian's Chromium (CHROME_PATH, default
/usr/bin/chromium). Lighthouse's mobile profile throttles by simulation (a slow 4G connection and a 4x slower
CPU), so the score does not depend on this machine's network; but it scales the main thread's work this
machine measured, so a machine busy with other work (a test suite) gives lower scores: each line shows
Lighthouse's benchmark index of the machine (CPU: about 1,500-2,000 on a quiet one here; under 1,000, measure
again).
Each page's report is kept in bench/results/lighthouse/. Exits 1 when a page scores under the target.
"""

import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import int_option

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / ".cache" / "node" / "node_modules" / ".bin" / "lighthouse"
RESULTS = ROOT / "bench" / "results" / "lighthouse"
TARGET = 95
PAGES = {"home": "/", "catalogue": "/catalogue/offerings", "event": None}  # the event's URL is looked up
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"


def main(argv: list[str]) -> int:
    runs = int_option(argv, "runs", 3)
    target = int_option(argv, "target", TARGET)
    given = next((a.split("=", 1)[1] for a in argv if a.startswith("--url=")), None)
    if not LIGHTHOUSE.exists():
        print(f"Lighthouse is not installed at {LIGHTHOUSE}: run `make lighthouse`", file=sys.stderr)
        return 1
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    if not Path(chrome).exists():
        print(f"No Chromium at {chrome} (apt-get install chromium, or set CHROME_PATH)", file=sys.stderr)
        return 1
    if given:
        return measure(given.rstrip("/"), runs, target, chrome)
    with served_platform() as base:
        return measure(base, runs, target, chrome)


def measure(base: str, runs: int, target: int, chrome: str) -> int:
    pages = dict(PAGES)
    pages["event"] = event_path(base)
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = []
    print(f"{'page':<10} {'score':>5} {'FCP':>7} {'LCP':>7} {'TBT':>6} {'CLS':>6} {'CPU':>5}  blocking  url")
    for name, path in pages.items():
        reports = [lighthouse(base + path, chrome, RESULTS / f"{name}-{n}.json") for n in range(runs)]
        scores = [report_score(r) for r in reports]
        median = statistics.median_low(scores)
        report = reports[scores.index(median)]
        audits = report["audits"]
        blocking = audits.get("render-blocking-resources", {}).get("details", {}).get("items", [])
        print(
            f"{name:<10} {median:>5} {audits['first-contentful-paint']['numericValue'] / 1000:>6.2f}s"
            f" {audits['largest-contentful-paint']['numericValue'] / 1000:>6.2f}s"
            f" {audits['total-blocking-time']['numericValue']:>4.0f}ms"
            f" {audits['cumulative-layout-shift']['numericValue']:>6.3f}"
            f" {report['environment']['benchmarkIndex']:>5.0f}"
            f"  {len(blocking):>8}  {path}" + (f"  (runs: {scores})" if runs > 1 else "")
        )
        for item in blocking:
            print(f"{'':<12}blocking: {item['url']} ({item.get('wastedMs', 0):.0f} ms)")
        if median < target:
            failed.append(name)
    if failed:
        print(f"Under {target}: {', '.join(failed)}")
        return 1
    print(f"Every page scores at least {target}.")
    return 0


def report_score(report: dict) -> int:
    return round(report["categories"]["performance"]["score"] * 100)


def lighthouse(url: str, chrome: str, output: Path) -> dict:
    command = [
        str(LIGHTHOUSE), url, "--quiet", "--only-categories=performance", "--form-factor=mobile",
        f"--chrome-flags={CHROME_FLAGS}", "--output=json", f"--output-path={output}",
    ]
    for attempt in (1, 2):  # Lighthouse now and then loses the trace (NO_NAVSTART): once more then
        done = subprocess.run(command, env={**os.environ, "CHROME_PATH": chrome}, timeout=300)
        if done.returncode == 0:
            break
        if attempt == 2:
            raise SystemExit(f"Lighthouse failed on {url}")
    return json.loads(output.read_text(encoding="utf-8"))


def event_path(base: str) -> str:
    """The first event linked from the events page."""
    with urllib.request.urlopen(base + "/events/", timeout=30) as response:  # noqa: S310 - our own server
        html = response.read().decode("utf-8")
    found = re.search(r'href="(/events/\d+)"', html)
    if found is None:
        raise SystemExit(f"No event linked from {base}/events/: seed the demo data first")
    return found.group(1)


class served_platform:
    """The platform in its production configuration on a free port, on a throwaway SQLite database with the
    demo data."""

    def __enter__(self) -> str:
        self.folder = Path(tempfile.mkdtemp(prefix="matchmaker-lighthouse-"))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.env = {
            **os.environ,
            "MATCHMAKER_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": f"sqlite:///{self.folder / 'lighthouse.db'}",
            "DEMO_DATA_ALLOWED": "1",
            "TASK_MODE": "thread",
            "MAIL_BACKEND": "console",
            "PROXY_FIX_X_FOR": "0",
            "FLASK_APP": "wsgi",
        }
        for name in ("REDIS_URL", "CELERY_BROKER_URL"):
            self.env.pop(name, None)
        bin_dir = Path(sys.executable).parent
        flask = [str(bin_dir / "flask")]
        print("Seeding the demo data into a throwaway database…", flush=True)
        for step in (["db", "upgrade"], ["demo", "seed"]):
            done = subprocess.run(flask + step, env=self.env, cwd=ROOT, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"flask {' '.join(step)} failed:\n{done.stdout}{done.stderr}")
        self.server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "wsgi:app", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/", timeout=5).close()  # noqa: S310 - our own server
                break
            except OSError:
                if self.server.poll() is not None:
                    raise SystemExit("gunicorn stopped before answering") from None
                time.sleep(0.5)
        return base

    def __exit__(self, *exc) -> None:
        self.server.terminate()
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()
        shutil.rmtree(self.folder, ignore_errors=True)
