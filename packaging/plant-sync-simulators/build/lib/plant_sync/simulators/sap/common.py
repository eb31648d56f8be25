"""Small helpers shared by the business modules (dates, messages, number formatting)."""

from __future__ import annotations

from datetime import datetime, timezone

from .errors import SapError
from .values import datetime_from_us, us_from_datetime


def today_us() -> int:
    now = datetime.now(timezone.utc)
    return us_from_datetime(datetime(now.year, now.month, now.day, tzinfo=timezone.utc))


def seconds_of_day() -> int:
    now = datetime.now(timezone.utc)
    return now.hour * 3600 + now.minute * 60 + now.second


def year_of(us: int) -> str:
    return str(datetime_from_us(us).year)


def err(msg_class: str, number: str, text: str, target: str = "", status: int = 400) -> SapError:
    return SapError(msg_class, number, text, status=status, target=target)


def numc(value: int | str, width: int) -> str:
    return str(value).strip().zfill(width)


def strip_zeros(value: str | None) -> str:
    """SAP ALPHA conversion output: numeric keys without leading zeros."""
    value = (value or "").strip()
    return value.lstrip("0") or value[-1:] if value.isdigit() else value
