"""Static files: pages link them under hashed names, which are served compressed when the browser accepts it
and cached for a year; pages themselves are never cached; the plain names still answer (issue 18)."""

import gzip
import os
import re
import time
from pathlib import Path

import brotli
import pytest

from matchmaker.static_files import CACHE_FOREVER, StaticBuild

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
HASHED = re.compile(r"^/static/(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})\.(?P<suffix>[a-z0-9]+)$")
LINKS = re.compile(r'<(?:link|script)\b[^>]*?\b(?:href|src)="(/static/[^"]+)"')


def static_links(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200
    return LINKS.findall(response.get_data(as_text=True))


def source_of(url: str) -> Path:
    match = HASHED.match(url)
    assert match, f"{url} has no content hash in its name"
    return STATIC / f"{match['stem']}.{match['suffix']}"


def fetch(client, url: str, encoding: str | None = None):
    response = client.get(url, headers={"Accept-Encoding": encoding} if encoding else {})
    data = response.get_data()
    response.close()
    return response, data


def test_pages_link_their_css_js_and_icon_under_hashed_names(client):
    links = static_links(client, "/")
    assert any("vendor/bootstrap/css/bootstrap.min." in url for url in links)
    assert any("css/app." in url for url in links)
    assert any("img/favicon." in url for url in links)
    for url in links:
        assert source_of(url).is_file(), url


def test_the_hash_is_the_content_s(client):
    import hashlib

    for url in static_links(client, "/"):
        source = source_of(url).read_bytes()
        assert HASHED.match(url)["hash"] == hashlib.sha256(source).hexdigest()[:12]


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_css_and_javascript_are_sent_compressed_when_the_browser_accepts_it(client, encoding):
    decompress = gzip.decompress if encoding == "gzip" else brotli.decompress
    for url in static_links(client, "/"):
        if url.endswith((".css", ".js")):
            response, data = fetch(client, url, encoding)
            source = source_of(url).read_bytes()
            assert response.status_code == 200
            assert response.headers["Content-Encoding"] == encoding, url
            assert "Accept-Encoding" in response.headers["Vary"]
            assert len(data) < len(source) / 2, url  # minified Bootstrap: 232 KB whole, about 30 KB gzipped
            assert int(response.headers["Content-Length"]) == len(data)
            assert decompress(data) == source


def test_bootstrap_s_stylesheet_goes_out_in_a_tenth_of_its_size(client):
    url = next(u for u in static_links(client, "/") if "bootstrap.min." in u and u.endswith(".css"))
    whole = len(source_of(url).read_bytes())
    assert whole > 200_000
    assert len(fetch(client, url, "gzip")[1]) < whole / 6
    assert len(fetch(client, url, "br, gzip")[1]) < whole / 8


def test_a_browser_that_accepts_no_compression_gets_the_file_itself(client):
    url = static_links(client, "/")[0]
    response, data = fetch(client, url)
    assert "Content-Encoding" not in response.headers
    assert data == source_of(url).read_bytes()


def test_hashed_names_are_cached_for_a_year_and_carry_the_security_headers(client):
    for url in static_links(client, "/"):
        response, _ = fetch(client, url, "gzip")
        assert response.headers["Cache-Control"] == CACHE_FOREVER == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Server" not in response.headers


def test_the_content_type_names_the_kind_of_file(client):
    kinds = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
    for url in static_links(client, "/"):
        response, _ = fetch(client, url, "gzip")
        assert response.mimetype == kinds[Path(url).suffix], url


def test_a_browser_revalidating_a_file_gets_304(client):
    url = static_links(client, "/")[0]
    response, _ = fetch(client, url)
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    again.close()


@pytest.mark.parametrize("path", ["/", "/catalogue/offerings", "/events/", "/fr/catalogue/offerings"])
def test_pages_are_never_cached_while_their_files_are(client, path):
    response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store"
    links = LINKS.findall(response.get_data(as_text=True))
    assert links and all(HASHED.match(url) for url in links), links  # one address whatever the language


def test_the_plain_names_still_answer_and_are_revalidated(client):
    """Links from before the hashed names (a page kept open over a deployment) keep working."""
    response, data = fetch(client, "/static/css/app.css", "gzip")
    assert response.status_code == 200
    assert data == (STATIC / "css" / "app.css").read_bytes()
    assert "immutable" not in response.headers["Cache-Control"]
    assert "no-store" not in response.headers["Cache-Control"]


def test_source_maps_keep_their_names_beside_the_hashed_files(client):
    response, _ = fetch(client, "/static/vendor/bootstrap/css/bootstrap.min.css.map")
    assert response.status_code == 200


def test_the_manifest_and_unknown_files_are_not_served(client):
    for path in ("/static/manifest.json", "/static/.lock", "/static/css/app.0123456789ab.css"):
        response, _ = fetch(client, path)
        assert response.status_code == 404, path


def test_flask_static_build_reports_the_files(runner):
    result = runner.invoke(args=["static", "build"])
    assert result.exit_code == 0, result.output
    assert "static files in" in result.output


def test_without_a_writable_build_folder_pages_link_the_plain_names(database, tmp_path):
    """A read-only checkout: the site still works, uncompressed, as before the build existed."""
    from matchmaker.extensions import db
    from tests.helpers import make_test_app

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    app = make_test_app(database, STATIC_BUILD_FOLDER=str(blocked / "static"))
    try:
        with app.app_context():
            client = app.test_client()
            links = static_links(client, "/")
            assert "/static/css/app.css" in links and not any(HASHED.match(url) for url in links)
            response, data = fetch(client, "/static/css/app.css", "gzip")
            assert response.status_code == 200 and data == (STATIC / "css" / "app.css").read_bytes()
    finally:
        with app.app_context():
            db.engine.dispose()


# --- the build itself ----------------------------------------------------------------------------------


@pytest.fixture
def folders(tmp_path):
    source, target = tmp_path / "static", tmp_path / "build"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: #222; }\n" * 200)
    (source / "css" / "tiny.css").write_text("a{}")
    (source / "LICENSE").write_text("MIT")
    (source / "css" / "site.css.map").write_text("{}")
    return source, target


def test_each_file_is_copied_under_its_hash_with_smaller_compressed_versions(folders):
    source, target = folders
    build = StaticBuild(source, target)
    assert build.update() == 2
    assert set(build.names) == {"css/site.css", "css/tiny.css"}  # not the licence, not the source map
    site = target / build.names["css/site.css"]
    assert site.read_bytes() == (source / "css" / "site.css").read_bytes()
    assert gzip.decompress(Path(f"{site}.gz").read_bytes()) == site.read_bytes()
    assert brotli.decompress(Path(f"{site}.br").read_bytes()) == site.read_bytes()
    tiny = target / build.names["css/tiny.css"]
    assert not Path(f"{tiny}.gz").exists() and not Path(f"{tiny}.br").exists()  # compressing made it larger


def test_an_unchanged_folder_is_not_read_again_and_an_edit_gets_a_new_name(folders):
    source, target = folders
    first = StaticBuild(source, target)
    first.update()
    assert StaticBuild(source, target).update() == 0  # another process, or the next start
    (source / "css" / "site.css").write_text("body { color: #000; }\n")
    again = StaticBuild(source, target)
    assert again.update() == 1
    assert again.names["css/site.css"] != first.names["css/site.css"]
    assert (target / first.names["css/site.css"]).exists()  # pages served before still find theirs


def test_debug_mode_renames_an_edited_file_at_the_next_link(folders):
    source, target = folders
    build = StaticBuild(source, target)
    build.update()
    before = build.names["css/site.css"]
    (source / "css" / "site.css").write_text("body { color: #111; }\n")
    build.refresh("css/site.css")
    assert build.names["css/site.css"] != before
    assert (target / build.names["css/site.css"]).is_file()


def test_old_copies_are_pruned_after_a_week(folders):
    source, target = folders
    build = StaticBuild(source, target)
    build.update()
    old = target / build.names["css/site.css"]
    (source / "css" / "site.css").write_text("body { color: #333; }\n" * 100)
    build.update()
    assert build.prune() == []  # a page served just before still links it
    week_ago = time.time() - 8 * 86400
    for path in (old, Path(f"{old}.gz"), Path(f"{old}.br")):
        os.utime(path, (week_ago, week_ago))
    assert sorted(build.prune()) == sorted(
        f"{old.relative_to(target).as_posix()}{ending}" for ending in ("", ".gz", ".br")
    )
    assert (target / build.names["css/site.css"]).is_file()
