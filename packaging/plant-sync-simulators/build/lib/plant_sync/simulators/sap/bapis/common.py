"""Shared helpers for the simulated function modules: RETURN rows, RFC value conversion."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..errors import SapError
from ..values import us_from_datetime, us_from_sap_date


def ret(
    msg_type: str,
    msg_class: str,
    number: str,
    message: str,
    *variables: str,
    parameter: str = "",
    field: str = "",
    row: int = 0,
) -> dict[str, Any]:
    """One BAPIRET2 row."""
    v = [str(x)[:50] for x in variables] + [""] * 4
    return {
        "TYPE": msg_type,
        "ID": msg_class,
        "NUMBER": str(number).zfill(3),
        "MESSAGE": message[:220],
        "LOG_NO": "",
        "LOG_MSG_NO": "000000",
        "MESSAGE_V1": v[0],
        "MESSAGE_V2": v[1],
        "MESSAGE_V3": v[2],
        "MESSAGE_V4": v[3],
        "PARAMETER": parameter,
        "ROW": row,
        "FIELD": field,
        "SYSTEM": "",
    }


def error_row(err: SapError, parameter: str = "", row: int = 0) -> dict[str, Any]:
    variables = err.variables or ((err.target,) if err.target else ())
    return ret(
        "E",
        err.msg_class,
        err.number,
        err.text,
        *variables,
        parameter=parameter,
        field=err.target,
        row=row,
    )


def empty_return() -> dict[str, Any]:
    return ret("", "", "000", "")


def text(value: Any) -> str:
    return "" if value is None else str(value).rstrip()


def alpha_in(value: Any) -> str:
    """ALPHA conversion input side: accept '000010000000' and '10000000' alike."""
    value = text(value).strip()
    return value.lstrip("0") or ("0" if value else "") if value.isdigit() else value


def alpha_out(value: Any, length: int) -> str:
    value = text(value)
    return value.zfill(length) if value.isdigit() else value


def date_in(value: Any) -> int | None:
    """DATS from pyrfc (date, datetime or 'YYYYMMDD') -> µs, None when initial."""
    if value in (None, "", "00000000"):
        return None
    if isinstance(value, datetime):
        return us_from_datetime(value)
    if isinstance(value, date):
        return us_from_datetime(datetime(value.year, value.month, value.day))
    return us_from_sap_date(str(value))


def number_in(value: Any) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    return float(str(value).strip().replace(",", "."))


def flag(value: Any) -> bool:
    return text(value).upper() in ("X", "1", "TRUE")


def values_from(structure: dict | None, mapping: dict[str, tuple[str, Any]]) -> dict[str, Any]:
    """Map a BAPI structure to OData property values: {FIELD: (Property, converter)}."""
    out: dict[str, Any] = {}
    for field, raw in (structure or {}).items():
        spec = mapping.get(field.upper())
        if spec is None or raw in (None, ""):
            continue
        prop, conv = spec
        value = conv(raw)
        if value not in (None, ""):
            out[prop] = value
    return out
