"""The labels of stored codes live in one place (matchmaker.models.labels), cover every code, translate."""

import enum
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from matchmaker import models
from matchmaker.models import labels

ROOT = Path(__file__).resolve().parents[2]

# label dict -> the enum whose codes it names (None: codes that are not an enum of their own)
COVERED = {
    "ORGANISATION_KINDS": models.OrganisationKind,
    "POLICY_DOMAINS": models.PolicyDomain,
    "VERIFICATIONS": models.Verification,
    "MEMBERSHIP_ROLES": models.MembershipRole,
    "PLATFORM_ROLES": models.Role,
    "INVITATION_STATUSES": None,
    "EMAIL_MODES": models.EmailMode,
    "INNOVATION_TYPES": models.InnovationType,
    "PROCUREMENT_ROUTES": models.ProcurementRoute,
    "CONTENT_LANGUAGES": models.ContentLanguage,
    "TRL_LEVELS": None,
    "CATALOGUE_STATUSES": None,  # offerings' and needs' statuses together
    "EVENT_STATUSES": models.EventStatus,
    "ADMISSIONS": models.Admission,
    "BLOCK_KINDS": models.BlockKind,
    "PARTICIPANT_ROLES": models.ParticipantRole,
    "REGISTRATION_STATUSES": models.RegistrationStatus,
    "REQUEST_STATUSES": models.RequestStatus,
    "MEETING_SOURCES": models.MeetingSource,
    "RUN_MODES": models.RunMode,
    "FOLLOW_UPS": models.FollowUp,
}


def _label_dicts() -> dict[str, dict]:
    return {name: value for name, value in vars(labels).items() if name.isupper() and isinstance(value, dict)}


def test_every_label_dict_is_checked_here():
    assert set(_label_dicts()) == set(COVERED)


@pytest.mark.parametrize(("name", "codes"), [(n, e) for n, e in COVERED.items() if e is not None])
def test_every_code_of_the_enum_has_a_label(name, codes: type[enum.Enum]):
    assert set(getattr(labels, name)) == {member.value for member in codes}


def test_the_catalogue_statuses_cover_offerings_and_needs():
    assert set(labels.CATALOGUE_STATUSES) == {s.value for s in (*models.OfferingStatus, *models.NeedStatus)}


def _catalogue(language: str) -> dict[str, str]:
    path = ROOT / "matchmaker" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle, locale=language) if m.id and not m.fuzzy}


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_every_label_is_translated(app, language):
    catalogue = _catalogue(language)
    checked = 0
    for name, mapping in _label_dicts().items():
        for code, text in mapping.items():
            with force_locale("en"):
                msgid = str(text)
            assert catalogue.get(msgid), f"{name}[{code!r}]: {msgid!r} is not translated into {language}"
            with force_locale(language):
                assert str(text) == catalogue[msgid]
            checked += 1
    assert checked > 60


def test_labels_show_unknown_codes_as_they_are(app):
    with force_locale("nl"):
        assert labels.label(labels.EVENT_STATUSES, "draft") == "Ontwerp"
        assert labels.label(labels.EVENT_STATUSES, "no_such_status") == "no_such_status"
        assert labels.label(labels.EVENT_STATUSES, None) == ""
