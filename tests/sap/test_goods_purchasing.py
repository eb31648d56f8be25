"""Goods movements (261/262/201/101, reversal) and purchasing, over both transports."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from plant_sync.errors import BusinessRuleError
from plant_sync.idempotency import make_key
from plant_sync.sap.ops.goods_movement import GoodsMovementCreate, GoodsMovementItem
from plant_sync.sap.ops.notification import NotificationCreate
from plant_sync.sap.ops.order import OperationCreate, OrderCreate
from plant_sync.sap.ops.purchasing import PurchaseRequisitionCreate, PurchaseRequisitionItemCreate


def _stock(sim, material):
    return sim.store.stock(material, "1010", "0001")


def test_issue_to_order_return_and_reversal(service, sim, transport, make_service):
    material = sim.master["materials"][1]
    odata = make_service(sim, "odata")  # both transports share one SAP: order via OData
    note = odata.create_notification(
        NotificationCreate("M1", "Seal worn", equipment=sim.master["equipment"][0]),
        idempotency_key=make_key("gm-n", transport),
    ).document
    order = odata.create_maintenance_order(
        OrderCreate(
            "PM01",
            "Replace seal",
            "1010",
            notification=note.number,
            main_work_center="RES-0100",
            work_center_plant="1010",
            operations=[OperationCreate("Replace", work_center="RES-0100")],
        ),
        idempotency_key=make_key("gm-o", transport),
    ).document
    odata.release_maintenance_order(order.number)
    start = _stock(sim, material)

    issue = service.post_goods_movement(
        GoodsMovementCreate(
            [
                GoodsMovementItem(
                    material, "1010", "0001", "261", Decimal(3), "PC", order=order.number
                )
            ]
        ),
        idempotency_key=make_key("gm-261", transport),
    )
    assert issue.created and _stock(sim, material) == start - 3
    doc = service.get_material_document(issue.document.number, issue.document.year)
    assert doc.items[0].movement_type == "261" and doc.items[0].order == order.number
    assert doc.reference == issue.idempotency_key

    back = service.post_goods_movement(
        GoodsMovementCreate(
            [
                GoodsMovementItem(
                    material, "1010", "0001", "262", Decimal(1), "PC", order=order.number
                )
            ]
        ),
        idempotency_key=make_key("gm-262", transport),
    )
    assert back.created and _stock(sim, material) == start - 2

    reversal = service.cancel_material_document(issue.document.number, issue.document.year)
    assert reversal.created and _stock(sim, material) == start + 1
    again = service.cancel_material_document(issue.document.number, issue.document.year)
    assert again.found and again.document.number == reversal.document.number
    assert _stock(sim, material) == start + 1


def test_deficit_is_a_business_error_and_posts_nothing(service, sim, transport):
    material = sim.master["materials"][2]
    start = _stock(sim, material)
    with pytest.raises(BusinessRuleError):
        service.post_goods_movement(
            GoodsMovementCreate(
                [
                    GoodsMovementItem(
                        material,
                        "1010",
                        "0001",
                        "201",
                        Decimal(100000),
                        "PC",
                        cost_center="10101101",
                    )
                ]
            ),
            idempotency_key=make_key("gm-deficit", transport),
        )
    assert _stock(sim, material) == start
    assert sim.store.find_material_document_by_reference(make_key("gm-deficit", transport)) == []


def test_purchase_requisition_po_and_goods_receipt(service, sim, transport):
    material = sim.master["materials"][3]
    key = make_key("pr", transport)
    data = PurchaseRequisitionCreate(
        [
            PurchaseRequisitionItemCreate(
                material,
                "1010",
                Decimal(5),
                "PC",
                date.today() + timedelta(days=7),
                storage_location="0001",
                purchasing_group="001",
                purchasing_organization="1010",
            )
        ]
    )
    created = service.create_purchase_requisition(data, idempotency_key=key)
    assert created.created and created.document.reference == key
    assert service.create_purchase_requisition(data, idempotency_key=key).found
    pr = service.get_purchase_requisition(created.document.number)
    assert [i.quantity for i in pr.items] == [Decimal(5)]
    assert service.find_purchase_orders_for_requisition(pr.number) == []

    po = sim.convert_pr_to_po(pr.number)
    po_number = po["PurchaseOrder"] if isinstance(po, dict) else po
    items = service.find_purchase_orders_for_requisition(pr.number)
    assert [(i.order, i.requisition) for i in items] == [(po_number, pr.number)]
    assert service.get_purchase_order(po_number).items[0].material == material

    start = _stock(sim, material)
    service.post_goods_movement(
        GoodsMovementCreate(
            [
                GoodsMovementItem(
                    material,
                    "1010",
                    "0001",
                    "101",
                    Decimal(5),
                    "PC",
                    purchase_order=po_number,
                    purchase_order_item=items[0].item,
                )
            ]
        ),
        idempotency_key=make_key("gr", transport),
    )
    assert _stock(sim, material) == start + 5
    changed = [p for page in service.iter_purchase_order_changes(None) for p in page.rows]
    assert po_number in {p.number for p in changed}
