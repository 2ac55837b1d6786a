"""HTML fragments a process renders once for what they show, and keeps: the proposals page's cards
(matches.cards) and the participant list's (events.cards).

A list page renders dozens of the same small fragments, and a reader comes back to them: answering a proposal
or requesting a meeting reloads the page with the other cards unchanged, and so do paging and colleagues. Each
fragment is rendered from a frozen snapshot (a NamedTuple) of every value it shows, and its template sees
nothing else, so the snapshot (with the page's language) is the whole key: a fragment whose data changed has
another key and is rendered afresh; nothing is ever invalidated. A process keeps the last N of each kind."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app, request
from markupsafe import Markup

from matchmaker.i18n import current_catalogue


class Kept:
    """The last `size` fragments of one kind rendered by this process, by key (least recently used out
    first)."""

    def __init__(self):
        self.fragments: OrderedDict[tuple, Markup] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self.fragments)

    def get(self, key: tuple) -> Markup | None:
        with self.lock:
            html = self.fragments.get(key)
            if html is None:
                self.misses += 1
            else:
                self.hits += 1
                self.fragments.move_to_end(key)
            return html

    def put(self, key: tuple, html: Markup, size: int) -> None:
        with self.lock:
            self.fragments[key] = html
            while len(self.fragments) > size:
                self.fragments.popitem(last=False)

    def rendered(self, key: tuple, size: int, render: Callable[[], Markup]) -> Markup:
        """The fragment kept under `key`, else `render()`'s, which is kept (at most `size` of them)."""
        html = self.get(key)
        if html is None:
            html = render()
            self.put(key, html, size)
        return html

    def clear(self) -> None:
        with self.lock:
            self.fragments.clear()
            self.hits = self.misses = 0


def page_key() -> tuple:
    """What a kept fragment's HTML depends on besides its snapshot, the same for every fragment of this
    request: the language's catalogue, the language prefix of its links and the app's Jinja environment."""
    return (current_catalogue(), request.root_path, current_app.jinja_env)
