"""Purchase requisitions, purchase orders and the simulated buyer (PR -> PO conversion)."""

from __future__ import annotations

from typing import Any

from .common import err, numc, today_us
from .store import Tx

DAY_US = 86_400_000_000


def create_purchase_requisition(
    tx: Tx,
    user: str,
    header: dict[str, Any],
    items: list[dict[str, Any]],
    number: str | None = None,
) -> dict[str, str]:
    h = {k: v for k, v in header.items() if v is not None}
    if not items:
        raise err("06", "050", "Purchase requisition has no items", "to_PurchaseReqnItem")
    prepared = []
    for i, raw in enumerate(items, start=1):
        prepared.append(_prepare_item(tx, raw, i, h))
    if h.get("PurReqnDoOnlyValidation"):
        return {"PurchaseRequisition": ""}
    number = number or str(tx.next_number("EBAN", 10000000))
    h["PurchaseRequisition"] = number
    h.setdefault("PurchaseRequisitionType", "NB")
    h.setdefault("PurReqnDescription", "")
    h.setdefault("SourceDetermination", 0)
    h["PurReqnDoOnlyValidation"] = 0
    tx.insert("A_PurchaseRequisitionHeader", h)
    for item in prepared:
        item.update(
            PurchaseRequisition=number,
            PurchaseRequisitionType=h["PurchaseRequisitionType"],
            CreatedByUser=user,
            CreationDate=today_us(),
            PurReqCreationDate=today_us(),
        )
        tx.insert("A_PurchaseRequisitionItem", item)
    return {"PurchaseRequisition": number}


def _prepare_item(tx: Tx, raw: dict, i: int, header: dict) -> dict:
    it = {k: v for k, v in raw.items() if v is not None}
    target = f"to_PurchaseReqnItem/{i - 1}"
    material = it.get("Material")
    if material:
        product = tx.get("A_Product", {"Product": material})
        if product is None:
            raise err("06", "051", f"Material {material} does not exist", target)
        it.setdefault("BaseUnit", product["BaseUnit"])
        it.setdefault("MaterialGroup", product["ProductGroup"])
        desc = tx.find("A_ProductDescription", Product=material)
        it.setdefault("PurchaseRequisitionItemText", desc[0]["ProductDescription"] if desc else "")
    elif not it.get("PurchaseRequisitionItemText"):
        raise err("06", "052", "Enter a material or a short text", target)
    qty = it.get("RequestedQuantity")
    if qty is None or float(qty) <= 0:
        raise err("06", "053", "Enter a quantity greater than zero", target)
    if not it.get("BaseUnit"):
        raise err("06", "054", "Enter a unit of measure", target)
    plant = it.get("Plant")
    if not plant or not tx.plant_exists(plant):
        raise err("06", "055", f"Plant {plant} does not exist", target)
    sloc = it.get("StorageLocation")
    if sloc and not tx.sloc_exists(plant, sloc):
        raise err("06", "056", f"Storage location {plant} {sloc} does not exist", target)
    it["PurchaseRequisitionItem"] = numc(it.get("PurchaseRequisitionItem") or i * 10, 5)
    it.setdefault("DeliveryDate", today_us() + 7 * DAY_US)
    it.setdefault("PurchasingGroup", "001")
    it.setdefault("PurchasingOrganization", "1010")
    it.setdefault("CompanyCode", "1010")
    it.setdefault("PurReqnItemCurrency", "EUR")
    it.setdefault("AccountAssignmentCategory", "")
    it.update(
        ProcessingStatus="N",
        PurReqnReleaseStatus="03",
        IsClosed=0,
        IsDeleted="",
        OrderedQuantity=0.0,
        PurchasingDocument="",
        PurchasingDocumentItem="",
    )
    return it


def create_purchase_order(
    tx: Tx, user: str, supplier: str, lines: list[dict[str, Any]], number: str | None = None
) -> str:
    number = number or str(tx.next_number("EKKO", 4500000000))
    tx.insert(
        "A_PurchaseOrder",
        {
            "PurchaseOrder": number,
            "CompanyCode": "1010",
            "PurchaseOrderType": "NB",
            "Supplier": supplier,
            "PurchasingOrganization": "1010",
            "PurchasingGroup": "001",
            "PurchaseOrderDate": today_us(),
            "DocumentCurrency": "EUR",
            "PurchasingProcessingStatus": "05",
            "CreationDate": today_us(),
            "CreatedByUser": user,
        },
    )
    for i, line in enumerate(lines, start=1):
        item = numc(i * 10, 5)
        material = line.get("Material")
        product = tx.get("A_Product", {"Product": material}) if material else None
        unit = line.get("PurchaseOrderQuantityUnit") or (product or {}).get("BaseUnit") or "PC"
        qty = float(line["OrderQuantity"])
        tx.insert(
            "A_PurchaseOrderItem",
            {
                "PurchaseOrder": number,
                "PurchaseOrderItem": item,
                "PurchaseOrderItemText": line.get("PurchaseOrderItemText", ""),
                "Material": material,
                "Plant": line.get("Plant", "1010"),
                "StorageLocation": line.get("StorageLocation", ""),
                "OrderQuantity": qty,
                "PurchaseOrderQuantityUnit": unit,
                "NetPriceAmount": float(line.get("NetPriceAmount") or 0.0),
                "NetPriceQuantity": 1.0,
                "DocumentCurrency": "EUR",
                "AccountAssignmentCategory": line.get("AccountAssignmentCategory", ""),
                "PurchaseRequisition": line.get("PurchaseRequisition", ""),
                "PurchaseRequisitionItem": line.get("PurchaseRequisitionItem", ""),
                "IsCompletelyDelivered": 0,
                "PurchasingDocumentDeletionCode": 0,
            },
        )
        tx.insert(
            "A_PurchaseOrderScheduleLine",
            {
                "PurchasingDocument": number,
                "PurchasingDocumentItem": item,
                "ScheduleLine": "0001",
                "ScheduleLineDeliveryDate": line.get("DeliveryDate") or today_us() + 7 * DAY_US,
                "PurchaseOrderQuantityUnit": unit,
                "ScheduleLineOrderQuantity": qty,
                "RoughGoodsReceiptQty": 0.0,
                "ScheduleLineOpenQuantity": qty,
                "PurchaseRequisition": line.get("PurchaseRequisition", ""),
                "PurchaseRequisitionItem": line.get("PurchaseRequisitionItem", ""),
            },
        )
    return number


def convert_pr_to_po(
    tx: Tx, user: str, requisition: str, supplier: str = "17300001", price: float | None = None
) -> str:
    """What a buyer does in ME21N/ME59N: all open PR items become one PO."""
    requisition = str(requisition).strip()
    if requisition.isdigit():
        requisition = requisition.lstrip("0") or "0"  # accept SAP's internal (ALPHA) form too
    header = tx.get("A_PurchaseRequisitionHeader", {"PurchaseRequisition": requisition})
    if header is None:
        raise err("06", "060", f"Purchase requisition {requisition} does not exist", status=404)
    tx.check_lock(f"PR/{requisition}", user)
    items = [
        i
        for i in tx.find("A_PurchaseRequisitionItem", PurchaseRequisition=requisition)
        if not i["PurchasingDocument"] and not i["IsClosed"]
    ]
    if not items:
        raise err("06", "061", f"Purchase requisition {requisition} has no open items")
    lines = [
        {
            "Material": i["Material"],
            "PurchaseOrderItemText": i["PurchaseRequisitionItemText"],
            "OrderQuantity": i["RequestedQuantity"],
            "PurchaseOrderQuantityUnit": i["BaseUnit"],
            "NetPriceAmount": price
            if price is not None
            else (i["PurchaseRequisitionPrice"] or 10.0),
            "Plant": i["Plant"],
            "StorageLocation": i["StorageLocation"] or "",
            "AccountAssignmentCategory": i["AccountAssignmentCategory"] or "",
            "PurchaseRequisition": requisition,
            "PurchaseRequisitionItem": i["PurchaseRequisitionItem"],
            "DeliveryDate": i["DeliveryDate"],
        }
        for i in items
    ]
    po = create_purchase_order(tx, user, supplier, lines)
    for n, i in enumerate(items, start=1):
        tx.update(
            "A_PurchaseRequisitionItem",
            {
                "PurchaseRequisition": requisition,
                "PurchaseRequisitionItem": i["PurchaseRequisitionItem"],
            },
            {
                "PurchasingDocument": po,
                "PurchasingDocumentItem": numc(n * 10, 5),
                "ProcessingStatus": "B",
                "OrderedQuantity": i["RequestedQuantity"],
                "Supplier": supplier,
            },
        )
    return po
