"""The one place that decides which typed error an SAP failure becomes.

Inputs are whatever SAP hands back — an HTTP status with headers and a parsed Gateway error,
a BAPI RETURN row, a pyrfc exception, a requests exception — and the output is always a
subclass of :class:`plant_sync.errors.IntegrationError` whose ``transient`` flag tells the engine
whether to retry.

Transient: timeouts, connection resets, 429/502/503/504 (with Retry-After), SAP enqueue lock
conflicts (MC 601 "Object requested is currently locked by user", IM 416 "Notification &1
locked by &2", M3 897 "The plant data of the material is locked by the user", 06 001 "Table
record blocked by another user", ME 006 "User already processing", and any E message naming the
user holding a lock) and CSRF token expiry. Permanent: validation,
authorisation, not found, business rules (posting period closed, stock deficit, wrong status).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import (
    AuthenticationError,
    AuthorizationError,
    BusinessRuleError,
    ConcurrentModification,
    ConfigurationError,
    ConnectionFailed,
    CsrfTokenExpired,
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

# --- SAP messages (message class, number) -----------------------------------------------------
# Enqueue lock conflicts: the object is held by another user/process; retry later.
LOCK_MESSAGES: frozenset[tuple[str, str]] = frozenset(
    {
        ("MC", "601"),  # Object requested is currently locked by user &1
        ("IM", "416"),  # Notification &1 locked by &2
        ("M3", "897"),  # The plant data of the material &1 is locked by the user &2
        ("06", "001"),  # Table &1 record &2 &3 &4 &5 blocked by another user
        ("ME", "006"),  # User &1 already processing &2 &3
    }
)
# Any other message naming the holder of a lock ("... is currently being processed by user X")
# is a lock too; "User X is locked" (a locked logon) is not.
LOCK_TEXT = re.compile(
    r"(locked by|is (currently )?being (processed|edited) by|already (being )?process(ed|ing)"
    r"( by)?|blocked by (another )?user|foreign lock)",
    re.IGNORECASE,
)
AUTH_TEXT = re.compile(
    r"(no authori[sz]ation|not authori[sz]ed|authori[sz]ation (check )?fail)", re.IGNORECASE
)
NOT_FOUND_MESSAGES: frozenset[tuple[str, str]] = frozenset(
    {
        ("/IWBEP/CM_MGW_RT", "020"),  # Resource not found for segment '&1'
        ("/IWFND/MED", "170"),  # No service found for namespace &1, name &2, version &3
        ("06", "011"),  # Item &1 does not exist
        ("06", "019"),  # Document &1 does not exist
    }
)
NOT_FOUND_TEXT = re.compile(r"(does not exist|not found|no .{0,40} found|not maintained)", re.I)
BUSINESS_MESSAGES: frozenset[tuple[str, str]] = frozenset(
    {
        ("M7", "021"),  # Deficit of &1 &2 &3 : &4 &5 &6 (stock shortfall)
        ("M7", "022"),  # Deficit of &1 &2 &3 : &4 &5 &6 (reservation / negative stock)
        ("M7", "053"),  # Posting only possible in periods &1 and &2 in company code &3
        ("BS", "002"),  # &1 is not allowed (&2 &3)   (status management)
        ("BS", "006"),  # &1 is not allowed (&2)
        ("BS", "007"),  # &1 is not allowed (&2)
        ("BS", "013"),  # System status &1 is active (&2)
        ("06", "020"),  # The document has already been deleted and cannot be changed
    }
)
CONFLICT_MESSAGES: frozenset[tuple[str, str]] = frozenset(
    {("/IWBEP/CM_MGW_RT", "190")}  # State of the resource (entity) was already changed (If-Match)
)
BUSINESS_TEXT = re.compile(
    r"(deficit of|posting only possible in period|period .{0,20} (is )?(closed|not open)|"
    r"already (been )?(reversed|cancell?ed|completed|technically completed|closed|confirmed)|"
    r"not allowed|not permitted|is (closed|completed|deleted)|status .{0,20} is active)",
    re.IGNORECASE,
)

TRANSIENT_STATUS = {429, 502, 503, 504}
ERROR_TYPES = ("E", "A", "X")


def split_code(code: str) -> tuple[str, str]:
    """'MC/601' -> ('MC', '601'); '/IWBEP/CM_MGW_RT/020' -> ('/IWBEP/CM_MGW_RT', '020');
    'SY530' and '' are tolerated."""
    code = (code or "").strip()
    if "/" in code:
        head, _, number = code.rpartition("/")
        return head.upper(), number.strip()
    match = re.fullmatch(r"([A-Z0-9_]+?)(\d{3})", code.upper())
    if match:
        return match.group(1), match.group(2)
    return code.upper(), ""


def message_class(msg_id: str, number: str, text: str) -> type[IntegrationError] | None:
    """Typed error for one SAP message (class, number, text), or ``None`` when nothing is
    recognised. Known (class, number) pairs win over text patterns; locks first, because a
    lock message is the only transient one."""
    key = ((msg_id or "").strip().upper(), (number or "").strip().zfill(3) if number else "")
    if key in LOCK_MESSAGES:
        return LockConflict
    if key in CONFLICT_MESSAGES:
        return ConcurrentModification
    if key in NOT_FOUND_MESSAGES:
        return NotFound
    if key in BUSINESS_MESSAGES:
        return BusinessRuleError
    text = text or ""
    if LOCK_TEXT.search(text) and not re.search(r"\buser .{0,40}\bis locked\b", text, re.I):
        return LockConflict
    if AUTH_TEXT.search(text):
        return AuthorizationError
    if BUSINESS_TEXT.search(text):
        return BusinessRuleError
    if NOT_FOUND_TEXT.search(text):
        return NotFound
    return None


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Retry-After as seconds (delta-seconds or HTTP date)."""
    if not headers:
        return None
    value = _header(headers, "retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    return http_date_delay(value)


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def classify_http(
    status: int,
    headers: Mapping[str, str] | None = None,
    *,
    code: str = "",
    message: str = "",
    details: Iterable[ErrorDetail] = (),
    transaction_id: str = "",
    payload: Any = None,
) -> IntegrationError:
    """Typed error for a failed OData call (status + parsed SAP Gateway error)."""
    headers = headers or {}
    details = list(details)
    retry_after = retry_after_seconds(headers)
    text = message or f"SAP answered HTTP {status}"
    cls = _http_class(status, headers, code, text, details)
    return cls(
        text,
        code=code,
        status=status,
        details=details,
        transaction_id=transaction_id,
        retry_after=retry_after,
        payload=payload,
    )


def _http_class(
    status: int,
    headers: Mapping[str, str],
    code: str,
    text: str,
    details: list[ErrorDetail],
) -> type[IntegrationError]:
    if status == 403 and _header(headers, "x-csrf-token").lower() == "required":
        return CsrfTokenExpired
    if status == 401:
        return AuthenticationError
    if status == 412:
        return ConcurrentModification
    if status == 423:
        return LockConflict  # "Locked": SAP RAP/Gateway answer to an enqueue conflict
    if status == 429:
        return RateLimited
    if status in TRANSIENT_STATUS:
        return ServiceUnavailable
    if status == 408:
        return RemoteTimeout
    by_message = _classify_messages(code, text, details)
    if by_message is LockConflict:
        return LockConflict  # a lock wins whatever the status (SAP sends 400 or 500)
    if status == 403:
        return AuthorizationError
    if status == 404:
        return NotFound
    if status in (405, 406, 415, 501):
        return ProtocolError
    if by_message is not None:
        return by_message
    if status == 409:
        return BusinessRuleError
    if status == 428:
        return ValidationError
    if 400 <= status < 500:
        return ValidationError
    # 500 without a recognisable business message: an ABAP dump or Gateway failure; SAP
    # recovers from those (work process restarts, update task free again) — retry, bounded
    # by the engine's retry pattern.
    return ServiceUnavailable


def _classify_messages(
    code: str, text: str, details: list[ErrorDetail]
) -> type[IntegrationError] | None:
    """The top message, then error details; a lock anywhere makes the whole failure a lock."""
    candidates = [(code, text)] + [
        (d.code, d.message) for d in details if (d.severity or "error").lower() != "info"
    ]
    found: list[type[IntegrationError]] = []
    for c, t in candidates:
        cls = message_class(*split_code(c), t)
        if cls is not None:
            found.append(cls)
    if LockConflict in found:
        return LockConflict
    return found[0] if found else None


# --- BAPI RETURN -------------------------------------------------------------------------------
def return_detail(row: Mapping[str, Any]) -> ErrorDetail:
    msg_id = str(row.get("ID", "") or "").strip()
    number = str(row.get("NUMBER", "") or "").strip()
    return ErrorDetail(
        code=f"{msg_id}/{number}" if msg_id or number else "",
        message=str(row.get("MESSAGE", "") or "").strip(),
        severity=str(row.get("TYPE", "") or "").strip(),
        target=str(row.get("FIELD", "") or row.get("PARAMETER", "") or "").strip(),
    )


def classify_return(rows: Iterable[Mapping[str, Any]]) -> IntegrationError | None:
    """Typed error for a BAPI RETURN table (or single RETURN structure), or ``None`` when no
    row is of type E/A (W/I/S are messages, not failures)."""
    rows = [r for r in rows if r]
    errors = [r for r in rows if str(r.get("TYPE", "")).strip().upper() in ERROR_TYPES]
    if not errors:
        return None
    details = [return_detail(r) for r in rows]
    found = [
        message_class(str(r.get("ID", "")), str(r.get("NUMBER", "")), str(r.get("MESSAGE", "")))
        for r in errors
    ]
    cls: type[IntegrationError]
    if LockConflict in found:
        cls = LockConflict
        first = errors[found.index(LockConflict)]
    else:
        cls = next((c for c in found if c is not None), ValidationError)
        first = errors[0]
    detail = return_detail(first)
    return cls(detail.message or "SAP rejected the call", code=detail.code, details=details)


# --- RFC (pyrfc exceptions, by class name so real pyrfc and our compat classes map alike) ----
def classify_rfc_exception(exc: BaseException) -> IntegrationError:
    names = [k.__name__ for k in type(exc).__mro__]
    message = str(getattr(exc, "message", None) or exc)
    msg_class = str(getattr(exc, "msg_class", "") or "")
    msg_number = str(getattr(exc, "msg_number", "") or "")
    key = str(getattr(exc, "key", "") or "")
    code_num = getattr(exc, "code", None)
    code = f"{msg_class}/{msg_number}" if msg_class else key
    if code_num == 8 or key == "RFC_TIMEOUT":
        return RemoteTimeout(message, code=key or code, payload=_rfc_payload(exc))
    if "CommunicationError" in names or code_num in (1, 6, 7):
        return ConnectionFailed(message, code=key or code, payload=_rfc_payload(exc))
    if "LogonError" in names:
        return AuthenticationError(message, code=key or code, payload=_rfc_payload(exc))
    if "ExternalAuthorizationError" in names or code_num == 29:
        return AuthorizationError(message, code=key or code, payload=_rfc_payload(exc))
    if key in MISSING_FUNCTION_KEYS or (msg_class.upper(), msg_number) == ("FL", "046"):
        return ConfigurationError(
            f"The SAP system lacks a function, table or field this client needs: {message}",
            code=key or code,
            payload=_rfc_payload(exc),
        )
    if "ABAPApplicationError" in names or "ExternalApplicationError" in names:
        cls = message_class(msg_class, msg_number, message) or _application_key_class(key)
        return cls(message, code=code, payload=_rfc_payload(exc))
    if "ABAPRuntimeError" in names:
        if message_class(msg_class, msg_number, message) is LockConflict:
            return LockConflict(message, code=code, payload=_rfc_payload(exc))
        return ServiceUnavailable(message, code=key or code, payload=_rfc_payload(exc))
    if "ExternalRuntimeError" in names:
        return ServiceUnavailable(message, code=key or code, payload=_rfc_payload(exc))
    if "RFCTypeError" in names:
        return ValidationError(message, code=key or code, payload=_rfc_payload(exc))
    return ProtocolError(message, code=key or code, payload=_rfc_payload(exc))


# function module not found (FL 046 "Function module &1 not found"), not remote-enabled, or a
# table/field RFC_READ_TABLE cannot read: the system does not offer what we need -> configuration
MISSING_FUNCTION_KEYS = frozenset(
    {
        "CALL_FUNCTION_NOT_FOUND",
        "FU_NOT_FOUND",
        "FUNCTION_NOT_FOUND",
        "CALL_FUNCTION_NOT_REMOTE",
        "TABLE_NOT_AVAILABLE",
        "FIELD_NOT_VALID",
        "OPTION_NOT_VALID",
    }
)


def _application_key_class(key: str) -> type[IntegrationError]:
    key = key.upper()
    if "NOT_FOUND" in key or "NOT_EXIST" in key:
        return NotFound
    if "AUTHORI" in key:
        return AuthorizationError
    if "LOCK" in key:
        return LockConflict
    return ValidationError


def _rfc_payload(exc: BaseException) -> dict[str, Any]:
    fields = ("code", "key", "msg_class", "msg_type", "msg_number", "msg_v1", "msg_v2")
    return {"exception": type(exc).__name__} | {f: getattr(exc, f, None) for f in fields}


# --- HTTP transport (requests) -----------------------------------------------------------------
def classify_transport(exc: BaseException) -> IntegrationError:
    """requests/urllib3 exceptions. A read timeout or a reset after the request was sent is
    ambiguous: SAP may have committed (callers re-check before re-creating)."""
    import requests

    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, requests.exceptions.SSLError):
        return ConfigurationError(f"TLS failure talking to SAP: {exc}")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ConnectionFailed(text)
    if isinstance(exc, requests.exceptions.Timeout):
        return RemoteTimeout(text)
    if isinstance(
        exc,
        (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ),
    ):
        return ConnectionFailed(text)
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return ProtocolError(text)
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        return ConfigurationError(text)
    return ConnectionFailed(text)
