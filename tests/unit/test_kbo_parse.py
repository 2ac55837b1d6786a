"""Reading the KBO/BCE open data as published (matchmaker.services.kbo.files) and comparing names
(matchmaker.services.kbo.names): plain Python, no app, no database."""

import json
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from matchmaker.services.kbo import files
from matchmaker.services.kbo.names import matching_name, name_key

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "matchmaker" / "demo" / "kbo_sample"
ENTERPRISE_HEADER = (
    '"EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise","JuridicalForm","JuridicalFormCAC",'
    '"StartDate"'
)


def read_all(path) -> dict[str, list[dict]]:
    with files.Extract(path) as extract:
        extract.check()
        return {
            "codes": list(files.codes(extract)),
            "enterprises": list(files.enterprises(extract)),
            "denominations": list(files.denominations(extract)),
            "addresses": list(files.addresses(extract)),
        }


@pytest.fixture
def extract_dir(tmp_path) -> Path:
    """A copy of the sample to change file by file."""
    folder = tmp_path / "extract"
    shutil.copytree(SAMPLE, folder)
    return folder


def test_the_sample_meta_says_which_snapshot_it_is():
    with files.Extract(SAMPLE) as extract:
        meta = extract.check()
    assert meta == files.Meta(date(2025, 10, 31), "02-11-2025 07:04:51", "full", 140, "1.0.0")
    assert meta.is_full


def test_the_sample_enterprises_are_read_with_numbers_dates_and_empty_values():
    rows = {row["number"]: row for row in read_all(SAMPLE)["enterprises"]}
    assert len(rows) == 54
    # "0200.065.765","AC","000","2","416",,09-08-1960: quoted codes, an empty column, an unquoted date
    assert rows["0200065765"] == {
        "number": "0200065765",
        "status": "AC",
        "juridical_situation": "000",
        "type_of_enterprise": "2",
        "juridical_form": "416",
        "start_date": date(1960, 8, 9),
    }
    assert rows["0200245711"]["juridical_situation"] == "012"


def test_the_sample_keeps_names_abbreviations_and_commercial_names_but_not_branch_names():
    names = read_all(SAMPLE)["denominations"]
    assert {row["type"] for row in names} == {"001", "002", "003"}
    aquaflow = [row["text"] for row in names if row["number"] == "0659481323"]
    assert aquaflow == ["Aquaflow Systems"]  # its branch's name (004) is left out
    veneco = [(row["language"], row["type"], row["text"]) for row in names if row["number"] == "0200065765"]
    assert veneco == [("2", "001", "Intergemeentelijke Vereniging Veneco"), ("2", "002", "Veneco")]


def test_only_registered_seats_that_still_hold_are_kept():
    addresses = read_all(SAMPLE)["addresses"]
    assert len(addresses) == 54 == len({row["number"] for row in addresses})
    datavorm = [row for row in addresses if row["number"] == "0298811270"]
    seats = [(row["municipality_nl"], row["street_nl"]) for row in datavorm]
    assert seats == [("Brussel", "Ravensteinstraat")]  # not its struck-off seat in Gent
    assert datavorm[0]["street_fr"] == "Rue Ravenstein" and datavorm[0]["box"] == ""
    assert not any(row["street_nl"] == "Henry Fordlaan" for row in addresses)  # an establishment's (BAET)


def test_code_labels_are_read_through_the_byte_order_mark_for_the_kept_categories_in_dutch_and_french():
    assert (SAMPLE / "code.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    codes = read_all(SAMPLE)["codes"]
    categories = {row["category"] for row in codes}
    assert categories == {"JuridicalForm", "Status", "JuridicalSituation", "TypeOfEnterprise"}
    assert {row["language"] for row in codes} == {"NL", "FR"}
    labels = {(row["category"], row["code"], row["language"]): row["description"] for row in codes}
    assert labels[("JuridicalForm", "124", "NL")] == "Openbare instelling"
    assert labels[("JuridicalForm", "124", "FR")] == "Etablissement public"
    assert labels[("Status", "AC", "FR")] == "Actif"


def test_every_number_of_the_demo_organisations_is_in_the_sample_and_valid():
    demo = (ROOT / "matchmaker" / "demo" / "__init__.py").read_text(encoding="utf-8")
    catalogue = json.loads((ROOT / "matchmaker" / "demo" / "catalogue.json").read_text(encoding="utf-8"))
    wanted = set(re.findall(r'"(\d{10})", "http', demo))
    wanted |= {party["enterprise_number"] for party in catalogue["suppliers"] + catalogue["buyers"]}
    assert len(wanted) > 40
    numbers = {row["number"] for row in read_all(SAMPLE)["enterprises"]}
    assert wanted <= numbers
    assert all(97 - int(number[:8]) % 97 == int(number[8:]) for number in numbers)


def test_the_zip_as_published_reads_the_same_as_its_folder(tmp_path):
    archive = tmp_path / "KboOpenData_0140_2025_10_Full.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in SAMPLE.glob("*.csv"):
            zipped.write(path, path.name)
    assert read_all(archive) == read_all(SAMPLE)


def test_the_progress_counts_the_bytes_read_up_to_the_whole_extract():
    with files.Extract(SAMPLE) as extract:
        extract.check()
        list(files.codes(extract))
        list(files.enterprises(extract))
        partway = extract.fraction_read
        list(files.denominations(extract))
        list(files.addresses(extract))
        assert 0 < partway < 1
        assert extract.fraction_read == 1.0


def test_bom_quotes_commas_empty_values_and_crlf_are_read(extract_dir):
    (extract_dir / "denomination.csv").write_bytes(
        b'\xef\xbb\xbf"EntityNumber","Language","TypeOfDenomination","Denomination"\r\n'
        b'"0200.065.765","1","001","Dupont, ""Fr\xc3\xa8res"" & Co"\r\n'
        b'"0200.065.765","2","001",""\r\n'  # an empty name is no name
        b'"2.198.765.432","2","001","Vestiging"\r\n'  # an establishment's name
    )
    (extract_dir / "enterprise.csv").write_text(
        ENTERPRISE_HEADER + '\r\n"0200.065.765","AC","000","1",,,\r\n'
        '"0200.245.711","AC","000","2","416",,31-02-2020\r\n',
        encoding="utf-8",
    )
    rows = read_all(extract_dir)
    assert rows["denominations"] == [
        {"number": "0200065765", "language": "1", "type": "001", "text": 'Dupont, "Frères" & Co'}
    ]
    natural, wrong_date = rows["enterprises"]
    assert natural["juridical_form"] is None and natural["start_date"] is None
    assert natural["type_of_enterprise"] == "1"
    assert wrong_date["start_date"] is None  # 31 February is no date


def test_columns_are_found_by_their_header_whatever_their_order(extract_dir):
    (extract_dir / "enterprise.csv").write_text(
        '"StartDate","EnterpriseNumber","JuridicalForm","Status","JuridicalSituation","TypeOfEnterprise"\n'
        '01-02-2003,"0200.065.765","124","AC","000","2"\n',
        encoding="utf-8",
    )
    (row,) = read_all(extract_dir)["enterprises"]
    assert (row["number"], row["juridical_form"]) == ("0200065765", "124")
    assert row["start_date"] == date(2003, 2, 1)


def test_a_missing_column_is_named(extract_dir):
    (extract_dir / "address.csv").write_text('"EntityNumber","TypeOfAddress","Zipcode"\n', encoding="utf-8")
    with files.Extract(extract_dir) as extract, pytest.raises(files.ExtractError) as raised:
        extract.check()
    assert raised.value.problem == "missing_columns" and raised.value.name == "address.csv"
    assert "StreetNL" in raised.value.columns and "Zipcode" not in raised.value.columns


def test_a_missing_file_is_named(extract_dir):
    (extract_dir / "denomination.csv").unlink()
    with files.Extract(extract_dir) as extract, pytest.raises(files.ExtractError) as raised:
        extract.check()
    assert (raised.value.problem, raised.value.name) == ("missing_file", "denomination.csv")


def test_a_file_that_is_neither_zip_nor_folder_is_refused(tmp_path):
    path = tmp_path / "KboOpenData_0140_2025_10_Full.zip"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(files.ExtractError) as raised:
        files.Extract(path)
    assert raised.value.problem == "unreadable"


@pytest.mark.parametrize(
    ("text", "number"),
    [("0200.065.765", "0200065765"), ("1000.000.000", "1000000000"), (" 0200 065 765 ", "0200065765"),
     ("2.198.765.432", None), ("0200.065", None), ("", None), ("BE0200065765", None)],
)  # fmt: skip
def test_enterprise_numbers_are_ten_digits_starting_with_0_or_1(text, number):
    assert files.enterprise_number(text) == number


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09-08-1960", date(1960, 8, 9)), ("", None), ("1960-08-09", None), ("31-02-2020", None)],
)
def test_dates_are_day_month_year(text, expected):
    assert files.parse_date(text) == expected


@pytest.mark.parametrize(
    ("ours", "register"),
    [
        ("Datavorm", "DATAVORM"),
        ("Datavorm BV", "Datavorm"),
        ("DATAVORM b.v.", "Datavorm NV"),
        ("Mobilier Seconde Vie", "Mobilier Seconde Vie SRL"),
        ("Agentschap Innoveren & Ondernemen", "Agentschap Innoveren en Ondernemen"),
        ("Departement Economie, Wetenschap en Innovatie", "Departement Economie Wetenschap & Innovatie"),
        ("Grid Flex", "GridFlex"),
        ("Verkeerslicht.ai", "Verkeerslicht AI"),
        ("Vlaamse Dienst voor Arbeidsbemiddeling (VDAB)", "VDAB"),
        ("De Werkvennootschap", "De Werkvennootschap NV van publiek recht"),
        ("Société Générale d'Électricité", "Societe generale d electricite"),
        ("imec", "IMEC vzw"),
    ],
)
def test_names_that_are_the_same_once_normalised_match(ours, register):
    assert matching_name(ours, ["Something Else", register]) == register


@pytest.mark.parametrize(
    ("ours", "register"),
    [
        ("Gemeentelijk Havenbedrijf Voorbeeldstad", "Havenlogistiek Voorbeeldstad"),
        ("Hydrosense", "Hydrosence"),
        ("Agentschap Wegen", "Agentschap Wegen en Verkeer"),
        ("NV", "BV"),
    ],
)
def test_different_names_do_not_match(ours, register):
    assert matching_name(ours, [register]) is None


def test_a_legal_form_is_left_out_at_either_end_only():
    assert name_key("NV Bekaert") == name_key("Bekaert NV") == "bekaert"
    assert name_key("Vereniging zonder winstoogmerk Luistervink") == "luistervink"
    assert name_key("De BV van Jan") == "de bv van jan"


@pytest.mark.parametrize(
    ("code", "labels", "public"),
    [
        ("124", {}, True),  # listed
        ("400", {"NL": "Provincie", "FR": "Province"}, True),
        ("411", {"NL": "Stad/gemeente", "FR": "Ville/commune"}, True),
        (
            "413",
            {"NL": "Openbaar centrum voor maatschappelijk welzijn", "FR": "Centre public d'action sociale"},
            True,
        ),
        ("999", {"NL": "Politiezone", "FR": "Zone de police"}, True),
        ("014", {"NL": "Naamloze vennootschap", "FR": "Société anonyme"}, False),
        ("017", {"NL": "Vereniging zonder winstoogmerk", "FR": "Association sans but lucratif"}, False),
        ("026", {"NL": "Private stichting", "FR": "Fondation privée"}, False),
        ("029", {"NL": "Stichting van openbaar nut", "FR": "Fondation d'utilité publique"}, False),
        ("610", {}, False),  # not listed and no label: not known to be public
    ],
)
def test_public_law_forms_are_known_by_code_or_by_the_registers_labels(code, labels, public):
    from matchmaker.services.kbo.checks import is_public_form

    assert is_public_form(code, labels) is public
