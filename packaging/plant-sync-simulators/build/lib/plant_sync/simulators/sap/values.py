"""Edm values: JSON (SAP OData v2 verbose JSON), URI literals, SQLite storage, ETags.

Storage: strings as TEXT, Decimal/Double as REAL, integers and booleans as INTEGER, DateTime and
DateTimeOffset as INTEGER microseconds since the epoch (UTC), Time as INTEGER seconds.
JSON follows SAP Gateway: ``"/Date(1714521600000)/"`` for DateTime, ``"/Date(...+0000)/"`` for
DateTimeOffset, ``"PT10H20M30S"`` for Time, Decimal and Int64 as strings.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import quote

from .edmx import Prop
from .errors import SapError

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_DATE_RE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{4}))?\)/$")
_TIME_RE = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")
DATETIME_TYPES = ("Edm.DateTime", "Edm.DateTimeOffset")
INT_TYPES = ("Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte", "Edm.SByte")
REAL_TYPES = ("Edm.Decimal", "Edm.Double", "Edm.Single")


def sql_type(edm_type: str) -> str:
    if edm_type in REAL_TYPES:
        return "REAL"
    if (
        edm_type in INT_TYPES
        or edm_type in DATETIME_TYPES
        or edm_type
        in (
            "Edm.Boolean",
            "Edm.Time",
        )
    ):
        return "INTEGER"
    return "TEXT"


def now_us() -> int:
    return int(datetime.now(timezone.utc).timestamp() * 1_000_000)


def us_from_datetime(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    delta = value - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def datetime_from_us(us: int) -> datetime:
    from datetime import timedelta

    return EPOCH + timedelta(microseconds=us)


def parse_iso(text: str) -> int:
    """ISO 8601 date/time (optionally with Z or offset, up to 7 fraction digits) -> µs."""
    text = text.strip()
    m = re.match(
        r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?"
        r"(Z|[+-]\d{2}:?\d{2})?$",
        text,
    )
    if not m:
        raise ValueError(f"invalid date/time '{text}'")
    y, mo, d, h, mi, s, frac, tz = m.groups()
    dt = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    us = us_from_datetime(dt) + (int((frac or "0").ljust(7, "0")[:6]) if frac else 0)
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        us -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60) * 1_000_000
    return us


def iso_from_us(us: int, fraction: bool = True) -> str:
    dt = datetime_from_us(us)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{dt.microsecond:06d}0Z" if fraction else base


def sap_date(us: int | None) -> str:
    """YYYYMMDD as RFC DATS fields carry dates ('00000000' for none)."""
    return datetime_from_us(us).strftime("%Y%m%d") if us is not None else "00000000"


def us_from_sap_date(text: str) -> int | None:
    text = (text or "").strip()
    if not text or text == "00000000":
        return None
    return us_from_datetime(datetime.strptime(text, "%Y%m%d"))


def _parse_time(text: str) -> int:
    m = _TIME_RE.match(text)
    if not m:
        raise ValueError(f"invalid time '{text}'")
    h, mi, s = m.groups()
    return int(h or 0) * 3600 + int(mi or 0) * 60 + int(float(s or 0))


def format_time(seconds: int) -> str:
    return f"PT{seconds // 3600:02d}H{seconds % 3600 // 60:02d}M{seconds % 60:02d}S"


def from_json(prop: Prop, value):
    """JSON payload value -> storage value. Raises SapError 400 on a wrong value."""
    if value is None:
        if not prop.nullable:
            raise _bad(prop, value)
        return None
    t = prop.edm_type
    try:
        if t == "Edm.String":
            if not isinstance(value, str):
                raise ValueError
            if prop.max_length and len(value) > prop.max_length:
                raise SapError(
                    "/IWBEP/CM_MGW_RT",
                    "030",
                    f"Value '{value}' of property '{prop.name}' exceeds the maximum length "
                    f"{prop.max_length}",
                    target=prop.name,
                )
            return value
        if t in DATETIME_TYPES:
            if not isinstance(value, str):
                raise ValueError
            m = _DATE_RE.match(value)
            if m:
                # ticks are UTC; an offset suffix is informational (OData v2 JSON)
                return int(m.group(1)) * 1000
            return parse_iso(value)
        if t == "Edm.Time":
            return _parse_time(value)
        if t == "Edm.Boolean":
            if not isinstance(value, bool):
                raise ValueError
            return int(value)
        if t in INT_TYPES:
            return int(value)
        if t in REAL_TYPES:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        return str(value)
    except SapError:
        raise
    except (ValueError, TypeError, OverflowError):
        raise _bad(prop, value) from None


def _bad(prop: Prop, value) -> SapError:
    return SapError(
        "/IWBEP/CM_MGW_RT",
        "022",
        f"Invalid value '{value}' for property '{prop.name}' of type {prop.edm_type}",
        target=prop.name,
    )


def to_json(prop: Prop, value):
    """Storage value -> SAP OData v2 JSON value."""
    if value is None:
        return None
    t = prop.edm_type
    if t == "Edm.DateTime":
        return f"/Date({value // 1000})/"
    if t == "Edm.DateTimeOffset":
        return f"/Date({value // 1000}+0000)/"
    if t == "Edm.Time":
        return format_time(int(value))
    if t == "Edm.Boolean":
        return bool(value)
    if t == "Edm.Decimal":
        scale = prop.scale if prop.scale is not None else 3
        return f"{float(value):.{scale}f}"
    if t == "Edm.Int64":
        return str(int(value))
    if t in INT_TYPES:
        return int(value)
    if t in ("Edm.Double", "Edm.Single"):
        return float(value)
    return value


def parse_literal(text: str):
    """A URI literal (key predicate or $filter operand) -> (edm kind, storage value)."""
    text = text.strip()
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        return "string", text[1:-1].replace("''", "'")
    m = re.match(r"^(datetime|datetimeoffset|time|guid|X|binary)'(.*)'$", text, re.I)
    if m:
        kind, body = m.group(1).lower(), m.group(2)
        if kind in ("datetime", "datetimeoffset"):
            return kind, parse_iso(body.replace("%3A", ":").replace("%3a", ":"))
        if kind == "time":
            return kind, _parse_time(body)
        return kind, body
    low = text.lower()
    if low in ("true", "false"):
        return "boolean", int(low == "true")
    if low == "null":
        return "null", None
    m = re.match(r"^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)([mMdDfFlL]?)$", text)
    if m:
        num, suffix = m.groups()
        if suffix.lower() == "l" or ("." not in num and "e" not in num.lower() and not suffix):
            return "int", int(num)
        return "decimal", float(num)
    raise ValueError(f"invalid literal {text}")


def coerce_literal(prop: Prop, kind: str, value):
    """Check a literal against the property it is compared with (strings to numbers etc.)."""
    if value is None:
        return None
    t = prop.edm_type
    if t == "Edm.String":
        return value if kind == "string" else str(value)
    if t in DATETIME_TYPES:
        if kind in ("datetime", "datetimeoffset"):
            return value
        if kind == "string":
            return parse_iso(value)
        raise ValueError(f"type mismatch for {prop.name}")
    if t in REAL_TYPES:
        return float(value)
    if t in INT_TYPES:
        return int(value)
    if t == "Edm.Boolean":
        return int(bool(value))
    return value


def key_literal(prop: Prop, value) -> str:
    """Storage value -> URI key literal (for ids, __next and deferred links)."""
    t = prop.edm_type
    if t == "Edm.String":
        return "'" + quote(str(value).replace("'", "''"), safe="") + "'"
    if t == "Edm.DateTime":
        return "datetime'" + iso_from_us(value, fraction=False) + "'"
    if t == "Edm.DateTimeOffset":
        return "datetimeoffset'" + quote(iso_from_us(value), safe="") + "'"
    return str(to_json(prop, value))


def make_etag(us: int) -> str:
    """SAP's weak ETag built from a change timestamp: W/"datetimeoffset'...Z'" (':' encoded)."""
    return "W/\"datetimeoffset'" + iso_from_us(us).replace(":", "%3A") + "'\""
