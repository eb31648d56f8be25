"""Bounds for server-driven paging loops (OData ``__next``, Maximo ``nextPage``, REST next
links, cursors, page numbers).

A server that answers the same next link again, keeps sending empty pages that still point to a
next one, or never stops, would keep a pull job busy forever. Every paging loop of the library
asks a :class:`PageGuard` before fetching the next page; the guard raises
:class:`~plant_sync.errors.PagingError` (permanent) instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import PagingError

DEFAULT_MAX_PAGES = 10_000
DEFAULT_MAX_EMPTY_PAGES = 3


@dataclass
class PageGuard:
    """Counts the pages of one listing. Call :meth:`next_page` after each page received, with
    the number of its records and the link (or cursor) of the next page, before following it."""

    what: str
    max_pages: int = DEFAULT_MAX_PAGES
    max_empty_pages: int = DEFAULT_MAX_EMPTY_PAGES
    pages: int = 0
    empty_in_a_row: int = 0
    _seen: set[str] = field(default_factory=set, repr=False)

    def next_page(self, rows: int, link: str | None = None) -> None:
        """Register a received page of ``rows`` records whose answer leads to another page
        (``link``: its next link or cursor, when the server gives one). Raises
        :class:`PagingError` when following it would loop or exceed the limits."""
        self.pages += 1
        self.empty_in_a_row = self.empty_in_a_row + 1 if rows == 0 else 0
        if link is not None:
            key = str(link).strip()
            if key in self._seen:
                raise PagingError(f"{self.what}: paging loops (the same next page twice)")
            self._seen.add(key)
        if self.empty_in_a_row >= max(1, self.max_empty_pages):
            raise PagingError(
                f"{self.what}: {self.empty_in_a_row} empty pages in a row still point to a "
                "next page"
            )
        if self.pages >= max(1, self.max_pages):
            raise PagingError(f"{self.what}: more than {self.max_pages} pages; stopped")
