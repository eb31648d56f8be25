"""Signed inbound webhooks (Standard Webhooks, https://www.standardwebhooks.com): signer
(sender side) and verifier (receiver side).

Scheme (what a sender must do, documented for CMMS administrators):

* ``webhook-id``: a unique id of the event; a re-delivery of the same event keeps it. At most
  200 printable ASCII characters, no ``.`` (the signed content is dot-delimited).
* ``webhook-timestamp``: the sending time of this attempt as integer Unix seconds.
* ``webhook-signature``: a space-separated list of ``v1,<signature>`` where ``<signature>`` is
  the Base64 HMAC-SHA256 of the bytes ``<webhook-id>.<webhook-timestamp>.<raw request body>``.
  Several signatures may be sent (secret rotation on the sender side); entries with another
  version (``v1a``...) are ignored.
* The secret: ``whsec_<base64>`` (the Standard Webhooks serialisation) keys the HMAC with the
  decoded bytes; any other secret is used as its UTF-8 bytes.

The id and the timestamp are signed, so a captured delivery cannot be replayed under a fresh id
(which would pass the de-duplication) nor with a fresh timestamp (which would pass the window).

The receiver (:class:`WebhookVerifier`) checks, in this order: body size (413), presence of the
headers, a well-formed id and timestamp (401), timestamp within ``tolerance`` seconds of its
clock in both directions (401 stale), signatures in constant time against each configured secret
(401, several secrets allow rotation on the receiver side), then the signed id through a
:class:`SeenStore` - an id already seen is a replay and answers 200 without processing, so a
sender retrying a delivery whose answer was lost does not cause double processing.

Read the body with :func:`read_body` (bounded chunks): a chunked upload has no Content-Length,
so the cap must hold while reading.

The seen-store must be atomic ("insert if absent"); the in-memory store here is for one process.
The Odoo addon implements it with a table that has a unique constraint on the event id, inside the
transaction that processes the event (a failed processing rolls the mark back, so a retry of a
failed delivery is processed again).
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SIGNATURE_VERSION = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks secret prefix)
DEFAULT_TOLERANCE = 300
DEFAULT_MAX_BODY = 1024 * 1024
READ_CHUNK = 64 * 1024
MAX_SIGNATURES = 16
#: printable ASCII without "." (the delimiter of the signed content), space or ","
EVENT_ID = re.compile(r"[\x21-\x2b\x2d\x2f-\x7e]{1,200}")


class BodyReader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def secret_key(secret: str | bytes) -> bytes:
    """The HMAC key of a secret: ``whsec_<base64>`` decoded, anything else as UTF-8 bytes.
    :class:`ValueError` for a ``whsec_`` secret that is not valid Base64 or is empty."""
    if isinstance(secret, bytes):
        return secret
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("a whsec_ webhook secret must be Base64 after the prefix") from None
        if not key:
            raise ValueError("empty webhook secret")
        return key
    return secret.encode()


def signature(secret: str | bytes, event_id: str, timestamp: str | int, body: bytes) -> str:
    """Base64 HMAC-SHA256 of ``event_id + "." + timestamp + "." + body``."""
    message = f"{event_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(secret_key(secret), message, hashlib.sha256).digest()).decode()


def sign(
    secrets: str | bytes | Iterable[str | bytes],
    body: bytes,
    event_id: str,
    timestamp: int | None = None,
) -> dict[str, str]:
    """Headers a sender adds to a webhook POST of ``body``; several secrets give several
    signatures (rotation)."""
    if not EVENT_ID.fullmatch(event_id or ""):
        raise ValueError(f"invalid webhook id {event_id!r}")
    keys = [secrets] if isinstance(secrets, (str, bytes)) else list(secrets)
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {
        ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: " ".join(
            f"{SIGNATURE_VERSION},{signature(key, event_id, ts, body)}" for key in keys
        ),
    }


def read_body(stream: BodyReader, limit: int, chunk_size: int = READ_CHUNK) -> bytes | None:
    """Read ``stream`` to its end in chunks; ``None`` as soon as more than ``limit`` bytes
    came (the rest is not read: answer 413 and close the connection)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(chunk_size, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


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
        secrets: str | bytes | Iterable[str | bytes],
        seen_store: SeenStore | None = None,
        *,
        tolerance: int = DEFAULT_TOLERANCE,
        max_body: int = DEFAULT_MAX_BODY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        given = [secrets] if isinstance(secrets, (str, bytes)) else [s for s in secrets if s]
        self._keys = [secret_key(s) for s in given if s]  # ValueError for a bad whsec_ secret
        if not self._keys:
            raise ValueError("a webhook verifier needs at least one secret")
        self.seen_store = seen_store if seen_store is not None else InMemorySeenStore(clock)
        self.tolerance = tolerance
        self.max_body = max_body
        self.clock = clock

    def verify(
        self, headers: Mapping[str, str], body: bytes | None, *, content_length: int | None = None
    ) -> VerificationResult:
        """Check one delivery. ``headers`` lookup is case-insensitive. Pass ``content_length``
        when known so an oversized request is refused before its body is read, and ``None`` as
        ``body`` when :func:`read_body` found it over the limit."""
        if (
            body is None
            or (content_length is not None and content_length > self.max_body)
            or len(body) > self.max_body
        ):
            return VerificationResult(Verdict.TOO_LARGE, f"body larger than {self.max_body} bytes")
        get = _getter(headers)
        event_id, raw_ts, raw_sig = get(ID_HEADER), get(TIMESTAMP_HEADER), get(SIGNATURE_HEADER)
        if not event_id or not raw_ts or not raw_sig:
            return VerificationResult(Verdict.BAD_SIGNATURE, "missing signature headers")
        if not EVENT_ID.fullmatch(event_id) or not raw_ts.isascii() or not raw_ts.isdigit():
            return VerificationResult(Verdict.BAD_SIGNATURE, "malformed webhook id or timestamp")
        if len(raw_ts) > 12 or len(raw_sig) > 4096:
            return VerificationResult(Verdict.BAD_SIGNATURE, "malformed timestamp or signature")
        timestamp = int(raw_ts)
        if abs(self.clock() - timestamp) > self.tolerance:
            return VerificationResult(
                Verdict.STALE, "timestamp outside the accepted window", event_id, timestamp
            )
        offered = [
            value.encode("ascii", "replace")
            for version, _, value in (entry.partition(",") for entry in raw_sig.split())
            if version == SIGNATURE_VERSION and value
        ][:MAX_SIGNATURES]
        valid = False
        for key in self._keys:
            expected = signature(key, event_id, raw_ts, body).encode()
            for candidate in offered:
                # constant time per comparison; evaluate all to keep the timing uniform
                valid |= hmac.compare_digest(expected, candidate)
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
