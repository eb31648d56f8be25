"""OData v2 URI literals, key predicates, filters and SAP's JSON date formats."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from ...errors import ProtocolError

_DATE_RE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def literal(value: Any) -> str:
    """An OData v2 URI literal: strings quoted (quotes doubled), datetimes typed."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value}M"
    if isinstance(value, float):
        return f"{value!r}d"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            utc = value.astimezone(timezone.utc).replace(tzinfo=None)
            return f"datetimeoffset'{utc.isoformat(timespec='microseconds')}Z'"
        return f"datetime'{value.isoformat(timespec='seconds')}'"
    if isinstance(value, date):
        return f"datetime'{value.isoformat()}T00:00:00'"
    text = str(value).replace("'", "''")
    return f"'{text}'"


def key_predicate(key: Any) -> str:
    """``'100'`` -> ``('100')``; ``{"A": 1, "B": "x"}`` -> ``(A=1,B='x')`` (URL-escaped)."""
    if isinstance(key, Mapping):
        inner = ",".join(f"{name}={literal(value)}" for name, value in key.items())
    else:
        inner = literal(key)
    return "(" + quote(inner, safe="=,'():.-+") + ")"


def eq(field: str, value: Any) -> str:
    return f"{field} eq {literal(value)}"


def and_(*clauses: str | None) -> str:
    parts = [c for c in clauses if c]
    return " and ".join(f"({c})" if " or " in c else c for c in parts)


def or_(*clauses: str | None) -> str:
    parts = [c for c in clauses if c]
    return "(" + " or ".join(parts) + ")" if parts else ""


def parse_datetime(value: Any) -> datetime | None:
    """SAP JSON ``/Date(1714557600000+0000)/`` (or ISO text) -> aware UTC datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value)
    match = _DATE_RE.match(text)
    try:
        if match:
            return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):  # OSError: out of the platform's time range
        raise ProtocolError(f"Unparseable SAP date value {text[:80]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_datetime(value: datetime | date | None) -> str | None:
    """A value for a JSON payload: ``/Date(ms)/`` (SAP Gateway JSON format)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return f"/Date({int(value.timestamp() * 1000)})/"


def format_decimal(value: Any) -> str | None:
    """Edm.Decimal travels as a JSON string in OData v2."""
    return None if value is None else str(Decimal(str(value)))
