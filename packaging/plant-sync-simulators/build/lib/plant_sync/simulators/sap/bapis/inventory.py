"""BAPI_GOODSMVT_CREATE (structures BAPI2017_GM_HEAD_01, BAPI2017_GM_CODE,
BAPI2017_GM_ITEM_CREATE)."""

from __future__ import annotations

from typing import Any

from .. import inventory
from ..common import today_us, year_of
from ..errors import SapError
from .common import alpha_in, date_in, error_row, flag, number_in, ret, text, values_from

HEADER = {
    "PSTNG_DATE": ("PostingDate", date_in),
    "DOC_DATE": ("DocumentDate", date_in),
    "HEADER_TXT": ("MaterialDocumentHeaderText", text),
    "REF_DOC_NO": ("ReferenceDocument", text),
}

ITEM = {
    "MATERIAL": ("Material", text),
    "MATERIAL_LONG": ("Material", text),
    "PLANT": ("Plant", text),
    "STGE_LOC": ("StorageLocation", text),
    "BATCH": ("Batch", text),
    "MOVE_TYPE": ("GoodsMovementType", text),
    "ENTRY_QNT": ("QuantityInEntryUnit", number_in),
    "ENTRY_UOM": ("EntryUnit", text),
    "ORDERID": ("ManufacturingOrder", alpha_in),
    "COSTCENTER": ("CostCenter", text),
    "PO_NUMBER": ("PurchaseOrder", text),
    "PO_ITEM": ("PurchaseOrderItem", text),
    "ITEM_TEXT": ("MaterialDocumentItemText", text),
    "GR_RCPT": ("GoodsRecipientName", text),
}

GM_CODES = {"01", "02", "03", "04", "05", "06", "07"}


def goodsmvt_create(
    conn,
    GOODSMVT_HEADER: dict | None = None,
    GOODSMVT_CODE: dict | None = None,
    GOODSMVT_ITEM: list | None = None,
    TESTRUN: str = "",
    **_: Any,
) -> dict:
    fail = {
        "MATERIALDOCUMENT": "",
        "MATDOCUMENTYEAR": "0000",
        "GOODSMVT_HEADRET": {"MAT_DOC": "", "DOC_YEAR": "0000"},
    }
    code = text((GOODSMVT_CODE or {}).get("GM_CODE"))
    if code not in GM_CODES:
        err = SapError("M7", "044", f"Goods movement code {code!r} is not defined")
        return {**fail, "RETURN": [error_row(err, "GOODSMVT_CODE")]}
    header = values_from(GOODSMVT_HEADER, HEADER)
    header["GoodsMovementCode"] = code
    items = [values_from(item, ITEM) for item in GOODSMVT_ITEM or []]
    if (lock := conn.lock_fault()) is not None:
        return {**fail, "RETURN": [error_row(lock)]}
    try:
        conn.dry_run(
            lambda tx: inventory.post_goods_movement(
                tx, conn.user, header, items, number=("%TEMP", "0000")
            )
        )
    except SapError as err:
        row = _item_row(err.target)
        return {**fail, "RETURN": [error_row(err, "GOODSMVT_ITEM" if row else "", row)]}
    if flag(TESTRUN):
        return {**fail, "RETURN": []}
    year = year_of(header.get("PostingDate") or today_us())
    doc = str(conn.draw("MKPF", 4900000000, year))
    try:
        conn.stage(
            lambda tx: inventory.post_goods_movement(
                tx, conn.user, header, items, number=(doc, year)
            )
        )
    except SapError as err:
        return {**fail, "RETURN": [error_row(err)]}
    return {
        "MATERIALDOCUMENT": doc,
        "MATDOCUMENTYEAR": year,
        "GOODSMVT_HEADRET": {"MAT_DOC": doc, "DOC_YEAR": year},
        "RETURN": [],
    }


def _item_row(target: str) -> int:
    if target.startswith("to_MaterialDocumentItem/"):
        return int(target.rsplit("/", 1)[1]) + 1
    return 0


def goodsmvt_cancel(
    conn, MATERIALDOCUMENT: str = "", MATDOCUMENTYEAR: str = "", GOODSMVT_PSTNG_DATE=None, **_: Any
) -> dict:
    """BAPI_GOODSMVT_CANCEL: reverse a whole material document (exports GOODSMVT_HEADRET)."""
    doc, year = text(MATERIALDOCUMENT), text(MATDOCUMENTYEAR)
    posting = date_in(GOODSMVT_PSTNG_DATE)
    fail = {"GOODSMVT_HEADRET": {"MAT_DOC": "", "DOC_YEAR": "0000"}}
    if (lock := conn.lock_fault()) is not None:
        return {**fail, "RETURN": [error_row(lock)]}
    try:
        conn.dry_run(
            lambda tx: inventory.cancel_material_document(
                tx, conn.user, year, doc, posting, number=("%TEMP", "0000")
            )
        )
    except SapError as err:
        return {**fail, "RETURN": [error_row(err)]}
    new_year = year_of(posting or today_us())
    new_doc = str(conn.draw("MKPF", 4900000000, new_year))
    try:
        conn.stage(
            lambda tx: inventory.cancel_material_document(
                tx, conn.user, year, doc, posting, number=(new_doc, new_year)
            )
        )
    except SapError as err:
        return {**fail, "RETURN": [error_row(err)]}
    return {"GOODSMVT_HEADRET": {"MAT_DOC": new_doc, "DOC_YEAR": new_year}, "RETURN": []}


__all__ = ["goodsmvt_cancel", "goodsmvt_create", "ret"]
