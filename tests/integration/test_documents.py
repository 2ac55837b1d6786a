"""Stored documents (issue 19): the type found in the content, hostile files refused, limits, cleaned names,
versions and recorded removal."""

import pytest

from matchmaker.extensions import db
from matchmaker.models import DocumentVersion
from matchmaker.services import NotAllowed, documents, filetypes
from matchmaker.services.filetypes import FileRefused
from tests import documents_files as files

pytestmark = pytest.mark.usefixtures("request_context")


@pytest.mark.parametrize(
    ("data", "mime_type"),
    [
        (files.PDF, "application/pdf"),
        (files.image("PNG"), "image/png"),
        (files.image("JPEG"), "image/jpeg"),
        (files.image("WEBP"), "image/webp"),
        (files.ooxml("docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (files.ooxml("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (files.ooxml("pptx"), "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        (files.odf("text"), "application/vnd.oasis.opendocument.text"),
        (files.odf("spreadsheet"), "application/vnd.oasis.opendocument.spreadsheet"),
        (files.odf("presentation"), "application/vnd.oasis.opendocument.presentation"),
    ],
)
def test_the_type_comes_from_the_content(data, mime_type):
    assert filetypes.sniff(data).mime_type == mime_type


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (files.WINDOWS_EXE, "Programs and scripts are not accepted"),
        (b"\x7fELF\x02\x01\x01" + b"\0" * 50, "Programs and scripts are not accepted"),
        (b"#!/bin/sh\nrm -rf /\n", "Programs and scripts are not accepted"),
        (files.SVG_WITH_SCRIPT, "SVG images can hold scripts"),
        (b'<svg onload="alert(1)"/>', "SVG images can hold scripts"),
        (files.HTML, "This kind of file is not accepted"),
        (b"just some text, nothing else", "This kind of file is not accepted"),
        (files.plain_zip(), "Zip archives are not accepted"),
        (files.ooxml("docx", macro=True), "Office files with macros are not accepted"),
        (files.ooxml("xlsx", extra={"xl/vbaProject.bin": b"\0" * 100}), "Office files with macros"),
        (files.odf("text", extra={"Basic/Standard/Module1.xml": b"<script/>"}), "Office files with macros"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Old Office files"),
        (b"\x89PNG\r\n\x1a\n" + b"not really a png", "The image is damaged"),
        (b"", "The file is empty"),
    ],
)
def test_hostile_and_unknown_files_are_refused_with_a_reason(data, says):
    with pytest.raises(FileRefused) as refused:
        filetypes.sniff(data)
    assert says in refused.value.message
    assert refused.value.problems == {"file": refused.value.message}


EMBEDDED = "Documents with embedded objects, controls or external templates are not accepted"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (files.docx_with_ole_object(), EMBEDDED),
        (files.pptx_with_embedded_program(), EMBEDDED),
        (files.xlsx_with_activex_control(), EMBEDDED),
        (files.docx_with_external_template(), EMBEDDED),
        (files.docx_with_external_template("\\\\fileserver\\share\\normal.dotm"), EMBEDDED),
        (files.ooxml("docx", extra={"word/embeddings/oleObject1.bin": files.OLE}), EMBEDDED),  # no relation
        (
            files.ooxml(
                "docx",
                extra={
                    "word/_rels/document.xml.rels": files.relationships(
                        ("oleObject", "https://attacker.example/payload.hta", "External")
                    )
                },
            ),
            EMBEDDED,
        ),
        (files.odt_with_ole_object(), EMBEDDED),
        (files.odf("text", extra={"Object 1/run.exe": files.WINDOWS_EXE}), EMBEDDED),
        (files.odt_with_macro_on_open(), "Office files with macros are not accepted"),
        (files.odt_with_link_to_a_script(), "Office files with macros are not accepted"),
        (files.odf("text", extra={"Scripts/python/hello.py": b"import os"}), "Office files with macros"),
        (files.odf("spreadsheet", extra={"basic/Standard/Module1.xml": b"<m/>"}), "Office files with macros"),
    ],
    ids=[
        "docx OLE object",
        "pptx embedded program",
        "xlsx ActiveX control",
        "docx template injection (web)",
        "docx template injection (network share)",
        "docx object without a relationship",
        "docx remote OLE object",
        "odt OLE object",
        "odt program in an object folder",
        "odt macro on open",
        "odt link that runs a script",
        "odt Scripts folder",
        "ods basic folder",
    ],
)
def test_office_files_with_embedded_objects_controls_templates_or_scripts_are_refused(data, says):
    with pytest.raises(FileRefused) as refused:
        filetypes.sniff(data)
    assert says in refused.value.message
    if says == EMBEDDED:
        assert "Save a copy without them (or as PDF)" in refused.value.message


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pptx"])
def test_office_files_with_images_links_and_charts_are_accepted(kind):
    assert filetypes.sniff(files.ordinary_office_file(kind)).extension == kind


def test_an_odt_with_pictures_and_a_chart_is_accepted():
    assert filetypes.sniff(files.ordinary_odt()) is filetypes.ODT


def test_the_data_of_a_chart_is_checked_as_well():
    hostile = files.ooxml(
        "pptx",
        extra={
            "ppt/charts/_rels/chart1.xml.rels": files.relationships(("package", "../embeddings/data.xlsx")),
            "ppt/embeddings/data.xlsx": files.xlsx_with_activex_control(),
        },
    )
    with pytest.raises(FileRefused, match=EMBEDDED):
        filetypes.sniff(hostile)


def test_a_zip_bomb_disguised_as_a_word_document_is_refused_before_it_is_unpacked(monkeypatch):
    bomb = files.zip_bomb_docx()
    assert len(bomb) < 50_000  # 8 MB of zeros in a few kilobytes
    opened = []
    monkeypatch.setattr("zipfile.ZipFile.open", lambda self, *a, **k: opened.append(a) or 1 / 0)
    with pytest.raises(FileRefused, match="zip bomb"):
        filetypes.sniff(bomb)
    assert opened == []  # the sizes in the central directory were enough


def test_an_archive_whose_members_add_up_to_too_much_is_refused(monkeypatch):
    monkeypatch.setattr(filetypes, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(FileRefused, match="zip bomb"):
        filetypes.sniff(files.ooxml("docx", extra={"word/a.xml": b"x" * 600, "word/b.xml": b"y" * 600}))


def test_an_upload_over_the_configured_size_is_refused_saying_the_limit(app, organizer):
    app.config["DOCUMENT_MAX_BYTES"] = 2 * 1024 * 1024
    with pytest.raises(FileRefused) as refused:
        documents.read_upload(files.PDF + b"\0" * (2 * 1024 * 1024))
    assert refused.value.message == "The file is larger than 2.0 MB. Upload a smaller file."
    assert documents.read_upload(files.PDF) == files.PDF


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("Programma 12 maart.pdf", "Programma 12 maart.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\an\\Desktop\\Présentation été.pdf", "Présentation été.pdf"),
        ('evil"\r\nSet-Cookie: x=1.pdf', "evil_ Set-Cookie_ x=1.pdf"),
        ("tab\tand\x00nul\x1b.pdf", "tab andnul.pdf"),
        ("\u202ecod.exe.pdf", "cod.exe.pdf"),  # the right-to-left override that hides ".exe"
        (".hidden.pdf", "hidden.pdf"),
        ("", "document.pdf"),
        (None, "document.pdf"),
        ("slides.png", "slides.pdf"),  # the content decides the extension
        ("report", "report.pdf"),
        ("notes.v2", "notes.v2.pdf"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_names_are_cleaned_and_end_in_the_extension_of_the_content(name, clean):
    assert documents.clean_filename(name, filetypes.PDF) == clean


def test_a_jpeg_keeps_its_jpeg_extension():
    assert documents.clean_filename("Foto.JPEG", filetypes.JPEG) == "Foto.JPEG"
    assert documents.clean_filename("Foto.png", filetypes.JPEG) == "Foto.jpg"


def test_a_document_keeps_its_versions_and_its_removal_is_recorded(app, organizer, make_event):
    event = make_event()
    document = documents.store(
        files.PDF, "programme.pdf", uploaded_by=organizer, owner_kind="event", owner_id=event.id
    )
    second = documents.add_version(document, files.image(), "room plan.png", uploaded_by=organizer)
    db.session.expire_all()
    assert [(v.number, v.filename, v.mime_type) for v in document.versions] == [
        (1, "programme.pdf", "application/pdf"),
        (2, "room plan.png", "image/png"),
    ]
    assert document.current.id == second.id and document.version(1).data == files.PDF

    documents.remove(document, removed_by=organizer)
    db.session.expire_all()
    assert document.removed and document.removed_by_id == organizer.id and document.removed_at is not None
    assert [v.data for v in db.session.query(DocumentVersion).all()] == [None, None]  # the bytes are gone
    assert [v.filename for v in document.versions] == ["programme.pdf", "room plan.png"]  # the record stays
    assert not documents.can_read(organizer, document)


def test_only_who_manages_the_owner_may_store_a_document(app, make_user, make_event):
    event = make_event()
    stranger = make_user(roles=("organizer",))
    with pytest.raises(NotAllowed):
        documents.store(files.PDF, "x.pdf", uploaded_by=stranger, owner_kind="event", owner_id=event.id)
    with pytest.raises(NotAllowed):
        documents.store(files.PDF, "x.pdf", uploaded_by=stranger, owner_kind="no such kind", owner_id=1)


def test_xml_parts_that_declare_entities_are_refused_before_they_are_expanded():
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<Relationships>&b;</Relationships>"
    )
    with pytest.raises(FileRefused, match="This kind of file is not accepted"):
        filetypes.sniff(files.ooxml("docx", extra={"word/_rels/document.xml.rels": laughs}))
    content = files.ODF_CONTENT.replace(
        "<office:document-content", '<!DOCTYPE x [<!ENTITY a "b">]><office:document-content'
    )
    with pytest.raises(FileRefused, match="This kind of file is not accepted"):
        filetypes.sniff(files.odf("text", content=content))


def test_a_slide_that_goes_to_the_next_one_is_accepted_and_one_that_starts_a_program_is_not():
    def presentation(action: str) -> bytes:
        return files.odf(
            "presentation",
            content=(
                '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
                ' xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"'
                ' xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0"><office:body>'
                f'<office:event-listeners><presentation:event-listener script:event-name="dom:click"'
                f' presentation:action="{action}"/></office:event-listeners></office:body>'
                "</office:document-content>"
            ),
        )

    assert filetypes.sniff(presentation("next-page")) is filetypes.ODP
    with pytest.raises(FileRefused, match=EMBEDDED):
        filetypes.sniff(presentation("execute"))
