"""Classification of CMMS failures into the typed errors of :mod:`plant_sync.errors`.

One place decides transient vs permanent for every CMMS protocol:

* HTTP status (all clients): 401 auth, 403 authorisation, 404 not found, 412 stale version
  (``If-Match``), 423 locked, 408/429/5xx transient (``Retry-After`` honoured).
* Maximo reason codes (JSON ``Error.reasonCode`` or the ``BMXAA....`` prefix of a SOAP
  faultstring): "record updated by another user" (BMXAA8229W, BMXAA4200E in Maximo 6+) is a
  transient lock conflict - IBM's own advice for integration queues is to retry it - and so is a
  record lock; invalid login is an authentication error; everything else reported as a 4xx is a
  validation error the user must fix.
* Network and timeout exceptions of ``requests``.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from ..errors import (
    AuthenticationError,
    AuthorizationError,
    BusinessRuleError,
    ConcurrentModification,
    ConnectionFailed,
    ErrorDetail,
    IntegrationError,
    LockConflict,
    NotFound,
    ProtocolError,
    RateLimited,
    RemoteTimeout,
    ServiceUnavailable,
    ValidationError,
    http_date_delay,
)

REASON_CODE = re.compile(r"\b(BMXAA\d{4}[EWI]?)\b")

# "Record ... has been updated by another user" (7.x / 6.x message ids)
MAXIMO_STALE_CODES = frozenset({"BMXAA8229W", "BMXAA4200E"})
# "User name and password combination are not valid"
MAXIMO_AUTH_CODES = frozenset({"BMXAA0021E"})
# record already exists (duplicate key)
MAXIMO_DUPLICATE_CODES = frozenset({"BMXAA4129E"})
LOCK_TEXT = re.compile(r"updated by another user|is locked|locked by|record lock", re.IGNORECASE)

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return http_date_delay(value)


def from_http(
    status: int,
    message: str,
    *,
    code: str = "",
    retry_after: float | None = None,
    details: list[ErrorDetail] | None = None,
    payload: Any = None,
) -> IntegrationError:
    """The typed error for an HTTP failure with an optional remote error code."""
    kwargs = {"code": code, "status": status, "details": details, "payload": payload}
    reason = code or _reason_code(message)
    if reason in MAXIMO_STALE_CODES or (reason and LOCK_TEXT.search(message)):
        if status == 412:
            return ConcurrentModification(message, **kwargs)
        return LockConflict(message, retry_after=retry_after, **kwargs)
    if reason in MAXIMO_AUTH_CODES or status == 401:
        return AuthenticationError(message, **kwargs)
    if status == 403:
        return AuthorizationError(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 412:
        return ConcurrentModification(message, **kwargs)
    if status == 423:
        return LockConflict(message, retry_after=retry_after, **kwargs)
    if status == 429:
        return RateLimited(message, retry_after=retry_after, **kwargs)
    if status == 409 or reason in MAXIMO_DUPLICATE_CODES:
        return BusinessRuleError(message, **kwargs)
    if status in TRANSIENT_STATUSES or status >= 500:
        return ServiceUnavailable(message, retry_after=retry_after, **kwargs)
    if 400 <= status < 500:
        return ValidationError(message, **kwargs)
    return ProtocolError(message, **kwargs)


def from_maximo_json(status: int, body: Any, retry_after: float | None = None) -> IntegrationError:
    """Maximo's error document ``{"Error": {"reasonCode", "message", "statusCode"}}`` (also the
    batched ``attrerrors`` form) -> typed error."""
    error = body.get("Error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return from_http(status, f"Maximo answered HTTP {status}", retry_after=retry_after)
    code = str(error.get("reasonCode") or "")
    message = str(error.get("message") or f"Maximo answered HTTP {status}")
    details = [ErrorDetail(code=code, message=message, severity="error")]
    items = body.get("attrerrors")
    for item in items if isinstance(items, list) else []:
        sub = item.get("Error") if isinstance(item, dict) else None
        if not isinstance(sub, dict):
            continue
        details.append(
            ErrorDetail(
                code=str(sub.get("reasonCode") or ""),
                message=str(sub.get("message") or ""),
                severity="error",
                target=str(sub.get("errorattrname") or ""),
            )
        )
    return from_http(
        status, message, code=code, retry_after=retry_after, details=details, payload=body
    )


def from_soap_fault(message: str, code: str = "", detail_text: str = "") -> IntegrationError:
    """A SOAP fault. Client faults (``soap:Client``/``Sender``) are the caller's data; server
    faults are classified by their reason code, unknown ones as transient service errors."""
    text = message or "SOAP fault"
    reason = _reason_code(text) or _reason_code(detail_text)
    local = (code or "").rsplit("}", 1)[-1].rsplit(":", 1)[-1]
    details = [ErrorDetail(code=reason or local, message=text, severity="error")]
    if reason:
        error = from_http(400, text, code=reason, details=details)
        if isinstance(error, (LockConflict, AuthenticationError, NotFound, BusinessRuleError)):
            return error
        return ValidationError(text, code=reason, details=details)
    if local in ("Client", "Sender"):
        return ValidationError(text, code=local, details=details)
    return ServiceUnavailable(text, code=local, details=details)


def from_exception(exc: BaseException, what: str) -> IntegrationError:
    """``requests`` exceptions -> typed transient errors (other exceptions pass through)."""
    if isinstance(exc, IntegrationError):
        return exc
    if isinstance(exc, requests.Timeout):
        return RemoteTimeout(f"{what}: no answer in time ({type(exc).__name__})")
    if isinstance(exc, requests.ConnectionError):
        return ConnectionFailed(f"{what}: connection failed ({type(exc).__name__})")
    if isinstance(exc, requests.RequestException):
        return ConnectionFailed(f"{what}: HTTP failure ({type(exc).__name__})")
    return ProtocolError(f"{what}: {type(exc).__name__}: {exc}")


def _reason_code(text: str) -> str:
    match = REASON_CODE.search(text or "")
    return match.group(1) if match else ""
