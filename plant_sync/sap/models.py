"""Result shapes shared by every business operation and both transports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass
class Message:
    """A non-error SAP message kept on a result (BAPI RETURN W/I/S row, Gateway sap-message)."""

    type: str
    id: str = ""
    number: str = ""
    text: str = ""


@dataclass
class CreateResult(Generic[T]):
    """Outcome of an exactly-once create: the document, and whether this call created it
    (``created``) or found it already in SAP under the same idempotency key."""

    document: T
    created: bool
    idempotency_key: str
    attempts: int = 1
    messages: list[Message] = field(default_factory=list)
    recovered: bool = False  # found after an ambiguous failure of this very call

    @property
    def found(self) -> bool:
        return not self.created


@dataclass
class DeltaPage(Generic[T]):
    """One page of a delta pull: rows changed since the previous watermark, and the watermark
    to store once these rows are processed (``None`` when nothing has been seen yet)."""

    rows: list[T]
    watermark: datetime | None


@dataclass
class StatusChange:
    """Result of a status transition (release, technical completion, close...)."""

    document: str
    status: str
    messages: list[Message] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
