"""Organisations' logos: checking an upload, re-encoding it, storing and removing it.

An upload is only ever an input: Pillow decodes it (PNG, JPEG, WebP or GIF, nothing else: no SVG, whose
scripts a browser would run), the pixels are copied into a new image, scaled down to fit a
MAX_SIZE x MAX_SIZE box, and written as a new PNG. What the platform serves is that PNG, so nothing the
uploader put around or beside the pixels survives: no EXIF or GPS position, no comments, no colour profile,
no HTML or script hidden in the file.
"""

import contextlib
import hashlib
import io
import logging
import struct
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from matchmaker.extensions import db
from matchmaker.models import Organisation, OrganisationLogo, User
from matchmaker.services import Invalid, NotAllowed, commit
from matchmaker.services.organisations import can_edit_details

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# Pixels of the uploaded image: more is refused before it is decoded (a small file can hold a huge image).
MAX_PIXELS = 25_000_000
MAX_SIZE = 256  # the stored logo fits in MAX_SIZE x MAX_SIZE, its proportions kept
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
MIME_TYPE = "image/png"
# Markup or script in an image file is there to be read as something else (a polyglot): refused, though the
# re-encoding would drop it anyway. Sequences this long do not turn up by chance in compressed pixels.
_MARKUP = (
    b"<script", b"<html", b"<svg", b"<?xml", b"<?php", b"<!doctype", b"<iframe", b"<body", b"javascript:",
)


class LogoRefused(Invalid):
    """An upload that is not an acceptable logo; the message says why, in the user's language."""

    field = "logo"


@dataclass(frozen=True)
class CleanLogo:
    data: bytes
    width: int
    height: int
    content_hash: str
    mime_type: str = MIME_TYPE


def _not_an_image() -> LogoRefused:
    return LogoRefused(_("The file is not an image we can read. Upload a PNG, JPEG, WebP or GIF image."))


def clean_logo(upload: bytes) -> CleanLogo:
    """The logo to store for these uploaded bytes, or LogoRefused saying what is wrong with them."""
    if not upload:
        raise LogoRefused(_("The file is empty. Choose an image file."))
    if len(upload) > MAX_UPLOAD_BYTES:
        raise LogoRefused(
            _("The file is larger than %(size)s MB. Upload a smaller image.", size=MAX_UPLOAD_BYTES // 2**20)
        )
    lowered = upload.lower()
    if b"<svg" in lowered[:4096]:
        raise LogoRefused(_("SVG images are not accepted. Upload a PNG, JPEG, WebP or GIF image."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(upload), formats=ACCEPTED_FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PIXELS or width <= 0 or height <= 0:
                    raise LogoRefused(_too_many_pixels())
                image.seek(0)  # an animation: its first frame
                image.load()
                pixels = _upright_pixels(image)
    except LogoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LogoRefused(_too_many_pixels()) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError,
            KeyError, struct.error):
        raise _not_an_image() from None
    if any(marker in lowered for marker in _MARKUP):
        raise LogoRefused(
            _("The file holds web page or script code besides an image. "
              "Upload a plain PNG, JPEG, WebP or GIF image.")
        )
    pixels.thumbnail((MAX_SIZE, MAX_SIZE), Image.Resampling.LANCZOS)
    # A new image holds the pixels only: whatever the upload carried in `info` (EXIF, ICC profile, XMP,
    # comments, text chunks) stays behind.
    fresh = Image.new(pixels.mode, pixels.size)
    fresh.paste(pixels)
    out = io.BytesIO()
    fresh.save(out, format="PNG", optimize=True)
    data = out.getvalue()
    return CleanLogo(data=data, width=fresh.width, height=fresh.height,
                     content_hash=hashlib.sha256(data).hexdigest())


def _too_many_pixels() -> str:
    return _(
        "The image is too large: at most %(pixels)s million pixels (for example 5000 × 5000). "
        "Upload a smaller image.",
        pixels=MAX_PIXELS // 1_000_000,
    )


def _upright_pixels(image: Image.Image) -> Image.Image:
    """The decoded image turned as the camera said (EXIF orientation), in RGB or, with transparency, RGBA."""
    with contextlib.suppress(Exception):  # a broken orientation tag: the pixels as they are
        image = ImageOps.exif_transpose(image)
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return image.convert("RGBA" if transparent else "RGB")


# --- storing --------------------------------------------------------------------------------------


def _require_editor(user: User | None, organisation: Organisation) -> None:
    if user is None or not can_edit_details(user, organisation):
        raise NotAllowed(
            _("Only the administrators of %(organisation)s can do this.", organisation=organisation.name)
        )


def set_logo(user: User | None, organisation: Organisation, upload: bytes) -> OrganisationLogo:
    """Check, re-encode and store an uploaded logo as the organisation's (replacing any earlier one)."""
    _require_editor(user, organisation)
    clean = clean_logo(upload)
    logo = db.session.get(OrganisationLogo, organisation.id)
    if logo is None:
        logo = OrganisationLogo(organisation_id=organisation.id)
        db.session.add(logo)
    logo.data = clean.data
    logo.mime_type = clean.mime_type
    logo.width = clean.width
    logo.height = clean.height
    logo.content_hash = clean.content_hash
    organisation.logo_version = clean.content_hash
    commit()
    log.info("User %s set the logo of organisation %s", user.id if user else None, organisation.id)
    return logo


def remove_logo(user: User | None, organisation: Organisation) -> bool:
    """Remove the organisation's logo; False when it had none."""
    _require_editor(user, organisation)
    logo = db.session.get(OrganisationLogo, organisation.id)
    organisation.logo_version = None
    if logo is not None:
        db.session.delete(logo)
    commit()
    return logo is not None


def logo_of(organisation: Organisation) -> OrganisationLogo | None:
    if organisation.logo_version is None:
        return None
    return db.session.get(OrganisationLogo, organisation.id)
