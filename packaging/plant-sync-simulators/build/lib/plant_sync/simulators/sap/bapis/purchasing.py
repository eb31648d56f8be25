"""BAPI_PR_CREATE (structures BAPIMEREQHEADER, BAPIMEREQITEMIMP; extension BAPI_TE_MEREQITEM)."""

from __future__ import annotations

from typing import Any

from .. import purchasing
from ..common import numc
from ..errors import SapError
from .common import alpha_out, date_in, error_row, flag, number_in, ret, text, values_from

ITEM = {
    "PREQ_ITEM": ("PurchaseRequisitionItem", text),
    "MATERIAL": ("Material", text),
    "MATERIAL_LONG": ("Material", text),
    "PLANT": ("Plant", text),
    "STORE_LOC": ("StorageLocation", text),
    "QUANTITY": ("RequestedQuantity", number_in),
    "UNIT": ("BaseUnit", text),
    "DELIV_DATE": ("DeliveryDate", date_in),
    "SHORT_TEXT": ("PurchaseRequisitionItemText", text),
    "PUR_GROUP": ("PurchasingGroup", text),
    "PURCH_ORG": ("PurchasingOrganization", text),
    "PREQ_NAME": ("RequisitionerName", text),
    "MATL_GROUP": ("MaterialGroup", text),
    "ACCTASSCAT": ("AccountAssignmentCategory", text),
    "PREQ_PRICE": ("PurchaseRequisitionPrice", number_in),
    "CURRENCY": ("PurReqnItemCurrency", text),
    "DES_VENDOR": ("Supplier", text),
    "TRACKINGNO": ("RequirementTracking", text),
}


def pr_create(
    conn,
    PRHEADER: dict | None = None,
    PRITEM: list | None = None,
    EXTENSIONIN: list | None = None,
    TESTRUN: str = "",
    **_: Any,
) -> dict:
    header: dict[str, Any] = {}
    if PRHEADER and text(PRHEADER.get("PR_TYPE")):
        header["PurchaseRequisitionType"] = text(PRHEADER["PR_TYPE"])
    items = []
    for i, row in enumerate(PRITEM or [], start=1):
        values = values_from(row, ITEM)
        values["PurchaseRequisitionItem"] = numc(values.get("PurchaseRequisitionItem") or i * 10, 5)
        items.append(values)
    by_item = {v["PurchaseRequisitionItem"]: v for v in items}
    for ext in EXTENSIONIN or []:
        if text(ext.get("STRUCTURE")).upper() != "BAPI_TE_MEREQITEM":
            continue
        part = str(ext.get("VALUEPART1") or "")
        target = by_item.get(numc(part[:5].strip() or "0", 5))
        if target is not None:
            target["PurReqnExternalReference"] = part[5:40].strip()
    if (lock := conn.lock_fault()) is not None:
        return {"NUMBER": "", "PRHEADEREXP": {}, "RETURN": [error_row(lock)]}
    try:
        conn.dry_run(
            lambda tx: purchasing.create_purchase_requisition(
                tx, conn.user, header, items, number="%TEMP"
            )
        )
    except SapError as err:
        return {"NUMBER": "", "PRHEADEREXP": {}, "RETURN": [error_row(err, "PRITEM")]}
    if flag(TESTRUN):
        return {"NUMBER": "", "PRHEADEREXP": {}, "RETURN": []}
    number = str(conn.draw("EBAN", 10000000))
    try:
        conn.stage(
            lambda tx: purchasing.create_purchase_requisition(
                tx, conn.user, header, items, number=number
            )
        )
    except SapError as err:
        return {"NUMBER": "", "PRHEADEREXP": {}, "RETURN": [error_row(err, "PRITEM")]}
    out = alpha_out(number, 10)
    return {
        "NUMBER": out,
        "PRHEADEREXP": {"PREQ_NO": out, "PR_TYPE": header.get("PurchaseRequisitionType", "NB")},
        "RETURN": [ret("S", "06", "402", f"Purchase requisition number {number} created", number)],
    }
