"""The 3%-norm tracker: money input, share maths, who may edit, the dashboards and their CSV exports."""

import csv
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from matchmaker.extensions import db
from matchmaker.models import InnovationProject, Need, NeedStatus, ProcurementYear
from matchmaker.services import ServiceError
from matchmaker.services import tracker as tracker_service
from tests.factories import K, M, Party, add_year


@pytest.fixture(autouse=True)
def request_context(app, client):
    """English messages (the tests read them), in services and pages alike."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def admin(make_user):
    return make_user(roles=("buyer",), display_name="Ada Admin", language="en")


@pytest.fixture
def agency(make_organisation, admin):
    return make_organisation(admins=(admin,), kind="government", name="Agentschap Test", policy_domain="mow")


# --- money and maths -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1.234.567,89", 123456789),
        ("1234567.89", 123456789),
        ("1234567,89", 123456789),
        ("1 234 567,89", 123456789),
        ("1,234,567.89", 123456789),
        ("€ 1.500", 150000),
        ("12.500", 1250000),  # a lone point before three digits separates thousands, as in Belgium
        ("12.5", 1250),
        ("0,05", 5),
        ("0", 0),
        ("5000000", 500000000),
    ],
)
def test_amounts_are_read_as_belgians_type_them(typed, cents):
    assert tracker_service.parse_euro(typed) == cents


@pytest.mark.parametrize("typed", ["", "abc", "-5", "1,234", "12,345", "1.23.4", "1e5", "1,2,3", "10**20"])
def test_amounts_that_cannot_be_read_are_refused(typed):
    with pytest.raises(ValueError):
        tracker_service.parse_euro(typed)


def test_the_share_of_a_zero_budget_is_unknown_not_a_division_by_zero():
    assert tracker_service.share_of(100, 0) is None
    assert tracker_service.percent(tracker_service.share_of(0, 0)) is None
    # (120000+30000)/5000000 = 3.00%
    assert tracker_service.percent(tracker_service.share_of(150_000 * 100, 5 * M)) == Decimal("3.00")


def test_a_group_share_is_the_share_of_the_totals_not_the_average_of_shares(agency, make_organisation):
    small = make_organisation(kind="government", name="Small agency", policy_domain="mow")
    add_year(agency, 2024, 10 * M, 100 * K)  # 1%
    add_year(small, 2024, 1 * M, 100 * K)  # 10%
    rows = tracker_service.domain_dashboard("mow").rows
    # (100000+100000)/(10000000+1000000) = 200000/11000000 = 1.818% -> 1.82% (average of shares: 5.5%)
    assert [(r.year, r.share_percent) for r in rows] == [(2024, Decimal("1.82"))]


def test_a_year_without_budget_shows_no_share_in_the_dashboard(client, agency):
    add_year(agency, 2023, 0, 10 * K)
    response = client.get(f"/tracker/organisations/{agency.id}")
    assert response.status_code == 200
    assert "no budget" in response.text


# --- dashboards ----------------------------------------------------------------------------------------


def test_the_dashboards_show_the_shares_with_a_chart_and_a_table(client, agency, make_organisation):
    other = make_organisation(kind="government", name="Departement Test", policy_domain="omg")
    add_year(agency, 2024, 10 * M, 200 * K, 100 * K)  # (200000+100000)/10000000 = 3.00%
    add_year(agency, 2025, 10 * M, 250 * K)  # 250000/10000000 = 2.50%
    add_year(other, 2024, 5 * M, 120 * K, 30 * K)  # (120000+30000)/5000000 = 3.00%
    page = client.get(f"/tracker/organisations/{agency.id}").text
    assert 'role="img"' in page and "<title id=" in page and "<desc id=" in page
    assert "3% target" in page and "chart-target-line" in page
    assert "3.00%" in page and "2.50%" in page and "€10,000,000.00" in page
    assert "not as the average" in page

    domain = client.get("/tracker/domains/mow").text
    assert "Agentschap Test" in domain and "Departement Test" not in domain
    overall = client.get("/tracker/").text
    # 2024: (300000+150000)/(10000000+5000000) = 450000/15000000 = 3.00%; 2025: 250000/10000000 = 2.50%
    assert "3.00%" in overall and "2.50%" in overall
    assert "Mobility and Public Works (MOW)" in overall


def test_the_dashboards_are_public_and_answer_in_dutch_too(client, agency):
    add_year(agency, 2024, 10 * M, 291 * K)
    page = client.get(f"/tracker/organisations/{agency.id}", headers={"Accept-Language": "nl"}).text
    assert "2,91%" in page  # 291000/10000000 = 2.91%, with a decimal comma


def test_only_government_organisations_have_a_dashboard(client, make_organisation):
    startup = make_organisation(kind="startup")
    assert client.get(f"/tracker/organisations/{startup.id}").status_code == 404
    assert client.get("/tracker/organisations/999999").status_code == 404
    assert client.get("/tracker/domains/nope").status_code == 404


def test_the_csv_exports_hold_the_figures_and_defuse_formulas(client, agency):
    row = add_year(agency, 2024, 10 * M, 300 * K)
    row.projects[0].title = '=HYPERLINK("http://evil")'
    agency.name = "@Agency"
    db.session.commit()
    for url in (
        f"/tracker/organisations/{agency.id}/export.csv",
        "/tracker/domains/mow/export.csv",
        "/tracker/export.csv",
    ):
        response = client.get(url, headers={"Accept-Language": "nl"})  # semicolons and a decimal comma
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
        assert rows[0][0] == "Jaar"  # the header first, no title above it
        assert ["2024", "10000000,00", "300000,00", "3,00", "3,00", "1", "0"] in rows
        for cells in rows:
            for cell in cells:
                assert not cell.startswith(("=", "@", "+")), (url, cell)
    text = client.get(f"/tracker/organisations/{agency.id}/export.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "'@Agency" in client.get("/tracker/domains/mow/export.csv").data.decode("utf-8-sig")


def test_the_csv_export_is_comma_separated_with_decimal_points_in_english(client, agency):
    add_year(agency, 2024, 10 * M, 300 * K)
    response = client.get(f"/tracker/organisations/{agency.id}/export.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Year", "Procurement budget (EUR)"]
    assert ["2024", "10000000.00", "300000.00", "3.00", "3.00", "1", "0"] in rows
    disposition = response.headers["Content-Disposition"]
    assert f'filename="3-percent-norm-Agentschap-Test-{agency.id}.csv"' in disposition


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_a_project_linked_to_a_need_that_is_not_public_does_not_show_its_title(
    client, agency, admin, make_need, status
):
    need = make_need(Party(admin, agency), status=status, title="Geheim plan voor de ring")
    row = add_year(agency, 2025, 10 * M, 300 * K)
    row.projects[0].need_id = need.id
    db.session.commit()
    csv_text = client.get(f"/tracker/organisations/{agency.id}/export.csv").data.decode("utf-8-sig")
    assert "Geheim plan" not in csv_text and "Project 0" in csv_text
    assert "Geheim plan" not in client.get(f"/tracker/organisations/{agency.id}").text
    need.status = NeedStatus.OPEN.value
    db.session.commit()
    opened = client.get(f"/tracker/organisations/{agency.id}/export.csv").data.decode("utf-8-sig")
    assert "Geheim plan" in opened


def test_the_projects_of_a_year_waiting_for_review_are_in_no_export(client, agency):
    """The page hides them and no public figure counts them: the exports leave them out too (issue 13)."""
    add_year(agency, 2024, 10 * M, 300 * K)
    waiting = add_year(agency, 2025, 1 * M, 900 * M)
    waiting.projects[0].title = "Unchecked claim"
    waiting.needs_review = True
    waiting.explanation = "Trust me."
    db.session.commit()
    assert "Unchecked claim" not in client.get(f"/tracker/organisations/{agency.id}").text

    text = client.get(f"/tracker/organisations/{agency.id}/export.csv").data.decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(client.get(f"/tracker/organisations/{agency.id}/export.xlsx").data))
    cells = [cell for row in workbook.active.iter_rows(values_only=True) for cell in row]
    for shown in (text, " ".join(str(cell) for cell in cells)):
        assert "Unchecked claim" not in shown and "900000000" not in shown and "Trust me" not in shown
        assert "Project 0" in shown  # the reviewed year's project is listed as before


# --- editing -------------------------------------------------------------------------------------------


def test_an_admin_adds_a_year_and_a_project_and_the_dashboard_follows(client, auth, agency, admin):
    need = Need(organisation=agency, title="Cyclists at traffic lights", status=NeedStatus.OPEN)
    db.session.add(need)
    db.session.commit()
    auth.login(admin)
    assert client.get(f"/tracker/organisations/{agency.id}/years/new").status_code == 200
    response = client.post(
        f"/tracker/organisations/{agency.id}/years/new", data={"year": "2025", "budget": "1.234.567,89"}
    )
    assert response.status_code == 302 and response.location.endswith(
        f"/tracker/organisations/{agency.id}/years/2025"
    )
    row = tracker_service.get_year(agency, 2025)
    assert row.budget_cents == 123456789 and row.updated_by_id == admin.id

    response = client.post(
        f"/tracker/organisations/{agency.id}/years/2025/projects/new",
        data={
            "title": "Radar detection",
            "procurement_route": "pre_commercial_procurement",
            "amount": "37037.04",
            "need_id": str(need.id),
            "note": "Pilot in Gent",
        },
    )
    assert response.status_code == 302
    project = db.session.scalars(sa.select(InnovationProject)).one()
    assert (project.amount_cents, project.need_id, project.note) == (3703704, need.id, "Pilot in Gent")
    # 37037.04 / 1234567.89 = 3.0000...% -> 3.00%
    dashboard = tracker_service.organisation_dashboard(agency)
    assert [(r.year, r.spend_cents, r.share_percent) for r in dashboard.rows] == [
        (2025, 3703704, Decimal("3.00"))
    ]

    # The budget changes; the project is changed, then deleted.
    assert (
        client.post(f"/tracker/organisations/{agency.id}/years/2025", data={"budget": "2000000"}).status_code
        == 302
    )
    assert tracker_service.get_year(agency, 2025).budget_cents == 200000000
    edit_url = f"/tracker/organisations/{agency.id}/years/2025/projects/{project.id}/edit"
    assert client.get(edit_url).status_code == 200
    response = client.post(
        edit_url,
        data={
            "title": "Radar",
            "procurement_route": "market_consultation",
            "amount": "60.000",
            "need_id": "",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    project = db.session.get(InnovationProject, project.id)
    assert (project.title, project.amount_cents, project.need_id) == ("Radar", 6000000, None)
    delete_url = f"/tracker/organisations/{agency.id}/years/2025/projects/{project.id}/delete"
    assert client.post(delete_url).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(InnovationProject.id))) == 0
    assert client.post(f"/tracker/organisations/{agency.id}/years/2025/delete").status_code == 302
    assert tracker_service.get_year(agency, 2025) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": "2025", "budget": "abc"}, "Enter an amount in euro"),
        ({"year": "2025", "budget": "-10"}, "cannot be negative"),
        ({"year": "2025", "budget": "12,345"}, "at most two decimals"),
        ({"year": "1890", "budget": "1000"}, "between 2000 and 2100"),
        ({"year": "twenty", "budget": "1000"}, "Year"),
        ({"year": "2025", "budget": ""}, "Enter an amount in euro"),
    ],
)
def test_invalid_years_and_amounts_answer_422_with_a_message(client, auth, agency, admin, data, message):
    auth.login(admin)
    response = client.post(f"/tracker/organisations/{agency.id}/years/new", data=data)
    assert response.status_code == 422
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count(ProcurementYear.id))) == 0


def test_invalid_input_loses_nothing_already_saved(client, auth, agency, admin):
    row = add_year(agency, 2024, 10 * M, 300 * K)
    auth.login(admin)
    response = client.post(f"/tracker/organisations/{agency.id}/years/2024", data={"budget": "1.2.3"})
    assert response.status_code == 422 and "Enter an amount in euro" in response.text
    response = client.post(
        f"/tracker/organisations/{agency.id}/years/2024/projects/new",
        data={"title": "", "procurement_route": "nonsense", "amount": "-1"},
    )
    assert response.status_code == 422
    assert "Enter a title." in response.text and "cannot be negative" in response.text
    project_id = row.projects[0].id
    response = client.post(
        f"/tracker/organisations/{agency.id}/years/2024/projects/{project_id}/edit",
        data={"title": "Changed", "procurement_route": "market_consultation", "amount": "x"},
    )
    assert response.status_code == 422
    # The same year twice is refused with a message, not a 500.
    response = client.post(
        f"/tracker/organisations/{agency.id}/years/new", data={"year": "2024", "budget": "5"}
    )
    assert response.status_code == 422 and "There are figures for 2024 already" in response.text
    db.session.expire_all()
    row = tracker_service.get_year(agency, 2024)
    assert row.budget_cents == 10 * M
    assert [(p.title, p.amount_cents) for p in row.projects] == [("Project 0", 300 * K)]


def test_a_need_of_another_organisation_cannot_be_linked(client, auth, agency, admin, make_organisation):
    other = make_organisation(kind="government", name="Other")
    foreign = Need(organisation=other, title="Not ours", status=NeedStatus.OPEN)
    db.session.add(foreign)
    db.session.commit()
    add_year(agency, 2024, 10 * M)
    auth.login(admin)
    response = client.post(
        f"/tracker/organisations/{agency.id}/years/2024/projects/new",
        data={
            "title": "X",
            "procurement_route": "market_consultation",
            "amount": "5",
            "need_id": str(foreign.id),
        },
    )
    assert response.status_code == 422
    with pytest.raises(ServiceError, match="one of your organisation's needs"):
        tracker_service.add_project(
            admin,
            tracker_service.get_year(agency, 2024),
            tracker_service.ProjectInput("X", "market_consultation", 5, need_id=foreign.id),
        )


def test_the_database_keeps_one_row_per_organisation_and_year(agency):
    add_year(agency, 2024, 1)
    db.session.add(ProcurementYear(organisation_id=agency.id, year=2024, budget_cents=2))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- who may edit ---------------------------------------------------------------------------------------


def _edit_urls(organisation_id: int, project_id: int) -> list[tuple[str, str]]:
    base = f"/tracker/organisations/{organisation_id}/years"
    return [
        ("get", f"{base}/new"),
        ("post", f"{base}/new"),
        ("get", f"{base}/2024"),
        ("post", f"{base}/2024"),
        ("post", f"{base}/2024/delete"),
        ("get", f"{base}/2024/projects/new"),
        ("post", f"{base}/2024/projects/new"),
        ("get", f"{base}/2024/projects/{project_id}/edit"),
        ("post", f"{base}/2024/projects/{project_id}/edit"),
        ("post", f"{base}/2024/projects/{project_id}/delete"),
    ]


def test_a_member_who_is_not_admin_cannot_edit_the_figures(client, auth, agency, make_user):
    row = add_year(agency, 2024, 10 * M, 300 * K)
    member = make_user(roles=("buyer",), language="en")
    from matchmaker.models import Membership

    db.session.add(Membership(user=member, organisation=agency, role="member"))
    db.session.commit()
    auth.login(member)
    for method, url in _edit_urls(agency.id, row.projects[0].id):
        response = getattr(client, method)(url, data={"year": "2024", "budget": "1", "title": "x"})
        assert response.status_code == 403, (method, url)
    assert "Add the figures of a year" not in client.get(f"/tracker/organisations/{agency.id}").text
    with pytest.raises(ServiceError, match="Only the administrators"):
        tracker_service.update_budget(member, row, 1)
    db.session.expire_all()
    assert tracker_service.get_year(agency, 2024).budget_cents == 10 * M


def test_another_organisations_admin_cannot_edit_the_figures(
    client, auth, agency, make_user, make_organisation
):
    row = add_year(agency, 2024, 10 * M, 300 * K)
    stranger = make_user(roles=("buyer",))
    make_organisation(admins=(stranger,), kind="government", name="Elsewhere")
    auth.login(stranger)
    for method, url in _edit_urls(agency.id, row.projects[0].id):
        assert getattr(client, method)(url, data={"budget": "1"}).status_code == 403, (method, url)


def test_anonymous_visitors_are_sent_to_log_in_and_a_platform_admin_does_not_edit(
    client, auth, agency, make_user
):
    row = add_year(agency, 2024, 10 * M, 300 * K)
    response = client.get(f"/tracker/organisations/{agency.id}/years/2024")
    assert response.status_code == 302 and "/auth/login" in response.location
    auth.login(make_user(roles=("admin",)))
    assert (
        client.post(f"/tracker/organisations/{agency.id}/years/2024", data={"budget": "1"}).status_code == 403
    )
    db.session.expire_all()
    assert db.session.get(ProcurementYear, row.id).budget_cents == 10 * M


def test_a_project_of_another_organisation_is_not_found_through_ones_own_url(
    client, auth, agency, admin, make_organisation
):
    other = make_organisation(kind="government", name="Other")
    foreign = add_year(other, 2024, 1 * M, 10 * K)
    add_year(agency, 2024, 1 * M)
    auth.login(admin)
    url = f"/tracker/organisations/{agency.id}/years/2024/projects/{foreign.projects[0].id}/edit"
    assert client.get(url).status_code == 404
    assert client.get(f"/tracker/organisations/{agency.id}/years/2019").status_code == 404


# --- bounded whatever the figures ------------------------------------------------------------------------


def test_amounts_beyond_100_billion_euro_are_refused(client, auth, agency, admin):
    assert tracker_service.parse_euro("100.000.000.000") == 100_000_000_000 * 100
    with pytest.raises(ValueError, match="at most 100 billion euro"):
        tracker_service.parse_euro("100.000.000.000,01")
    auth.login(admin)
    response = client.post(
        f"/tracker/organisations/{agency.id}/years/new", data={"year": "2025", "budget": "9.000.000.000.000"}
    )
    assert response.status_code == 422 and "at most 100 billion euro" in response.text
    assert tracker_service.get_year(agency, 2025) is None


@pytest.mark.parametrize("spend", [100 * M, 9_000_000_000_000 * 100])  # 10,000% and 900,000,000%
def test_absurd_figures_keep_every_public_page_small(client, agency, spend):
    # Anyone could once make the public tracker page weigh 431 MB (a gridline per tick up to the absurd
    # share) and cost a worker a minute per visitor. The chart keeps a few ticks, and an extreme bar is drawn
    # as extreme.
    add_year(agency, 2024, 10 * M, 200 * K)
    add_year(agency, 2025, 1 * M, spend)
    for path in ("/tracker/", f"/tracker/organisations/{agency.id}", "/tracker/domains/mow", "/"):
        page = client.get(path)
        assert page.status_code == 200
        assert len(page.data) < 150_000, (path, len(page.data))
        assert page.text.count('class="chart-gridline"') <= 8, path
    chart = client.get(f"/tracker/organisations/{agency.id}").text
    assert "chart-bar-off-scale" in chart  # the 2025 bar reaches the top of the axis, marked as beyond it
    assert "goes beyond the scale" in chart


def test_the_dashboards_say_when_the_figures_last_changed_and_whose_they_are(
    client, auth, agency, admin, make_organisation
):
    from datetime import datetime

    other = make_organisation(kind="government", name="Departement Test", policy_domain="omg")
    old = add_year(agency, 2024, 10 * M, 300 * K)
    newer = add_year(other, 2024, 5 * M, 100 * K)
    old.updated_at, newer.updated_at = datetime(2025, 3, 1, 9), datetime(2025, 6, 2, 9)
    db.session.commit()
    assert "Figures last changed on Jun 2, 2025, by Departement Test." in client.get("/tracker/").text
    domain = client.get("/tracker/domains/mow").text
    assert "Figures last changed on Mar 1, 2025, by Agentschap Test." in domain

    # Deleting a project is a change of the year's figures too.
    auth.login(admin)
    project = old.projects[0]
    assert (
        client.post(f"/tracker/organisations/{agency.id}/years/2024/projects/{project.id}/delete").status_code
        == 302
    )
    page = client.get("/tracker/").text
    assert "by Agentschap Test." in page and "Jun 2, 2025" not in page
