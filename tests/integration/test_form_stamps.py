"""Issue 14, finding 9 (b): one anti-spam stamp could be reused for any number of contact messages (and of
newsletter subscriptions) for a day. A stamp is now used once: the form it came with is acted on once, a
second sending of it changes nothing and answers as the first did (a bot learns nothing, a double click
sends one message). Used stamps are rows (`used_stamp`, one per stamp: the database, not Redis, so `make run`
on SQLite has it too), purged once they are older than any stamp can be."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Job, UsedStamp, utcnow
from matchmaker.services import antispam
from matchmaker.tasks.periodic import enqueue_periodic
from tests.helpers import race, require_postgres
from tests.integration.test_content import _contact
from tests.integration.test_newsletter import _form, themes  # noqa: F401  (a fixture)


def _stamp(seconds_ago: float = 10) -> str:
    return antispam.make_stamp(now=time.time() - seconds_ago)


@pytest.fixture
def admin(make_user):
    return make_user(roles=("admin",), language="en")


def test_a_contact_message_is_sent_once_with_one_stamp(client, outbox, admin):
    """Finding 9 (b): the same stamp sent a second (and a hundredth) message."""
    stamp = _stamp()
    first = client.post("/contact", data=_contact(form_stamp=stamp))
    assert first.status_code == 302 and len(outbox) == 1
    again = client.post("/contact", data=_contact(form_stamp=stamp, message="Buy cheap watches"))
    assert again.status_code == 302 and again.headers["Location"].endswith("/contact/sent")  # as if sent
    assert len(outbox) == 1


def test_a_contact_form_refused_for_its_content_keeps_its_stamp(client, outbox, admin):
    """A stamp is spent when its form is acted on, not when a person is asked to correct it."""
    stamp = _stamp()
    assert client.post("/contact", data=_contact(form_stamp=stamp, message="")).status_code == 422
    assert client.post("/contact", data=_contact(form_stamp=stamp)).status_code == 302
    assert len(outbox) == 1


def test_a_newsletter_subscription_is_made_once_with_one_stamp(client, outbox, themes):  # noqa: F811
    """Finding 9 (b), on the other form with a stamp: one confirmation mail, not one per sending."""
    stamp = _stamp()
    assert client.post("/newsletter/", data=_form(form_stamp=stamp)).status_code == 302
    again = client.post("/newsletter/", data=_form(form_stamp=stamp, email="other@example.org"))
    assert again.status_code == 302 and "/newsletter/check-your-mailbox" in again.headers["Location"]
    assert [m.to for m in outbox] == ["nina@example.org"]


def test_two_forms_shown_in_the_same_second_have_stamps_of_their_own(app):
    moment = time.time() - 10
    assert antispam.make_stamp(now=moment) != antispam.make_stamp(now=moment)


def test_a_stamp_without_its_one_use_part_is_refused_as_expired(app):
    """A stamp of the old form (only a signed time) is like any other of the same second: it is refused."""
    old = antispam._signer().sign(str(int(time.time() - 10))).decode()
    assert antispam.check("", old) == antispam.Verdict.STALE


def test_spending_a_stamp_is_once(app):
    stamp = _stamp()
    assert antispam.spend(stamp) is True
    assert antispam.spend(stamp) is False
    assert antispam.spend(_stamp()) is True
    assert antispam.spend("forged.stamp") is False


def test_used_stamps_are_purged_once_no_stamp_that_old_is_accepted(app):
    antispam.spend(_stamp())
    db.session.add(UsedStamp(nonce="from-two-days-ago", used_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    assert antispam.purge_used_stamps() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UsedStamp)) == 1


def test_the_daily_job_purges_used_stamps(app):
    db.session.add(UsedStamp(nonce="from-two-days-ago", used_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    job_id = enqueue_periodic("antispam.purge")
    assert db.session.get(Job, job_id).result == {"deleted": 1}


def test_one_stamp_sent_twice_at_the_same_moment_is_used_once(app):
    """PostgreSQL: two requests with one stamp meet at the unique row; exactly one of them acts."""
    require_postgres()
    stamp = _stamp()
    spent: list[bool] = []
    results = race(
        app, lambda: spent.append(antispam.spend(stamp)), lambda: spent.append(antispam.spend(stamp))
    )
    assert results == ["ok", "ok"]
    assert sorted(spent) == [False, True]
