"""Belgian enterprise numbers (KBO/BCE): notation and the mod-97 check. Pure functions, no app."""

import pytest

from matchmaker.models.organisation import (
    format_enterprise_number,
    is_valid_enterprise_number,
    normalize_enterprise_number,
)


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("0417.497.106", "0417497106"),
        ("BE0417497106", "0417497106"),
        ("be 0417 497 106", "0417497106"),
        ("417497106", "0417497106"),  # old notation without the leading zero
        ("0417-497-106", "0417497106"),
        ("  0417497106 ", "0417497106"),
        ("", ""),
    ],
)
def test_normalize_accepts_the_usual_notations(typed, normalized):
    assert normalize_enterprise_number(typed) == normalized


@pytest.mark.parametrize("number", ["0417.497.106", "0202.239.951", "0316.380.940", "BE0885431242"])
def test_numbers_with_matching_check_digits_are_valid(number):
    assert is_valid_enterprise_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "0417.497.107",  # check digits off by one
        "0417.479.106",  # two digits swapped
        "2417.497.106",  # must start with 0 or 1
        "041749710",  # too short (and not the 9-digit old notation of a valid number)
        "04174971066",  # too long
        "04174971O6",  # a letter O instead of a zero
        "",
    ],
)
def test_numbers_failing_the_rule_are_invalid(number):
    assert not is_valid_enterprise_number(number)


@pytest.mark.parametrize("base", range(10_000_000, 10_000_000 + 970, 97 * 3 + 1))
def test_check_digits_are_97_minus_the_remainder(base):
    stem = f"{base:08d}"
    check = 97 - base % 97
    assert is_valid_enterprise_number(f"{stem}{check:02d}")
    assert not is_valid_enterprise_number(f"{stem}{(check % 97) + 1:02d}")


def test_format_groups_the_digits():
    assert format_enterprise_number("0417497106") == "0417.497.106"
