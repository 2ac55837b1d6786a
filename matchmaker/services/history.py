"""The history of an organisation's public record (models.history): recording changes, reading them, and
undoing one.

The services that change a year, a project, a signature, an outcome or a verification call `record(...)` in
the transaction of the change, with snapshots made by the `*_state` functions here, so that the change and
its record are saved together or not at all. An undo puts the subject back as the record's `old` snapshot
says, but only while the subject is still as the record's `new` says: a later change is undone first.
"""

import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    ChangeAction,
    ChangeRecord,
    ChangeSubject,
    CharterSignature,
    InnovationProject,
    MeetingOutcome,
    Organisation,
    ProcurementYear,
    User,
    utcnow,
)
from matchmaker.services import Conflict, ServiceError, commit
from matchmaker.services.accounts import require_platform_admin

log = logging.getLogger(__name__)


# --- snapshots ------------------------------------------------------------------------------------


def year_state(row: ProcurementYear, with_projects: bool = False) -> dict:
    state = {
        "year": row.year,
        "budget_cents": row.budget_cents,
        "explanation": row.explanation or "",
        "needs_review": bool(row.needs_review),
    }
    if with_projects:
        state["projects"] = [project_state(project, row.year) for project in row.projects]
    return state


def project_state(project: InnovationProject, year: int | None = None) -> dict:
    return {
        "year": year if year is not None else project.procurement_year.year,
        "title": project.title,
        "procurement_route": project.procurement_route,
        "amount_cents": project.amount_cents,
        "need_id": project.need_id,
        "note": project.note or "",
    }


def signature_state(signature: CharterSignature) -> dict:
    return {
        "signatory_name": signature.signatory_name,
        "signatory_function": signature.signatory_function,
        "pledge_three_percent": bool(signature.pledge_three_percent),
        "withdrawn": signature.withdrawn_at is not None,
    }


def outcome_state(outcome: MeetingOutcome) -> dict:
    return {
        "meeting_id": outcome.meeting_id,
        "round": outcome.round,
        "held": bool(outcome.held),
        "usefulness": outcome.usefulness,
        "follow_up": outcome.follow_up,
        "comment": outcome.comment or "",
    }


def verification_state(organisation: Organisation) -> dict:
    return {"state": organisation.verification, "reason": organisation.verification_reason or ""}


# --- recording ------------------------------------------------------------------------------------


def record(
    organisation_id: int,
    subject: ChangeSubject,
    action: ChangeAction,
    *,
    actor: User | None,
    subject_id: int | None = None,
    old: dict | None = None,
    new: dict | None = None,
    label: str = "",
    undo_of: ChangeRecord | None = None,
) -> ChangeRecord | None:
    """Add the record of a change to the session (the caller commits it with the change). A change that
    changes nothing is not recorded."""
    if action == ChangeAction.CHANGED and old == new:
        return None
    entry = ChangeRecord(
        organisation_id=organisation_id,
        subject=subject.value,
        subject_id=subject_id,
        action=action.value,
        label=(label or "")[:200],
        old=old,
        new=new,
        actor_id=actor.id if actor is not None else None,
        actor_name=(actor.display_name if actor is not None else "")[:200],
        undo_of_id=undo_of.id if undo_of is not None else None,
    )
    db.session.add(entry)
    return entry


def history_of(organisation: Organisation, page: int, per_page: int):
    """The organisation's changes, newest first (a flask-sqlalchemy Pagination)."""
    return db.paginate(
        sa.select(ChangeRecord)
        .where(ChangeRecord.organisation_id == organisation.id)
        .order_by(ChangeRecord.at.desc(), ChangeRecord.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def get_record(organisation: Organisation, record_id: int) -> ChangeRecord | None:
    entry = db.session.get(ChangeRecord, record_id)
    return entry if entry is not None and entry.organisation_id == organisation.id else None


def can_undo(entry: ChangeRecord) -> bool:
    """Undoable kinds of change not undone yet (whether the subject is still as recorded is checked then)."""
    return entry.undone_at is None and entry.subject in _UNDO


# --- undoing --------------------------------------------------------------------------------------


def changed_since() -> ServiceError:
    return Conflict(_("This was changed again since: undo the later change first."))


def _settle_year(row: ProcurementYear, actor: User, recorded: bool = True) -> None:
    """After an undo: the year is dated, spend above its budget waits for review again, and back within it the
    explanation goes (as services.tracker does); a change this makes to the year is recorded too, unless the
    caller records the year itself (`recorded=False`)."""
    before = year_state(row) if recorded and row.id is not None else None
    db.session.flush()
    db.session.refresh(row, ["projects"])
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    row.settle_review(row.spend_cents)
    if before is not None:
        record(
            row.organisation_id,
            ChangeSubject.YEAR,
            ChangeAction.CHANGED,
            actor=actor,
            subject_id=row.id,
            old=before,
            new=year_state(row),
            label=str(row.year),
        )


def _new_project(row: ProcurementYear, state: dict) -> InnovationProject:
    project = InnovationProject(
        procurement_year=row,
        title=state["title"],
        procurement_route=state["procurement_route"],
        amount_cents=state["amount_cents"],
        need_id=state.get("need_id"),
        note=state.get("note", ""),
    )
    db.session.add(project)
    return project


def _record_undo(entry: ChangeRecord, action: ChangeAction, actor: User, **values) -> None:
    """Record an undo: a change of the same subject, naming the change it reverses."""
    record(
        entry.organisation_id,
        ChangeSubject(entry.subject),
        action,
        actor=actor,
        label=entry.label,
        undo_of=entry,
        **values,
    )


def _undo_year(entry: ChangeRecord, actor: User) -> None:
    organisation_id = entry.organisation_id
    if entry.action == ChangeAction.DELETED:
        if ProcurementYear.of(organisation_id, entry.old["year"]) is not None:
            raise changed_since()
        row = ProcurementYear(
            organisation_id=organisation_id,
            year=entry.old["year"],
            budget_cents=entry.old["budget_cents"],
            explanation=entry.old.get("explanation", ""),
        )
        db.session.add(row)
        for state in entry.old.get("projects", []):
            _new_project(row, state)
        _settle_year(row, actor, recorded=False)
        _record_undo(
            entry, ChangeAction.CREATED, actor, subject_id=row.id, new=year_state(row, with_projects=True)
        )
        return
    row = db.session.get(ProcurementYear, entry.subject_id)
    if row is None or row.organisation_id != organisation_id or year_state(row) != entry.new:
        raise changed_since()
    if entry.action == ChangeAction.CREATED:
        if row.projects:
            raise changed_since()
        _record_undo(
            entry, ChangeAction.DELETED, actor, subject_id=row.id, old=year_state(row, with_projects=True)
        )
        db.session.delete(row)
        return
    row.budget_cents = entry.old["budget_cents"]
    row.explanation = entry.old.get("explanation", "")
    _settle_year(row, actor, recorded=False)
    if entry.old.get("needs_review") is False and row.explanation == entry.new["explanation"]:
        row.needs_review = False  # an accepted review comes back with what was accepted
    _record_undo(entry, ChangeAction.CHANGED, actor, subject_id=row.id, old=entry.new, new=year_state(row))


def _undo_project(entry: ChangeRecord, actor: User) -> None:
    organisation_id = entry.organisation_id
    if entry.action == ChangeAction.DELETED:
        row = ProcurementYear.of(organisation_id, entry.old["year"])
        if row is None:
            raise Conflict(_("The year of this project was deleted: undo that deletion first."))
        project = _new_project(row, entry.old)
        _settle_year(row, actor)
        _record_undo(entry, ChangeAction.CREATED, actor, subject_id=project.id, new=project_state(project))
        return
    project = db.session.get(InnovationProject, entry.subject_id)
    if (
        project is None
        or project.procurement_year.organisation_id != organisation_id
        or project_state(project) != entry.new
    ):
        raise changed_since()
    row = project.procurement_year
    if entry.action == ChangeAction.CREATED:
        _record_undo(entry, ChangeAction.DELETED, actor, subject_id=project.id, old=entry.new)
        db.session.delete(project)
        _settle_year(row, actor)
        return
    for name in ("title", "procurement_route", "amount_cents", "need_id", "note"):
        setattr(project, name, entry.old[name])
    _settle_year(row, actor)
    _record_undo(
        entry, ChangeAction.CHANGED, actor, subject_id=project.id, old=entry.new, new=project_state(project)
    )


def _undo_signature(entry: ChangeRecord, actor: User) -> None:
    signature = db.session.get(CharterSignature, entry.subject_id)
    if signature is None or signature.organisation_id != entry.organisation_id:
        raise changed_since()
    before = signature_state(signature)
    if before != entry.new:
        raise changed_since()
    if entry.new["withdrawn"]:  # a withdrawal: the signature comes back, unless another one was made since
        other = db.session.scalar(
            sa.select(CharterSignature.id).where(
                CharterSignature.organisation_id == entry.organisation_id,
                CharterSignature.withdrawn_at.is_(None),
            )
        )
        if other is not None:
            raise changed_since()
        signature.withdrawn_at = None
        signature.withdrawn_by_id = None
    else:  # a signature: it is withdrawn (kept, as every withdrawal is)
        signature.withdrawn_at = utcnow()
        signature.withdrawn_by_id = actor.id
    _record_undo(
        entry,
        ChangeAction.CHANGED,
        actor,
        subject_id=signature.id,
        old=before,
        new=signature_state(signature),
    )


def _undo_outcome(entry: ChangeRecord, actor: User) -> None:
    outcome = db.session.get(MeetingOutcome, entry.subject_id)
    if outcome is None or outcome_state(outcome) != entry.new:
        raise changed_since()
    if entry.action == ChangeAction.CREATED:
        _record_undo(entry, ChangeAction.DELETED, actor, subject_id=outcome.id, old=entry.new)
        db.session.delete(outcome)
        return
    for name in ("held", "usefulness", "follow_up", "comment"):
        setattr(outcome, name, entry.old[name])
    _record_undo(
        entry, ChangeAction.CHANGED, actor, subject_id=outcome.id, old=entry.new, new=outcome_state(outcome)
    )


_UNDO = {
    ChangeSubject.YEAR.value: _undo_year,
    ChangeSubject.PROJECT.value: _undo_project,
    ChangeSubject.SIGNATURE.value: _undo_signature,
    ChangeSubject.OUTCOME.value: _undo_outcome,
}


def undoes(subject: ChangeSubject):
    """Register how a kind of change is undone, from the service that owns it (services.admin undoes
    verifications: this module cannot import it, since it records them)."""

    def register(handler):
        _UNDO[subject.value] = handler
        return handler

    return register


def undo(actor: User, entry: ChangeRecord) -> None:
    """A platform administrator undoes a recorded change. Commits."""
    require_platform_admin(actor)
    if entry.undone_at is not None:
        raise ServiceError(_("This change was undone already."))
    if not can_undo(entry):
        raise ServiceError(_("This change cannot be undone."))
    _UNDO[entry.subject](entry, actor)
    entry.undone_at = utcnow()
    entry.undone_by_id = actor.id
    commit(changed_since().message)
    log.info("Admin %s undid change %s of organisation %s", actor.id, entry.id, entry.organisation_id)
