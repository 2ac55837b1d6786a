"""Static files compressed and cached for a year under names that change with their content.

`static/` stays the source, edited and committed as it is (its vendored libraries whole). From it a build
folder (STATIC_BUILD_FOLDER, `.cache/static` by default: generated, never committed) gets a copy of each
served file under a name with its content's hash, `css/app.css` as `css/app.3f2a9c1b7d4e.css`, with a
gzip and a Brotli version beside it when they are smaller, and a manifest of the names. Then:

- `url_for('static', filename='css/app.css')` gives the hashed name (a `url_defaults` hook);
- WhiteNoise serves the build folder in front of the app, picks the .br or .gz file the browser accepts and
  says `Cache-Control: public, max-age=31536000, immutable`: a changed file has another name, so a browser
  never asks again for one it has;
- every other /static/ address (the plain names, source maps, licences) goes on to Flask's own static view,
  uncompressed and revalidated (`no-cache` with an ETag), as before.

The build runs when an app is made and finds the manifest out of date (a fresh checkout, an edited file):
`flask static build` (`make static`) does it ahead, at deployment. A file lock lets one process build while
the others (gunicorn's workers, the test workers) wait, and each file is written under a temporary name and
renamed, so nobody reads half a file. In debug mode an edited file gets its new name at the next page.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
# The files pages link to; everything else under static/ (source maps, licences, READMEs) keeps its name.
HASHED_SUFFIXES = frozenset(
    {".css", ".js", ".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".woff2"}
)
COMPRESSED_SUFFIXES = frozenset({".css", ".js", ".svg", ".ico"})
HASH_LENGTH = 12
HASHED_NAME = re.compile(rf"\.[0-9a-f]{{{HASH_LENGTH}}}\.[A-Za-z0-9]+$")
CACHE_FOREVER = "public, max-age=31536000, immutable"  # a year: RFC 9111's longest meaningful max-age
STALE_DAYS = 7  # hashed copies no longer in the manifest are removed after this long (a deployment's pages)


class StaticBuild:
    """The hashed, compressed copies of one static folder and their manifest."""

    def __init__(self, source: Path, target: Path) -> None:
        self.source = source
        self.target = target
        self.names: dict[str, str] = {}  # "css/app.css" -> "css/app.3f2a9c1b7d4e.css"
        self._stats: dict[str, list[int]] = {}  # "css/app.css" -> [size, mtime_ns] when it was hashed

    def sources(self) -> dict[str, os.stat_result]:
        found = {}
        for path in self.source.rglob("*"):
            if path.suffix.lower() in HASHED_SUFFIXES and path.is_file():
                found[path.relative_to(self.source).as_posix()] = path.stat()
        return found

    def update(self, prune: bool = False) -> int:
        """Bring the copies and the manifest up to date; returns how many files were hashed again. Files
        whose size and modification time match the manifest are not read."""
        self.target.mkdir(parents=True, exist_ok=True)
        with open(self.target / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one process builds; the others then find it done
            self._read_manifest()
            current = self.sources()
            changed = 0
            for name, stat in current.items():
                if self._stats.get(name) != [stat.st_size, stat.st_mtime_ns] or not (
                    self.target / self.names.get(name, "\0")
                ).is_file():
                    self._build(name, stat)
                    changed += 1
            for name in set(self.names) - set(current):
                del self.names[name], self._stats[name]
            if changed or len(self.names) != len(current) or not (self.target / MANIFEST).exists():
                self._write_manifest()
            if prune:
                self.prune()
        return changed

    def refresh(self, name: str) -> None:
        """Debug mode: hash one file again if it changed since (an edit while `make run` runs)."""
        if Path(name).suffix.lower() not in HASHED_SUFFIXES:
            return
        try:
            stat = (self.source / name).stat()
        except OSError:
            return
        if self._stats.get(name) != [stat.st_size, stat.st_mtime_ns]:
            with open(self.target / ".lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self._build(name, stat)
                self._write_manifest()

    def prune(self) -> list[str]:
        """Remove hashed copies that are no longer in the manifest and older than STALE_DAYS (pages served
        just before a deployment still name the previous ones)."""
        keep = set(self.names.values())
        limit = time.time() - STALE_DAYS * 86400
        removed = []
        for path in self.target.rglob("*"):
            name = path.relative_to(self.target).as_posix()
            plain = name[:-3] if name.endswith((".gz", ".br")) else name
            stale = plain not in keep and HASHED_NAME.search(plain)
            if stale and path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed.append(name)
        return removed

    def _build(self, name: str, stat: os.stat_result) -> None:
        data = (self.source / name).read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
        stem, _, suffix = name.rpartition(".")
        hashed = f"{stem}.{digest}.{suffix}"
        destination = self.target / hashed
        if not destination.is_file():  # the same content under the same name: nothing to write
            destination.parent.mkdir(parents=True, exist_ok=True)
            if f".{suffix.lower()}" in COMPRESSED_SUFFIXES:
                for ending, compressed in (
                    (".br", Compressor.compress_brotli(data)),
                    (".gz", Compressor.compress_gzip(data)),
                ):
                    if len(compressed) < len(data) * 0.95:
                        _write_atomically(Path(f"{destination}{ending}"), compressed)
            _write_atomically(destination, data)  # last: its presence says the build of this file is done
        self.names[name] = hashed
        self._stats[name] = [stat.st_size, stat.st_mtime_ns]

    def _read_manifest(self) -> None:
        try:
            files = json.loads((self.target / MANIFEST).read_text(encoding="utf-8"))["files"]
        except (OSError, ValueError, KeyError):
            files = {}
        self.names = {name: entry["name"] for name, entry in files.items()}
        self._stats = {name: entry["stat"] for name, entry in files.items()}

    def _write_manifest(self) -> None:
        files = {name: {"name": self.names[name], "stat": self._stats[name]} for name in sorted(self.names)}
        _write_atomically(self.target / MANIFEST, json.dumps({"files": files}, indent=1).encode("utf-8"))


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def static_build(app: Flask) -> StaticBuild:
    return StaticBuild(Path(app.static_folder or ""), Path(app.config["STATIC_BUILD_FOLDER"]))


def init_app(app: Flask) -> None:
    from matchmaker.security import security_headers

    app.config.setdefault("STATIC_BUILD_FOLDER", str(Path(app.root_path).parent / ".cache" / "static"))
    build = static_build(app)  # its command group is registered with the others (matchmaker/cli.py)
    try:
        build.update()
    except OSError as error:  # a read-only checkout: the plain names, served by Flask, still work
        log.warning("Static files are served uncompressed under their plain names: %s", error)
        return
    app.extensions["static_build"] = build
    headers = security_headers(app.config)

    @app.url_defaults
    def hashed_static_name(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            name = values["filename"]
            if app.debug:
                build.refresh(name)
            values["filename"] = build.names.get(name, name)

    def add_headers(response_headers, path: str, url: str) -> None:
        response_headers["Cache-Control"] = CACHE_FOREVER
        for name, value in headers.items():
            response_headers[name] = value

    prefix = (app.static_url_path or "/static").strip("/") + "/"
    app.wsgi_app = HashedFiles(  # type: ignore[method-assign]
        app.wsgi_app,
        root=str(build.target),
        prefix=prefix,
        autorefresh=app.debug,  # finds files hashed after the start (debug only: a lookup per request)
        allow_all_origins=False,  # the site's own pages are the only ones using them
        add_headers_function=add_headers,
    )


class HashedFiles(WhiteNoise):
    """WhiteNoise for the hashed names only: the manifest is not served, and any other name goes on to the
    app (Flask's static view)."""

    def add_file_to_dictionary(self, url, path, stat_cache=None):
        if HASHED_NAME.search(url):
            super().add_file_to_dictionary(url, path, stat_cache=stat_cache)

    def find_file(self, url):
        return super().find_file(url) if HASHED_NAME.search(url) else None


cli = AppGroup("static", help="The compressed, hashed copies of the static files.")


@cli.command("build")
def build_command() -> None:
    """Hash and compress the static files that changed (run at deployment, before starting the web)."""
    from flask import current_app

    build = static_build(current_app)
    changed = build.update(prune=True)
    click.echo(f"{len(build.names)} static files in {build.target} ({changed} hashed and compressed now).")
