"""The proposals page's cards, rendered once for what they show and kept.

A proposals page shows up to fifty cards, and rendering them was about a third of the page's CPU (some
110 microseconds a card in Jinja, most of it escaping and looking up the card's twenty-odd values). A
reader comes back to the same cards: each answer reloads the page with the others unchanged, and so do
paging, the choice of proposals per item, and colleagues of the same organisation.

So a card is rendered from a `Card`: a frozen snapshot of every value the card shows (the pair, its score
and answers, the counterpart and its organisation, what the reader may do about it). The card template
(`matches/_card.html`) only sees the snapshot, so the snapshot with the link to come back to and the
language is the whole key (see matchmaker.fragments). The page's CSRF token (signed anew every second) is
not part of it: the kept HTML holds a mark where the token goes, and each page fills in its own.

Each process keeps the last PROPOSAL_CARD_CACHE cards (0: none), about 4 KB each."""

from __future__ import annotations

from typing import NamedTuple

from flask import current_app, get_template_attribute
from markupsafe import Markup, escape

from matchmaker.fragments import Kept, page_key

# Where the token goes in a kept card: a "<" that nothing escaped (the data's own are) can only be this.
TOKEN_MARK = Markup("<csrf-token>")


class CardOrganisation(NamedTuple):
    id: int
    name: str
    logo_version: str | None
    is_suspended: bool


class CardItem(NamedTuple):
    kind: str
    id: int
    title: str
    language: str | None
    summary: str | None
    organisation: CardOrganisation


class CardPerson(NamedTuple):
    display_name: str


class CardRegistration(NamedTuple):
    id: int
    user: CardPerson


class CardEvent(NamedTuple):
    id: int
    title: str


class CardMeeting(NamedTuple):
    event: CardEvent
    registration: CardRegistration


class CardActions(NamedTuple):
    may_write: bool
    meeting: CardMeeting | None


class Card(NamedTuple):
    need_id: int
    offering_id: int
    score: float
    my_interest: bool | None
    their_interest: bool | None
    is_mutual: bool
    other: CardItem
    own: CardItem
    actions: CardActions | None


def card_organisation(organisation) -> CardOrganisation:
    return CardOrganisation(
        organisation.id, organisation.name, organisation.logo_version, organisation.is_suspended
    )


def _item(item) -> CardItem:
    return CardItem(
        item.kind, item.id, item.title, item.language, item.summary, card_organisation(item.organisation)
    )


def _actions(acts) -> CardActions | None:
    if acts is None:
        return None
    meeting = acts.meeting
    if meeting is not None:
        meeting = CardMeeting(
            CardEvent(meeting.event.id, meeting.event.title),
            CardRegistration(meeting.registration.id, CardPerson(meeting.registration.user.display_name)),
        )
    return CardActions(bool(acts.may_write), meeting)


def card_of(proposal, acts) -> Card:
    """The snapshot of one proposal's card; `acts`: services.item_actions.ItemActions of its counterpart."""
    return Card(
        proposal.need.id,
        proposal.offering.id,
        float(proposal.score),
        proposal.my_interest,
        proposal.their_interest,
        proposal.is_mutual,
        _item(proposal.counterpart),
        _item(proposal.own_item),
        _actions(acts),
    )


kept = Kept()


def proposal_cards(next_url: str, token: str):
    """The card maker of one proposals page (a template global): `cards(proposal, acts)` gives one card,
    kept HTML when this process rendered the same card before, else rendered by `matches/_card.html` and
    kept. What every card of the page shares (the language, the app, the link back) is looked up once."""
    app = current_app._get_current_object()
    size = app.config["PROPOSAL_CARD_CACHE"]
    token = escape(token)
    if not size or app.debug:  # a template being edited shows at once
        return lambda proposal, acts: _render(card_of(proposal, acts), next_url, token)
    page = (next_url, *page_key())

    def card(proposal, acts) -> Markup:
        snapshot = card_of(proposal, acts)
        key = (snapshot, page)
        html = kept.rendered(key, size, lambda: _render(snapshot, next_url, TOKEN_MARK))
        return html.replace(TOKEN_MARK, token)

    return card


def _render(card: Card, next_url: str, token: Markup) -> Markup:
    return get_template_attribute("matches/_card.html", "proposal_card")(card, next_url, token)
