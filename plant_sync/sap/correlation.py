"""The correlation id of the current message, carried to SAP without threading it through every
call: ``with correlation_scope(message.correlation_id): service.create_notification(...)``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from ..idempotency import new_correlation_id

_current: ContextVar[str | None] = ContextVar("plant_sync_sap_correlation_id", default=None)


def current_correlation_id() -> str:
    """The id set by :func:`correlation_scope`, or a fresh one per call."""
    return _current.get() or new_correlation_id()


@contextlib.contextmanager
def correlation_scope(correlation_id: str | None = None) -> Iterator[str]:
    cid = correlation_id or new_correlation_id()
    token = _current.set(cid)
    try:
        yield cid
    finally:
        _current.reset(token)
