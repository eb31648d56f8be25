"""Maintenance order (from a notification, with operations) and time confirmation, over both
transports."""

from __future__ import annotations

from decimal import Decimal

from plant_sync.idempotency import make_key
from plant_sync.sap.ops.confirmation import ConfirmationCreate
from plant_sync.sap.ops.notification import NotificationCreate
from plant_sync.sap.ops.order import OperationCreate, OrderCreate


def _order(service, sim, tag):
    equipment = sim.master["equipment"][0]
    note = service.create_notification(
        NotificationCreate("M1", "Bearing noise", equipment=equipment),
        idempotency_key=make_key("n", tag),
    ).document
    data = OrderCreate(
        order_type="PM01",
        description="Replace bearing",
        planning_plant="1010",
        notification=note.number,
        equipment=equipment,
        main_work_center="RES-0100",
        work_center_plant="1010",
        operations=[
            OperationCreate("Disassemble", work_center="RES-0100", planned_work=Decimal("2")),
            OperationCreate("Replace bearing", work_center="RES-0100", planned_work=Decimal("1.5")),
        ],
    )
    return note, service.create_maintenance_order(data, idempotency_key=make_key("o", tag))


def test_order_lifecycle(service, sim, transport):
    note, result = _order(service, sim, transport)
    assert result.created
    order = result.document
    assert order.notification == note.number
    assert order.reference == result.idempotency_key
    assert len(sim.store.find_order_by_reference(result.idempotency_key)) == 1

    assert not service.get_maintenance_order_status(order.number).released
    service.release_maintenance_order(order.number)
    assert service.get_maintenance_order_status(order.number).released
    service.release_maintenance_order(order.number)  # already released: no error

    confirmation = service.create_confirmation(
        ConfirmationCreate(order.number, "0010", Decimal("2.5"), final=True),
        idempotency_key=make_key("c", transport),
    )
    assert confirmation.created and confirmation.document.final
    assert confirmation.document.actual_work == Decimal("2.5")
    again = service.create_confirmation(
        ConfirmationCreate(order.number, "0010", Decimal("2.5"), final=True),
        idempotency_key=make_key("c", transport),
    )
    assert again.found and again.document.confirmation == confirmation.document.confirmation
    assert len(sim.store.find_confirmation_by_reference(make_key("c", transport))) == 1

    service.technically_complete_maintenance_order(order.number)
    assert service.get_maintenance_order_status(order.number).technically_completed
    service.close_maintenance_order(order.number)
    assert service.get_maintenance_order_status(order.number).closed
    full = service.get_maintenance_order(order.number)
    assert [op.operation for op in full.operations] == ["0010", "0020"]
