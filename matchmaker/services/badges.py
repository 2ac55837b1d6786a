"""Name badges made in the background (issue 16): a few hundred badges take seconds of CPU (500 took 5-6 s),
too long for a web request, so the organizer asks for them and a job renders the PDF (checkin.badges) with
its progress on the job's page, where the file is offered when it is done and kept as the job's file until
the queue's retention removes it (as the catalogue exports).

Who: the event's managers start the job, and the job checks again when it runs (the organizer may have lost
the role since). The job's page and file are its starter's (services.jobs): another organizer gets a 404.
"""

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.i18n import current_language
from matchmaker.models import Event, Job, Registration, RegistrationStatus, User
from matchmaker.services import checkin
from matchmaker.services.event_rules import can_manage
from matchmaker.services.kernel import NotAllowed, NotFound, commit
from matchmaker.tasks import JobContext, attach_file, enqueue, task

KIND = "checkin.badges"
MIMETYPE = "application/pdf"
# The share of the progress bar for making the missing check-in codes (one commit each); the rest is the
# sheets.
CODES_SHARE = 0.1


def _refused() -> NotAllowed:
    return NotAllowed(_("Only the organizer of this event may print its badges."))


def _key(event: Event, user: User, size: str, registration_id: int | None) -> str:
    """Jobs of one organizer, event, size and choice of badges: a second click while the first one waits
    joins it (tasks.enqueue); the check-in page finds the organizer's jobs of the event by its start."""
    return f"{key_prefix(event, user)}{size}:{registration_id or 'all'}"


def key_prefix(event: Event, user: User) -> str:
    return f"{KIND}:{event.id}:{user.id}:"


def start_badges(user: User | None, event: Event, size: str, registration_id: int | None = None) -> Job:
    """Queue the badges of every approved participant of `event` (or of one: `registration_id`) in `size`
    (checkin.badges.BADGE_SIZES), in the current language (the roles and the PDF's metadata)."""
    from matchmaker.checkin.badges import BADGE_SIZES

    if user is None or not can_manage(user, event):
        raise _refused()
    if size not in BADGE_SIZES:
        raise NotFound(_("There is no such badge size."))
    if registration_id is not None:
        registration = db.session.get(Registration, registration_id)
        if (
            registration is None
            or registration.event_id != event.id
            or registration.status != RegistrationStatus.APPROVED
        ):
            raise NotFound(_("There is no such participant in this event."))
    job = enqueue(
        KIND,
        user=user,
        dedupe_key=_key(event, user, size, registration_id),
        event_id=event.id,
        size=size,
        registration_id=registration_id,
        language=current_language(),
    )
    commit()
    return job


def latest_jobs(user: User | None, event: Event, limit: int = 3) -> list[Job]:
    """The organizer's latest badge jobs for `event`, the newest first (the check-in page lists them)."""
    if user is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Job)
            .where(
                Job.kind == KIND,
                Job.created_by_id == user.id,
                Job.dedupe_key.startswith(key_prefix(event, user), autoescape=True),
            )
            .order_by(Job.id.desc())
            .limit(limit)
        )
    )


@task(KIND, max_attempts=3)
def badges_job(
    ctx: JobContext, event_id: int, size: str, registration_id: int | None = None, language: str | None = None
) -> dict:
    """Make the missing check-in codes, render the sheets and attach the PDF, in the language of the
    organizer who asked (the roles on the badges and the file's metadata are theirs)."""
    with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _render(ctx, event_id, size, registration_id)


def _render(ctx: JobContext, event_id: int, size: str, registration_id: int | None) -> dict:
    # The renderer draws on reportlab and the agenda PDF's fonts: loaded by the worker when it runs a job.
    from matchmaker.checkin.badges import BADGE_SIZES, badges_pdf, sheets_needed

    user = db.session.get(User, ctx.created_by_id) if ctx.created_by_id else None
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound(_("There is no such event."))
    if size not in BADGE_SIZES:  # checked when asked for; a size removed since fails here, not in reportlab
        raise NotFound(_("There is no such badge size."))
    if user is None or not can_manage(user, event):  # the role was taken away since
        raise _refused()
    registrations = checkin.participants(event)
    if registration_id is not None:
        registrations = [r for r in registrations if r.id == registration_id]
        if not registrations:  # no longer approved
            raise NotFound(_("There is no such participant in this event."))
    count = len(registrations)

    def codes_made(done: int, total: int) -> None:
        ctx.progress(
            CODES_SHARE * done / total, _("Check-in codes: %(done)s of %(total)s", done=done, total=total)
        )

    # Codes first: a code is committed once and never changes, so a rerun after a crash finds them made.
    checkin.ensure_codes(registrations, progress=codes_made)
    sheets = sheets_needed(count, size)

    def sheet_done(done: int, total: int) -> None:
        ctx.progress(
            CODES_SHARE + (0.95 - CODES_SHARE) * done / total,
            _("%(done)s of %(total)s sheets", done=done, total=total),
        )

    content = badges_pdf(
        event, registrations, size, compress=current_app.config["AGENDA_PDF_COMPRESS"], progress=sheet_done
    )
    filename = (
        f"badge-{event.id}-{registration_id}-{size}.pdf"
        if registration_id
        else f"badges-{event.id}-{size}.pdf"
    )
    attach_file(ctx, filename, MIMETYPE, content)
    commit()
    return {"event_id": event.id, "badges": count, "sheets": sheets, "size": size}
