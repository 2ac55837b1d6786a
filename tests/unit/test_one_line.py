"""Issue 14, finding 6: the one rule for one-line text (`textutil.one_line`) and its companion for texts that
keep their lines (`textutil.multi_line`)."""

import pytest

from matchmaker.textutil import multi_line, one_line


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("Anne Peeters", "Anne Peeters"),
        ("Anne\r\nBcc: spy@example.org", "Anne Bcc: spy@example.org"),
        ("a\rb\nc", "a b c"),
        ("tab\there", "tab here"),
        ("nul\x00bell\x07escape\x1b", "nul bell escape"),
        ("next\x85line", "next line"),
        ("line\u2028and\u2029paragraph", "line and paragraph"),
        ("evil\u202egnp.exe", "evil gnp.exe"),  # a right-to-left override that shows the name reversed
        ("isolate\u2066d\u2069", "isolate d"),
        ("  spaced   out  ", "spaced out"),
        ("Prix\u00a0: 3\u00a0%", "Prix\u00a0: 3\u00a0%"),  # a no-break space is text, not a control
        ("Brugge – Gent ✓ 😀", "Brugge – Gent ✓ 😀"),
        ("", ""),
        (None, ""),
    ],
)
def test_one_line_turns_line_breaks_and_control_characters_into_one_space(raw, kept):
    assert one_line(raw) == kept


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("one\ntwo", "one\ntwo"),
        ("windows\r\nold mac\rline separator\u2028end", "windows\nold mac\nline separator\nend"),
        ("a\tb", "a\tb"),
        ("nul\x00escape\x1bdel\x7f", "nul escape del "),
        (None, ""),
    ],
)
def test_multi_line_keeps_lines_and_drops_other_control_characters(raw, kept):
    assert multi_line(raw) == kept
