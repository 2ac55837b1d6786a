"""Pages of an in-memory list, with the interface of Flask-SQLAlchemy's Pagination that the
`pagination` template macro uses (page, pages, has_prev, prev_num, has_next, next_num, iter_pages)."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ListPage:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, edge: int = 2, around: int = 2) -> Iterator[int | None]:
        """Page numbers to show, None where a gap is elided: 1 2 … 7 8 [9] 10 11 … 19 20."""
        last = 0
        for number in range(1, self.pages + 1):
            if number <= edge or number > self.pages - edge or abs(number - self.page) <= around:
                if last and number - last > 1:
                    yield None
                yield number
                last = number


def paginate_list(items: Sequence[Any], page: int | None, per_page: int) -> ListPage:
    """The requested page of `items`; a page number out of range gives the nearest page."""
    total = len(items)
    pages = max(1, -(-total // per_page))
    number = min(max(1, page or 1), pages)
    start = (number - 1) * per_page
    return ListPage(list(items[start : start + per_page]), number, per_page, total)
