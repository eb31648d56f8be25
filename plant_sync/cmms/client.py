"""The interface every CMMS client implements (Maximo JSON, SOAP, generic REST)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol, runtime_checkable

from .workorder import WorkOrder


@runtime_checkable
class CmmsClient(Protocol):
    """Work-order access to one CMMS backend. Every method raises only
    :class:`plant_sync.errors.IntegrationError` subclasses (``transient`` tells retry from stop).
    One attempt per call, no retry or sleep inside: the caller (the Odoo engine) retries.
    """

    def list_changed(self, since: datetime | None = None) -> Iterator[WorkOrder]:
        """Work orders changed at or after ``since`` (all when ``None``), oldest change first,
        fetched page by page as the caller iterates (a caller may stop early)."""
        ...

    def get(self, external_id: str) -> WorkOrder:
        """One work order by its CMMS number; :class:`NotFound` when it does not exist."""
        ...

    def create(self, workorder: WorkOrder) -> WorkOrder:
        """Create and return the stored record (with number, version and ref)."""
        ...

    def update(self, workorder: WorkOrder, fields: Iterable[str] | None = None) -> WorkOrder:
        """Update ``fields`` (all mapped, non-empty fields when ``None``) of the record named by
        ``external_id``/``ref``. A non-empty ``version`` makes the update conditional
        (:class:`ConcurrentModification` when the record changed meanwhile). Returns the stored
        record."""
        ...

    def ping(self) -> None:
        """Cheap authenticated round trip; raises the typed error when it fails."""
        ...

    def close(self) -> None: ...
