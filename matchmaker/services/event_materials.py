"""Event materials (issue 19): the programme, presentations and photos organizers attach to an event.

Each is a stored document (services.documents, owner kind "event", owner id the event's) with a title, a
kind and who may download it:

- "public after the event": anyone once the event is over; before that its approved participants;
- "participants only": the event's approved participants, at any time.

The event's organizers and platform administrators may always download, replace and remove them. A draft
event's materials are seen by its organizers only, as the event itself.
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from matchmaker.extensions import db
from matchmaker.models import (
    Document,
    DocumentVersion,
    Event,
    EventMaterial,
    MaterialAccess,
    MaterialKind,
    Registration,
    RegistrationStatus,
    User,
)
from matchmaker.services import documents, event_rules
from matchmaker.services.kernel import Invalid, NotAllowed, commit, unit_of_work

OWNER_KIND = "event"
MAX_MATERIALS = 100  # per event

KIND_LABELS = {
    MaterialKind.PROGRAMME: lazy_gettext("Programme"),
    MaterialKind.PRESENTATION: lazy_gettext("Presentation"),
    MaterialKind.PHOTO: lazy_gettext("Photo"),
    MaterialKind.OTHER: lazy_gettext("Other document"),
}
ACCESS_LABELS = {
    MaterialAccess.PUBLIC_AFTER: lazy_gettext("Public after the event"),
    MaterialAccess.PARTICIPANTS: lazy_gettext("Participants only"),
}


# --- who may read ----------------------------------------------------------------------------------------


def is_participant(user: User | None, event: Event) -> bool:
    if user is None:
        return False
    return (
        db.session.scalar(
            sa.select(Registration.id).where(
                Registration.event_id == event.id,
                Registration.user_id == user.id,
                Registration.status == RegistrationStatus.APPROVED,
            )
        )
        is not None
    )


def _material_of(document: Document) -> EventMaterial | None:
    return db.session.scalar(sa.select(EventMaterial).where(EventMaterial.document_id == document.id))


def may_download(user: User | None, material: EventMaterial, event: Event) -> bool:
    if event_rules.can_manage(user, event):
        return True
    if not event_rules.can_view(user, event):
        return False
    if material.access == MaterialAccess.PUBLIC_AFTER and event_rules.is_over(event):
        return True
    return is_participant(user, event)


def _can_read(user: User | None, document: Document) -> bool:
    material = _material_of(document)
    if material is None:
        return False
    event = db.session.get(Event, material.event_id)
    return event is not None and may_download(user, material, event)


def _can_manage(user: User | None, event_id: int) -> bool:
    event = db.session.get(Event, event_id)
    return event is not None and event_rules.can_manage(user, event)


def _is_public(document: Document) -> bool:
    material = _material_of(document)
    if material is None or material.access != MaterialAccess.PUBLIC_AFTER:
        return False
    event = db.session.get(Event, material.event_id)
    return event is not None and event_rules.is_public(event) and event_rules.is_over(event)


documents.register_owner(
    OWNER_KIND, documents.OwnerRules(can_read=_can_read, can_manage=_can_manage, is_public=_is_public)
)


# --- reading ---------------------------------------------------------------------------------------------


def materials_of(event: Event) -> list[EventMaterial]:
    """The event's materials that were not removed: programme first, then presentations, photos, others."""
    order = sa.case(
        {kind.value: position for position, kind in enumerate(MaterialKind)}, value=EventMaterial.kind
    )
    return list(
        db.session.scalars(
            sa.select(EventMaterial)
            .join(Document, Document.id == EventMaterial.document_id)
            .where(EventMaterial.event_id == event.id, Document.removed_at.is_(None))
            .order_by(order, EventMaterial.created_at, EventMaterial.id)
            .options(selectinload(EventMaterial.document).selectinload(Document.versions))
        ).unique()
    )


def removed_materials(event: Event) -> list[EventMaterial]:
    """The event's removed materials, latest removal first: who removed each and when stays on record."""
    return list(
        db.session.scalars(
            sa.select(EventMaterial)
            .join(Document, Document.id == EventMaterial.document_id)
            .where(EventMaterial.event_id == event.id, Document.removed_at.is_not(None))
            .order_by(Document.removed_at.desc(), EventMaterial.id.desc())
            .options(selectinload(EventMaterial.document).joinedload(Document.removed_by))
        )
    )


def visible_materials(user: User | None, event: Event) -> list[EventMaterial]:
    """The materials this user may download (the event page lists these)."""
    materials = materials_of(event)
    if not materials:
        return []
    if event_rules.can_manage(user, event):
        return materials
    over = event_rules.is_over(event)
    participant = None
    shown = []
    for material in materials:
        if material.access == MaterialAccess.PUBLIC_AFTER and over:
            shown.append(material)
            continue
        if participant is None:
            participant = is_participant(user, event)
        if participant:
            shown.append(material)
    return shown


def get_material(event: Event, material_id: int) -> EventMaterial | None:
    material = db.session.get(EventMaterial, material_id)
    if material is None or material.event_id != event.id or material.document.removed:
        return None
    return material


# --- organizers' changes ---------------------------------------------------------------------------------


def _require_manager(user: User | None, event: Event) -> None:
    if not event_rules.can_manage(user, event):
        raise NotAllowed(_("Only the organizer of this event may change it."))


def _check(title: str, kind: str, access: str) -> None:
    problems = {}
    if not title.strip():
        problems["title"] = _("Enter a title.")
    if kind not in set(MaterialKind):
        problems["kind"] = _("Choose what this document is.")
    if access not in set(MaterialAccess):
        problems["access"] = _("Choose who may download it.")
    if problems:
        raise Invalid(problems)


def attach(
    user: User | None,
    event: Event,
    upload: bytes | FileStorage,
    *,
    title: str,
    kind: str,
    access: str,
    filename: str | None = None,
) -> EventMaterial:
    """Attach a document to the event (FileRefused for an unacceptable file)."""
    _require_manager(user, event)
    _check(title, kind, access)
    if len(materials_of(event)) >= MAX_MATERIALS:
        raise Invalid(
            {"file": _("An event has at most %(count)s documents. Remove one first.", count=MAX_MATERIALS)}
        )
    with unit_of_work():
        document = documents.store(
            upload, filename, uploaded_by=user, owner_kind=OWNER_KIND, owner_id=event.id, commit_now=False
        )
        material = EventMaterial(
            event_id=event.id, document_id=document.id, title=title.strip(), kind=kind, access=access
        )
        db.session.add(material)
    return material


def replace(
    user: User | None, material: EventMaterial, upload: bytes | FileStorage, filename: str | None = None
) -> DocumentVersion:
    """A new version of the material's document; the older ones stay downloadable."""
    event = db.session.get(Event, material.event_id)
    _require_manager(user, event)
    with unit_of_work():
        version = documents.add_version(
            material.document, upload, filename, uploaded_by=user, commit_now=False
        )
    return version


def change(user: User | None, material: EventMaterial, *, title: str, kind: str, access: str) -> None:
    event = db.session.get(Event, material.event_id)
    _require_manager(user, event)
    _check(title, kind, access)
    material.title = title.strip()
    material.kind = kind
    material.access = access
    commit()


def remove(user: User | None, material: EventMaterial) -> None:
    """Remove the material: who and when are recorded on its document, its files are dropped."""
    event = db.session.get(Event, material.event_id)
    _require_manager(user, event)
    documents.remove(material.document, removed_by=user)
