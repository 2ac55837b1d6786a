"""The KBO/BCE register (issue 13 "Trust"): importing the open data (as a job, from the command line, in the
demo) and checking organisations against it on the administrators' verification pages."""

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from matchmaker import demo
from matchmaker.demo.kbo import SAMPLE, seed_demo_kbo
from matchmaker.extensions import db
from matchmaker.models import (
    Job,
    KboAddress,
    KboCode,
    KboDenomination,
    KboEnterprise,
    KboImport,
    Organisation,
)
from matchmaker.services import Conflict, Invalid, kbo

HAVEN = "0718453660"  # the demo's organisation waiting for verification; the register has a company there
VLAIO = "0885431242"
WERKVENNOOTSCHAP = "0732451948"  # a naamloze vennootschap (of public law)
VENECO = "0200065765"  # form 416, an intermunicipal association
DENDEROORD = "0200245711"  # juridical situation 012
NOT_IN_SAMPLE = "0417497106"  # valid, but not in the sample


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def write_meta(folder: Path, extract_type: str = "full", number: str = "141") -> None:
    (folder / "meta.csv").write_text(
        '"Variable","Value"\n"SnapshotDate","30-11-2025"\n"ExtractTimestamp","01-12-2025 07:02:10"\n'
        f'"ExtractType","{extract_type}"\n"ExtractNumber","{number}"\n"Version","1.0.0"\n',
        encoding="utf-8",
    )


@pytest.fixture
def smaller_extract(tmp_path) -> Path:
    """A later full extract: two of the sample's enterprises, one of them renamed."""
    folder = tmp_path / "KboOpenData_0141_2025_12_Full"
    shutil.copytree(SAMPLE, folder)
    write_meta(folder)
    (folder / "enterprise.csv").write_text(
        '"EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise","JuridicalForm","JuridicalFormCAC",'
        '"StartDate"\n"0885.431.242","AC","000","2","124",,01-01-2016\n"0718.453.660","AC","000","2","014",,'
        "14-03-2023\n",
        encoding="utf-8",
    )
    (folder / "denomination.csv").write_text(
        '"EntityNumber","Language","TypeOfDenomination","Denomination"\n'
        '"0885.431.242","2","001","Agentschap Innoveren en Ondernemen"\n'
        '"0718.453.660","2","001","Gemeentelijk Havenbedrijf Voorbeeldstad"\n',
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def loaded(app):
    """The sample loaded as the register."""
    return kbo.import_register(SAMPLE)


@pytest.fixture
def admin(make_user):
    return make_user(roles=("admin",), display_name="Ilse Admin", language="en")


# --------------------------------------------------------------------------------------------------
# Imports


def test_importing_the_sample_loads_what_verification_needs(app):
    seen: list[tuple[float, str]] = []
    row = kbo.import_register(SAMPLE, progress=lambda fraction, message: seen.append((fraction, message)))
    fractions = [fraction for fraction, _message in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert seen[-1][1] == "address.csv: 54 rows loaded."
    assert (row.status, row.source, row.extract_number) == ("done", "kbo_sample", 140)
    assert row.snapshot_date.isoformat() == "2025-10-31" and row.finished_at is not None
    assert (row.enterprises, row.denominations, row.addresses, row.codes) == (54, 68, 54, 20)
    tables = (KboEnterprise, KboDenomination, KboAddress, KboCode)
    assert [count(table) for table in tables] == [54, 68, 54, 20]
    veneco = db.session.get(KboEnterprise, VENECO)
    assert (veneco.status, veneco.juridical_form) == ("AC", "416")
    assert veneco.start_date.isoformat() == "1960-08-09"
    assert kbo.loaded_import().id == row.id


def test_the_job_imports_a_full_extract_and_replaces_the_previous_register(app, loaded, smaller_extract):
    job = kbo.start_import(smaller_extract)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.kind, job.status, job.progress) == ("kbo.import", "done", 1.0)
    assert job.result == {
        "snapshot_date": "2025-11-30", "extract_number": 141,
        "enterprises": 2, "denominations": 2, "addresses": 54, "codes": 20,
    }  # fmt: skip
    assert set(db.session.scalars(sa.select(KboEnterprise.number))) == {VLAIO, HAVEN}
    assert db.session.get(KboEnterprise, VENECO) is None
    names = set(db.session.scalars(sa.select(KboDenomination.text)))
    assert names == {"Agentschap Innoveren en Ondernemen", "Gemeentelijk Havenbedrijf Voorbeeldstad"}
    imports = db.session.scalars(sa.select(KboImport).order_by(KboImport.id)).all()
    history = [(i.extract_number, i.status, i.job_id) for i in imports]
    assert history == [(140, "done", None), (141, "done", job.id)]


def test_a_job_page_names_the_import(client, auth, admin, smaller_extract):
    job = kbo.start_import(smaller_extract, user=admin)
    auth.login(admin)
    page = client.get(f"/jobs/{job.id}")
    assert page.status_code == 200 and "Import of the KBO register" in page.text


@pytest.mark.usefixtures("english_request_context")
def test_an_update_extract_is_refused_and_the_register_stays(app, loaded, smaller_extract):
    write_meta(smaller_extract, extract_type="update")
    with pytest.raises(Invalid, match="only a full extract"):
        kbo.start_import(smaller_extract)
    with pytest.raises(Invalid, match="only a full extract"):
        kbo.import_register(smaller_extract)
    assert count(Job) == 0 and count(KboEnterprise) == 54
    assert kbo.loaded_import().id == loaded.id


@pytest.mark.usefixtures("english_request_context")
def test_an_extract_without_a_file_is_refused_by_name(app, smaller_extract):
    (smaller_extract / "address.csv").unlink()
    with pytest.raises(Invalid, match=r"The extract has no file address\.csv"):
        kbo.start_import(smaller_extract)
    assert count(Job) == 0


@pytest.mark.usefixtures("english_request_context")
def test_a_failed_import_leaves_no_register_and_the_check_says_so(
    app, loaded, smaller_extract, make_organisation
):
    with (smaller_extract / "enterprise.csv").open("a", encoding="utf-8") as file:
        file.write('"0885.431.242","AC","000","2","124",,01-01-2016\n')  # twice: the primary key refuses
    with pytest.raises(IntegrityError):
        kbo.import_register(smaller_extract)
    latest = kbo.latest_import()
    assert latest.status == "failed" and "IntegrityError" in latest.error and latest.finished_at
    assert kbo.loaded_import() is None
    check = kbo.check(make_organisation(name="VLAIO", kind="government", enterprise_number=VLAIO), "en")
    assert check.outcome == "not_checked" and "failed" in check.reason


@pytest.mark.usefixtures("english_request_context")
def test_a_second_import_is_refused_while_one_runs_but_not_after_it_died(app, loaded):
    from datetime import timedelta

    from matchmaker.models import utcnow

    running = KboImport(status="running", source="other.zip", updated_at=utcnow())
    db.session.add(running)
    db.session.commit()
    with pytest.raises(Conflict, match="Another import of the register is under way"):
        kbo.import_register(SAMPLE)
    running.updated_at = utcnow() - timedelta(hours=1)  # its process died
    db.session.commit()
    assert kbo.import_register(SAMPLE).status == "done"
    db.session.refresh(running)
    assert running.status == "failed"


# --------------------------------------------------------------------------------------------------
# The command line


def test_the_import_command_loads_an_extract_with_a_progress_bar(runner):
    result = runner.invoke(args=["kbo", "import", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "Importing the KBO register" in result.output  # the bar itself shows on a terminal only
    assert "snapshot of 2025-10-31, extract 140" in result.output
    assert "54 enterprises, 68 names, 54 registered seats, 20 code labels." in result.output
    assert count(KboEnterprise) == 54


def test_the_import_command_can_queue_the_job(runner, smaller_extract):
    result = runner.invoke(args=["kbo", "import", "--background", str(smaller_extract)])
    assert result.exit_code == 0, result.output
    job = db.session.scalars(sa.select(Job)).one()
    assert f"Job {job.id} queued" in result.output
    assert count(KboEnterprise) == 2  # the tests run jobs at once


def test_the_import_command_refuses_an_update_extract(runner, smaller_extract):
    write_meta(smaller_extract, extract_type="update")
    result = runner.invoke(args=["kbo", "import", str(smaller_extract)])
    assert result.exit_code == 1
    assert "only a full extract" in result.output
    assert count(KboImport) == 0


def test_the_status_command_says_what_is_loaded(runner):
    assert "No KBO register is loaded" in runner.invoke(args=["kbo", "status"]).output
    runner.invoke(args=["kbo", "import", str(SAMPLE)])
    output = runner.invoke(args=["kbo", "status"]).output
    assert "snapshot of 2025-10-31, extract 140 (kbo_sample)" in output
    assert "54 enterprises, 68 names" in output
    assert "Public-sector form 124 Openbare instelling: 15 enterprises." in output
    assert "Public-sector form 416 (no label): 1 enterprises." in output
    assert "Public-sector form 706 (no label): 0 enterprises." in output


# --------------------------------------------------------------------------------------------------
# The check


@pytest.mark.usefixtures("english_request_context")
def test_nothing_is_checked_without_a_register(app, make_organisation):
    check = kbo.check(make_organisation(enterprise_number=VLAIO), "en")
    assert check.outcome == "not_checked" and "flask kbo import" in check.reason
    assert check.summary == "not_checked" and not check.warnings


def test_an_organisation_without_a_number_is_said_so(loaded, make_organisation):
    assert kbo.check(make_organisation(), "en").outcome == "no_number"


def test_a_number_that_is_not_in_the_register_is_not_found(loaded, make_organisation):
    check = kbo.check(make_organisation(enterprise_number=NOT_IN_SAMPLE), "en")
    assert (check.outcome, check.number_display, check.summary) == ("not_found", "0417.497.106", "not_found")


@pytest.mark.usefixtures("english_request_context")
def test_a_government_organisation_that_matches_the_register(loaded, make_organisation):
    organisation = make_organisation(
        name="Agentschap Innoveren & Ondernemen", kind="government", policy_domain="ewi",
        enterprise_number=VLAIO,
    )  # fmt: skip
    check = kbo.check(organisation, "nl")
    assert check.outcome == "found" and check.summary == "matches" and check.warnings == ()
    assert check.matched_name == "Agentschap Innoveren en Ondernemen"
    names = [(n.text, n.type) for n in check.names]
    assert names == [("Agentschap Innoveren en Ondernemen", "001"), ("VLAIO", "002")]
    assert check.active and check.status_label == "Actief" and check.situation_label == "Normale toestand"
    assert (check.form, check.form_label, check.public_form) == ("124", "Openbare instelling", True)
    assert check.start_date.isoformat() == "2016-01-01"
    assert check.seat.lines == ["Koning Albert II-laan 35 box 12", "1000 Brussel"]


@pytest.mark.usefixtures("english_request_context")
def test_labels_and_seat_follow_the_language_and_english_reads_dutch(loaded, make_organisation):
    organisation = make_organisation(name="VLAIO", kind="government", enterprise_number=VLAIO)
    french = kbo.check(organisation, "fr")
    assert french.matched_name == "VLAIO"  # an abbreviation is one of its names
    assert (french.form_label, french.status_label) == ("Etablissement public", "Actif")
    assert french.seat.lines == ["Boulevard du Roi Albert II 35 box 12", "1000 Bruxelles"]
    english = kbo.check(organisation, "en")
    assert (english.form_label, english.seat.municipality) == ("Openbare instelling", "Brussel")


def test_a_commercial_name_matches_too(loaded, make_organisation):
    organisation = make_organisation(
        name="Digitaal Vlaanderen", kind="government", enterprise_number="0451867273"
    )
    check = kbo.check(organisation, "en")
    assert check.matched_name == "Digitaal Vlaanderen" and check.summary == "matches"


@pytest.mark.usefixtures("english_request_context")
def test_a_name_that_differs_and_a_private_form_for_a_government_entity_are_warned(loaded, make_organisation):
    organisation = make_organisation(
        name="Gemeentelijk Havenbedrijf Voorbeeldstad", kind="government", enterprise_number=HAVEN
    )
    check = kbo.check(organisation, "en")
    assert check.outcome == "found" and check.summary == "warnings"
    assert not check.name_matches and [n.text for n in check.names] == ["Havenlogistiek Voorbeeldstad"]
    assert check.warnings == (
        "The name “Gemeentelijk Havenbedrijf Voorbeeldstad” is none of the register's names for this number.",
        "The organisation says it is a government entity, but its juridical form (Naamloze vennootschap) is "
        "not one of the public-sector forms.",
    )


@pytest.mark.usefixtures("english_request_context")
def test_a_public_form_for_an_organisation_that_is_not_government_is_warned(loaded, make_organisation):
    veneco = make_organisation(name="Veneco", kind="company", enterprise_number=VENECO)
    check = kbo.check(veneco, "en")
    assert check.name_matches and check.public_form
    assert check.warnings == (
        "The juridical form (416) is a public-sector one, but the organisation does not say it is a "
        "government entity.",
    )
    veneco.kind = "government"  # the same number as a government entity: nothing to warn about
    db.session.commit()
    assert kbo.check(veneco, "en").warnings == ()


@pytest.mark.usefixtures("english_request_context")
def test_an_enterprise_that_is_not_active_or_not_in_a_normal_situation_is_warned(loaded, make_organisation):
    denderoord = kbo.check(
        make_organisation(name="Denderoord", kind="other", enterprise_number=DENDEROORD), "en"
    )
    assert denderoord.active and denderoord.warnings == (
        "The register gives the juridical situation “012”, not a normal one.",
    )
    db.session.get(KboEnterprise, VLAIO).status = "ST"
    db.session.commit()
    stopped = kbo.check(make_organisation(name="VLAIO", kind="government", enterprise_number=VLAIO), "en")
    assert not stopped.active
    assert stopped.warnings == ("The register gives the status “ST”: the enterprise is not active.",)


@pytest.mark.usefixtures("english_request_context")
def test_a_natural_person_is_warned(loaded, make_organisation):
    enterprise = db.session.get(KboEnterprise, "0260763912")
    enterprise.type_of_enterprise, enterprise.juridical_form = "1", None
    db.session.commit()
    check = kbo.check(make_organisation(name="Hydrosense", kind="sme", enterprise_number="0260763912"), "en")
    assert check.natural_person and check.form == ""
    assert check.warnings == ("The register has a natural person under this number, not an organisation.",)


def test_checking_a_page_of_organisations_takes_the_same_queries_as_one(loaded, make_organisation):
    numbers = [VLAIO, HAVEN, VENECO, DENDEROORD, WERKVENNOOTSCHAP, NOT_IN_SAMPLE, None]
    ids = [make_organisation(enterprise_number=number).id for number in numbers]
    # Loaded as a page of the list is (the factory's objects are expired by its commit).
    found = db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids))).all()
    organisations = sorted(found, key=lambda organisation: ids.index(organisation.id))
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        kbo.check_many(organisations[:1], "en")
        for_one = len(statements)
        many = kbo.check_many(organisations, "en")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert for_one == len(statements) - for_one == 5
    # The factory's organisations are start-ups named "Organisation N": their names match no register name.
    summaries = [many[o.id].summary for o in organisations]
    assert summaries == ["warnings"] * 5 + ["not_found", "no_number"]


# --------------------------------------------------------------------------------------------------
# The pages


def test_the_verification_page_shows_the_check(client, auth, admin, loaded, make_organisation):
    organisation = make_organisation(
        name="Gemeentelijk Havenbedrijf Voorbeeldstad", kind="government", enterprise_number=HAVEN,
        verification="unverified",
    )  # fmt: skip
    auth.login(admin)
    page = client.get(f"/admin/organisations/{organisation.id}/verification").text
    assert "KBO/BCE register" in page and "KBO: 2 points to check" in page
    assert "Havenlogistiek Voorbeeldstad" in page and "Naamloze vennootschap" in page
    assert "not a public-sector form" in page and "Noorderlaan 127 box 2" in page
    assert "none of the register&#39;s names" in page
    assert "toonondernemingps.html?ondernemingsnummer=0718453660" in page


def test_the_verification_page_says_when_no_register_is_loaded(client, auth, admin, make_organisation):
    organisation = make_organisation(enterprise_number=VLAIO)
    auth.login(admin)
    page = client.get(f"/admin/organisations/{organisation.id}/verification").text
    assert "No KBO register is loaded" in page


def test_the_queue_has_a_badge_per_organisation(client, auth, admin, loaded, make_organisation):
    make_organisation(name="VLAIO", kind="government", enterprise_number=VLAIO, verification="unverified")
    make_organisation(
        name="Nieuw", kind="startup", enterprise_number=NOT_IN_SAMPLE, verification="unverified"
    )
    auth.login(admin)
    queue = client.get("/admin/organisations?verification=unverified").text
    assert "KBO register" in queue and "Matches the KBO" in queue and "Not in the KBO" in queue


def test_the_list_has_no_register_column_without_a_register(client, auth, admin, make_organisation):
    make_organisation(name="VLAIO", kind="government", enterprise_number=VLAIO, verification="unverified")
    auth.login(admin)
    assert "Matches the KBO" not in client.get("/admin/organisations").text


@pytest.mark.parametrize("role", ["buyer", "supplier", "organizer"])
def test_only_platform_administrators_see_the_check(client, auth, loaded, make_organisation, role):
    organisation = make_organisation(enterprise_number=HAVEN)
    auth.login_as(role)
    assert client.get(f"/admin/organisations/{organisation.id}/verification").status_code == 403
    assert client.get("/admin/organisations").status_code == 403


def test_an_unknown_organisation_is_not_found(client, auth, admin, loaded):
    auth.login(admin)
    assert client.get("/admin/organisations/999999/verification").status_code == 404


# --------------------------------------------------------------------------------------------------
# The demo


def test_the_demo_loads_the_sample_once_and_its_waiting_organisation_has_points_to_check(app, monkeypatch):
    monkeypatch.setattr(demo, "STEPS", [*demo.FOUNDATION_STEPS, ("kbo", seed_demo_kbo)])
    messages: list[str] = []
    demo.seed_demo_data(progress=messages.append)
    assert any("KBO register: sample loaded (54 enterprises" in message for message in messages)
    demo.seed_demo_data(progress=messages.append)
    assert any("KBO register: already loaded" in message for message in messages)
    assert count(KboImport) == 1

    organisations = db.session.scalars(sa.select(Organisation)).all()
    checks = kbo.check_many(organisations, "nl")
    by_name = {o.name: checks[o.id] for o in organisations}
    haven = by_name["Gemeentelijk Havenbedrijf Voorbeeldstad"]
    assert haven.summary == "warnings" and not haven.name_matches and not haven.public_form
    assert all(check.outcome == "found" for check in checks.values())
    assert all(check.name_matches for name, check in by_name.items() if check is not haven), by_name
    assert by_name["Agentschap Wegen en Verkeer"].summary == "matches"
