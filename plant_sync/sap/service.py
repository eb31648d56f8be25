"""One interface for every SAP business operation, two transports behind it.

An Odoo addon builds the service from the backend record and never cares which transport
runs::

    service = make_sap_service(SapConnectionConfig(transport="odata", base_url=..., ...))
    result = service.create_maintenance_order(OrderCreate(...), idempotency_key=key)
    result.document.number, result.created

Every create is exactly-once (see :mod:`.idempotent`); every failure is a typed
:class:`plant_sync.errors.IntegrationError` with a ``transient`` flag.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from .config import SapConnectionConfig
from .models import CreateResult, DeltaPage, StatusChange
from .ops.confirmation import Confirmation, ConfirmationCreate, ConfirmationOData, ConfirmationRfc
from .ops.equipment import Equipment, EquipmentOData, EquipmentRfc, FunctionalLocation
from .ops.goods_movement import (
    GoodsMovementCreate,
    GoodsMovementOData,
    GoodsMovementRfc,
    MaterialDocument,
)
from .ops.material import Material, MaterialOData, MaterialRfc
from .ops.notification import Notification, NotificationCreate, NotificationOData, NotificationRfc
from .ops.order import MaintenanceOrder, OrderCreate, OrderOData, OrderRfc, OrderStatus
from .ops.purchasing import (
    PurchaseOrder,
    PurchaseOrderItem,
    PurchaseRequisition,
    PurchaseRequisitionCreate,
    PurchasingOData,
    PurchasingRfc,
)
from .ops.stock import StockOData, StockPosition, StockRfc


@runtime_checkable
class SapService(Protocol):
    """The business operations, identical for the OData and the RFC transport."""

    transport: str

    # maintenance notification
    def create_notification(
        self, data: NotificationCreate, *, idempotency_key: str
    ) -> CreateResult[Notification]: ...
    def get_notification(self, number: str) -> Notification: ...
    def find_notification_by_reference(self, reference: str) -> Notification | None: ...
    def complete_notification(
        self, number: str, *, reference_time: datetime | None = None
    ) -> Notification: ...

    # maintenance order
    def create_maintenance_order(
        self, data: OrderCreate, *, idempotency_key: str
    ) -> CreateResult[MaintenanceOrder]: ...
    def get_maintenance_order(
        self, number: str, *, with_operations: bool = True
    ) -> MaintenanceOrder: ...
    def find_maintenance_order_by_reference(self, reference: str) -> MaintenanceOrder | None: ...
    def get_maintenance_order_status(self, number: str) -> OrderStatus: ...
    def release_maintenance_order(self, number: str) -> StatusChange: ...
    def technically_complete_maintenance_order(
        self,
        number: str,
        *,
        reference_time: datetime | None = None,
        complete_notification: bool = False,
    ) -> StatusChange: ...
    def close_maintenance_order(self, number: str) -> StatusChange: ...
    def iter_maintenance_order_changes(
        self, since: datetime | None, *, plant: str = "", order_types: tuple[str, ...] = ()
    ) -> Iterator[DeltaPage[MaintenanceOrder]]: ...

    # time confirmation
    def create_confirmation(
        self, data: ConfirmationCreate, *, idempotency_key: str
    ) -> CreateResult[Confirmation]: ...
    def get_confirmation(self, confirmation: str, counter: str) -> Confirmation: ...
    def find_confirmation_by_reference(self, reference: str) -> Confirmation | None: ...

    # equipment / functional location
    def get_equipment(self, number: str) -> Equipment: ...
    def iter_equipment_changes(
        self, since: datetime | None, *, plant: str = ""
    ) -> Iterator[DeltaPage[Equipment]]: ...
    def get_functional_location(self, id: str) -> FunctionalLocation: ...
    def iter_functional_location_changes(
        self, since: datetime | None, *, plant: str = ""
    ) -> Iterator[DeltaPage[FunctionalLocation]]: ...

    # goods movements / material documents
    def post_goods_movement(
        self, data: GoodsMovementCreate, *, idempotency_key: str
    ) -> CreateResult[MaterialDocument]: ...
    def get_material_document(self, number: str, year: str) -> MaterialDocument: ...
    def find_material_document_by_reference(self, reference: str) -> MaterialDocument | None: ...
    def cancel_material_document(
        self, number: str, year: str, *, posting_date: date | None = None
    ) -> CreateResult[MaterialDocument]: ...
    def find_reversal(self, number: str, year: str) -> MaterialDocument | None: ...

    # stock and material master
    def iter_material_stock(
        self, plant: str, storage_location: str = "", *, material: str = ""
    ) -> Iterator[list[StockPosition]]: ...
    def get_material(self, number: str) -> Material: ...
    def iter_material_changes(self, since: datetime | None) -> Iterator[DeltaPage[Material]]: ...

    # purchasing
    def create_purchase_requisition(
        self, data: PurchaseRequisitionCreate, *, idempotency_key: str
    ) -> CreateResult[PurchaseRequisition]: ...
    def get_purchase_requisition(self, number: str) -> PurchaseRequisition: ...
    def find_purchase_requisition_by_reference(
        self, reference: str
    ) -> PurchaseRequisition | None: ...
    def find_purchase_orders_for_requisition(
        self, requisition: str, item: str = ""
    ) -> list[PurchaseOrderItem]: ...
    def get_purchase_order(self, number: str) -> PurchaseOrder: ...
    def iter_purchase_order_changes(
        self, since: datetime | None
    ) -> Iterator[DeltaPage[PurchaseOrder]]: ...

    def close(self) -> None: ...


class ODataSapService(
    NotificationOData,
    OrderOData,
    ConfirmationOData,
    EquipmentOData,
    GoodsMovementOData,
    StockOData,
    MaterialOData,
    PurchasingOData,
):
    """SAP S/4HANA released OData v2 APIs through SAP Gateway."""


class RfcSapService(
    NotificationRfc,
    OrderRfc,
    ConfirmationRfc,
    EquipmentRfc,
    GoodsMovementRfc,
    StockRfc,
    MaterialRfc,
    PurchasingRfc,
):
    """BAPIs and RFC_READ_TABLE over RFC (pyrfc or an injected connection factory)."""


def make_sap_service(config: SapConnectionConfig) -> ODataSapService | RfcSapService:
    """The service for ``config.transport`` ('odata' or 'rfc')."""
    config.validate()
    if config.transport == "rfc":
        return RfcSapService(config)
    return ODataSapService(config)


__all__ = [
    "ODataSapService",
    "RfcSapService",
    "SapConnectionConfig",
    "SapService",
    "make_sap_service",
]
