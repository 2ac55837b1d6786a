"""Event materials (issue 19): organizers attach, replace and remove the programme, presentations and photos;
the event page lists them; downloads follow who may see them, with safe headers."""

import io
from datetime import date, timedelta

import pytest
from werkzeug.test import EnvironBuilder

from matchmaker.extensions import db
from matchmaker.models import Document, EventMaterial, RegistrationStatus
from matchmaker.services import event_materials
from tests import documents_files as files

pytestmark = pytest.mark.usefixtures("request_context")


def make_past(event):
    event.days[0].day = date.today() - timedelta(days=7)
    db.session.commit()
    return event


def attach(organizer, event, data=files.PDF, access="public_after", title="Slides of the city", **kw):
    return event_materials.attach(
        organizer,
        event,
        data,
        title=title,
        kind=kw.pop("kind", "presentation"),
        access=access,
        filename=kw.pop("filename", "slides.pdf"),
    )


def post_file(client, url, data, filename, field="file", **fields):
    builder = EnvironBuilder(
        path=url,
        method="POST",
        data={field: (io.BytesIO(data), filename), **fields},
        content_type="multipart/form-data",
    )
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        # Werkzeug spools a large body to a temporary file that the test client leaves open.
        environ["wsgi.input"].close()
        builder.close()


@pytest.fixture
def approved(make_participant, register):
    def make(event, role="supplier"):
        user = make_participant(role)
        registration = register(user, event)
        registration.status = RegistrationStatus.APPROVED
        db.session.commit()
        return user

    return make


# --- the organizer's pages ---------------------------------------------------------------------------------


def test_an_organizer_attaches_a_presentation_and_sees_it_listed(client, auth, organizer, make_event):
    event = make_event()
    auth.login(organizer)
    response = post_file(
        client,
        f"/events/{event.id}/materials",
        files.ooxml("pptx"),
        "Stad Gent – slides.pptx",
        title="Presentation of the city of Ghent",
        kind="presentation",
        access="public_after",
    )
    assert response.status_code == 302
    material = db.session.query(EventMaterial).one()
    assert material.document.current.filename == "Stad Gent – slides.pptx"
    page = client.get(f"/events/{event.id}/materials")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    assert "Presentation of the city of Ghent" in page.text and "PowerPoint" in page.text


def test_a_disguised_program_is_refused_on_the_form_with_its_reason(client, auth, organizer, make_event):
    event = make_event()
    auth.login(organizer)
    response = post_file(
        client,
        f"/events/{event.id}/materials",
        files.WINDOWS_EXE,
        "report.pdf",
        title="Report",
        kind="other",
        access="public_after",
    )
    assert response.status_code == 422
    assert "Programs and scripts are not accepted" in response.text
    assert db.session.query(Document).count() == 0


def test_a_file_over_the_limit_is_refused_with_the_limit_in_the_message(
    app, client, auth, organizer, make_event
):
    app.config["DOCUMENT_MAX_BYTES"] = 100 * 1024
    event = make_event()
    auth.login(organizer)
    response = post_file(
        client,
        f"/events/{event.id}/materials",
        files.PDF + b"\0" * 150_000,
        "big.pdf",
        title="Big",
        kind="other",
        access="public_after",
    )
    assert response.status_code == 422
    assert "The file is larger than 100 kB" in response.text


def test_a_request_far_over_the_limit_gets_a_friendly_page_not_a_bare_413(
    app, client, auth, organizer, make_event
):
    app.config["DOCUMENT_MAX_BYTES"] = 100 * 1024
    event = make_event()
    auth.login(organizer)
    response = post_file(
        client,
        f"/events/{event.id}/materials",
        files.PDF + b"\0" * (2 * 1024 * 1024),
        "huge.pdf",
        title="Huge",
        kind="other",
        access="public_after",
    )
    assert response.status_code == 413
    assert "The file is too large" in response.text and "<html" in response.text


def test_the_upload_form_accepts_more_than_other_forms_but_only_there(
    app, client, auth, organizer, make_event
):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.config["DOCUMENT_MAX_BYTES"] = 1024 * 1024
    event = make_event()
    auth.login(organizer)
    pdf = files.PDF + b"\0" * 200_000
    ok = post_file(
        client, f"/events/{event.id}/materials", pdf, "a.pdf", title="A", kind="other", access="public_after"
    )
    assert ok.status_code == 302
    other_form = client.post(f"/events/{event.id}/online", data={"online_url": "x" * 200_000})
    assert other_form.status_code == 413
    auth.logout()  # nobody anonymous may upload: their request keeps the usual limit
    anonymous = post_file(client, f"/events/{event.id}/materials", pdf, "a.pdf", title="A")
    assert anonymous.status_code == 413


def test_another_organizer_may_not_see_or_change_the_materials(
    client, auth, organizer, make_user, make_event
):
    event = make_event()
    material = attach(organizer, event)
    auth.login(make_user(roles=("organizer",)))
    assert client.get(f"/events/{event.id}/materials").status_code == 403
    assert client.get(f"/events/{event.id}/materials/{material.id}").status_code == 403
    assert (
        post_file(
            client, f"/events/{event.id}/materials/{material.id}/replace", files.PDF, "x.pdf"
        ).status_code
        == 403
    )
    assert client.post(f"/events/{event.id}/materials/{material.id}/remove").status_code == 403
    assert db.session.get(Document, material.document_id).version_count == 1


def test_a_material_is_only_reached_through_its_own_event(client, auth, organizer, make_event):
    event, other = make_event(), make_event(title="Another event")
    material = attach(organizer, event)
    auth.login(organizer)
    assert client.get(f"/events/{other.id}/materials/{material.id}").status_code == 404
    assert client.post(f"/events/{other.id}/materials/{material.id}/remove").status_code == 404


def test_a_new_version_replaces_the_file_and_keeps_the_old_one(client, auth, organizer, make_event):
    event = make_past(make_event())
    material = attach(organizer, event)
    auth.login(organizer)
    response = post_file(
        client,
        f"/events/{event.id}/materials/{material.id}/replace",
        files.odf("presentation"),
        "slides v2.odp",
        "replace-file",
    )
    assert response.status_code == 302
    auth.logout()
    current = client.get(f"/documents/{material.document_id}")
    assert current.headers["Content-Type"] == "application/vnd.oasis.opendocument.presentation"
    assert client.get(f"/documents/{material.document_id}/v1").data == files.PDF
    assert client.get(f"/documents/{material.document_id}/v3").status_code == 404


def test_a_hostile_new_version_is_refused_and_the_old_one_stays(client, auth, organizer, make_event):
    event = make_event()
    material = attach(organizer, event)
    auth.login(organizer)
    response = post_file(
        client,
        f"/events/{event.id}/materials/{material.id}/replace",
        files.SVG_WITH_SCRIPT,
        "slides.pdf",
        "replace-file",
    )
    assert response.status_code == 422 and "SVG images can hold scripts" in response.text
    db.session.expire_all()
    assert db.session.get(Document, material.document_id).version_count == 1


def test_removing_a_material_records_who_and_when_and_stops_its_downloads(
    client, auth, organizer, make_event
):
    event = make_past(make_event())
    material = attach(organizer, event)
    auth.login(organizer)
    assert client.post(f"/events/{event.id}/materials/{material.id}/remove").status_code == 302
    db.session.expire_all()
    document = db.session.get(Document, material.document_id)
    assert document.removed_by_id == organizer.id and document.removed_at is not None
    assert client.get(f"/documents/{document.id}").status_code == 404
    assert "Slides of the city" not in client.get(f"/events/{event.id}").text
    assert "“Slides of the city”, removed on" in client.get(f"/events/{event.id}/materials").text
    assert "by Olivia Organizer" in client.get(f"/events/{event.id}/materials").text


def test_the_organizer_changes_who_may_download(client, auth, organizer, make_event):
    event = make_past(make_event())
    material = attach(organizer, event)
    auth.login(organizer)
    response = client.post(
        f"/events/{event.id}/materials/{material.id}",
        data={"title": "Slides", "kind": "presentation", "access": "participants"},
    )
    assert response.status_code == 302
    auth.logout()
    assert client.get(f"/documents/{material.document_id}").status_code == 404


# --- the event page and downloads --------------------------------------------------------------------------


def test_a_past_event_shows_its_programme_and_presentations_to_visitors(client, organizer, make_event):
    event = make_past(make_event())
    attach(organizer, event, title="Programme of the day", kind="programme", filename="programma.pdf")
    attach(organizer, event, title="Private notes", access="participants")
    page = client.get(f"/events/{event.id}").text
    assert "Programme and presentations of that day" in page
    assert "Programme of the day" in page and "Private notes" not in page


def test_a_visitor_downloads_a_public_presentation_after_the_event_with_safe_headers(
    client, organizer, make_event
):
    event = make_past(make_event())
    material = attach(organizer, event, filename="Présentation «été».pdf")
    response = client.get(f"/documents/{material.document_id}")
    assert response.status_code == 200 and response.data == files.PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Pr_sentation __t__.pdf"; '
        "filename*=UTF-8''Pr%C3%A9sentation%20%C2%AB%C3%A9t%C3%A9%C2%BB.pdf"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox;")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["ETag"]
    assert (
        client.get(
            f"/documents/{material.document_id}", headers={"If-None-Match": response.headers["ETag"]}
        ).status_code
        == 304
    )


def test_an_image_opens_inline_and_still_cannot_run_anything(client, organizer, make_event):
    event = make_past(make_event())
    material = attach(organizer, event, files.image("JPEG"), kind="photo", filename="group photo.jpg")
    response = client.get(f"/documents/{material.document_id}")
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith('inline; filename="group photo.jpg"')
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_public_materials_wait_for_the_end_of_the_event_except_for_participants(
    client, auth, organizer, make_event, approved
):
    event = make_event()  # in the future
    material = attach(organizer, event)
    url = f"/documents/{material.document_id}"
    assert client.get(url).status_code == 404
    assert "Slides of the city" not in client.get(f"/events/{event.id}").text
    auth.login(approved(event))
    response = client.get(url)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    assert "Slides of the city" in client.get(f"/events/{event.id}").text


def test_participants_only_materials_need_an_approved_registration(
    client, auth, organizer, make_event, make_participant, register, approved
):
    event = make_event()
    pending = make_participant("buyer", name="Pending buyer")
    register(pending, event).status = RegistrationStatus.PENDING
    db.session.commit()
    participant = approved(event)
    material = attach(organizer, make_past(event), access="participants")
    url = f"/documents/{material.document_id}"
    assert client.get(url).status_code == 404  # anonymous
    auth.login(pending)
    assert client.get(url).status_code == 404
    auth.login(participant)
    response = client.get(url)
    assert response.status_code == 200
    assert (
        response.headers["Cache-Control"] == "private, no-store"
        and response.headers["X-Robots-Tag"] == "noindex"
    )
    auth.login(organizer)
    assert client.get(url).status_code == 200


def test_a_draft_events_materials_are_hidden(client, auth, organizer, make_event, approved):
    event = make_past(make_event(open_registration=False))
    material = attach(organizer, event)
    assert client.get(f"/documents/{material.document_id}").status_code == 404


def test_the_demo_materials_pass_the_checks_of_an_upload(organizer, make_event):
    from matchmaker.demo.materials import seed_materials

    event = make_past(make_event())
    assert seed_materials(event, organizer) == 3
    listed = [(m.kind, m.access, m.document.current.mime_type) for m in event_materials.materials_of(event)]
    assert listed == [
        ("programme", "public_after", "application/pdf"),
        ("presentation", "public_after", "application/pdf"),
        ("photo", "participants", "image/png"),
    ]
