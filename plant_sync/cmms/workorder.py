"""The normalized CMMS work order: one shape that every CMMS client produces and consumes.

Clients translate between this dataclass and their wire format (Maximo lean JSON, a SOAP
document, a configured REST payload). Dates are timezone-aware ``datetime`` objects (UTC when
the remote side sends no offset); ``None`` means "not set / unknown".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timezone
from typing import Any

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
    def from_dict(cls, data: dict[str, Any]) -> WorkOrder:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name in DATE_FIELDS & values.keys():
            values[name] = parse_datetime(values[name])
        values["labour"] = [
            LabourLine(
                labour_code=str(line.get("labour_code") or ""),
                craft=str(line.get("craft") or ""),
                hours=float(line.get("hours") or 0.0),
                start=parse_datetime(line.get("start")),
                finish=parse_datetime(line.get("finish")),
            )
            for line in values.get("labour") or []
        ]
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


def format_datetime(value: datetime | None) -> str | None:
    """Aware datetime -> ``YYYY-MM-DDTHH:MM:SS+00:00`` in UTC (the form Maximo accepts)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat()
