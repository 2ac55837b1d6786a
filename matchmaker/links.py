"""Links to the site's pages built without a request: for mails, calendars, notifications and background work.

Every link made outside a view comes from here. Paths come from the app's URL map (so a renamed route cannot
leave a stale link behind) and absolute addresses put the configured public address SERVER_BASE_URL in front
(it may carry a path prefix, as in "https://example.org/matchmaker"). Nothing here reads the request: the same
link comes out in a view, a CLI command, a scheduler thread or a test with only an app context.

Views keep using `url_for`, which knows the request's own address.
"""

from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app


def path(endpoint: str, **values: Any) -> str:
    """The site-relative path of `endpoint` ("/events/3/agenda"), without the SERVER_BASE_URL prefix.

    Values that are not part of the route become the query string (None values are left out), like
    `url_for`; `_anchor` adds a fragment.
    """
    anchor = values.pop("_anchor", None)
    values = {name: value for name, value in values.items() if value is not None}
    adapter = current_app.url_map.bind("localhost", script_name="/", url_scheme="http")
    built = adapter.build(endpoint, values)
    if anchor:
        built += "#" + quote(str(anchor), safe="!#$&'()*+,/:;=?@[]~-._")
    return built


def base_url() -> str:
    """The public address of the site, without a trailing slash."""
    return current_app.config["SERVER_BASE_URL"].rstrip("/")


def absolute(site_path: str | None) -> str | None:
    """A site-relative path ("/notifications/") made absolute on SERVER_BASE_URL; None and "" stay None.

    An address that already is absolute is returned as it is."""
    if not site_path:
        return None
    if "://" in site_path.split("?", 1)[0].split("#", 1)[0]:
        return site_path
    return base_url() + "/" + site_path.lstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute address of `endpoint` on SERVER_BASE_URL, e.g. for a link in a mail."""
    return base_url() + path(endpoint, **values)


def safe_next(target: str | None, fallback: str) -> str:
    """Only local paths are followed after a form, never another site.

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil.example" and
    "/<tab>/evil.example" lead elsewhere too: a backslash, whitespace or control character is refused."""
    if not target or not isinstance(target, str):
        return fallback
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target
