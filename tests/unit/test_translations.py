"""Every visible text is translated: the Dutch and French catalogues are complete, up to date with the
source, and keep the placeholders of the English text."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "matchmaker" / "translations"
PYBABEL = str(Path(sys.executable).parent / "pybabel")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")


def _catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _source_messages(tmp_path: Path) -> set[str]:
    template = tmp_path / "messages.pot"
    subprocess.run(
        # The same extraction as `make extract-messages`.
        [PYBABEL, "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(template),
         "."],
        check=True,
        cwd=ROOT,
    )
    with template.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory) -> set[str]:
    return _source_messages(tmp_path_factory.mktemp("pot"))


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_every_source_text_is_translated(language, source_messages):
    catalogue = _catalogue(language)
    translated = {}
    for message in catalogue:
        if not message.id or "fuzzy" in message.flags:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            translated[key] = message
    missing = sorted(source_messages - translated.keys())
    assert not missing, (
        f"{len(missing)} texts lack a {language} translation (make extract-messages): {missing[:20]}"
    )


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_translations_keep_the_placeholders(language):
    wrong = []
    for message in _catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in filter(None, strings):
            found = set(PLACEHOLDER.findall(string))
            # A plural form may leave the number out ("one meeting"), never add an unknown placeholder.
            if found - wanted or (len(ids) == 1 and found != wanted):
                wrong.append((ids[0], string))
    assert not wrong, f"placeholders differ in {language}: {wrong[:10]}"


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_catalogues_compile_without_format_errors(language):
    # What `pybabel compile` (and so `make run`) refuses: a msgstr whose format differs from its msgid.
    problems = [(message.id, [str(e) for e in errors]) for message, errors in _catalogue(language).check()]
    assert not problems, problems[:10]
