"""Gaps found by the maintenance bridge: orders changed since, cost center / planner group on
creates, partial RFC confirmations, TECO completing the notification, RFC master data deltas
with plant, work center and functional location — over both transports."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from plant_sync.idempotency import make_key
from plant_sync.sap.ops.confirmation import ConfirmationCreate
from plant_sync.sap.ops.notification import NotificationCreate
from plant_sync.sap.ops.order import OperationCreate, OrderCreate
from plant_sync.sap.service import SapService


def _create(service, sim, tag, order_type="PM01", **extra):
    data = OrderCreate(
        order_type=order_type,
        description=f"Order {tag}",
        planning_plant="1010",
        equipment=sim.master["equipment"][1],
        main_work_center="RES-0100",
        work_center_plant="1010",
        start=datetime(2030, 5, 6, tzinfo=timezone.utc).date(),
        operations=[OperationCreate("Inspect", planned_work=Decimal("1"))],
        **extra,
    )
    return service.create_maintenance_order(data, idempotency_key=make_key("chg", tag)).document


def _all(pages):
    return [order for page in pages for order in page.rows]


def test_service_protocol_has_the_order_delta(service):
    assert isinstance(service, SapService)
    assert callable(service.iter_maintenance_order_changes)


def test_orders_changed_since_with_plan_dates_work_center_and_filters(service, sim, transport):
    before = datetime.now(timezone.utc) - timedelta(days=1)
    corrective = _create(service, sim, f"{transport}-1")
    preventive = _create(service, sim, f"{transport}-2", order_type="PM03")
    with sim.store.transaction() as tx:
        tx.update(
            "MaintenanceOrder",
            {"MaintenanceOrder": preventive.number},
            {"MaintenancePlan": "100042", "MaintenancePlannerGroup": "I01"},
        )
    pages = list(service.iter_maintenance_order_changes(before))
    assert pages and all(p.watermark is not None for p in pages)
    orders = {o.number: o for o in _all(pages)}
    assert {corrective.number, preventive.number} <= set(orders)
    got = orders[preventive.number]
    assert got.order_type == "PM03"
    assert got.maintenance_plan == "100042"
    assert got.planner_group == "I01"
    assert got.main_work_center == "RES-0100"
    assert got.planning_plant == "1010"
    assert got.status.system_status == "CRTD"
    assert got.start is not None and got.start.date().isoformat() == "2030-05-06"
    assert got.changed_at is not None
    assert orders[corrective.number].maintenance_plan == ""
    # filters: order types and planning plant
    only = _all(service.iter_maintenance_order_changes(before, order_types=("pm03",)))
    assert [o.number for o in only] == [preventive.number]
    assert not _all(service.iter_maintenance_order_changes(before, plant="1710"))
    # status changes show up in the next delta
    service.release_maintenance_order(corrective.number)
    after = _all(service.iter_maintenance_order_changes(before))
    assert {o.number: o for o in after}[corrective.number].status.released


def test_order_delta_since_watermark_returns_only_changes_on_odata(odata, sim):
    _create(odata, sim, "wm-1")
    pages = list(odata.iter_maintenance_order_changes(None))
    mark = pages[-1].watermark
    assert not _all(odata.iter_maintenance_order_changes(mark))
    second = _create(odata, sim, "wm-2")
    assert [o.number for o in _all(odata.iter_maintenance_order_changes(mark))] == [second.number]


def test_cost_center_and_planner_group_reach_sap(service, sim, transport):
    sim.store.seed_cost_center("10101102")
    order = _create(service, sim, f"cc-{transport}", cost_center="10101102", planner_group="I02")
    row = sim.store.get("MaintenanceOrder", MaintenanceOrder=order.number)
    assert row["CostCenter"] == "10101102"
    assert row["MaintenancePlannerGroup"] == "I02"
    read = service.get_maintenance_order(order.number)
    assert [(op.planned_work, op.work_unit) for op in read.operations] == [(Decimal("1"), "H")]
    assert read.planner_group == "I02"
    assert read.cost_center == "10101102"
    note = service.create_notification(
        NotificationCreate("M1", "Leak", equipment=sim.master["equipment"][2], planner_group="I03"),
        idempotency_key=make_key("cc-note", transport),
    ).document
    stored = sim.store.get("MaintenanceNotification", MaintenanceNotification=note.number)
    assert stored["MaintenancePlannerGroup"] == "I03"


def test_partial_confirmation_stays_partial(service, sim, transport):
    order = _create(service, sim, f"conf-{transport}")
    service.release_maintenance_order(order.number)
    partial = service.create_confirmation(
        ConfirmationCreate(order.number, "0010", Decimal("0.5")),
        idempotency_key=make_key("partial", transport),
    ).document
    assert not partial.final
    [stored] = sim.store.find("MaintOrderConfirmation", MaintenanceOrder=order.number)
    assert stored["IsFinalConfirmation"] == 0
    op = sim.store.get(
        "MaintenanceOrderOperation",
        MaintenanceOrder=order.number,
        MaintenanceOrderOperation="0010",
        MaintenanceOrderSubOperation="",
    )
    assert op["_status"] == "PCNF"
    # a second (final) confirmation is still possible
    final = service.create_confirmation(
        ConfirmationCreate(order.number, "0010", Decimal("0.5"), final=True),
        idempotency_key=make_key("final", transport),
    ).document
    assert final.final


def _released_order_with_notification(service, sim, transport, tag):
    """A notification and its released order (what both TECO tests start from)."""
    equipment = sim.master["equipment"][0]
    note = service.create_notification(
        NotificationCreate("M1", "Noise", equipment=equipment),
        idempotency_key=make_key(f"{tag}-n", transport),
    ).document
    order = service.create_maintenance_order(
        OrderCreate(
            order_type="PM01",
            description="Fix noise",
            planning_plant="1010",
            notification=note.number,
            equipment=equipment,
            main_work_center="RES-0100",
        ),
        idempotency_key=make_key(f"{tag}-o", transport),
    ).document
    service.release_maintenance_order(order.number)
    return note, order


def test_teco_completes_the_notification_on_both_transports(service, sim, transport):
    note, order = _released_order_with_notification(service, sim, transport, "teco")
    service.technically_complete_maintenance_order(order.number, complete_notification=True)
    assert service.get_maintenance_order_status(order.number).technically_completed
    assert service.get_notification(note.number).completed
    # again: nothing to do, no error
    service.technically_complete_maintenance_order(order.number, complete_notification=True)


def test_teco_without_flag_leaves_the_notification_open(service, sim, transport):
    note, order = _released_order_with_notification(service, sim, transport, "teco2")
    service.technically_complete_maintenance_order(order.number)
    assert not service.get_notification(note.number).completed


def test_master_data_delta_has_plant_work_center_and_location(service, sim):
    flocs = _all(service.iter_functional_location_changes(None))
    assert {f.id for f in flocs} >= set(sim.master["functional_locations"])
    assert all(f.maintenance_plant == "1010" and f.changed_at for f in flocs)
    mark = max(f.changed_at for f in flocs)
    assert {f.id for f in _all(service.iter_functional_location_changes(mark))} <= {
        f.id for f in flocs
    }
    assert not _all(service.iter_functional_location_changes(None, plant="1710"))
    equipment = {e.number: e for e in _all(service.iter_equipment_changes(None, plant="1010"))}
    first = equipment[sim.master["equipment"][0]]
    assert first.maintenance_plant == "1010"
    assert first.planning_plant == "1010"
    assert first.work_center == "RES-0100"
    assert first.functional_location == sim.master["functional_locations"][0]
