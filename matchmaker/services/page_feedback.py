""" "Did you find what you were looking for?" (issue 19): anonymous answers at the foot of the public pages,
and what administrators read of them.

Where the question is asked: the public pages that are the same for every visitor (`ASKED_ON`, endpoints);
not on forms (contact, newsletter, anything a visitor is in the middle of), error pages, pages behind a login
or the administration. An answer names its page by its path on the site, without the language prefix
(/nl/, /fr/, /en/) or a query string, so the three languages of a page and its list pages add up; an answer
for a path that is not such a page is refused, so that robots cannot fill the overview with made-up pages.

Nothing is kept about who answered: no account, no IP address, no exact time (the month only).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from matchmaker.csvfiles import csv_chunks
from matchmaker.extensions import db
from matchmaker.links import safe_next
from matchmaker.models import ContentLanguage, PageFeedback
from matchmaker.models.feedback import COMMENT_MAX, PATH_MAX
from matchmaker.services.kernel import Invalid, commit
from matchmaker.textutil import multi_line
from matchmaker.urllang import INDEXABLE_ENDPOINTS, split_language

# The public pages that ask the question (endpoints): the pages search engines may index, apart from the forms
# among them (contact, newsletter), and the site search, whose "no" says most about what people miss.
ASKED_ON = (INDEXABLE_ENDPOINTS - {"content.contact", "newsletter.subscribe"}) | {"pages.search"}
ANSWERS = {"yes": True, "no": False}
EXPORT_BATCH = 1000


def asked_on(endpoint: str | None) -> bool:
    return endpoint in ASKED_ON


def page_path(page: str | None) -> str | None:
    """The path an answer is stored under for the page it was given on ("/nl/events/3?page=2" ->
    "/events/3"), or None when that is not a page that asks the question (or not a path of this site)."""
    if not page or not isinstance(page, str) or len(page) > 2 * PATH_MAX:
        return None
    local = safe_next(page, "")
    if not local:
        return None
    path = split_language(urlsplit(local).path)[1]
    if len(path) > PATH_MAX:
        return None
    try:
        endpoint, _values = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:  # no such page, or one that redirects elsewhere
        return None
    return path if asked_on(endpoint) else None


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def clean_comment(comment: str | None) -> str | None:
    text = multi_line(comment).strip()
    return text or None


def record_answer(page: str | None, language: str, answer: str | None, comment: str | None, today=None):
    """Store one answer: `answer` "yes" or "no", `comment` optional (at most COMMENT_MAX characters)."""
    path = page_path(page)
    problems = {}
    if path is None:
        problems["page"] = _("Answers are only taken for the public pages of this site.")
    if answer not in ANSWERS:
        problems["answer"] = _("Choose yes or no.")
    text = clean_comment(comment)
    if text and len(text) > COMMENT_MAX:
        problems["comment"] = _("Your comment has at most %(max)d characters.", max=COMMENT_MAX)
    if problems:
        raise Invalid(problems)
    if language not in ContentLanguage.__members__.values():
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    feedback = PageFeedback(
        path=path,
        language=language,
        found=ANSWERS[answer],
        comment=text,
        month=first_of_month(today or date.today()),
    )
    db.session.add(feedback)
    commit()
    return feedback


# --- what administrators read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """The answers of a page (or of a month): how many said yes and no, and how many left a comment."""

    key: object  # the path, or the month
    yes: int
    no: int
    comments: int

    @property
    def total(self) -> int:
        return self.yes + self.no

    @property
    def share_no(self) -> float:
        return self.no / self.total if self.total else 0.0


def _counts():
    no = sa.func.sum(sa.case((PageFeedback.found.is_(False), 1), else_=0))
    return no, sa.func.count(PageFeedback.id), sa.func.count(PageFeedback.comment)


def months() -> list[date]:
    """The months that have answers, the latest first."""
    return list(
        db.session.scalars(sa.select(PageFeedback.month).distinct().order_by(PageFeedback.month.desc()))
    )


def parse_month(text: str | None) -> date | None:
    """The month of a filter ("2026-12"), None for anything else."""
    try:
        return date.fromisoformat(f"{text}-01") if text and len(text) == 7 else None
    except ValueError:
        return None


def worst_pages(month: date | None = None) -> list[Tally]:
    """Every page with answers (in `month`, or in all months), the worst first: the largest share of "no",
    then the most "no" answers (one "no" of one counts for less than ten of ten)."""
    no, total, comments = _counts()
    query = sa.select(PageFeedback.path, no, total, comments).group_by(PageFeedback.path)
    if month is not None:
        query = query.where(PageFeedback.month == month)
    share = sa.cast(no, sa.Float) / total
    query = query.order_by(share.desc(), no.desc(), total.desc(), PageFeedback.path)
    return [Tally(path, total - n, n, c) for path, n, total, c in db.session.execute(query)]


def page_by_month(path: str) -> list[Tally]:
    """The answers of one page, per month, the latest first."""
    no, total, comments = _counts()
    query = (
        sa.select(PageFeedback.month, no, total, comments)
        .where(PageFeedback.path == path)
        .group_by(PageFeedback.month)
        .order_by(PageFeedback.month.desc())
    )
    return [Tally(month, total - n, n, c) for month, n, total, c in db.session.execute(query)]


def page_comments(path: str, page: int, per_page: int):
    """The comments left on one page, the latest first (a page of them)."""
    query = (
        sa.select(PageFeedback)
        .where(PageFeedback.path == path, PageFeedback.comment.is_not(None))
        .order_by(PageFeedback.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def export_csv_chunks(month: date | None = None) -> Iterator[str]:
    """Every answer (of `month`, or all) as CSV for the reader's spreadsheet: page, month, language, answer,
    comment; by page, then the latest month first."""
    header = [_("Page"), _("Month"), _("Language"), _("Answer"), _("Comment")]
    yes, no = _("yes"), _("no")
    query = sa.select(
        PageFeedback.path, PageFeedback.month, PageFeedback.language, PageFeedback.found, PageFeedback.comment
    ).order_by(PageFeedback.path, PageFeedback.month.desc(), PageFeedback.id)
    if month is not None:
        query = query.where(PageFeedback.month == month)

    def rows():
        yield header
        for path, answered_in, language, found, comment in db.session.execute(
            query.execution_options(yield_per=EXPORT_BATCH)
        ):
            yield [path, f"{answered_in:%Y-%m}", language, yes if found else no, comment]

    return csv_chunks(rows())
