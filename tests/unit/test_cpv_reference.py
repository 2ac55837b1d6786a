"""The vendored CPV vocabulary and its loader."""

import pytest

from matchmaker.reference import cpv


def test_vocabulary_has_every_code_with_three_labels():
    vocab = cpv.vocabulary()
    assert len(vocab) == 9454
    assert all(code.labels["nl"] and code.labels["fr"] and code.labels["en"] for code in vocab.values())


def test_lineage_runs_from_division_to_category():
    chain = cpv.lineage("72212000")
    assert [c.code for c in chain] == ["72000000", "72200000", "72210000", "72212000"]
    assert [c.level for c in chain] == [2, 3, 4, 5]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("72000000-5", "72000000"), (" 72000000 ", "72000000"), ("99999999", None), ("", None), ("abc", None)],
)
def test_normalize_code(value, expected):
    assert cpv.normalize_code(value) == expected


def test_labels_fall_back_to_english_for_unknown_languages():
    code = cpv.vocabulary()["72000000"]
    assert code.label("de") == code.labels["en"]
    assert code.full_code == "72000000-5"
