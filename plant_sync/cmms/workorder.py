"""The normalized CMMS work order: one shape that every CMMS client produces and consumes.

Clients translate between this dataclass and their wire format (Maximo lean JSON, a SOAP
document, a configured REST payload). Dates are timezone-aware ``datetime`` objects (UTC when
the remote side sends no offset); ``None`` means "not set / unknown".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from ..errors import ProtocolError

DATE_FIELDS = frozenset(
    {"downtime_start", "downtime_end", "reported_at", "target_start", "target_finish", "changed_at"}
)


@dataclass
class LabourLine:
    """One labour booking (Maximo LABTRANS, a REST 'time entry')."""

    labour_code: str = ""
    craft: str = ""
    hours: float = 0.0
    start: datetime | None = None
    finish: datetime | None = None


@dataclass
class WorkOrder:
    """A CMMS work order in backend-neutral form.

    ``external_id`` is the number users see in the CMMS (Maximo WONUM). ``ref`` is the
    backend's own address of the record (Maximo ``href``, a REST URL), kept so an update does not
    need a lookup. ``version`` is the optimistic-concurrency token (Maximo ``_rowstamp`` sent
    back as ``If-Match``, an ETag); empty means "update unconditionally".
    """

    external_id: str = ""
    title: str = ""
    description: str = ""
    asset_id: str = ""
    location: str = ""
    site: str = ""
    status: str = ""
    priority: str = ""
    work_type: str = ""
    failure_class: str = ""
    problem_code: str = ""
    cause_code: str = ""
    remedy_code: str = ""
    downtime_start: datetime | None = None
    downtime_end: datetime | None = None
    reported_at: datetime | None = None
    target_start: datetime | None = None
    target_finish: datetime | None = None
    labour: list[LabourLine] = field(default_factory=list)
    changed_at: datetime | None = None
    version: str = ""
    ref: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def evolve(self, **changes: Any) -> WorkOrder:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (dates as ISO 8601 strings)."""
        data = asdict(self)
        for name in DATE_FIELDS:
            data[name] = format_datetime(data[name])
        data["labour"] = [
            {
                **line,
                "start": format_datetime(line["start"]),
                "finish": format_datetime(line["finish"]),
            }
            for line in data["labour"]
        ]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkOrder:
        """The work order of :meth:`to_dict` data, also when it came from outside (a webhook
        event carrying the work order): values of the wrong type are a :class:`ProtocolError`."""
        if not isinstance(data, Mapping):
            raise ProtocolError("A work order must be a JSON object")
        values: dict[str, Any] = {}
        for name in (f.name for f in fields(cls)):
            value = data.get(name)
            if value is None:
                continue
            if name in DATE_FIELDS:
                values[name] = date_value(value, name)
            elif name == "labour":
                values[name] = [
                    LabourLine(
                        labour_code=text_value(line.get("labour_code") or "", "labour_code"),
                        craft=text_value(line.get("craft") or "", "craft"),
                        hours=hours_value(line.get("hours"), "hours"),
                        start=date_value(line.get("start"), "start"),
                        finish=date_value(line.get("finish"), "finish"),
                    )
                    for line in rows_value(value, "labour")
                ]
            elif name == "extra":
                if not isinstance(value, Mapping):
                    raise ProtocolError("A work order's 'extra' must be a JSON object")
                values[name] = dict(value)
            else:
                values[name] = text_value(value, name)
        return cls(**values)


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 text (``Z`` or offset, or none = UTC) or a datetime -> aware datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        result = value
    else:
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            result = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"not an ISO 8601 date-time: {value!r}") from exc
    if result.tzinfo is None:
        result = result.replace(tzinfo=timezone.utc)
    return result


# --- values received from a CMMS: the wrong type is a ProtocolError, never another exception ----
def text_value(value: Any, what: str) -> str:
    """A scalar as text; an object or a list where a value belongs is refused."""
    if isinstance(value, (Mapping, list, tuple, set, bytes)):
        kind = type(value).__name__
        raise ProtocolError(f"CMMS field {what!r}: a value was expected, not {kind}")
    return str(value)


def field_value(name: str, value: Any, what: str) -> str | datetime | None:
    """The value of normalized field ``name`` (a date or text) received as ``what``."""
    return date_value(value, what) if name in DATE_FIELDS else text_value(value, what)


def date_value(value: Any, what: str) -> datetime | None:
    """:func:`parse_datetime` of a received value."""
    if value is not None and not isinstance(value, datetime):
        text_value(value, what)  # refuses objects and lists
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError) as exc:
        raise ProtocolError(f"CMMS field {what!r}: {exc}") from None


def hours_value(value: Any, what: str) -> float:
    """A number of hours (empty = 0): a finite number or its text."""
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ProtocolError(f"CMMS field {what!r}: a number was expected, got {value!r}"[:200])
    try:
        hours = float(value)
    except (ValueError, OverflowError):
        hours = math.nan
    if not math.isfinite(hours):
        raise ProtocolError(f"CMMS field {what!r}: {value!r} is not a number"[:200])
    return hours


def rows_value(value: Any, what: str) -> list[Mapping[str, Any]]:
    """Child rows (labour lines, failure report rows): a list of objects (none when empty)."""
    if value is None or value == "":
        return []
    if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
        raise ProtocolError(f"CMMS field {what!r}: a list of objects was expected")
    return value


def format_datetime(value: datetime | None) -> str | None:
    """Aware datetime -> ``YYYY-MM-DDTHH:MM:SS+00:00`` in UTC (the form Maximo accepts)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat()
