"""Goods movements (material documents) and stock.

Movement types: 261/262 goods issue to / return from an order (order must be released; TECO still
allows postings, CLSD does not), 201/202 to / from a cost center, 101/102 goods receipt for a
purchase order item (updates the schedule line's received quantity), 501/502 receipt without
reference. Stock is unrestricted-use stock (stock type '01') per material/plant/sloc/batch in
``A_MatlStkInAcctMod``; a deficit is SAP's message M7 021.
"""

from __future__ import annotations

from typing import Any

from .common import err, numc, seconds_of_day, today_us, year_of
from .maintenance import check_status_for_goods_issue
from .store import Tx

# movement type -> (stock sign, reversal type, inventory transaction type)
MOVEMENT_TYPES: dict[str, tuple[int, str, str]] = {
    "101": (+1, "102", "WE"),
    "102": (-1, "101", "WE"),
    "201": (-1, "202", "WA"),
    "202": (+1, "201", "WA"),
    "261": (-1, "262", "WA"),
    "262": (+1, "261", "WA"),
    "501": (+1, "502", "WZ"),
    "502": (-1, "501", "WZ"),
}


def material_lock(material: str, plant: str) -> str:
    return f"MATERIAL/{material}/{plant}"


def post_goods_movement(
    tx: Tx,
    user: str,
    header: dict[str, Any],
    items: list[dict[str, Any]],
    number: tuple[str, str] | None = None,
) -> dict[str, str]:
    """Post one material document; returns its key. ``number`` = pre-drawn (doc, year)."""
    h = {k: v for k, v in header.items() if v is not None}
    if not items:
        raise err("M7", "010", "Enter at least one item", "to_MaterialDocumentItem")
    posting = h.get("PostingDate") or today_us()
    year = year_of(posting)
    if number is None:
        doc = str(tx.next_number("MKPF", 4900000000, year))
    else:
        doc, year = number
    out_items = []
    for i, raw in enumerate(items, start=1):
        out_items.append(_post_item(tx, user, doc, year, i, raw, h))
    first_type = out_items[0]["GoodsMovementType"]
    h.update(
        MaterialDocument=doc,
        MaterialDocumentYear=year,
        PostingDate=posting,
        CreatedByUser=user,
        CreationDate=today_us(),
        CreationTime=seconds_of_day(),
        InventoryTransactionType=MOVEMENT_TYPES[first_type][2],
    )
    h.setdefault("DocumentDate", posting)
    h.setdefault("MaterialDocumentHeaderText", "")
    h.setdefault(
        "GoodsMovementCode", {"1": "01", "2": "03", "5": "03", "6": "03"}.get(first_type[0], "05")
    )
    tx.insert("A_MaterialDocumentHeader", h)
    for item in out_items:
        tx.insert("A_MaterialDocumentItem", item)
    return {"MaterialDocumentYear": year, "MaterialDocument": doc}


def _post_item(tx: Tx, user: str, doc: str, year: str, i: int, raw: dict, header: dict) -> dict:
    it = {k: v for k, v in raw.items() if v is not None}
    target = f"to_MaterialDocumentItem/{i - 1}"
    mvt = it.get("GoodsMovementType")
    if mvt not in MOVEMENT_TYPES:
        raise err("M7", "011", f"Movement type {mvt} is not supported", target)
    sign = MOVEMENT_TYPES[mvt][0]
    material, plant = it.get("Material"), it.get("Plant")
    sloc = it.get("StorageLocation") or ""
    if not material:
        raise err("M7", "012", "Enter a material", target)
    product = tx.get("A_Product", {"Product": material})
    if product is None:
        raise err("M7", "001", f"Material {material} does not exist", target)
    if not plant or not tx.plant_exists(plant):
        raise err("M7", "013", f"Plant {plant} does not exist", target)
    if not sloc or not tx.sloc_exists(plant, sloc):
        raise err("M7", "014", f"Storage location {plant} {sloc} does not exist", target)
    qty = it.get("QuantityInEntryUnit", it.get("QuantityInBaseUnit"))
    if qty is None or float(qty) <= 0:
        raise err("M7", "015", "Enter a quantity greater than zero", target)
    qty = float(qty)
    unit = it.get("EntryUnit") or product["BaseUnit"]
    if unit != product["BaseUnit"]:
        raise err("M7", "016", f"Unit {unit} is not defined for material {material}", target)
    tx.check_lock(material_lock(material, plant), user)
    if mvt in ("261", "262"):
        order = it.get("ManufacturingOrder") or it.get("OrderID")
        if not order:
            raise err("M7", "017", f"Movement type {mvt} needs an order", target)
        check_status_for_goods_issue(tx, order, target)
        it["ManufacturingOrder"] = order
        it.setdefault("GoodsMovementRefDocType", "F")
    elif mvt in ("201", "202"):
        cc = it.get("CostCenter")
        if not cc:
            raise err("M7", "018", f"Movement type {mvt} needs a cost center", target)
        ccrow = tx.cost_center(cc)
        if ccrow is None:
            raise err("KI", "235", f"Cost center {cc} does not exist", target)
        it.setdefault("ControllingArea", ccrow["controlling_area"])
    elif mvt in ("101", "102"):
        _receive_for_po(tx, user, it, qty if mvt == "101" else -qty, target)
        it.setdefault("GoodsMovementRefDocType", "B")
    new_qty = tx.upsert_stock(material, plant, sloc, it.get("Batch") or "", sign * qty, unit)
    if new_qty < -1e-9:
        raise err(
            "M7",
            "021",
            f"Deficit of SL Unrestricted-use {-new_qty:g} {unit} : {material} {plant} {sloc}",
            target,
        )
    it.update(
        MaterialDocument=doc,
        MaterialDocumentYear=year,
        MaterialDocumentItem=numc(i, 4),
        StorageLocation=sloc,
        Batch=it.get("Batch") or "",
        QuantityInEntryUnit=qty,
        QuantityInBaseUnit=qty,
        EntryUnit=unit,
        MaterialBaseUnit=product["BaseUnit"],
        InventoryStockType="01",
        GoodsMovementIsCancelled=0,
        FiscalYear=year,
        MaterialDocumentLine=numc(i, 6),
    )
    return it


def _receive_for_po(tx: Tx, user: str, it: dict, delta: float, target: str) -> None:
    po, item = it.get("PurchaseOrder"), it.get("PurchaseOrderItem")
    if not po or not item:
        raise err("M7", "019", "Goods receipt 101 needs a purchase order and item", target)
    item = numc(item, 5)
    it["PurchaseOrderItem"] = item
    pitem = tx.get("A_PurchaseOrderItem", {"PurchaseOrder": po, "PurchaseOrderItem": item})
    if pitem is None:
        raise err("ME", "027", f"Purchase order item {po} {item} does not exist", target)
    if pitem["Material"] != it.get("Material"):
        raise err(
            "M7",
            "020",
            f"Material {it.get('Material')} differs from PO item material {pitem['Material']}",
            target,
        )
    tx.check_lock(f"PO/{po}", user)
    line = tx.find(
        "A_PurchaseOrderScheduleLine", PurchasingDocument=po, PurchasingDocumentItem=item
    )
    if not line:
        raise err("ME", "028", f"No schedule line for {po} {item}", target)
    line = line[0]
    received = round((line["RoughGoodsReceiptQty"] or 0.0) + delta, 6)
    ordered = line["ScheduleLineOrderQuantity"] or 0.0
    if received > ordered + 1e-9:
        raise err(
            "M7",
            "022",
            f"PO quantity exceeded by {received - ordered:g} "
            f"{pitem['PurchaseOrderQuantityUnit']} : {po} {item}",
            target,
        )
    if received < -1e-9:
        raise err("M7", "023", f"Quantity received for {po} {item} would become negative", target)
    tx.update(
        "A_PurchaseOrderScheduleLine",
        {k: line[k] for k in tx.es("A_PurchaseOrderScheduleLine").type.keys},
        {
            "RoughGoodsReceiptQty": received,
            "ScheduleLineOpenQuantity": round(ordered - received, 6),
        },
    )
    tx.update(
        "A_PurchaseOrderItem",
        {"PurchaseOrder": po, "PurchaseOrderItem": item},
        {"IsCompletelyDelivered": int(received >= ordered - 1e-9)},
    )
    tx.update("A_PurchaseOrder", {"PurchaseOrder": po}, {})
    it.setdefault(
        "Supplier", (tx.get("A_PurchaseOrder", {"PurchaseOrder": po}) or {}).get("Supplier")
    )


def cancel_material_document(
    tx: Tx,
    user: str,
    year: str,
    doc: str,
    posting_date: int | None = None,
    number: tuple[str, str] | None = None,
) -> dict[str, str]:
    """Reverse a whole material document (function import Cancel); returns the new document."""
    header = tx.get(
        "A_MaterialDocumentHeader", {"MaterialDocumentYear": year, "MaterialDocument": doc}
    )
    if header is None:
        raise err("M7", "060", f"Material document {doc} {year} does not exist", status=404)
    items = tx.find("A_MaterialDocumentItem", MaterialDocumentYear=year, MaterialDocument=doc)
    if any(i["GoodsMovementIsCancelled"] for i in items):
        raise err("M7", "061", f"Material document {doc} {year} is already cancelled")
    if any(i["ReversedMaterialDocument"] for i in items):
        raise err("M7", "062", f"Material document {doc} {year} is a reversal document")
    rev_items = []
    for i in items:
        rev = {
            k: i[k]
            for k in (
                "Material",
                "Plant",
                "StorageLocation",
                "Batch",
                "QuantityInEntryUnit",
                "EntryUnit",
                "ManufacturingOrder",
                "CostCenter",
                "PurchaseOrder",
                "PurchaseOrderItem",
            )
            if i.get(k)
        }
        rev["GoodsMovementType"] = MOVEMENT_TYPES[i["GoodsMovementType"]][1]
        rev["ReversedMaterialDocumentYear"] = year
        rev["ReversedMaterialDocument"] = doc
        rev["ReversedMaterialDocumentItem"] = i["MaterialDocumentItem"]
        rev_items.append(rev)
    key = post_goods_movement(
        tx,
        user,
        {
            "PostingDate": posting_date,
            "GoodsMovementCode": header["GoodsMovementCode"],
            "ReferenceDocument": doc,
        },
        rev_items,
        number=number,
    )
    for i in items:
        tx.update(
            "A_MaterialDocumentItem",
            {
                "MaterialDocumentYear": year,
                "MaterialDocument": doc,
                "MaterialDocumentItem": i["MaterialDocumentItem"],
            },
            {"GoodsMovementIsCancelled": 1},
        )
    return key
