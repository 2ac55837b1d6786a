"""The two badges of every page's menu for a logged-in reader: unread notifications, and unread messages in
the conversations of the reader's organisation, read in one statement (two statements of every page were
these counts)."""

import functools

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import User
from matchmaker.services import conversations, notifications


def unread_counts(user: User) -> tuple[int, int]:
    """(unread notifications, unread messages) of `user`; no organisation, no messages."""
    organisation = user.organisation
    if organisation is None:
        return notifications.unread_count(user), 0
    parameters = {"user_id": user.id, "organisation_id": organisation.id}
    unread, messages = db.session.execute(_counts_query(), parameters).one()
    return unread or 0, messages or 0


@functools.cache
def _counts_query() -> sa.Select:
    """Both counts of `user_id` of the organisation `organisation_id` as one row: built once."""
    return sa.select(
        notifications.unread_query().scalar_subquery(), conversations.unread_total_query().scalar_subquery()
    )
