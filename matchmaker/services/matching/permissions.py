"""Who is who: a user's organisation and side of a pair, what they may see, and the refusals for pairs they
may not know of or act on.
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Need,
    Offering,
    Organisation,
    Role,
)
from matchmaker.services import NotAllowed, NotFound, ServiceError

BUYER = "buyer"


SUPPLIER = "supplier"


def organisation_of(user) -> Organisation | None:
    return user.organisation if user is not None else None


def side_of(user, item: Need | Offering) -> str | None:
    """ "buyer" if the user's organisation owns the need, "supplier" if it owns the offering, else None."""
    organisation = organisation_of(user)
    if organisation is None or organisation.id != item.organisation_id:
        return None
    return BUYER if isinstance(item, Need) else SUPPLIER


def can_see_overview(user) -> bool:
    return user is not None and user.has_role(Role.ORGANIZER, Role.ADMIN)


def _visible_to(user, item: Need | Offering) -> bool:
    """May this user see the item as a proposal or counterpart? Public items only (and registered-only needs
    only when logged in); one's own organisation's items always."""
    organisation = organisation_of(user)
    if organisation is not None and organisation.id == item.organisation_id:
        return True
    if not item.is_public:
        return False
    return not (isinstance(item, Need) and item.registered_only) or user is not None


def visible_condition(model: type[Need] | type[Offering], organisation_id=None, logged_in: bool = True):
    """_visible_to() as an SQL condition on the rows of `model`, for a reader of the organisation
    `organisation_id` (a value, a bound parameter of a statement built once, or None for a reader without
    one); a visitor who is not `logged_in` does not see registered-only needs."""
    own = model.organisation_id == organisation_id if organisation_id is not None else sa.false()
    public = model.public_condition()
    if model is Need and not logged_in:
        public = sa.and_(public, Need.registered_only.is_(False))
    return sa.or_(own, public)


def _load_pair(need_id: int, offering_id: int) -> tuple[Need | None, Offering | None]:
    return db.session.get(Need, need_id), db.session.get(Offering, offering_id)


def check_pair(user, need_id: int, offering_id: int) -> tuple[Need, Offering, str]:
    """The pair and the user's side, or NotFound / NotAllowed / ServiceError."""
    need, offering = _load_pair(need_id, offering_id)
    if need is None or offering is None:
        raise NotFound(_("This proposal does not exist."))
    need_side, offering_side = side_of(user, need), side_of(user, offering)
    if not _visible_to(user, need) or not _visible_to(user, offering):
        raise NotFound(_("This proposal does not exist."))
    if need_side is None and offering_side is None:
        raise NotAllowed(
            _("Only the organisations of the need and of the offering can answer this proposal.")
        )
    if need_side and offering_side:
        raise ServiceError(_("Your organisation owns both items: there is nobody to match with."))
    side = need_side or offering_side
    return need, offering, side
