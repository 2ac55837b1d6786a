"""The catalogue: offerings of suppliers, needs of buyers, CPV codes and themes."""

from importlib.util import find_spec

from flask import Blueprint

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")

from matchmaker.catalogue import filters, routes  # noqa: E402,F401

if find_spec("matchmaker.catalogue.search") is not None:  # browse and search pages (their own module)
    from matchmaker.catalogue import search  # noqa: F401
