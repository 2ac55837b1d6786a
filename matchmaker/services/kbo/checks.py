"""An organisation compared with the KBO/BCE register: what the administrators see when they verify it.

`check(organisation, language)` gives a `KboCheck`:

- not checked: no register is loaded (or an import is under way, or the last one failed);
- no number: the organisation gave no enterprise number;
- not found: the number is not in the register (the open data lists active enterprises; a mistyped or
  stopped one is missing);
- found: the register's names, status, juridical situation and form, start date and seat, with a warning for
  each thing an administrator should look at: a name that matches none of the register's (name,
  abbreviation or commercial name, see `names`), an enterprise that is not active or not in a normal
  juridical situation, a natural person, and a juridical form that does not fit the organisation's kind (a
  government entity whose form is not a public-sector one, or the other way round).

`check_many` does the same for a page of organisations in a fixed number of queries. Labels of the register's
codes come from its code.csv, in Dutch or French (English readers get Dutch, then French).
"""

import enum
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    KboAddress,
    KboCode,
    KboDenomination,
    KboEnterprise,
    KboImport,
    KboImportStatus,
    Organisation,
)
from matchmaker.models.organisation import format_enterprise_number
from matchmaker.services.kbo.names import matching_name
from matchmaker.services.kbo.register import latest_import

ACTIVE = "AC"
NORMAL_SITUATION = "000"
NATURAL_PERSON = "1"
# Juridical forms of public bodies: a government entity whose form is not one of them, or another organisation
# whose form is, is a point to check. Only codes whose meaning is known are listed: 124 "openbare instelling /
# établissement public" (the register's own label); 416, 417 and 706, the forms of the intermunicipal
# associations among the register's published example rows (Veneco, SOLVA; Farys; "Intercommunale Sociale du
# Brabant wallon"). Extend it from a loaded register's code.csv (`flask kbo status` counts each form's rows).
PUBLIC_SECTOR_FORMS = frozenset({"124", "416", "417", "706"})
# Other forms are recognised by the register's own labels (code.csv, Dutch and French), so that a full
# register classes the public-law forms (municipalities, provinces, OCMW/CPAS, police zones, public
# institutions ...) without a list kept here; foundations "of public utility" are private and not matched.
_PUBLIC_LABEL = re.compile(
    r"\b(openba\w*|publiek\w*|overheid\w*|gemeente\w*|gemeenschap\w*|provinci\w*|ocmw|intergemeentelijk\w*|"
    r"politiezone|hulpverleningszone|polder\w*|watering\w*|public|publique|publics|publiques|commune\w*|"
    r"communaut\w*|cpas|intercommunal\w*|zone de police|zone de secours|régie)\b",
    re.IGNORECASE,
)
_PRIVATE_LABEL = re.compile(r"openbaar nut|utilité publique", re.IGNORECASE)


def is_public_form(code: str, labels: dict[str, str]) -> bool:
    """Is the juridical form `code` (with its labels by language) one of public law?"""
    if code in PUBLIC_SECTOR_FORMS:
        return True
    texts = [text for text in labels.values() if text]
    return bool(texts) and any(_PUBLIC_LABEL.search(t) for t in texts) and not any(
        _PRIVATE_LABEL.search(t) for t in texts
    )

NAME_TYPES = ("001", "002", "003")
# The register's language codes in denomination.csv.
NAME_LANGUAGES = {"1": "fr", "2": "nl", "3": "de", "4": "en"}


class Outcome(enum.StrEnum):
    NOT_CHECKED = "not_checked"
    NO_NUMBER = "no_number"
    NOT_FOUND = "not_found"
    FOUND = "found"


@dataclass(frozen=True)
class KboName:
    text: str
    type: str  # 001 name, 002 abbreviation, 003 commercial name
    language: str  # nl, fr, de, en or ""

    @property
    def type_label(self) -> str:
        labels = {"001": _("name"), "002": _("abbreviation"), "003": _("commercial name")}
        return labels.get(self.type, self.type)


@dataclass(frozen=True)
class KboSeat:
    street: str
    house_number: str
    box: str
    zipcode: str
    municipality: str
    country: str  # empty for Belgium

    @property
    def lines(self) -> list[str]:
        first = " ".join(part for part in (self.street, self.house_number) if part)
        if self.box:
            first = _("%(street)s box %(box)s", street=first, box=self.box)
        second = " ".join(part for part in (self.zipcode, self.municipality) if part)
        return [line for line in (first, second, self.country) if line]


@dataclass(frozen=True)
class KboCheck:
    outcome: str
    number: str = ""
    reason: str = ""  # why it was not checked
    snapshot_date: date | None = None
    names: tuple[KboName, ...] = ()
    matched_name: str | None = None
    status: str = ""
    status_label: str = ""
    situation: str = ""
    situation_label: str = ""
    form: str = ""
    form_label: str = ""
    public_form: bool = False
    natural_person: bool = False
    start_date: date | None = None
    seat: KboSeat | None = None
    labels_language: str = ""  # the register's labels and seat are in Dutch or French (nl, fr)
    warnings: tuple[str, ...] = field(default=())

    @property
    def found(self) -> bool:
        return self.outcome == Outcome.FOUND

    @property
    def name_matches(self) -> bool:
        return self.matched_name is not None

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    @property
    def number_display(self) -> str:
        return format_enterprise_number(self.number)

    @property
    def summary(self) -> str:
        """One word for a badge: not_checked, no_number, not_found, matches or warnings."""
        if self.outcome != Outcome.FOUND:
            return self.outcome
        return "warnings" if self.warnings else "matches"


def _not_checked(latest: KboImport | None) -> str:
    if latest is None:
        return _("No KBO register is loaded: import the open data with “flask kbo import”.")
    if latest.status == KboImportStatus.RUNNING:
        return _("The KBO register is being imported; the check is back once the import is done.")
    return _("The last import of the KBO register failed, so none is loaded: import it again.")


def _pick(labels: dict[str, str], language: str) -> str:
    order = ("FR", "NL") if language == "fr" else ("NL", "FR")
    return next((labels[key] for key in order if labels.get(key)), "")


def check(organisation: Organisation, language: str = "nl") -> KboCheck:
    return check_many([organisation], language)[organisation.id]


def check_many(organisations: Iterable[Organisation], language: str = "nl") -> dict[int, KboCheck]:
    """Each organisation's check, by id, in five queries whatever their number."""
    organisations = list(organisations)
    latest = latest_import()
    if latest is None or latest.status != KboImportStatus.DONE:
        reason = _not_checked(latest)
        return {
            o.id: KboCheck(Outcome.NOT_CHECKED, number=o.enterprise_number or "", reason=reason)
            for o in organisations
        }
    numbers = sorted({o.enterprise_number for o in organisations if o.enterprise_number})
    enterprises, names, seats, labels = _register_rows(numbers)
    return {o.id: _check_one(o, latest, enterprises, names, seats, labels, language) for o in organisations}


def _register_rows(numbers: list[str]):
    if not numbers:
        return {}, {}, {}, {}
    enterprises = {
        row.number: row
        for row in db.session.scalars(sa.select(KboEnterprise).where(KboEnterprise.number.in_(numbers)))
    }
    names: dict[str, list[KboName]] = defaultdict(list)
    for row in db.session.scalars(
        sa.select(KboDenomination)
        .where(KboDenomination.number.in_(numbers))
        .order_by(KboDenomination.number, KboDenomination.type, KboDenomination.id)
    ):
        names[row.number].append(KboName(row.text, row.type, NAME_LANGUAGES.get(row.language, "")))
    seats: dict[str, KboAddress] = {}
    for row in db.session.scalars(
        sa.select(KboAddress).where(KboAddress.number.in_(numbers)).order_by(KboAddress.id)
    ):
        seats.setdefault(row.number, row)
    wanted = (
        {("JuridicalForm", row.juridical_form) for row in enterprises.values() if row.juridical_form}
        | {("Status", row.status) for row in enterprises.values()}
        | {("JuridicalSituation", row.juridical_situation) for row in enterprises.values()}
    )
    labels: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    if wanted:
        for row in db.session.scalars(
            sa.select(KboCode).where(
                KboCode.category.in_({category for category, _code in wanted}),
                KboCode.code.in_({code for _category, code in wanted}),
            )
        ):
            labels[(row.category, row.code)][row.language] = row.description
    return enterprises, names, seats, labels


def _seat(row: KboAddress | None, language: str) -> KboSeat | None:
    if row is None:
        return None
    french = language == "fr"

    def pick(dutch: str, french_text: str) -> str:
        return (french_text or dutch) if french else (dutch or french_text)

    return KboSeat(
        street=pick(row.street_nl, row.street_fr),
        house_number=row.house_number,
        box=row.box,
        zipcode=row.zipcode,
        municipality=pick(row.municipality_nl, row.municipality_fr),
        country=pick(row.country_nl, row.country_fr),
    )


def _check_one(organisation, latest, enterprises, names, seats, labels, language) -> KboCheck:
    number = organisation.enterprise_number or ""
    if not number:
        return KboCheck(Outcome.NO_NUMBER, snapshot_date=latest.snapshot_date)
    enterprise = enterprises.get(number)
    if enterprise is None:
        return KboCheck(Outcome.NOT_FOUND, number=number, snapshot_date=latest.snapshot_date)

    def label(category: str, code: str | None) -> str:
        return _pick(labels.get((category, code or ""), {}), language) or (code or "")

    own_names = tuple(names.get(number, ()))
    # The register's own name first: type 001 in the reader's language, then the others as they come.
    own_names = tuple(
        sorted(own_names, key=lambda n: (n.type, n.language != ("fr" if language == "fr" else "nl")))
    )
    matched = matching_name(organisation.name, [name.text for name in own_names])
    form = enterprise.juridical_form or ""
    public = is_public_form(form, labels.get(("JuridicalForm", form), {})) if form else False
    result = KboCheck(
        Outcome.FOUND,
        number=number,
        snapshot_date=latest.snapshot_date,
        names=own_names,
        matched_name=matched,
        status=enterprise.status,
        status_label=label("Status", enterprise.status),
        situation=enterprise.juridical_situation,
        situation_label=label("JuridicalSituation", enterprise.juridical_situation),
        form=form,
        form_label=label("JuridicalForm", form) if form else "",
        public_form=public,
        natural_person=enterprise.type_of_enterprise == NATURAL_PERSON,
        start_date=enterprise.start_date,
        seat=_seat(seats.get(number), language),
        labels_language="fr" if language == "fr" else "nl",
    )
    return _with_warnings(result, organisation)


def _with_warnings(result: KboCheck, organisation: Organisation) -> KboCheck:
    warnings = []
    if not result.name_matches:
        warnings.append(
            _("The name “%(name)s” is none of the register's names for this number.", name=organisation.name)
        )
    if not result.active:
        warnings.append(
            _("The register gives the status “%(status)s”: the enterprise is not active.",
              status=result.status_label or result.status)
        )  # fmt: skip
    if result.situation and result.situation != NORMAL_SITUATION:
        warnings.append(
            _("The register gives the juridical situation “%(situation)s”, not a normal one.",
              situation=result.situation_label or result.situation)
        )  # fmt: skip
    if result.natural_person:
        warnings.append(_("The register has a natural person under this number, not an organisation."))
    form = result.form_label or result.form or _("none")
    if organisation.is_government and not result.public_form:
        warnings.append(
            _("The organisation says it is a government entity, but its juridical form (%(form)s) is not "
              "one of the public-sector forms.", form=form)
        )  # fmt: skip
    elif not organisation.is_government and result.public_form:
        warnings.append(
            _("The juridical form (%(form)s) is a public-sector one, but the organisation does not say it is "
              "a government entity.", form=form)
        )  # fmt: skip
    return replace(result, warnings=tuple(warnings))


def public_form_counts(language: str = "nl") -> list[tuple[str, str, int]]:
    """(code, label, number of enterprises) for each of PUBLIC_SECTOR_FORMS in the loaded register."""
    counts = dict(
        db.session.execute(
            sa.select(KboEnterprise.juridical_form, sa.func.count())
            .where(KboEnterprise.juridical_form.in_(PUBLIC_SECTOR_FORMS))
            .group_by(KboEnterprise.juridical_form)
        ).all()
    )
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for row in db.session.scalars(
        sa.select(KboCode).where(KboCode.category == "JuridicalForm", KboCode.code.in_(PUBLIC_SECTOR_FORMS))
    ):
        labels[row.code][row.language] = row.description
    forms = sorted(PUBLIC_SECTOR_FORMS)
    return [(code, _pick(labels[code], language), counts.get(code, 0)) for code in forms]
