"""Stored documents: checking an upload, keeping it with its versions, removing it, and who may read it.

API (stable; other features build on it):

    store(upload, filename, uploaded_by=user, owner_kind="event", owner_id=event.id) -> Document
    add_version(document, upload, filename, uploaded_by=user) -> DocumentVersion
    remove(document, removed_by=user) -> None
    can_read(user, document) / can_manage(user, document) / is_public(document)
    download_path(document, number=None) -> "/documents/<id>[/v<number>]"

`upload` is bytes or a werkzeug FileStorage; at most DOCUMENT_MAX_BYTES (config) are read. The type is found
in the content (services.filetypes: never the name or the browser's Content-Type); the stored name is
`clean_filename(filename)` with the extension of that type. By default each call commits; `commit_now=False`
only flushes, for a caller that writes its own rows in the same unit of work and commits them with it.

Who may read a document is decided by what owns it. A feature that owns documents registers its rules once,
in the module that defines them, and names that module in OWNER_MODULES below (it is imported before the first
question, in web processes, workers and commands alike):

    documents.register_owner("kb_article", documents.OwnerRules(
        can_read=lambda user, document: ...,   # may this user (None: anonymous) download this document?
        can_manage=lambda user, owner_id: ..., # may they attach, replace and remove this owner's documents?
        is_public=lambda document: ...,        # readable by anyone? (answers may then be cached publicly)
    ))

A document whose owner kind has no rules is read and managed by nobody but platform administrators.
Removal is recorded (who, when) and drops the bytes of every version; the rows stay, and the download answers
404 from then on.

Storage: the bytes are in the database (document_version.data, LargeBinary: bytea on PostgreSQL, BLOB on
SQLite), so every web host and worker sees every upload as soon as it is committed, backups of the database
hold the files, and a file and the row that describes it are written in one transaction. The README says why
not object storage yet.
"""

import hashlib
import importlib
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import Document, DocumentVersion, Role, User, utcnow
from matchmaker.services.filetypes import EXTENSIONS, FileRefused, FileType, sniff
from matchmaker.services.kernel import NotAllowed, commit

log = logging.getLogger(__name__)

# The modules that register owner kinds (imported once, before the first access question).
OWNER_MODULES = ["matchmaker.services.event_materials", "matchmaker.services.knowledge"]
MAX_FILENAME = 150


@dataclass(frozen=True)
class OwnerRules:
    can_read: Callable[[User | None, Document], bool]
    can_manage: Callable[[User | None, int], bool]
    is_public: Callable[[Document], bool] = field(default=lambda document: False)


_OWNERS: dict[str, OwnerRules] = {}
_loaded = False


def register_owner(kind: str, rules: OwnerRules) -> None:
    _OWNERS[kind] = rules


def _rules(kind: str) -> OwnerRules | None:
    global _loaded
    if not _loaded:
        for module in OWNER_MODULES:
            importlib.import_module(module)
        _loaded = True
    return _OWNERS.get(kind)


def _is_admin(user: User | None) -> bool:
    return user is not None and user.has_role(Role.ADMIN)


def can_manage_owner(user: User | None, owner_kind: str, owner_id: int) -> bool:
    rules = _rules(owner_kind)
    return _is_admin(user) or bool(rules and user is not None and rules.can_manage(user, owner_id))


def can_manage(user: User | None, document: Document) -> bool:
    return can_manage_owner(user, document.owner_kind, document.owner_id)


def can_read(user: User | None, document: Document) -> bool:
    if document.removed:
        return False
    rules = _rules(document.owner_kind)
    return _is_admin(user) or bool(rules and rules.can_read(user, document))


def is_public(document: Document) -> bool:
    rules = _rules(document.owner_kind)
    return bool(not document.removed and rules and rules.is_public(document))


def download_path(document: Document, number: int | None = None) -> str:
    if number is None:
        return links.path("documents.download", document_id=document.id)
    return links.path("documents.download_version", document_id=document.id, number=number)


# --- checking an upload ----------------------------------------------------------------------------


def max_bytes() -> int:
    return int(current_app.config["DOCUMENT_MAX_BYTES"])


def size_label(size: int) -> str:
    """A size for people: "20 MB", "350 kB"."""
    if size >= 1024 * 1024:
        return _("%(size)s MB", size=round(size / (1024 * 1024), 1 if size < 10 * 1024 * 1024 else None))
    return _("%(size)s kB", size=max(1, round(size / 1024)))


def too_large_message() -> str:
    return _("The file is larger than %(size)s. Upload a smaller file.", size=size_label(max_bytes()))


def read_upload(upload: bytes | FileStorage) -> bytes:
    """The upload's bytes, or FileRefused when it is larger than DOCUMENT_MAX_BYTES (one byte more is read,
    never the rest)."""
    limit = max_bytes()
    data = upload if isinstance(upload, bytes) else upload.stream.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(too_large_message())
    return data


_UNSAFE = re.compile(r'["\\/:*?<>|]')


def clean_filename(name: str | None, file_type: FileType | None = None) -> str:
    """A readable name that is safe in a header and on any disk: no folders, no control characters, no
    characters that break a header or a path, not hidden, at most MAX_FILENAME characters, and ending in the
    extension of `file_type` (the type found in the content) when given."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]  # "C:\\Users\\me\\report.pdf", "../../etc/passwd": the last part
    name = "".join(
        " " if ch.isspace() else ch for ch in name if unicodedata.category(ch)[0] != "C" or ch.isspace()
    )
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if file_type is not None:
        known = extension.lower() in EXTENSIONS
        matches = extension.lower() == file_type.extension or (
            file_type.extension == "jpg" and extension.lower() == "jpeg"
        )
        if not matches:
            stem = (
                stem if known else name
            )  # "slides.pdf" that is a PNG: "slides.png"; "notes.v2": "notes.v2.png"
            extension = file_type.extension
    stem = stem.strip(" .") or _("document")
    room = MAX_FILENAME - (len(extension) + 1 if extension else 0)
    stem = stem[:room].rstrip(" .") or "document"
    return f"{stem}.{extension}" if extension else stem


# --- storing -----------------------------------------------------------------------------------------


def _version(
    document: Document, data: bytes, filename: str | None, uploaded_by: User | None
) -> DocumentVersion:
    file_type = sniff(data)
    document.version_count += 1
    version = DocumentVersion(
        number=document.version_count,
        filename=clean_filename(filename, file_type),
        mime_type=file_type.mime_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by_id=uploaded_by.id if uploaded_by else None,
    )
    document.versions.append(version)
    return version


def check_upload(upload: bytes | FileStorage) -> tuple[bytes, FileType]:
    """The bytes and type of an acceptable upload, or FileRefused (for a form to check before it writes)."""
    data = read_upload(upload)
    return data, sniff(data)


def store(
    upload: bytes | FileStorage,
    filename: str | None = None,
    *,
    uploaded_by: User | None,
    owner_kind: str,
    owner_id: int,
    commit_now: bool = True,
) -> Document:
    """A new document of that owner holding this upload as version 1; FileRefused for an unacceptable file,
    NotAllowed when the user may not manage that owner's documents."""
    if not can_manage_owner(uploaded_by, owner_kind, owner_id):
        raise NotAllowed(_("You may not add documents here."))
    if filename is None and isinstance(upload, FileStorage):
        filename = upload.filename
    data = read_upload(upload)
    document = Document(
        owner_kind=owner_kind,
        owner_id=owner_id,
        version_count=0,
        created_by_id=uploaded_by.id if uploaded_by else None,
    )
    _version(document, data, filename, uploaded_by)
    db.session.add(document)
    _finish(commit_now)
    log.info("User %s stored document %s for %s %s", _id(uploaded_by), document.id, owner_kind, owner_id)
    return document


def add_version(
    document: Document,
    upload: bytes | FileStorage,
    filename: str | None = None,
    *,
    uploaded_by: User | None,
    commit_now: bool = True,
) -> DocumentVersion:
    """A new current version of the document; the older ones stay downloadable."""
    if not can_manage(uploaded_by, document):
        raise NotAllowed(_("You may not change this document."))
    if document.removed:
        raise FileRefused(_("This document was removed; add it again instead."))
    if filename is None and isinstance(upload, FileStorage):
        filename = upload.filename
    version = _version(document, read_upload(upload), filename, uploaded_by)
    _finish(commit_now)
    log.info("User %s added version %s of document %s", _id(uploaded_by), version.number, document.id)
    return version


def remove(document: Document, *, removed_by: User | None, commit_now: bool = True) -> None:
    """Record that the document was removed (who, when) and drop the bytes of all its versions."""
    if not can_manage(removed_by, document):
        raise NotAllowed(_("You may not remove this document."))
    if document.removed:
        return
    document.removed_at = utcnow()
    document.removed_by_id = removed_by.id if removed_by else None
    for version in document.versions:
        version.data = None
    _finish(commit_now)
    log.info("User %s removed document %s", _id(removed_by), document.id)


def version_data(version: DocumentVersion) -> bytes | None:
    """The bytes of a version (loaded only now: the column is deferred)."""
    return version.data


def _finish(commit_now: bool) -> None:
    if commit_now:
        commit()
    else:
        db.session.flush()


def _id(user: User | None) -> int | None:
    return user.id if user else None
