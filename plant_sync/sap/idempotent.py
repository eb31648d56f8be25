"""The one retry layer of the SAP library, and exactly-once creates from the client side.

Transports (OData client, RFC client) make a single attempt per call; only protocol steps that
are not a retry of a failure happen inside them (a CSRF token re-fetched after "CSRF token
validation failed", a new OAuth token after a 401, the next page). Every repetition with back-off
happens here, bounded by ``SapConnectionConfig.max_attempts``: :meth:`Retrier.read` for one
remote read, :func:`create_once` for creates, :func:`reach` for status changes. With
``max_attempts=1`` nothing is repeated and nothing sleeps (the Odoo engine and queue_job retry).

SAP has no idempotency header, so every create carries our 16-character key in a document field
(see the simulator README / ops modules for which) and :func:`create_once` runs the protocol:

1. look the key up; if a document carries it, return it (``created=False``);
2. create; on success return it (``created=True``);
3. on a transient failure (timeout, reset, 5xx, lock, even a dropped connection after SAP
   committed) look the key up again *before* retrying, and return what is found
   (``created=False, recovered=True``); otherwise back off and retry, up to ``max_attempts``.

Within one process, concurrent creates with the same key are serialised by a per-key lock, so
20 threads replaying one create produce one document. Across processes (Odoo workers) the
caller holds a database advisory lock per key (see docs/STYLE: "Import safely").
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from ..errors import BusinessRuleError, ConfigurationError, IntegrationError
from .models import CreateResult, Message

T = TypeVar("T")
S = TypeVar("S")
log = logging.getLogger("plant_sync.sap.idempotent")

_registry_lock = threading.Lock()
_key_locks: dict[str, list] = {}  # key -> [lock, users]


@contextlib.contextmanager
def key_lock(key: str) -> Iterator[None]:
    with _registry_lock:
        entry = _key_locks.setdefault(key, [threading.Lock(), 0])
        entry[1] += 1
    try:
        with entry[0]:
            yield
    finally:
        with _registry_lock:
            entry[1] -= 1
            if entry[1] == 0:
                _key_locks.pop(key, None)


def check_key(key: str, max_length: int) -> str:
    if not key or not isinstance(key, str) or not key.strip():
        raise ConfigurationError("An idempotency key is required for every SAP create")
    if len(key) > max_length:
        raise ConfigurationError(
            f"Idempotency key {key!r} is longer than the {max_length} characters of its SAP field"
        )
    return key


class Retrier:
    """Bounded retries of transient failures with exponential back-off (Retry-After wins)."""

    def __init__(self, attempts: int, backoff: float, cap: float) -> None:
        self.attempts, self.backoff, self.cap = max(1, attempts), backoff, cap

    def pause(self, attempt: int, exc: IntegrationError) -> None:
        delay = self.backoff * (2**attempt)
        if exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        time.sleep(min(delay, self.cap))

    def again(self, attempt: int, exc: IntegrationError) -> bool:
        """After failed attempt ``attempt`` (0-based): back off and return True when ``exc`` is
        transient and an attempt is left; False means: raise it."""
        if not exc.transient or attempt >= self.attempts - 1:
            return False
        log.info("SAP call failed (%s), retry %d/%d", exc.technical(), attempt + 1, self.attempts)
        self.pause(attempt, exc)
        return True

    def read(self, fn: Callable[[], T]) -> T:
        """``fn`` is one remote read (no side effect): repeated as it is."""
        for attempt in range(self.attempts):
            try:
                return fn()
            except IntegrationError as exc:
                if not self.again(attempt, exc):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


def reach(
    read: Callable[[], S],
    reached: Callable[[S], bool],
    action: Callable[[], object],
    retrier: Retrier,
) -> S:
    """Bring a document to a state with ``action`` (release, TECO, close, complete): repeated
    only after ``read`` shows the state still not reached, so a lost answer never acts twice.
    A business error is accepted when the state was reached meanwhile (a concurrent call)."""
    for attempt in range(retrier.attempts):
        current = read()
        if reached(current):
            return current
        try:
            action()
        except BusinessRuleError:
            current = read()
            if not reached(current):
                raise
            return current
        except IntegrationError as exc:
            if not retrier.again(attempt, exc):
                raise
            continue
        return read()
    raise AssertionError("unreachable")  # pragma: no cover


def create_once(
    key: str,
    *,
    lookup: Callable[[], T | None],
    create: Callable[[], tuple[T, list[Message]]],
    retrier: Retrier,
    namespace: str = "",
) -> CreateResult[T]:
    with key_lock(f"{namespace}:{key}"):
        # the look-up's reads are each retried already (Retrier.read in the ops layer)
        existing = lookup()
        if existing is not None:
            return CreateResult(existing, created=False, idempotency_key=key, attempts=0)
        for attempt in range(retrier.attempts):
            try:
                document, messages = create()
                return CreateResult(
                    document,
                    created=True,
                    idempotency_key=key,
                    attempts=attempt + 1,
                    messages=messages,
                )
            except IntegrationError as exc:
                if not retrier.again(attempt, exc):
                    raise
                log.info("Create %s failed; re-checking its key before the retry", key)
                existing = lookup()
                if existing is not None:
                    return CreateResult(
                        existing,
                        created=False,
                        idempotency_key=key,
                        attempts=attempt + 1,
                        recovered=True,
                    )
        raise AssertionError("unreachable")  # pragma: no cover
