"""Export the catalogue as CSV and JSON, import it from CSV: all or nothing, with reasons, organizers only."""

import csv
import io
import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Need, Offering, Theme
from matchmaker.models.catalogue import NeedCpvCode, OfferingCpvCode, need_theme, offering_theme
from matchmaker.services import exchange
from matchmaker.services.catalogue import update_search_text
from matchmaker.services.search import SearchParams, search_catalogue
from matchmaker.services.themes import ensure_default_themes
from tests.helpers import counting

FUTURE = (date.today() + timedelta(days=200)).isoformat()


@pytest.fixture
def catalogue(app, make_organisation):
    """Two organisations with an offering and a need, with themes and CPV codes."""
    ensure_default_themes()
    themes = {t.slug: t for t in db.session.scalars(sa.select(Theme))}
    supplier = make_organisation(name="Hydrosense", kind="sme", enterprise_number="0260763912")
    buyer = make_organisation(
        name="Vlaamse Milieumaatschappij", kind="government", enterprise_number="0408395338"
    )
    offering = Offering(
        organisation_id=supplier.id,
        title="Sensornetwerk voor waterkwaliteit",
        summary="Boeien meten zuurstof en nitraat.",
        description='Line one, with a comma.\n\nA second paragraph with "quotes".',
        innovation_type="technological",
        trl=8,
        keywords="sensoren, IoT",
        language="nl",
        links="Website | https://hydrosense.example",
        status="published",
        themes=[themes["water"], themes["climate-environment"]],
        cpv_links=[OfferingCpvCode(code="35125100"), OfferingCpvCode(code="90733000")],
    )
    need = Need(
        organisation_id=buyer.id,
        title="Continue meting van waterkwaliteit",
        summary="Sensoren in beken.",
        challenge="=SUM(A1:A2) is not a formula here",
        expected_outcome="Een meetnet.",
        budget_min=100_000,
        budget_max=900_000,
        deadline=date.fromisoformat(FUTURE),
        procurement_route="pre_commercial_procurement",
        language="nl",
        status="open",
        registered_only=True,
        themes=[themes["water"]],
        cpv_links=[NeedCpvCode(code="35125100")],
    )
    for item in (offering, need):
        update_search_text(item)
        db.session.add(item)
    db.session.commit()
    return {"supplier": supplier, "buyer": buyer, "offering": offering, "need": need}


@pytest.fixture
def organizer(auth):
    return auth.login_as("organizer")


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _upload(client, kind: str, content: str | bytes, filename: str = "items.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        "/catalogue/exchange/import",
        data={"kind": kind, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _import(client, kind: str, content: str | bytes):
    """Upload a file that passes the file checks: the request queues the import and sends the browser to
    the job's page, which shows the report (in the tests, the job ran right after the upload's commit)."""
    response = _upload(client, kind, content)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].startswith("/jobs/")
    return client.get(response.headers["Location"])


def _snapshot(model) -> list[dict]:
    db.session.expire_all()
    rows = []
    for item in db.session.scalars(sa.select(model).order_by(model.title)):
        record = exchange.item_record(item)
        for key in ("id", "published_at", "updated_at"):
            record.pop(key)
        rows.append(record)
    return rows


# --------------------------------------------------------------------------------------------------
# Permissions


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/catalogue/exchange"),
        ("get", "/catalogue/exchange/export/offerings.csv"),
        ("get", "/catalogue/exchange/export/needs.json"),
        ("post", "/catalogue/exchange/import"),
    ],
)
@pytest.mark.parametrize("role", ["supplier", "buyer"])
def test_only_organizers_and_admins_may_exchange(client, auth, catalogue, method, url, role):
    auth.login_as(role)
    assert getattr(client, method)(url).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, catalogue):
    response = client.get("/catalogue/exchange/export/offerings.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_organizers_and_admins_see_the_exchange_page(client, auth, role):
    auth.login_as(role)
    page = client.get("/catalogue/exchange").get_data(as_text=True)
    assert "organisation_enterprise_number" in page and "cpv_codes" in page and "budget_min" in page


def test_unknown_export_kind_or_format_is_not_found(client, organizer):
    assert client.get("/catalogue/exchange/export/events.csv").status_code == 404
    assert client.get("/catalogue/exchange/export/offerings.xlsx").status_code == 404


# --------------------------------------------------------------------------------------------------
# Export


def test_csv_export_of_offerings(client, organizer, catalogue):
    response = client.get("/catalogue/exchange/export/offerings.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    (row,) = _rows(response.get_data(as_text=True))
    assert row["title"] == "Sensornetwerk voor waterkwaliteit"
    assert row["organisation"] == "Hydrosense" and row["organisation_enterprise_number"] == "0260.763.912"
    assert row["themes"] == "Climate and environment; Water"  # in the themes' order, in the reader's language
    assert row["cpv_codes"] == "35125100; 90733000"
    assert row["trl"] == "8" and row["status"] == "Published"
    assert row["innovation_type"] == "Technological innovation" and row["language"] == "Dutch"
    assert row["description"] == 'Line one, with a comma.\n\nA second paragraph with "quotes".'


def test_csv_export_of_needs_guards_against_formulas(client, organizer, catalogue):
    (row,) = _rows(client.get("/catalogue/exchange/export/needs.csv").get_data(as_text=True))
    assert row["challenge"] == "'=SUM(A1:A2) is not a formula here"
    assert row["budget_min"] == "100000" and row["budget_max"] == "900000"
    assert row["deadline"] == FUTURE and row["registered_only"] == "yes"
    assert row["procurement_route"] == "Pre-commercial procurement"


def test_json_export_lists_themes_and_codes(client, organizer, catalogue):
    response = client.get("/catalogue/exchange/export/needs.json")
    assert response.headers["Content-Type"].startswith("application/json")
    document = json.loads(response.get_data(as_text=True))
    assert document["kind"] == "needs"
    (item,) = document["items"]
    assert item["themes"] == ["water"] and item["cpv_codes"] == ["35125100"]
    assert item["budget_max"] == 900_000 and item["registered_only"] is True
    offerings = json.loads(client.get("/catalogue/exchange/export/offerings.json").get_data(as_text=True))
    assert offerings["items"][0]["cpv_codes"] == ["35125100", "90733000"]


def test_organizers_export_leaves_the_organisations_drafts_out(client, organizer, catalogue):
    # Drafts are visible only to their organisation, in an export as on the catalogue's pages.
    catalogue["offering"].status = "draft"
    db.session.commit()
    assert _rows(client.get("/catalogue/exchange/export/offerings.csv").get_data(as_text=True)) == []
    assert '"items": []' in client.get("/catalogue/exchange/export/offerings.json").get_data(as_text=True)


def test_administrators_export_includes_drafts(client, auth, catalogue):
    auth.login_as("admin")
    catalogue["offering"].status = "draft"
    db.session.commit()
    (row,) = _rows(client.get("/catalogue/exchange/export/offerings.csv").get_data(as_text=True))
    assert row["status"] == "Draft"


def _add_items(kind: str, organisation, count: int, start: int) -> None:
    """`count` public items of `kind` with two themes and two CPV codes each, in bulk."""
    model, link, cpv, column = (
        (Offering, offering_theme, OfferingCpvCode, "offering_id")
        if kind == "offerings"
        else (Need, need_theme, NeedCpvCode, "need_id")
    )
    status = "published" if kind == "offerings" else "open"
    ids = list(
        db.session.scalars(
            sa.insert(model).returning(model.id, sort_by_parameter_order=True),
            [
                {
                    "organisation_id": organisation.id,
                    "title": f"Item {n}",
                    "status": status,
                    "search_text": "",
                }
                for n in range(start, start + count)
            ],
        )
    )
    theme_ids = list(db.session.scalars(sa.select(Theme.id).order_by(Theme.id).limit(2)))
    db.session.execute(sa.insert(link), [{column: i, "theme_id": t} for i in ids for t in theme_ids])
    db.session.execute(
        sa.insert(cpv), [{column: i, "code": c} for i in ids for c in ("72000000", "48000000")]
    )
    db.session.commit()


@pytest.mark.parametrize("kind", ["offerings", "needs"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_runs_as_many_queries_for_5_items_as_for_2500(client, organizer, catalogue, kind, fmt):
    """Themes and CPV codes are read in one query each, not once per item (2,500 items: more than two batches
    of the streamed query)."""
    owner = catalogue["supplier" if kind == "offerings" else "buyer"]
    url = f"/catalogue/exchange/export/{kind}.{fmt}"
    counts, lines = [], []
    for count, start in ((5, 0), (2495, 5)):
        _add_items(kind, owner, count, start)
        with counting() as statements:
            body = client.get(url).get_data(as_text=True)
        counts.append(len(statements))
        lines.append(len(_rows(body)) if fmt == "csv" else len(json.loads(body)["items"]))
    assert lines == [6, 2501]  # the catalogue's own item too
    assert counts[1] == counts[0]


def test_the_csv_export_is_streamed_in_pieces_with_a_byte_order_mark_first(client, organizer, catalogue):
    _add_items("offerings", catalogue["supplier"], 2500, 0)
    response = client.get("/catalogue/exchange/export/offerings.csv", buffered=False)
    assert response.is_streamed and "Content-Length" not in response.headers
    pieces = list(response.response)
    response.close()
    assert pieces[0] == b"\xef\xbb\xbf" and len(pieces) >= 4  # the mark, the header with a batch, and more
    rows = _rows(b"".join(pieces).decode("utf-8"))
    assert len(rows) == 2501 and rows[0]["themes"] and rows[0]["cpv_codes"]
    assert response.headers["Content-Disposition"].startswith('attachment; filename="matchmaker-offerings-')
    assert response.headers["Cache-Control"] == "no-store"


def test_the_json_export_is_streamed_as_one_document(client, organizer, catalogue):
    _add_items("needs", catalogue["buyer"], 2500, 0)
    response = client.get("/catalogue/exchange/export/needs.json", buffered=False)
    assert response.is_streamed
    pieces = list(response.response)
    response.close()
    assert len(pieces) >= 4
    document = json.loads(b"".join(pieces).decode("utf-8"))
    assert document["kind"] == "needs" and len(document["items"]) == 2501
    assert document["items"][0]["themes"] and document["items"][0]["cpv_codes"]


# --------------------------------------------------------------------------------------------------
# Round trip


@pytest.mark.parametrize("kind, model", [("offerings", Offering), ("needs", Need)])
def test_export_then_import_gives_the_same_items(client, organizer, catalogue, kind, model):
    before = _snapshot(model)
    exported = client.get(f"/catalogue/exchange/export/{kind}.csv").data
    # Into an empty catalogue...
    for item in db.session.scalars(sa.select(model)):
        db.session.delete(item)
    db.session.commit()
    response = _import(client, kind, exported)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "1 created, 0 updated" in response.get_data(as_text=True)
    assert _snapshot(model) == before
    # ...and onto itself: updated, nothing added.
    response = _import(client, kind, exported)
    assert "0 created, 1 updated" in response.get_data(as_text=True)
    assert _snapshot(model) == before


def test_imported_items_are_searchable(client, organizer, catalogue):
    csv_text = (
        "organisation_enterprise_number,title,summary,description,status,cpv_codes,themes\n"
        "0260763912,Drone-inspectie van dijken,Drones vliegen wekelijks.,Thermische camera's.,published,"
        "34711200,water\n"
    )
    assert _import(client, "offerings", csv_text).status_code == 200
    found = search_catalogue(SearchParams(kind="offering", q="dijken"), None)
    assert [o.title for o in found.items] == ["Drone-inspectie van dijken"]


def test_semicolon_separated_files_from_excel_are_read(client, organizer, catalogue):
    csv_text = "\ufefforganisation;title;trl;cpv_codes\nHydrosense;Nieuwe boei;6;35125100, 38430000\n"
    response = _import(client, "offerings", csv_text)
    assert response.status_code == 200
    offering = db.session.scalar(sa.select(Offering).where(Offering.title == "Nieuwe boei"))
    assert offering.trl == 6 and offering.cpv_codes == ["35125100", "38430000"] and offering.status == "draft"


# --------------------------------------------------------------------------------------------------
# Refusals: every reason, and nothing imported


BAD_OFFERINGS = (
    "organisation,organisation_enterprise_number,title,summary,description,innovation_type,trl,language,"
    "status,themes,cpv_codes\n"
    "Hydrosense,,Goede rij,Samenvatting,Beschrijving,product,5,nl,published,water,35125100\n"
    "Bestaat Niet BV,,Onbekende organisatie,,,product,5,nl,draft,,\n"
    ",0123456749,Onbekend nummer,,,product,5,nl,draft,,\n"
    "Hydrosense,,,,,gadget,12,de,sold,space,99999999\n"
    "Vlaamse Milieumaatschappij,,Overheid biedt aan,,,product,,nl,draft,,\n"
    "Hydrosense,,Goede rij,,,product,5,nl,draft,,\n"
    "Hydrosense,,Gepubliceerd zonder tekst,,,product,5,nl,published,,\n"
)


def test_bad_rows_are_refused_with_their_reasons_and_nothing_is_imported(client, organizer, catalogue):
    response = _import(client, "offerings", BAD_OFFERINGS)
    assert response.status_code == 200
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert "Nothing was imported" in page
    assert "6 of 7 rows were refused" in page
    assert "No organisation named 'Bestaat Niet BV'" in page
    assert "No organisation with enterprise number 0123456749" in page
    for reason in (
        "Title is required",
        "Innovation type 'gadget'",
        "TRL must be a whole number from 1 to 9, not '12'",
        "Language 'de'",
        "Status 'sold'",
        "Unknown theme(s): space",
        "Unknown CPV code(s): 99999999",
    ):
        assert reason in page, reason
    assert "is a government entity" in page
    assert "already on line 2" in page
    assert "A published offering needs a summary and a description" in page
    # Not even the good row was written.
    titles = set(db.session.scalars(sa.select(Offering.title)))
    assert titles == {"Sensornetwerk voor waterkwaliteit"}


def test_bad_need_rows_are_refused(client, organizer, catalogue):
    csv_text = (
        "organisation,title,summary,challenge,budget_min,budget_max,deadline,procurement_route,status,"
        "registered_only\n"
        "Vlaamse Milieumaatschappij,Budget omgekeerd,S,C,500000,100000,2027-02-30,tender,open,maybe\n"
        "Vlaamse Milieumaatschappij,Verleden,S,C,,,2020-01-01,,open,no\n"
        "Hydrosense,Geen overheid,S,C,abc,,,,draft,\n"
        'Vlaamse Milieumaatschappij,Goed,S,C,"150.000",200000,,,draft,ja\n'
    )
    response = _import(client, "needs", csv_text)
    assert response.status_code == 200
    page = response.get_data(as_text=True).replace("&#39;", "'")
    for reason in (
        "The lowest budget (500000) is higher than the highest (100000)",
        "The deadline '2027-02-30' is not a date",
        "Procurement route 'tender'",
        "registered_only is yes or no, not 'maybe'",
        "An open need cannot have a deadline in the past",
        "is not a government entity",
        "Lowest budget must be a whole number",
    ):
        assert reason in page, reason
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 1


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "The file is empty"),
        ("title,colour\nX,red\n", "Unknown column(s): colour"),
        ("organisation,summary\nHydrosense,x\n", "The column 'title' is missing"),
        ("title,summary\nX,y\n", "Give the organisation in a column"),
        ("organisation,title\n", "The file has a header but no rows"),
        ('organisation,title\nHydrosense,"unclosed\n', "not valid CSV"),
        ("organisation,title\nHydrosense,Caf\xe9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(client, organizer, catalogue, content, message):
    response = _upload(client, "offerings", content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 1


def test_the_upload_form_needs_a_file(client, organizer):
    response = client.post("/catalogue/exchange/import", data={"kind": "offerings"})
    assert response.status_code == 400
    assert "Choose a CSV file" in response.get_data(as_text=True)


def test_the_service_refuses_non_organizers(app, make_user, catalogue):
    supplier = make_user(roles=("supplier",))
    with app.test_request_context():
        with pytest.raises(exchange.ServiceError):
            exchange.export_csv(supplier, "offerings")
        with pytest.raises(exchange.ServiceError):
            exchange.import_csv(supplier, "offerings", b"organisation,title\nHydrosense,X\n")


def test_an_ambiguous_organisation_name_asks_for_the_enterprise_number(
    client, organizer, catalogue, make_organisation
):
    make_organisation(name="Hydrosense", kind="startup")
    response = _import(client, "offerings", "organisation,title\nHydrosense,Nog een boei\n")
    assert "Several organisations are named" in response.get_data(as_text=True)
    response = _import(
        client, "offerings", "organisation_enterprise_number,title\n0260.763.912,Nog een boei\n"
    )
    assert "1 created, 0 updated" in response.get_data(as_text=True)


def test_a_row_with_more_cells_than_columns_is_refused(client, organizer, catalogue):
    response = _import(client, "offerings", "organisation,title\nHydrosense,X,extra\n")
    page = response.get_data(as_text=True)
    assert "more cells than the header has columns" in page and "Nothing was imported" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 1


def _pairs_of_offering(title: str) -> list[int]:
    from matchmaker.models import MatchPair

    offering = db.session.scalars(sa.select(Offering).where(Offering.title == title)).one()
    return db.session.scalars(sa.select(MatchPair.need_id).where(MatchPair.offering_id == offering.id)).all()


WATER_OFFERING = (
    "organisation_enterprise_number,title,summary,description,status,cpv_codes,themes\n"
    "0260763912,Meetboeien voor beken,Continue meting van waterkwaliteit in beken.,"
    "Sensoren meten waterkwaliteit.,published,35125100,water\n"
)


def test_imported_items_enter_the_matching_index(client, organizer, catalogue):
    from matchmaker.services.matching import index

    index.refit()  # the fixture's items were stored behind the catalogue service's back
    assert _import(client, "offerings", WATER_OFFERING).status_code == 200
    assert _pairs_of_offering("Meetboeien voor beken") == [catalogue["need"].id]


def test_a_large_import_refits_the_matching_index_once(client, organizer, catalogue, monkeypatch):
    from matchmaker.models import Job
    from matchmaker.services import exchange

    monkeypatch.setattr(exchange, "_REFIT_ABOVE", 0)
    assert _import(client, "offerings", WATER_OFFERING).status_code == 200
    kinds = db.session.scalars(sa.select(Job.kind).where(Job.kind.like("matching.%"))).all()
    assert kinds == ["matching.refit"]
    assert _pairs_of_offering("Meetboeien voor beken") == [catalogue["need"].id]


@pytest.mark.parametrize("kind, fmt", [("offerings", "csv"), ("needs", "json")])
def test_an_export_prepared_in_the_background_is_the_streamed_file(client, organizer, catalogue, kind, fmt):
    from matchmaker.models import JobFile

    streamed = client.get(f"/catalogue/exchange/export/{kind}.{fmt}").get_data()
    response = client.post(f"/catalogue/exchange/export/{kind}.{fmt}/background")
    assert response.status_code == 303 and response.headers["Location"].startswith("/jobs/")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Catalogue export" in page and "Done" in page
    job_file = db.session.scalars(sa.select(JobFile)).one()
    assert job_file.filename.startswith(f"matchmaker-{kind}-") and job_file.filename.endswith(f".{fmt}")
    download = client.get(f"{response.headers['Location']}/files/{job_file.id}")
    assert download.status_code == 200
    prepared = download.get_data()
    if fmt == "json":  # the two files were made seconds apart: only their export time differs
        assert {k: v for k, v in json.loads(prepared).items() if k != "exported_at"} == {
            k: v for k, v in json.loads(streamed).items() if k != "exported_at"
        }
    else:
        assert prepared == streamed
    assert f"/files/{job_file.id}" in page


def test_a_background_export_is_for_organizers_only_and_its_file_for_its_starter(
    client, auth, organizer, catalogue
):
    response = client.post("/catalogue/exchange/export/offerings.csv/background")
    job_page = response.headers["Location"]
    assert client.post("/catalogue/exchange/export/nothing.csv/background").status_code == 404
    auth.login_as("organizer")  # another organizer: the job and its file are not theirs
    assert client.get(job_page).status_code == 404
    auth.login_as("supplier")
    assert client.post("/catalogue/exchange/export/offerings.csv/background").status_code == 403


# --------------------------------------------------------------------------------------------------
# What an import may change: never another organisation's items that are not public


HIDDEN_TITLE = "Geheim prototype"


def _hidden_item(kind: str, catalogue, status: str):
    """A draft or archived item of an organisation the importing organizer does not belong to."""
    model = Offering if kind == "offerings" else Need
    organisation = catalogue["supplier" if kind == "offerings" else "buyer"]
    item = model(
        organisation_id=organisation.id, title=HIDDEN_TITLE, summary="Nog niet klaar.", status=status
    )
    update_search_text(item)
    db.session.add(item)
    db.session.commit()
    return item


def _guessing_row(kind: str, catalogue) -> str:
    """An import row that names the hidden item by a guessed title (another case, as the match ignores it)."""
    organisation = catalogue["supplier" if kind == "offerings" else "buyer"]
    return (
        "organisation_enterprise_number,title,summary\n"
        f"{organisation.enterprise_number},{HIDDEN_TITLE.upper()},Overschreven door een import.\n"
    )


def _state(item) -> dict:
    db.session.expire_all()
    item = db.session.get(type(item), item.id)
    return {**exchange.item_record(item), "version": item.version}


def _answer(client, kind: str, content: str) -> tuple[dict, list[dict], str]:
    """What the importer is told: the job's result, its report file and the summary on its page."""
    from matchmaker.models import Job, JobFile
    from matchmaker.services import imports

    response = _upload(client, kind, content)
    assert response.status_code == 303, response.get_data(as_text=True)
    job_id = int(response.headers["Location"].split("/")[2])
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    report = db.session.scalars(
        sa.select(JobFile.content).where(JobFile.job_id == job_id, JobFile.filename == imports.REPORT_NAME)
    ).one()
    summary = page[page.index("rows imported") - 20 : page.index("rows imported") + 40]
    return db.session.get(Job, job_id).result, _rows(report.decode("utf-8")), summary


@pytest.mark.parametrize("kind", ["offerings", "needs"])
@pytest.mark.parametrize("status", ["draft", "archived"])
def test_an_import_leaves_another_organisations_hidden_item_alone(client, organizer, catalogue, kind, status):
    """Issue 14, finding 4: an organizer's import matched by enterprise number and title overwrote another
    organisation's draft. An item the importer may not see is left as it was; the row makes a new item."""
    hidden = _hidden_item(kind, catalogue, status)
    before = _state(hidden)
    page = _import(client, kind, _guessing_row(kind, catalogue)).get_data(as_text=True)
    assert "1 created, 0 updated" in page
    assert _state(hidden) == before
    model = type(hidden)
    titles = db.session.execute(
        sa.select(model.id, model.summary).where(sa.func.lower(model.title) == HIDDEN_TITLE.lower())
    ).all()
    assert sorted(summary for _, summary in titles) == ["Nog niet klaar.", "Overschreven door een import."]


@pytest.mark.parametrize("kind", ["offerings", "needs"])
def test_an_import_answers_the_same_whether_or_not_a_hidden_item_has_the_title(
    client, organizer, catalogue, kind
):
    """Issue 14, finding 4: the counts of created and updated rows told whether a draft with a guessed title
    exists. The answer (result, report, page) is now the same with and without it."""
    model = Offering if kind == "offerings" else Need
    without = _answer(client, kind, _guessing_row(kind, catalogue))
    for item in db.session.scalars(
        sa.select(model).where(sa.func.lower(model.title) == HIDDEN_TITLE.lower())
    ):
        db.session.delete(item)
    db.session.commit()
    _hidden_item(kind, catalogue, "draft")
    with_hidden = _answer(client, kind, _guessing_row(kind, catalogue))
    assert with_hidden == without
    assert without[0]["created"] == 1 and without[0]["updated"] == 0


def test_an_administrator_is_told_that_a_row_names_another_organisations_draft(client, auth, catalogue):
    """Administrators see drafts (their export lists them) but do not change them: the row is refused with
    the reason, and nothing is imported."""
    auth.login_as("admin")
    hidden = _hidden_item("offerings", catalogue, "draft")
    before = _state(hidden)
    page = _import(client, "offerings", _guessing_row("offerings", catalogue)).get_data(as_text=True)
    page = page.replace("&#39;", "'")
    assert "Nothing was imported" in page
    assert "'GEHEIM PROTOTYPE' of Hydrosense is not in the public catalogue" in page
    assert _state(hidden) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 2


def test_an_organizer_updates_the_drafts_of_their_own_organisation(client, auth, catalogue, make_user):
    from matchmaker.models import Membership, MembershipRole

    member = make_user(roles=("organizer",))
    db.session.add(Membership(user=member, organisation=catalogue["supplier"], role=MembershipRole.MEMBER))
    db.session.commit()
    auth.login(member)
    hidden = _hidden_item("offerings", catalogue, "draft")
    page = _import(client, "offerings", _guessing_row("offerings", catalogue)).get_data(as_text=True)
    assert "0 created, 1 updated" in page
    assert _state(hidden)["summary"] == "Overschreven door een import."


def test_an_organizer_corrects_the_drafts_their_own_import_made(client, organizer, catalogue):
    """Loading an organisation's catalogue as drafts, then the corrected file: the drafts are updated, not
    doubled (the organizer made them, so nothing is revealed)."""
    first = "organisation,title,summary\nHydrosense,Nieuwe boei,Eerste versie.\n"
    assert "1 created, 0 updated" in _import(client, "offerings", first).get_data(as_text=True)
    second = "organisation,title,summary\nHydrosense,Nieuwe boei,Verbeterd.\n"
    assert "0 created, 1 updated" in _import(client, "offerings", second).get_data(as_text=True)
    draft = db.session.scalars(sa.select(Offering).where(Offering.title == "Nieuwe boei")).one()
    assert (draft.status, draft.summary) == ("draft", "Verbeterd.")
