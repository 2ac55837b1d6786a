"""The participant list's cards, rendered once for what they show and kept (see matchmaker.fragments).

A page of the list shows forty participants, and rendering their cards was about a fifth of the page's CPU.
A card is rendered from a `ParticipantCard`, a frozen snapshot of what it shows: the person, their
organisation and role, what they bring, and what the reader may do (the reader's requests to and from them,
whether requests are open). The card template (`events/_participant_card.html`) sees only the snapshot, so
with the language it is the whole key. A recommended participant's card carries the engine's explanation and
is rendered afresh each time.

Each process keeps the last PARTICIPANT_CARD_CACHE cards (0: none), about 1 KB each."""

from __future__ import annotations

from typing import NamedTuple

from flask import current_app, get_template_attribute

from matchmaker.fragments import Kept, page_key
from matchmaker.matches.cards import CardOrganisation, card_organisation


class ParticipantItem(NamedTuple):
    title: str
    summary: str | None
    language: str | None


class ParticipantCard(NamedTuple):
    id: int
    display_name: str
    organisation: CardOrganisation | None
    organisation_name: str
    role: str
    items: tuple[ParticipantItem, ...]
    event_id: int
    viewer_role: str | None  # None: the reader is not a participant (an organizer), and is offered nothing
    sent: str | None  # the status of the reader's latest request to them
    received: str | None  # and of theirs to the reader
    requests_open: bool


def participant_card_of(registration, mine, states: dict, requests_open: bool) -> ParticipantCard:
    """The snapshot of a registration's card for the reader whose registration is `mine` (None for an
    organizer); `states`: services.meeting_requests.request_states_by_partner of `mine`."""
    organisation = registration.organisation
    state = states.get(registration.id, {}) if mine is not None else {}
    sent, received = state.get("sent"), state.get("received")
    return ParticipantCard(
        registration.id,
        registration.user.display_name,
        card_organisation(organisation) if organisation is not None else None,
        registration.organisation_name,
        registration.role,
        tuple(
            ParticipantItem(item.title, getattr(item, "summary", None), item.language)
            for item in registration.shown_items
        ),
        registration.event_id,
        mine.role if mine is not None else None,
        sent.status if sent is not None else None,
        received.status if received is not None else None,
        bool(requests_open) if mine is not None else False,
    )


kept = Kept()


def participant_cards(mine, states: dict, requests_open: bool):
    """The card maker of one page of the participant list (a template global): `card(registration,
    recommendation=None)` gives one card, kept HTML when this process rendered the same card before."""
    app = current_app._get_current_object()
    size = app.config["PARTICIPANT_CARD_CACHE"]
    render = get_template_attribute("events/_participant_card.html", "participant_card")
    page = page_key()

    def card(registration, recommendation=None):
        snapshot = participant_card_of(registration, mine, states, requests_open)
        if recommendation is not None or not size or app.debug:
            return render(snapshot, recommendation)
        key = (snapshot, page)
        return kept.rendered(key, size, lambda: render(snapshot, None))

    return card
