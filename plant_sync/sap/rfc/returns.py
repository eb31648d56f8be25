"""BAPI RETURN handling: E/A rows become typed errors (via :mod:`..classify`), W/I/S rows are
kept as messages on the result."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..classify import classify_return
from ..models import Message


def return_rows(result: Mapping[str, Any], name: str = "RETURN") -> list[Mapping[str, Any]]:
    """RETURN as rows whether the BAPI exports a table (BAPIRET2 table) or one structure."""
    value = result.get(name)
    if not value:
        return []
    if isinstance(value, Mapping):
        return [value] if any(str(v).strip() for v in value.values()) else []
    return [row for row in value if isinstance(row, Mapping)]


def messages_of(rows: Iterable[Mapping[str, Any]]) -> list[Message]:
    return [
        Message(
            type=str(r.get("TYPE", "")).strip(),
            id=str(r.get("ID", "")).strip(),
            number=str(r.get("NUMBER", "")).strip(),
            text=str(r.get("MESSAGE", "")).strip(),
        )
        for r in rows
        if str(r.get("TYPE", "")).strip() or str(r.get("MESSAGE", "")).strip()
    ]


def check_return(rows: Iterable[Mapping[str, Any]]) -> list[Message]:
    """Raise the typed error for the first E/A row (a lock anywhere wins); else return the
    remaining W/I/S messages."""
    rows = list(rows)
    error = classify_return(rows)
    if error is not None:
        raise error
    return messages_of(rows)
