"""What search engines and security researchers read at fixed addresses: /robots.txt, /sitemap.xml and the
per-language sitemaps, /.well-known/security.txt, /favicon.ico (issue 18)."""

from flask import Blueprint

bp = Blueprint("seo", __name__)

from matchmaker.seo import routes  # noqa: E402,F401
