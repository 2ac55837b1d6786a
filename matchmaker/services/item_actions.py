"""What a viewer may do about another organisation's need or offering where they see it (issue 15): start
a conversation about it, request a meeting with its organisation at an event both attend, and (search
results, `card_actions`) answer the proposals of the viewer's organisation that have it as counterpart.

Decided for a whole page at once, in a fixed number of queries whatever the number of cards: one for the
organisations that blocked the viewer, one for the viewer's open events and the counterpart registrations.
The rules themselves stay where they live: `conversations.why_not_start` and `event_rules.requests_are_open`;
the pages they link to check them again and explain a refusal.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from matchmaker.extensions import db
from matchmaker.models import (
    ConversationBlock,
    Event,
    EventStatus,
    Need,
    Offering,
    Registration,
    RegistrationStatus,
    User,
)
from matchmaker.services.conversations import why_not_start
from matchmaker.services.event_rules import requests_are_open
from matchmaker.services.kernel import dialect_name, one_of_param
from matchmaker.services.matching import Proposal, is_proposable, proposals_about_many


@dataclass(frozen=True)
class MeetingTarget:
    event: Event
    registration: Registration  # the counterpart's, the `to=` of the new-request form


@dataclass(frozen=True)
class ItemActions:
    may_write: bool
    meeting: MeetingTarget | None
    proposals: tuple[Proposal, ...] = ()  # the viewer's side's proposals with the item, to answer (cards)

    @property
    def any(self) -> bool:
        return bool(self.may_write or self.meeting or self.proposals)


def key(item: Need | Offering) -> tuple[str, int]:
    return ("need" if isinstance(item, Need) else "offering", item.id)


def _blocking_organisations(user: User) -> set[int]:
    return set(db.session.scalars(_blocking_query(), {"user_id": user.id}))


@functools.cache
def _blocking_query() -> sa.Select:
    """The organisations that blocked the user `user_id`, for every card of a page: built once."""
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    return sa.select(ConversationBlock.organisation_id).where(ConversationBlock.blocked_user_id == user_id)


# The two sides of meeting_targets' join, made once: aliases made per call cost 0.6 ms of CPU a proposals
# page to adapt their columns again.
_MINE = aliased(Registration)
_THEIRS = aliased(Registration)


@functools.cache
def _meeting_targets_query(dialect: str) -> sa.Select:
    """meeting_targets' query for the user `user_id` and the organisations `organisation_ids`, built once (it
    cost 1 ms of CPU a proposals page to build)."""
    mine, theirs = _MINE, _THEIRS
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    return (
        sa.select(theirs, Event)
        .join(
            mine,
            sa.and_(
                mine.event_id == theirs.event_id,
                mine.user_id == user_id,
                mine.status == RegistrationStatus.APPROVED,
                mine.role != theirs.role,
            ),
        )
        .join(Event, Event.id == theirs.event_id)
        .where(
            theirs.status == RegistrationStatus.APPROVED,
            one_of_param(theirs.organisation_id, "organisation_ids", dialect),
            theirs.user_id != user_id,
            Event.status.in_((EventStatus.REGISTRATION_OPEN, EventStatus.REGISTRATION_CLOSED)),
        )
        .order_by(Event.id, theirs.id)
        .options(joinedload(theirs.user))  # the links name the person: no query per card
    )


def meeting_targets(user: User, organisation_ids: Iterable[int]) -> dict[int, MeetingTarget]:
    """Per organisation: an approved registration of it (other role than the viewer's) in an event where the
    viewer has an approved registration and meeting requests are open; the earliest such event, then the
    first registration. One query."""
    organisation_ids = set(organisation_ids)
    if not organisation_ids:
        return {}
    parameters = {"user_id": user.id, "organisation_ids": list(organisation_ids)}
    rows = db.session.execute(_meeting_targets_query(dialect_name()), parameters)
    targets: dict[int, MeetingTarget] = {}
    for registration, event in rows:
        organisation = registration.organisation
        if registration.organisation_id in targets or organisation is None or organisation.is_suspended:
            continue
        if requests_are_open(event):
            targets[registration.organisation_id] = MeetingTarget(event, registration)
    return targets


def actions_for(user: User | None, items: Iterable[Need | Offering]) -> dict[tuple[str, int], ItemActions]:
    """For each item of another organisation: may the user write about it, and with whom may they request a
    meeting. Nothing for visitors, users without an organisation and the user's own organisation's items."""
    organisation = user.organisation if user is not None else None
    if organisation is None:
        return {}
    items = [item for item in items if item.organisation_id != organisation.id]
    if not items:
        return {}
    blocked = _blocking_organisations(user)
    meetings = meeting_targets(user, {item.organisation_id for item in items})
    return {
        key(item): ItemActions(
            may_write=why_not_start(user, item, blocked_by=blocked) is None,
            meeting=meetings.get(item.organisation_id),
        )
        for item in items
    }


def card_actions(user: User | None, items: Iterable[Need | Offering]) -> dict[tuple[str, int], ItemActions]:
    """`actions_for` of a page of search results, with the proposals the viewer's side may answer on each
    card. Only items that can be proposed (published offerings, open needs, of an organisation that is not
    suspended) get anything: an administrator's or an owner's list of drafts and closed needs offers no
    action. A fixed number of queries: `actions_for`'s, and one for the proposals."""
    live = [item for item in items if is_proposable(item)]
    actions = actions_for(user, live)
    if not actions:
        return {}
    proposals = proposals_about_many(user, live)
    out = {}
    for item in live:
        acts = actions.get(key(item))
        if acts is None:
            continue
        acts = ItemActions(acts.may_write, acts.meeting, tuple(proposals.get(key(item), ())))
        if acts.any:
            out[key(item)] = acts
    return out


def actions_for_one(user: User | None, item: Need | Offering | None) -> ItemActions | None:
    """`actions_for` of one item (a need's or an offering's page, a proposal's page)."""
    return actions_for(user, [item]).get(key(item)) if item is not None else None


def meeting_target_for(user: User | None, item: Need | Offering) -> MeetingTarget | None:
    """With whom of the item's organisation the user may request a meeting (a need's or an offering's page,
    whose conversation panel decides the rest): one query, none for visitors and own items."""
    organisation = user.organisation if user is not None else None
    if organisation is None or item.organisation_id == organisation.id:
        return None
    return meeting_targets(user, {item.organisation_id}).get(item.organisation_id)
