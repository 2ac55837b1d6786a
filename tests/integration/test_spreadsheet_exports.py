"""Exports for the reader's spreadsheet (issue 18): semicolons and a decimal comma in Dutch and French,
labels in the reader's language, times in Brussels time; and the catalogue exchange reads back what it writes,
in every language, and what a Belgian spreadsheet saves of it."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from matchmaker.extensions import db
from matchmaker.models import MeetingRequest, Need, Offering, Theme
from matchmaker.models.catalogue import NeedCpvCode, OfferingCpvCode
from matchmaker.services import exchange
from matchmaker.services import meeting_requests as requests_service
from matchmaker.services.themes import ensure_default_themes

DEADLINE = date.today() + timedelta(days=400)


def _table(response, delimiter: str) -> list[list[str]]:
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")  # UTF-8 with its byte-order mark, for Excel
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


# --- events: labels and times ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "delimiter", "role", "status", "request_status", "yes"),
    [
        ("nl", ";", "Leverancier", "Goedgekeurd", "Wacht op antwoord", "ja"),
        ("fr", ";", "Fournisseur", "Approuvée", "En attente de réponse", "oui"),
        ("en", ",", "Supplier", "Approved", "Awaiting an answer", "yes"),
    ],
)
def test_event_exports_speak_the_readers_language_in_brussels_time(
    client, auth, event, organizer, buyer, supplier, register, language, delimiter, role, status,
    request_status, yes,
):  # fmt: skip
    rb = register(buyer, event)
    rs = register(supplier, event)
    request = requests_service.send_request(supplier, event, rb.id, "Koffie?")
    requests_service.send_request(buyer, event, rs.id, "")
    rs.created_at = datetime(2026, 12, 7, 13, 30, 45, 123456)  # stored in UTC: 14:30 in Brussels in winter
    db.session.get(MeetingRequest, request.id).created_at = datetime(2026, 7, 1, 8, 5)  # summer: 10:05
    organizer.language = language
    db.session.commit()
    auth.login(organizer)

    participants = _table(client.get(f"/events/{event.id}/export/participants.csv"), delimiter)
    header, *rows = participants
    assert len(header) == 10 and all(len(row) == len(header) for row in rows)
    by_name = {row[1]: row for row in rows}
    assert by_name["Sofie Supplier"][4:6] == [role, status]
    assert by_name["Sofie Supplier"][9] == "2026-12-07 14:30"
    assert by_name["Sofie Supplier"][6] == "8"  # a number stays a number

    requests = _table(client.get(f"/events/{event.id}/export/requests.csv"), delimiter)
    sent = next(row for row in requests[1:] if row[0] == str(request.id))
    assert sent[5:8] == [request_status, yes, "2026-07-01 10:05"]
    assert sent[8] == "" and sent[9] == "Koffie?"


# --- the catalogue exchange: the round trip ----------------------------------------------------------------


@pytest.fixture
def items(app, make_organisation):
    ensure_default_themes()
    themes = {t.slug: t for t in db.session.scalars(sa.select(Theme))}
    supplier = make_organisation(name="Hydrosense", kind="sme", enterprise_number="0260763912")
    buyer = make_organisation(name="Ville de Liège", kind="government", enterprise_number="0408395338")
    db.session.add_all(
        [
            Offering(
                organisation_id=supplier.id,
                title="Sensornetwerk; waterkwaliteit",
                summary="Boeien meten zuurstof, nitraat en 1.5 mg/l fosfaat.",
                description="=SUM(A1) is text.\n\nA second paragraph.",
                innovation_type="technological",
                trl=8,
                keywords="sensoren, IoT",
                language="fr",
                status="published",
                published_at=datetime(2026, 1, 5, 9, 0),
                themes=[themes["water"], themes["climate-environment"]],
                cpv_links=[OfferingCpvCode(code="35125100")],
            ),
            Need(
                organisation_id=buyer.id,
                title="Mesure continue de la qualité de l'eau",
                summary="Des capteurs dans les ruisseaux.",
                challenge="-2 degrés en hiver",
                expected_outcome="Un réseau de mesure.",
                budget_min=100_000,
                budget_max=1_250_000,
                deadline=DEADLINE,
                procurement_route="pre_commercial_procurement",
                language="fr",
                status="open",
                published_at=datetime(2026, 1, 5, 9, 0),
                registered_only=True,
                themes=[themes["water"], themes["mobility"]],
                cpv_links=[NeedCpvCode(code="35125100")],
            ),
        ]
    )
    db.session.commit()


def _snapshot(model) -> list[dict]:
    db.session.expire_all()
    items = db.session.scalars(sa.select(model).order_by(model.title)).all()
    skip = ("id", "updated_at")
    return [{k: v for k, v in exchange.item_record(item).items() if k not in skip} for item in items]


def _import(client, kind: str, data: bytes):
    response = client.post(
        "/catalogue/exchange/import",
        data={"kind": kind, "file": (io.BytesIO(data), f"{kind}.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("language", "delimiter", "published", "route", "water"),
    [
        ("nl", ";", "Gepubliceerd", "Precommerciële aankoop", "Water"),
        ("fr", ";", "Publié", "Achat public avant commercialisation", "Eau"),
        ("en", ",", "Published", "Pre-commercial procurement", "Water"),
    ],
)
def test_the_exchange_reads_back_what_it_writes(
    client, auth, items, language, delimiter, published, route, water
):
    auth.login_as("organizer", language=language)
    before = {kind: _snapshot(model) for kind, model in (("offerings", Offering), ("needs", Need))}
    for kind, model in (("offerings", Offering), ("needs", Need)):
        exported = client.get(f"/catalogue/exchange/export/{kind}.csv").data
        header, row = _table_of(exported, delimiter)
        record = dict(zip(header, row, strict=True))
        assert header[0] == "id"  # the column names are identifiers, the same in every language
        assert record["published_at"] == "2026-01-05 10:00"  # stored in UTC, written in Brussels time
        if kind == "offerings":
            assert record["status"] == published and water in record["themes"].split("; ")
            assert record["description"].startswith("'=SUM")
        else:
            assert record["procurement_route"] == route and record["budget_max"] == "1250000"
        db.session.execute(sa.update(model).values(updated_at=datetime(2020, 1, 1)))
        db.session.commit()
        _import(client, kind, exported)
        assert _snapshot(model) == before[kind]  # the same items, with the same values
        assert db.session.scalar(sa.select(sa.func.min(model.updated_at))) > datetime(2020, 1, 1)  # rewritten


def _table_of(data: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_the_import_reads_what_a_belgian_spreadsheet_saves(client, auth, items):
    """Excel in Belgium saves a semicolon file with money as 1.250.000,00 and dates day first; the labels
    may be in another language than the reader's, or the codes."""
    auth.login_as("organizer", language="fr")
    content = (
        "organisation_enterprise_number;title;summary;challenge;budget_min;budget_max;deadline;"
        "procurement_route;language;status;registered_only;themes;cpv_codes\r\n"
        f"0408395338;Mesure continue de la qualité de l'eau;Des capteurs.;Mesurer.;100.000;1.250.000,00;"
        f"{DEADLINE:%d/%m/%Y};Precommerciële aankoop;Nederlands;Ouvert;nee;\"Eau; Mobiliteit\";35125100\r\n"
        "0408395338;Tweede behoefte;Kort.;Meten.;€ 2 500;150000,00;;competitive_dialogue;en;draft;no;"
        "climate-environment;3000000\r\n"  # 03000000, without the 0 a spreadsheet drops
    ).encode("utf-8-sig")
    _import(client, "needs", content)
    db.session.expire_all()
    first = db.session.scalar(sa.select(Need).where(Need.title.startswith("Mesure")))
    assert (first.budget_min, first.budget_max, first.deadline) == (100_000, 1_250_000, DEADLINE)
    assert (first.procurement_route, first.language) == ("pre_commercial_procurement", "nl")
    assert first.status == "open"
    assert first.registered_only is False and sorted(t.slug for t in first.themes) == ["mobility", "water"]
    second = db.session.scalar(sa.select(Need).where(Need.title == "Tweede behoefte"))
    assert (second.budget_min, second.budget_max) == (2500, 150_000)
    assert second.procurement_route == "competitive_dialogue" and second.cpv_codes == ["03000000"]


@pytest.mark.parametrize(
    ("cell", "number"),
    [("150000", 150000), ("150.000", 150000), ("150 000", 150000), ("150,000", 150000),
     ("150000,00", 150000), ("150.000,00", 150000), ("150000.0", 150000), ("€ 1.500", 1500), ("0", 0)],
)  # fmt: skip
def test_whole_numbers_are_read_as_people_and_spreadsheets_write_them(cell, number):
    assert exchange.whole_number(cell) == number


@pytest.mark.parametrize("cell", ["1,5", "150000,50", "1.23.4", "-5", "abc", "1e5", "12,34,56"])
def test_a_number_with_a_fraction_or_letters_is_not_a_whole_number(cell):
    assert exchange.whole_number(cell) is None


@pytest.mark.parametrize(
    ("cell", "day"),
    [("2030-12-31", date(2030, 12, 31)), ("31/12/2030", date(2030, 12, 31)), ("1-2-2030", date(2030, 2, 1)),
     ("31.12.2030", date(2030, 12, 31)), ("2030-12-31 00:00", date(2030, 12, 31))],
)  # fmt: skip
def test_dates_are_read_iso_or_day_first(cell, day):
    assert exchange.read_date(cell) == day


@pytest.mark.parametrize("cell", ["31/13/2030", "12/31/2030", "2030-12-31 14:00", "tomorrow", "30/02/2030"])
def test_a_date_that_is_none_is_refused(cell):
    assert exchange.read_date(cell) is None


def test_a_malformed_row_is_refused_in_the_readers_language(app, items, make_user):
    organizer = make_user(roles=("organizer",), language="fr")
    content = (
        b"organisation_enterprise_number;title;budget_min;status;themes\r\n"
        b"0408395338;Budget bizarre;1,5;Verzonnen;\"Eau; Atlantide\"\r\n"
    )
    with app.test_request_context(), force_locale("fr"):
        report = exchange.import_csv(organizer, "needs", content)
        english = [exchange._("%(field)s must be a whole number from %(low)d to %(high)d, not '%(value)s'.")]
    assert not report.ok and report.created == 0
    (problem,) = report.problems
    assert problem.line == 2 and len(problem.reasons) == 3
    budget, status, themes = problem.reasons
    assert "1,5" in budget and budget not in english and "nombre entier" in budget
    assert "Verzonnen" in status and "draft" in status  # the codes it accepts, beside the labels
    assert "Atlantide" in themes
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 1
