"""Signed inbound webhooks: signer (sender side) and verifier (receiver side).

Scheme (what a sender must do, documented for CMMS administrators):

* ``X-PlantSync-Timestamp``: the sending time as integer Unix seconds.
* ``X-PlantSync-Event-Id``: a unique id of the event; a re-delivery of the same event keeps it.
* ``X-PlantSync-Signature``: ``sha256=<hex>`` where ``<hex>`` is the lowercase hex
  HMAC-SHA256, keyed with the shared secret (UTF-8), of the bytes
  ``<timestamp> + "." + <raw request body>``. Several ``sha256=`` values may be given separated
  by commas (secret rotation on the sender side).

The receiver (:class:`WebhookVerifier`) checks, in this order: body size (413), presence of the
headers and a well-formed timestamp (401), timestamp within ``tolerance`` seconds of its clock
in both directions (401 stale), signature in constant time against each configured secret (401,
several secrets allow rotation), then the event id through a :class:`SeenStore` - an event id
already seen is a replay and answers 200 without processing, so a sender retrying a delivery
whose answer was lost does not cause double processing.

The seen-store must be atomic ("insert if absent"); the in-memory store here is for one process.
The Odoo addon implements it with a table that has a unique constraint on the event id, inside the
transaction that processes the event (a failed processing rolls the mark back, so a retry of a
failed delivery is processed again).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

TIMESTAMP_HEADER = "X-PlantSync-Timestamp"
SIGNATURE_HEADER = "X-PlantSync-Signature"
EVENT_ID_HEADER = "X-PlantSync-Event-Id"
SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE = 300
DEFAULT_MAX_BODY = 1024 * 1024


def signature(secret: str, timestamp: str | int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``timestamp + "." + body``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, event_id: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers a sender adds to a webhook POST of ``body``."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {
        TIMESTAMP_HEADER: str(ts),
        EVENT_ID_HEADER: event_id,
        SIGNATURE_HEADER: SIGNATURE_PREFIX + signature(secret, ts, body),
    }


class Verdict(enum.Enum):
    OK = "ok"
    BAD_SIGNATURE = "bad_signature"
    STALE = "stale"
    REPLAY = "replay"
    TOO_LARGE = "too_large"


HTTP_STATUS = {
    Verdict.OK: 200,
    Verdict.BAD_SIGNATURE: 401,
    Verdict.STALE: 401,
    Verdict.REPLAY: 200,
    Verdict.TOO_LARGE: 413,
}


@dataclass(frozen=True)
class VerificationResult:
    verdict: Verdict
    reason: str = ""
    event_id: str = ""
    timestamp: int | None = None

    @property
    def ok(self) -> bool:
        """Process the event only when this is true (a replay is answered 200 but not processed)."""
        return self.verdict is Verdict.OK

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.verdict]


class SeenStore(Protocol):
    """Remembers processed event ids. ``remember`` must be atomic: return True exactly once per
    event id (the first caller), False for every later one while the id is kept."""

    def remember(self, event_id: str, ttl: float) -> bool: ...


class InMemorySeenStore:
    """Thread-safe, single-process seen-store with expiry (for tests, the simulator, small
    deployments). Ids are kept ``ttl`` seconds - longer than the timestamp window, so a replay
    cannot outlive its memory and still pass the timestamp check."""

    def __init__(self, clock: Callable[[], float] = time.time, max_entries: int = 100_000) -> None:
        self._clock = clock
        self._max = max_entries
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def remember(self, event_id: str, ttl: float) -> bool:
        now = self._clock()
        with self._lock:
            expires = self._expiry.get(event_id)
            if expires is not None and expires > now:
                return False
            if len(self._expiry) >= self._max:
                self._expiry = {k: v for k, v in self._expiry.items() if v > now}
            self._expiry[event_id] = now + ttl
            return True

    def forget(self, event_id: str) -> None:
        """Drop an id (processing failed and the sender should be able to retry)."""
        with self._lock:
            self._expiry.pop(event_id, None)

    def __contains__(self, event_id: str) -> bool:
        with self._lock:
            expires = self._expiry.get(event_id)
            return expires is not None and expires > self._clock()


class WebhookVerifier:
    def __init__(
        self,
        secrets: str | Iterable[str],
        seen_store: SeenStore | None = None,
        *,
        tolerance: int = DEFAULT_TOLERANCE,
        max_body: int = DEFAULT_MAX_BODY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.secrets = [secrets] if isinstance(secrets, str) else [s for s in secrets if s]
        if not self.secrets:
            raise ValueError("a webhook verifier needs at least one secret")
        self.seen_store = seen_store if seen_store is not None else InMemorySeenStore(clock)
        self.tolerance = tolerance
        self.max_body = max_body
        self.clock = clock

    def verify(
        self, headers: Mapping[str, str], body: bytes, *, content_length: int | None = None
    ) -> VerificationResult:
        """Check one delivery. ``headers`` lookup is case-insensitive. Pass ``content_length``
        when known so an oversized request is refused before its body is read."""
        if (content_length is not None and content_length > self.max_body) or len(
            body
        ) > self.max_body:
            return VerificationResult(Verdict.TOO_LARGE, f"body larger than {self.max_body} bytes")
        get = _getter(headers)
        raw_ts, raw_sig, event_id = (
            get(TIMESTAMP_HEADER),
            get(SIGNATURE_HEADER),
            get(EVENT_ID_HEADER),
        )
        if not raw_ts or not raw_sig or not event_id:
            return VerificationResult(Verdict.BAD_SIGNATURE, "missing signature headers")
        if not raw_ts.isdigit() or len(raw_ts) > 12 or len(event_id) > 200:
            return VerificationResult(Verdict.BAD_SIGNATURE, "malformed timestamp or event id")
        timestamp = int(raw_ts)
        if abs(self.clock() - timestamp) > self.tolerance:
            return VerificationResult(
                Verdict.STALE, "timestamp outside the accepted window", event_id, timestamp
            )
        offered = [
            s.strip()[len(SIGNATURE_PREFIX) :]
            for s in raw_sig.split(",")
            if s.strip().startswith(SIGNATURE_PREFIX)
        ]
        valid = False
        for secret in self.secrets:
            expected = signature(secret, raw_ts, body)
            for candidate in offered:
                # compare_digest on equal-type str; evaluate all to keep timing uniform
                valid |= hmac.compare_digest(
                    expected.encode(), candidate.lower().encode("utf-8", "replace")
                )
        if not valid:
            return VerificationResult(
                Verdict.BAD_SIGNATURE, "signature mismatch", event_id, timestamp
            )
        if not self.seen_store.remember(event_id, ttl=2 * self.tolerance + 60):
            return VerificationResult(Verdict.REPLAY, "event already received", event_id, timestamp)
        return VerificationResult(Verdict.OK, "", event_id, timestamp)


def _getter(headers: Mapping[str, str]) -> Callable[[str], str]:
    lowered = {str(k).lower(): v for k, v in headers.items()}

    def get(name: str) -> str:
        value = lowered.get(name.lower())
        return str(value).strip() if value is not None else ""

    return get
