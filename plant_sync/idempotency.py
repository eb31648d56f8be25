"""Idempotency keys and correlation ids.

An idempotency key names one business effect (e.g. "create the SAP notification for maintenance
request 42"), not one attempt: every retry, replay or duplicate job computes the same key. Keys are
16 characters of base32 so they fit the shortest SAP reference fields we carry them in (XBLNR and
similar CHAR16 fields); the full, readable source of a key stays on our side (message record).
"""

from __future__ import annotations

import base64
import hashlib
import uuid

KEY_LENGTH = 16


def make_key(*parts: object) -> str:
    """Deterministic key from the parts that identify the business effect."""
    if not parts:
        raise ValueError("an idempotency key needs at least one part")
    raw = "\x1f".join(str(p) for p in parts).encode()
    digest = hashlib.sha256(raw).digest()
    return base64.b32encode(digest).decode()[:KEY_LENGTH]


def new_correlation_id() -> str:
    """A fresh id carried through outbound headers/fields and back (one per message)."""
    return uuid.uuid4().hex
