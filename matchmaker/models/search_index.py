"""The catalogue's search index: one row per (item, folded word), for fast word and prefix lookups.

`offering_search_token` and `need_search_token` hold every distinct word of an item's `search_text`
(folded: lower-case, accent-free, split on anything that is not a letter or digit), with a weight:
3 when the word is in the title, 2 in the summary or keywords, 1 elsewhere (description, challenge,
CPV labels in nl/fr/en, theme names). The primary key (token, item id) is a B-tree that answers
"which items have a word starting with 'sensor'" as a range scan (token >= 'sensor' AND token < 'sensos')
on SQLite and PostgreSQL alike, without a full-text extension.

The index follows the items by itself: after every flush, items that are new or whose text changed get
their rows rewritten (see `_sync_search_tokens`), so every save path (catalogue forms, CSV import, demo
seeding) keeps it current. Deleted items lose their rows through the foreign key's ON DELETE CASCADE
(and explicitly here, for SQLite connections that do not enforce foreign keys).
"""

import re

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models.catalogue import Need, Offering
from matchmaker.textutil import fold

TOKEN_MAX = 40
WORD = re.compile(r"[a-z0-9]+")

# Words too common to help a search, in the three languages (folded). Queries drop them too.
_STOP_NL = (
    "de het een en van in op te met voor door aan bij om uit als of dat die dit deze zijn is wordt worden "
    "naar over tot ook niet meer nog al wat wie zo er ze we wij je hun ons onze hij zij"
)
_STOP_FR = (
    "le la les un une des du et en dans sur pour par avec au aux ou que qui ce cet cette ces son sa ses "
    "est sont pas plus"
)
_STOP_EN = "the an and of in on to for by with at from as or that this these those is are be it its our your"
STOP_WORDS = frozenset(f"{_STOP_NL} {_STOP_FR} {_STOP_EN}".split())

offering_search_token = sa.Table(
    "offering_search_token",
    db.metadata,
    sa.Column("token", sa.String(TOKEN_MAX)),
    sa.Column("offering_id", sa.ForeignKey("offering.id", ondelete="CASCADE"), index=True),
    sa.Column("weight", sa.SmallInteger, nullable=False),
    # PostgreSQL keeps the weight in the key's index too, so a lookup never visits the table.
    sa.PrimaryKeyConstraint("token", "offering_id", postgresql_include=["weight"]),
    sqlite_with_rowid=False,  # clustered on (token, item): a prefix lookup reads one contiguous range
)

need_search_token = sa.Table(
    "need_search_token",
    db.metadata,
    sa.Column("token", sa.String(TOKEN_MAX)),
    sa.Column("need_id", sa.ForeignKey("need.id", ondelete="CASCADE"), index=True),
    sa.Column("weight", sa.SmallInteger, nullable=False),
    sa.PrimaryKeyConstraint("token", "need_id", postgresql_include=["weight"]),
    sqlite_with_rowid=False,
)

# Narrow copies of the columns the browse filters and sorts read, so that counting and ordering thousands
# of matches reads these small indexes instead of the wide item rows (descriptions, search text): led by
# the id for word searches (joined on the item id), led by the status for browsing without words.
_OFFERING_BROWSE = ("published_at", "trl", "innovation_type", "language", "organisation_id", "title")
_NEED_BROWSE = (
    "deadline",
    "budget_max",
    "published_at",
    "procurement_route",
    "language",
    "organisation_id",
    "title",
)
sa.Index("ix_offering_browse_by_id", Offering.id, Offering.status, *_OFFERING_BROWSE)
sa.Index("ix_offering_browse_by_status", Offering.status, *_OFFERING_BROWSE)
sa.Index("ix_need_browse_by_id", Need.id, Need.status, Need.registered_only, *_NEED_BROWSE)
sa.Index("ix_need_browse_by_status", Need.status, Need.registered_only, *_NEED_BROWSE)

TOKEN_TABLES = {"offering": offering_search_token, "need": need_search_token}


def token_table(kind: str) -> sa.Table:
    return TOKEN_TABLES[kind]


def token_item_column(kind: str) -> sa.Column:
    table = TOKEN_TABLES[kind]
    return table.c.offering_id if kind == "offering" else table.c.need_id


def words(text: str | None) -> list[str]:
    """The folded words of a text, in order, without stop words and one-letter words."""
    return [w[:TOKEN_MAX] for w in WORD.findall(fold(text)) if len(w) > 1 and w not in STOP_WORDS]


def weighted_tokens(title: str, summary: str, keywords: str, search_text: str) -> dict[str, int]:
    """{token: weight} for one item: 3 in the title, 2 in summary or keywords, 1 elsewhere."""
    tokens = dict.fromkeys(words(search_text), 1)
    for word in words(summary) + words(keywords):
        tokens[word] = 2
    for word in words(title):
        tokens[word] = 3
    return tokens


def token_rows(
    kind: str, item_id: int, title: str, summary: str, keywords: str, search_text: str
) -> list[dict]:
    column = "offering_id" if kind == "offering" else "need_id"
    return [
        {"token": token, column: item_id, "weight": weight}
        for token, weight in weighted_tokens(title, summary, keywords, search_text).items()
    ]


_INDEXED_ATTRIBUTES = ("title", "summary", "keywords", "search_text")


def _text_changed(item) -> bool:
    state = sa.inspect(item)
    return any(state.attrs[name].history.has_changes() for name in _INDEXED_ATTRIBUTES)


@event.listens_for(Session, "after_flush")
def _sync_search_tokens(session: Session, flush_context) -> None:
    """Rewrite the index rows of new items and of items whose text changed in this flush."""
    changed: dict[str, list] = {"offering": [], "need": []}
    removed: dict[str, list[int]] = {"offering": [], "need": []}
    for item in session.new:
        if isinstance(item, (Offering, Need)):
            changed[item.kind].append(item)
    for item in session.dirty:
        if isinstance(item, (Offering, Need)) and _text_changed(item):
            changed[item.kind].append(item)
    for item in session.deleted:
        if isinstance(item, (Offering, Need)) and item.id is not None:
            removed[item.kind].append(item.id)
    if not any(changed.values()) and not any(removed.values()):
        return
    connection = session.connection()
    for kind in ("offering", "need"):
        table, column = token_table(kind), token_item_column(kind)
        ids = [item.id for item in changed[kind]] + removed[kind]
        if ids:
            connection.execute(sa.delete(table).where(column.in_(ids)))
        rows = []
        for item in changed[kind]:
            rows.extend(token_rows(kind, item.id, item.title, item.summary, item.keywords, item.search_text))
        if rows:
            connection.execute(sa.insert(table), rows)
