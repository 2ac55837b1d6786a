"""The charter: organisations sign it (through one of their administrators) and may withdraw.

Only an administrator of an organisation may sign or withdraw on its behalf. Government entities must pledge
to the 3%-norm; other organisations may describe their contribution in a few words. One active signature per
organisation, enforced by a partial unique index: a second signature at the same moment fails cleanly.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    ChangeAction,
    ChangeSubject,
    CharterSignature,
    Organisation,
    User,
    Verification,
    utcnow,
)
from matchmaker.services import ServiceError, commit, history, unit_of_work
from matchmaker.services import content as content_service
from matchmaker.textutil import one_line

NAME_MAX = 200
PLEDGE_TEXT_MAX = 1000


@dataclass
class SignatureInput:
    signatory_name: str
    signatory_function: str
    pledge_three_percent: bool = False
    pledge_text: str = ""


def active_signature(organisation: Organisation | None) -> CharterSignature | None:
    if organisation is None:
        return None
    return db.session.scalar(
        sa.select(CharterSignature).where(
            CharterSignature.organisation_id == organisation.id, CharterSignature.withdrawn_at.is_(None)
        )
    )


def can_sign_for(user, organisation: Organisation | None) -> bool:
    return bool(
        organisation is not None
        and user is not None
        and user.is_organisation_admin(organisation)
    )


def _require_admin(user, organisation: Organisation | None) -> None:
    if not can_sign_for(user, organisation):
        raise ServiceError(_("Only an administrator of the organisation can sign or withdraw on its behalf."))


def sign_charter(user: User, organisation: Organisation, data: SignatureInput) -> CharterSignature:
    _require_admin(user, organisation)
    name = one_line(data.signatory_name)
    function = one_line(data.signatory_function)
    pledge_text = (data.pledge_text or "").strip()
    if not name or not function:
        raise ServiceError(_("Give the name and the function of the person who signs."))
    if len(name) > NAME_MAX or len(function) > NAME_MAX or len(pledge_text) > PLEDGE_TEXT_MAX:
        raise ServiceError(_("A name, a function or the commitment is too long."))
    if organisation.is_government and not data.pledge_three_percent:
        raise ServiceError(_("A government entity signs with the pledge to the 3%-norm."))
    if active_signature(organisation) is not None:
        raise ServiceError(
            _("%(organisation)s has already signed the charter.", organisation=organisation.name)
        )
    charter_page = content_service.get_page(content_service.CHARTER)
    signature = CharterSignature(
        organisation_id=organisation.id,
        signed_by_id=user.id,
        signatory_name=name,
        signatory_function=function,
        pledge_three_percent=bool(data.pledge_three_percent),
        pledge_text="" if organisation.is_government else pledge_text,
        charter_version=charter_page.version if charter_page else None,
    )
    # Someone else of the organisation may have signed at the same moment: the flush (the record names the
    # signature) or the commit meets the unique index, and the unit of work refuses with the message.
    with unit_of_work(_("%(organisation)s has already signed the charter.", organisation=organisation.name)):
        db.session.add(signature)
        db.session.flush()
        _record(user, signature, ChangeAction.CREATED, None)
    return signature


def withdraw_signature(user: User, organisation: Organisation) -> CharterSignature:
    _require_admin(user, organisation)
    signature = active_signature(organisation)
    if signature is None:
        raise ServiceError(_("%(organisation)s has not signed the charter.", organisation=organisation.name))
    before = history.signature_state(signature)
    signature.withdrawn_at = utcnow()
    signature.withdrawn_by_id = user.id
    _record(user, signature, ChangeAction.CHANGED, before)  # a withdrawal is kept and recorded
    commit()
    return signature


def _record(user: User, signature: CharterSignature, action: ChangeAction, before: dict | None) -> None:
    history.record(
        signature.organisation_id,
        ChangeSubject.SIGNATURE,
        action,
        actor=user,
        subject_id=signature.id,
        old=before,
        new=history.signature_state(signature),
        label=signature.signatory_name,
    )


# Signatures the public sees: not withdrawn, of an organisation the administrators verified.
_PUBLIC = sa.and_(CharterSignature.withdrawn_at.is_(None), Organisation.verification == Verification.VERIFIED)


def public_signatories() -> list[CharterSignature]:
    """Active signatures of verified organisations, oldest first, with their organisations (others wait for
    their organisation's verification)."""
    return list(
        db.session.scalars(
            sa.select(CharterSignature)
            .join(Organisation, Organisation.id == CharterSignature.organisation_id)
            .where(_PUBLIC)
            .order_by(CharterSignature.signed_at, CharterSignature.id)
            .options(sa.orm.contains_eager(CharterSignature.organisation))
        )
    )


def signatory_count() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(CharterSignature)
            .join(Organisation, Organisation.id == CharterSignature.organisation_id)
            .where(_PUBLIC)
        )
        or 0
    )
