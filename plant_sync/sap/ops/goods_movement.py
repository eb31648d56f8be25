"""Goods movements / material documents: post (261, 262, 201, 202, 101, 102...), read, reverse.

OData: API_MATERIAL_DOCUMENT_SRV (EDMX in shared/reference): deep insert of
A_MaterialDocumentHeader with to_MaterialDocumentItem; function import Cancel reverses a whole
document. Idempotency key in ``MaterialDocumentHeaderText`` (MKPF-BKTXT, CHAR 25). A reversal
is found again through ``A_MaterialDocumentItem.ReversedMaterialDocument``.
RFC: BAPI_GOODSMVT_CREATE (GOODSMVT_HEADER-HEADER_TXT carries the key) / BAPI_GOODSMVT_CANCEL
+ BAPI_TRANSACTION_COMMIT; look-ups via RFC_READ_TABLE MKPF/MSEG (MSEG-SMBLN for reversals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ...errors import ValidationError
from ..models import CreateResult, Message
from ..odata.query import and_, eq, format_datetime, format_decimal
from ..rfc.client import abap_literal
from ..rfc.returns import check_return, return_rows
from .base import ODataBase, RfcBase, abap_date, alpha, dec, dt, from_abap_date, require, s

SERVICE = "API_MATERIAL_DOCUMENT_SRV"
HEADER = "A_MaterialDocumentHeader"
ITEM = "A_MaterialDocumentItem"
ITEMS = "to_MaterialDocumentItem"
REF_FIELD = "MaterialDocumentHeaderText"
REF_LENGTH = 25
# GM_CODE per movement type: 01 GR for purchase order, 03 goods issue, 05 other receipts
GM_CODES = {"101": "01", "102": "01", "261": "03", "262": "03", "201": "03", "202": "03"}


@dataclass
class GoodsMovementItem:
    material: str
    plant: str
    storage_location: str
    movement_type: str  # 261 issue to order, 262 reversal, 201 to cost center, 101 GR for PO...
    quantity: Decimal
    unit: str
    batch: str = ""
    order: str = ""  # maintenance order (261/262)
    cost_center: str = ""  # 201/202
    reservation: str = ""
    reservation_item: str = ""
    purchase_order: str = ""  # 101/102
    purchase_order_item: str = ""


@dataclass
class GoodsMovementCreate:
    items: list[GoodsMovementItem]
    posting_date: date | None = None
    document_date: date | None = None
    goods_movement_code: str = ""  # derived from the first movement type when empty

    def code(self) -> str:
        if self.goods_movement_code:
            return self.goods_movement_code
        if not self.items:
            raise ValidationError("A goods movement needs at least one item")
        return GM_CODES.get(self.items[0].movement_type, "03")


@dataclass
class MaterialDocumentItem:
    item: str
    material: str = ""
    plant: str = ""
    storage_location: str = ""
    movement_type: str = ""
    quantity: Decimal = Decimal(0)
    unit: str = ""
    order: str = ""
    cost_center: str = ""
    purchase_order: str = ""
    purchase_order_item: str = ""
    reversed_document: str = ""


@dataclass
class MaterialDocument:
    number: str
    year: str
    posting_date: datetime | None = None
    reference: str = ""
    items: list[MaterialDocumentItem] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


# --- OData -----------------------------------------------------------------------------------
def _item_from_odata(row: dict[str, Any]) -> MaterialDocumentItem:
    return MaterialDocumentItem(
        item=s(row, "MaterialDocumentItem"),
        material=s(row, "Material"),
        plant=s(row, "Plant"),
        storage_location=s(row, "StorageLocation"),
        movement_type=s(row, "GoodsMovementType"),
        quantity=dec(row.get("QuantityInEntryUnit")),
        unit=s(row, "EntryUnit"),
        order=s(row, "ManufacturingOrder").lstrip("0"),
        cost_center=s(row, "CostCenter"),
        purchase_order=s(row, "PurchaseOrder"),
        purchase_order_item=s(row, "PurchaseOrderItem"),
        reversed_document=s(row, "ReversedMaterialDocument"),
    )


def _from_odata(row: dict[str, Any]) -> MaterialDocument:
    items = row.get(ITEMS)
    items = items.get("results", []) if isinstance(items, dict) else items or []
    return MaterialDocument(
        number=s(row, "MaterialDocument"),
        year=s(row, "MaterialDocumentYear"),
        posting_date=dt(row.get("PostingDate")),
        reference=s(row, REF_FIELD),
        items=[_item_from_odata(i) for i in items if isinstance(i, dict)],
        raw=row,
    )


def _odata_item(item: GoodsMovementItem) -> dict[str, Any]:
    row = {
        "Material": item.material,
        "Plant": item.plant,
        "StorageLocation": item.storage_location,
        "GoodsMovementType": item.movement_type,
        "QuantityInEntryUnit": format_decimal(item.quantity),
        "EntryUnit": item.unit,
        "Batch": item.batch,
        "ManufacturingOrder": item.order,
        "CostCenter": item.cost_center,
        "Reservation": item.reservation,
        "ReservationItem": item.reservation_item,
        "PurchaseOrder": item.purchase_order,
        "PurchaseOrderItem": item.purchase_order_item,
        "GoodsMovementRefDocType": "B" if item.purchase_order else "",
    }
    return {k: v for k, v in row.items() if v}


class GoodsMovementOData(ODataBase):
    def post_goods_movement(
        self, data: GoodsMovementCreate, *, idempotency_key: str
    ) -> CreateResult[MaterialDocument]:
        svc = self._svc(SERVICE)
        payload = {
            "GoodsMovementCode": data.code(),
            "PostingDate": format_datetime(data.posting_date or date.today()),
            "DocumentDate": format_datetime(
                data.document_date or data.posting_date or date.today()
            ),
            REF_FIELD: idempotency_key,
            ITEMS: {"results": [_odata_item(i) for i in data.items]},
        }

        def create() -> tuple[MaterialDocument, list[Message]]:
            entity = svc.create(HEADER, payload)
            doc = _from_odata(entity.data)
            return self.get_material_document(doc.number, doc.year), []

        return self._once_by_reference(
            idempotency_key, REF_LENGTH, "matdoc", self.find_material_document_by_reference, create
        )

    def find_material_document_by_reference(self, reference: str) -> MaterialDocument | None:
        row = self._svc(SERVICE).first(HEADER, filter=eq(REF_FIELD, reference))
        return (
            self.get_material_document(s(row, "MaterialDocument"), s(row, "MaterialDocumentYear"))
            if row
            else None
        )

    def get_material_document(self, number: str, year: str) -> MaterialDocument:
        key = {"MaterialDocumentYear": year, "MaterialDocument": number}
        return _from_odata(self._svc(SERVICE).get(HEADER, key, expand=[ITEMS]).data)

    def find_reversal(self, number: str, year: str) -> MaterialDocument | None:
        row = self._svc(SERVICE).first(
            ITEM,
            filter=and_(
                eq("ReversedMaterialDocument", number), eq("ReversedMaterialDocumentYear", year)
            ),
        )
        return (
            self.get_material_document(s(row, "MaterialDocument"), s(row, "MaterialDocumentYear"))
            if row
            else None
        )

    def cancel_material_document(
        self, number: str, year: str, *, posting_date: date | None = None
    ) -> CreateResult[MaterialDocument]:
        """Reverse a whole material document, exactly once (the reversal is found again by its
        reference to the original document)."""
        svc = self._svc(SERVICE)

        def create() -> tuple[MaterialDocument, list[Message]]:
            params = {"MaterialDocumentYear": year, "MaterialDocument": number}
            params["PostingDate"] = datetime.combine(
                posting_date or date.today(), datetime.min.time()
            )
            row = svc.call_function("Cancel", params)
            return self.get_material_document(
                s(row, "MaterialDocument"), s(row, "MaterialDocumentYear")
            ), []

        return self._once(
            f"{year}/{number}",
            REF_LENGTH,
            kind="reversal",
            lookup=lambda: self.find_reversal(number, year),
            create=create,
        )


# --- RFC -------------------------------------------------------------------------------------
MSEG_FIELDS = ["MBLNR", "MJAHR", "ZEILE", "MATNR", "WERKS", "LGORT", "BWART", "MENGE", "MEINS"]
MSEG_FIELDS += ["AUFNR", "KOSTL", "EBELN", "EBELP"]


class GoodsMovementRfc(RfcBase):
    def post_goods_movement(
        self, data: GoodsMovementCreate, *, idempotency_key: str
    ) -> CreateResult[MaterialDocument]:
        header = {
            "PSTNG_DATE": abap_date(data.posting_date),
            "DOC_DATE": abap_date(data.document_date or data.posting_date),
            "HEADER_TXT": idempotency_key,
        }
        items = []
        for item in data.items:
            row = {
                "MATERIAL": item.material,
                "PLANT": item.plant,
                "STGE_LOC": item.storage_location,
                "MOVE_TYPE": item.movement_type,
                "ENTRY_QNT": str(item.quantity),
                "ENTRY_UOM": item.unit,
                "BATCH": item.batch,
                "ORDERID": alpha(item.order, 12) if item.order else "",
                "COSTCENTER": item.cost_center,
                "RESERV_NO": item.reservation,
                "RES_ITEM": item.reservation_item,
                "PO_NUMBER": item.purchase_order,
                "PO_ITEM": item.purchase_order_item,
                "MVT_IND": "B" if item.purchase_order else "",
            }
            items.append({k: v for k, v in row.items() if v})

        def create() -> tuple[MaterialDocument, list[Message]]:
            with self.rfc.luw() as luw:
                result = luw.call(
                    "BAPI_GOODSMVT_CREATE",
                    GOODSMVT_HEADER=header,
                    GOODSMVT_CODE={"GM_CODE": data.code()},
                    GOODSMVT_ITEM=items,
                )
                messages = check_return(return_rows(result))
                number, year = s(result, "MATERIALDOCUMENT"), s(result, "MATDOCUMENTYEAR")
                luw.commit()
            return self.get_material_document(number, year), messages

        return self._once_by_reference(
            idempotency_key, REF_LENGTH, "matdoc", self.find_material_document_by_reference, create
        )

    def find_material_document_by_reference(self, reference: str) -> MaterialDocument | None:
        row = self._read_one("MKPF", ["MBLNR", "MJAHR"], [f"BKTXT = {abap_literal(reference)}"])
        return self.get_material_document(row["MBLNR"], row["MJAHR"]) if row else None

    def get_material_document(self, number: str, year: str) -> MaterialDocument:
        where = [f"MBLNR = {abap_literal(number)}", f"MJAHR = {abap_literal(year)}"]
        head = require(
            self._read_one("MKPF", ["MBLNR", "MJAHR", "BUDAT", "BKTXT"], where),
            f"Material document {number}/{year}",
        )
        items = [
            MaterialDocumentItem(
                item=s(r, "ZEILE"),
                material=s(r, "MATNR"),
                plant=s(r, "WERKS"),
                storage_location=s(r, "LGORT"),
                movement_type=s(r, "BWART"),
                quantity=dec(r.get("MENGE")),
                unit=s(r, "MEINS"),
                order=s(r, "AUFNR").lstrip("0"),
                cost_center=s(r, "KOSTL"),
                purchase_order=s(r, "EBELN"),
                purchase_order_item=s(r, "EBELP"),
            )
            for r in self._read_all("MSEG", MSEG_FIELDS, where)
        ]
        return MaterialDocument(
            number=head["MBLNR"],
            year=head["MJAHR"],
            posting_date=from_abap_date(head.get("BUDAT")),
            reference=s(head, "BKTXT"),
            items=items,
            raw=head,
        )

    def find_reversal(self, number: str, year: str) -> MaterialDocument | None:
        where = [f"SMBLN = {abap_literal(number)}", f"SJAHR = {abap_literal(year)}"]
        row = self._read_one("MSEG", ["MBLNR", "MJAHR"], where)
        return self.get_material_document(row["MBLNR"], row["MJAHR"]) if row else None

    def cancel_material_document(
        self, number: str, year: str, *, posting_date: date | None = None
    ) -> CreateResult[MaterialDocument]:
        def create() -> tuple[MaterialDocument, list[Message]]:
            with self.rfc.luw() as luw:
                result = luw.call(
                    "BAPI_GOODSMVT_CANCEL",
                    MATERIALDOCUMENT=number,
                    MATDOCUMENTYEAR=year,
                    GOODSMVT_PSTNG_DATE=abap_date(posting_date),
                )
                messages = check_return(return_rows(result))
                head = result.get("GOODSMVT_HEADRET") or {}
                luw.commit()
            return self.get_material_document(s(head, "MAT_DOC"), s(head, "DOC_YEAR")), messages

        return self._once(
            f"{year}/{number}",
            REF_LENGTH,
            kind="reversal",
            lookup=lambda: self.find_reversal(number, year),
            create=create,
        )


__all__ = ["GoodsMovementCreate", "GoodsMovementItem", "MaterialDocument"]
