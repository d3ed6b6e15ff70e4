"""A page of results whose rows and total were fetched by the caller's own queries.

``db.paginate`` serves plain listings. Where the rows come from a query of its own (ids
first from an index, then only those rows) a page is built from what was fetched, through
public attributes only: nothing here depends on a library's private hooks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any


@dataclass(frozen=True)
class Page:
    """``items`` of page ``page`` (1-based) out of ``total`` rows, ``per_page`` to a page.

    It answers what templates/_pagination.html asks of ``db.paginate``'s pages.
    """

    items: Sequence[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return ceil(self.total / self.per_page) if self.total else 0

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

    def iter_pages(
        self,
        *,
        left_edge: int = 2,
        left_current: int = 2,
        right_current: int = 4,
        right_edge: int = 2,
    ) -> Iterator[int | None]:
        """Page numbers for the page links; ``None`` stands for the pages left out between."""
        shown = sorted(
            {n for n in range(1, min(left_edge, self.pages) + 1)}
            | {
                n
                for n in range(self.page - left_current, self.page + right_current + 1)
                if 1 <= n <= self.pages
            }
            | {n for n in range(self.pages - right_edge + 1, self.pages + 1) if n >= 1}
        )
        previous = 0
        for number in shown:
            if number > previous + 1:
                yield None
            yield number
            previous = number
        if 0 < previous < self.pages:
            yield None
