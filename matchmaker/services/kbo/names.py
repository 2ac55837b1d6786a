"""Comparing an organisation's name with the register's names: plain Python (no Flask, no database).

Two names match when they are the same once case, accents, punctuation, 'and' between words and a legal
form at either end are left out: 'Datavorm BV', 'DATAVORM b.v.' and 'Datavorm' are the same name, and so are
'Agentschap Innoveren & Ondernemen' and 'Agentschap Innoveren en Ondernemen'. Spaces may differ ('Grid Flex',
'GridFlex'); a part in brackets may be left out or be the whole name ('Vlaamse Dienst voor
Arbeidsbemiddeling (VDAB)' matches 'VDAB').
"""

import re

from matchmaker.textutil import fold

# Legal forms (Dutch, French, German, English; abbreviations and words), folded and without dots.
_LEGAL_FORMS = (
    "nv", "sa", "bv", "srl", "bvba", "sprl", "sprlu", "ebvba", "cv", "sc", "cvba", "scrl", "cvoa", "scri",
    "vof", "snc", "commv", "comm v", "scomm", "gcv", "scs", "cva", "sca", "vzw", "asbl", "ivzw", "aisbl",
    "esv", "ses", "ebvba", "gmbh", "ag", "vog", "ltd", "llc", "inc", "plc",
    "naamloze vennootschap", "besloten vennootschap", "besloten vennootschap met beperkte aansprakelijkheid",
    "cooperatieve vennootschap", "cooperatieve vennootschap met beperkte aansprakelijkheid",
    "commanditaire vennootschap", "vennootschap onder firma", "vereniging zonder winstoogmerk",
    "internationale vereniging zonder winstoogmerk", "societe anonyme", "societe a responsabilite limitee",
    "societe privee a responsabilite limitee", "societe cooperative", "societe en nom collectif",
    "societe en commandite", "association sans but lucratif", "association internationale sans but lucratif",
    "van publiek recht", "de droit public",
)  # fmt: skip
# Longest first, so that 'besloten vennootschap met beperkte aansprakelijkheid' goes before 'besloten ...'.
LEGAL_FORMS = tuple(sorted({tuple(form.split()) for form in _LEGAL_FORMS}, key=len, reverse=True))
CONNECTORS = frozenset({"en", "et", "and", "und"})

_NOT_WORD = re.compile(r"[^\w]+")
_BRACKETS = re.compile(r"\(([^()]*)\)")


def _words(text: str) -> list[str]:
    folded = fold(text).replace(".", "")  # 'N.V.' -> 'nv', 'Verkeerslicht.ai' -> 'verkeerslichtai'
    return [word for word in _NOT_WORD.sub(" ", folded).replace("_", " ").split() if word not in CONNECTORS]


def _strip_forms(words: list[str]) -> list[str]:
    changed = True
    while changed and words:
        changed = False
        for form in LEGAL_FORMS:
            size = len(form)
            if len(words) > size and tuple(words[-size:]) == form:
                words, changed = words[:-size], True
                break
            if len(words) > size and tuple(words[:size]) == form:
                words, changed = words[size:], True
                break
    return words


def name_key(text: str) -> str:
    """The name as compared: 'Datavorm B.V.' -> 'datavorm'."""
    return " ".join(_strip_forms(_words(text)))


def name_keys(text: str) -> set[str]:
    """The ways a name may be written: as it is, without its part in brackets, that part alone; each also
    without spaces."""
    variants = {text, _BRACKETS.sub(" ", text), *_BRACKETS.findall(text)}
    keys = {name_key(variant) for variant in variants}
    keys |= {key.replace(" ", "") for key in keys}
    keys.discard("")
    return keys


def matching_name(name: str, candidates: list[str]) -> str | None:
    """The first of `candidates` that is the same name as `name`, or None."""
    wanted = name_keys(name)
    for candidate in candidates:
        if wanted & name_keys(candidate):
            return candidate
    return None
