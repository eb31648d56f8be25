"""Typed integration errors, shared by every client and by the Odoo engine.

Every failure a client can meet is raised as a subclass of :class:`IntegrationError`. Its
``transient`` flag is the one question the engine asks: retry later (transient) or stop and put a
human in the loop (permanent). Clients decide the subclass in one place each (their
``classify``/``raise_for`` functions); the engine never inspects protocol details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any


@dataclass(frozen=True)
class ErrorDetail:
    """One message of a remote system (SAP errordetails row, BAPI RETURN row, CMMS error)."""

    code: str = ""
    message: str = ""
    severity: str = ""
    target: str = ""


class IntegrationError(Exception):
    """Base class. ``transient`` says whether the same call may succeed later unchanged."""

    transient: bool = False
    category: str = "technical"  # technical | validation | business | mapping

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        status: int | None = None,
        details: list[ErrorDetail] | None = None,
        transaction_id: str = "",
        retry_after: float | None = None,
        payload: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details: list[ErrorDetail] = list(details or [])
        self.transaction_id = transaction_id
        self.retry_after = retry_after
        self.payload = payload

    def human(self) -> str:
        """Text for a planner or administrator: the message plus remote details."""
        lines = [self.message]
        lines += [f"- {d.message}" for d in self.details if d.message and d.message != self.message]
        return "\n".join(lines)

    def technical(self) -> str:
        """Text for an administrator: class, code, HTTP status, SAP transaction id."""
        parts = [type(self).__name__]
        if self.code:
            parts.append(f"code={self.code}")
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.transaction_id:
            parts.append(f"transaction={self.transaction_id}")
        return " ".join(parts)


# --- transient: the same request may succeed later -------------------------------------------
class TransientError(IntegrationError):
    transient = True


class ConnectionFailed(TransientError):
    """Network failure, reset connection, DNS, TLS handshake interrupted."""


class RemoteTimeout(TransientError):
    """No answer in time. The remote side may or may not have acted: re-check before re-creating."""


class ServiceUnavailable(TransientError):
    """5xx gateway/unavailable answers and rate limiting (429); honours ``retry_after``."""


class RateLimited(ServiceUnavailable):
    """429 Too Many Requests."""


class LockConflict(TransientError):
    """SAP enqueue lock or CMMS record lock held by another user: retry later."""


class CsrfTokenExpired(TransientError):
    """CSRF token rejected even after one transparent re-fetch."""


class CircuitOpen(TransientError):
    """The backend is marked degraded: the call was not attempted."""


# --- permanent: a human must change something first ------------------------------------------
class PermanentError(IntegrationError):
    transient = False


class ValidationError(PermanentError):
    """The remote system rejected the data (missing field, wrong value, unknown key)."""

    category = "validation"


class BusinessRuleError(PermanentError):
    """A business rule refused the operation (period closed, order already completed...)."""

    category = "business"


class AuthenticationError(PermanentError):
    """Logon failed: wrong user, password, client, API key or certificate."""


class AuthorizationError(PermanentError):
    """Logged on but not allowed (missing SAP authorisation, 403 without CSRF)."""


class NotFound(PermanentError):
    """The addressed document, entity set or object structure does not exist."""


class ConcurrentModification(PermanentError):
    """ETag/If-Match mismatch (HTTP 412): someone changed the document since we read it."""

    category = "business"


class ProtocolError(PermanentError):
    """The remote answer is not what the protocol promises (malformed JSON, HTML page, XML with a
    DTD, oversized response). Never silently treated as an empty result."""


class PagingError(ProtocolError):
    """Server-driven paging that does not end: the same next link (or cursor) twice, too many
    empty pages in a row that still point to a next page, or more pages than the limit."""


class ConfigurationError(PermanentError):
    """Our side is misconfigured: missing library (pyrfc), bad URL, URL refused by the SSRF
    guard."""


def http_date_delay(value: str) -> float | None:
    """Seconds from now until an HTTP date (the date form of ``Retry-After``), 0 when past,
    ``None`` when it is no date with a time zone."""
    try:
        when = parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


@dataclass
class Outcome:
    """What the engine needs to know about a failure, derived from any exception."""

    transient: bool
    category: str
    human: str
    technical: str
    retry_after: float | None = None
    details: list[ErrorDetail] = field(default_factory=list)


def outcome_of(exc: BaseException) -> Outcome:
    """Classify any exception. Unknown exceptions are permanent technical errors: a bug on
    our side does not become an endless retry loop."""
    if isinstance(exc, IntegrationError):
        return Outcome(
            transient=exc.transient,
            category=exc.category,
            human=exc.human(),
            technical=exc.technical(),
            retry_after=exc.retry_after,
            details=exc.details,
        )
    return Outcome(
        transient=False,
        category="technical",
        human=f"Unexpected error: {exc}",
        technical=f"{type(exc).__module__}.{type(exc).__name__}",
    )
