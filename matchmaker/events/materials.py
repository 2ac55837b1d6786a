"""The organizer's pages for an event's materials (issue 19): attach the programme, presentations and photos,
say who may download each, replace a file by a new version, remove one (services.event_materials). The
event page lists what each visitor may download; the files themselves are served by the documents area."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from matchmaker.auth.sessions import acting_user
from matchmaker.documents.routes import allow_large_uploads
from matchmaker.event_access import PRIVATE
from matchmaker.event_access import managed_event as _managed
from matchmaker.events import bp
from matchmaker.events.forms import ActionForm
from matchmaker.forms import OneLineField, flash_refused, form_refused
from matchmaker.models import Event, EventMaterial, MaterialAccess
from matchmaker.services import ServiceError, documents, event_materials, event_rules, filetypes

ACCEPT = ",".join(
    sorted({t.mime_type for t in filetypes.ACCEPTED} | {f".{t.extension}" for t in filetypes.ACCEPTED})
)


def _file_field(label):
    return FileField(label, validators=[FileRequired(_l("Choose a file."))], render_kw={"accept": ACCEPT})


class MaterialEditForm(FlaskForm):
    """A material's title, kind and who may download it."""

    title = OneLineField(_l("Title"), validators=[InputRequired(_l("Enter a title.")), Length(max=200)])
    kind = SelectField(
        _l("What it is"),
        choices=[SelectChoice(str(k), label) for k, label in event_materials.KIND_LABELS.items()],
        validators=[InputRequired(_l("Choose what this document is."))],
    )
    access = RadioField(
        _l("Who may download it"),
        choices=[
            SelectChoice(
                str(MaterialAccess.PUBLIC_AFTER),
                _l("Everyone, once the event is over (its participants before that)"),
            ),
            SelectChoice(str(MaterialAccess.PARTICIPANTS), _l("Only the event's approved participants")),
        ],
        default=str(MaterialAccess.PUBLIC_AFTER),
        validators=[InputRequired(_l("Choose who may download it."))],
    )


class MaterialForm(MaterialEditForm):
    """Attach a new material: its details and its file."""

    file = _file_field(_l("File"))


class ReplaceForm(FlaskForm):
    file = _file_field(_l("New version of the file"))


allow_large_uploads(bp, "events.materials", "events.material_replace")


def _material(event: Event, material_id: int) -> EventMaterial:
    material = event_materials.get_material(event, material_id)
    if material is None:
        abort(404)
    return material


def _render(template: str, status: int = 200, **context):
    return render_template(template, **context), status, PRIVATE


def _limit(*fields) -> None:
    """The size limit on the file fields, for static/js/uploads.js to refuse a file before it is sent."""
    for field in fields:
        field.render_kw = {
            **(field.render_kw or {}),
            "data-max-bytes": documents.max_bytes(),
            "data-too-large": documents.too_large_message(),
        }


def _hints() -> dict:
    return {
        "file_hint": _(
            "%(types)s, at most %(size)s. The type is checked from the file's content.",
            types=filetypes.accepted_list(),
            size=documents.size_label(documents.max_bytes()),
        )
    }


@bp.route("/<int:event_id>/materials", methods=["GET", "POST"])
@login_required
def materials(event_id: int):
    """The event's materials, and the form to attach one."""
    event = _managed(event_id)
    form = MaterialForm()
    if form.validate_on_submit():
        try:
            material = event_materials.attach(
                acting_user(),
                event,
                form.file.data,
                title=form.title.data,
                kind=form.kind.data,
                access=form.access.data,
            )
        except ServiceError as refusal:
            form_refused(form, refusal, field="file")
        else:
            flash(_("“%(title)s” was added to the event.", title=material.title), "success")
            return redirect(url_for(".materials", event_id=event.id))
    _limit(form.file)
    return _render(
        "events/materials.html",
        422 if form.is_submitted() else 200,
        event=event,
        form=form,
        materials=event_materials.materials_of(event),
        removed=event_materials.removed_materials(event),
        event_over=event_rules.is_over(event),
        **_hints(),
    )


def _edit_page(event: Event, material: EventMaterial, form, replace_form, status: int = 200):
    _limit(replace_form.file)
    return _render(
        "events/material.html",
        status,
        event=event,
        material=material,
        form=form,
        replace_form=replace_form,
        remove_form=ActionForm(prefix="remove"),
        **_hints(),
    )


@bp.route("/<int:event_id>/materials/<int:material_id>", methods=["GET", "POST"])
@login_required
def material(event_id: int, material_id: int):
    """One material: its details, its versions, a new version, removal."""
    event = _managed(event_id)
    material = _material(event, material_id)
    form = MaterialEditForm(obj=material)
    if form.validate_on_submit():
        try:
            event_materials.change(
                acting_user(), material, title=form.title.data, kind=form.kind.data, access=form.access.data
            )
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("“%(title)s” was saved.", title=material.title), "success")
            return redirect(url_for(".materials", event_id=event.id))
    return _edit_page(
        event,
        material,
        form,
        ReplaceForm(prefix="replace", formdata=None),
        422 if form.is_submitted() else 200,
    )


@bp.post("/<int:event_id>/materials/<int:material_id>/replace")
@login_required
def material_replace(event_id: int, material_id: int):
    event = _managed(event_id)
    material = _material(event, material_id)
    replace_form = ReplaceForm(prefix="replace")
    if replace_form.validate_on_submit():
        try:
            version = event_materials.replace(acting_user(), material, replace_form.file.data)
        except ServiceError as refusal:
            form_refused(replace_form, refusal, field="file")
        else:
            flash(
                _(
                    "Version %(number)s of “%(title)s” is online; the earlier ones stay available here.",
                    number=version.number,
                    title=material.title,
                ),
                "success",
            )
            return redirect(url_for(".material", event_id=event.id, material_id=material.id))
    return _edit_page(event, material, MaterialEditForm(obj=material, formdata=None), replace_form, 422)


@bp.post("/<int:event_id>/materials/<int:material_id>/remove")
@login_required
def material_remove(event_id: int, material_id: int):
    event = _managed(event_id)
    material = _material(event, material_id)
    if not ActionForm(prefix="remove").validate_on_submit():
        abort(400)
    try:
        event_materials.remove(acting_user(), material)
    except ServiceError as refusal:
        flash_refused(refusal)
    else:
        flash(_("“%(title)s” was removed.", title=material.title), "success")
    return redirect(url_for(".materials", event_id=event.id))


@bp.app_template_global()
def material_kind_label(kind: str) -> str:
    return str(event_materials.KIND_LABELS.get(kind, kind))


@bp.app_template_global()
def material_access_label(access: str) -> str:
    return str(event_materials.ACCESS_LABELS.get(access, access))
