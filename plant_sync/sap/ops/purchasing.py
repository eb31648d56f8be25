"""Purchase requisition create (exactly once) / read; purchase orders by PR reference and delta.

OData: API_PURCHASEREQ_PROCESS_SRV (EDMX in shared/reference): deep insert of
A_PurchaseRequisitionHeader with to_PurchaseReqnItem (and to_PurchaseReqnAcctAssgmt). The key is
written to ``PurReqnExternalReference`` (CHAR 35) on every item: ``PurReqnItemExternalReference``
is only CHAR 10, too short for a 16-character key (see the simulator README).
API_PURCHASEORDER_PROCESS_SRV — not in shared/reference; follows SAP's published "Purchase Order"
OData V2 API: A_PurchaseOrder, A_PurchaseOrderItem (PurchaseRequisition/PurchaseRequisitionItem),
A_PurchaseOrderScheduleLine (RoughGoodsReceiptQty, ScheduleLineOpenQuantity).
RFC: BAPI_PR_CREATE with EXTENSIONIN BAPI_TE_MEREQITEM (item number + reference) and
BAPI_TRANSACTION_COMMIT; reads via RFC_READ_TABLE EBAN, EKKO, EKPO.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..models import CreateResult, DeltaPage, Message
from ..odata.query import and_, eq, format_datetime, format_decimal
from ..rfc.client import abap_literal
from ..rfc.returns import check_return, return_rows
from .base import ODataBase, RfcBase, abap_date, dec, dt, from_abap_date, key_of, require, s

PR_SERVICE = "API_PURCHASEREQ_PROCESS_SRV"
PO_SERVICE = "API_PURCHASEORDER_PROCESS_SRV"
REF_FIELD = "PurReqnExternalReference"
REF_LENGTH = 35


@dataclass
class PurchaseRequisitionItemCreate:
    material: str
    plant: str
    quantity: Decimal
    unit: str
    delivery_date: date
    storage_location: str = ""
    purchasing_group: str = ""
    purchasing_organization: str = ""
    text: str = ""
    material_group: str = ""
    account_assignment: str = ""  # e.g. "F" order, "K" cost center
    order: str = ""
    cost_center: str = ""
    price: Decimal | None = None
    currency: str = ""


@dataclass
class PurchaseRequisitionCreate:
    items: list[PurchaseRequisitionItemCreate]
    pr_type: str = "NB"
    description: str = ""


@dataclass
class PurchaseRequisitionItem:
    item: str
    material: str = ""
    plant: str = ""
    quantity: Decimal = Decimal(0)
    unit: str = ""
    purchase_order: str = ""
    purchase_order_item: str = ""
    reference: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class PurchaseRequisition:
    number: str
    items: list[PurchaseRequisitionItem] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return self.items[0].reference if self.items else ""


@dataclass
class PurchaseOrderItem:
    order: str
    item: str
    material: str = ""
    plant: str = ""
    quantity: Decimal = Decimal(0)
    unit: str = ""
    net_price: Decimal = Decimal(0)
    currency: str = ""
    requisition: str = ""
    requisition_item: str = ""
    received_quantity: Decimal = Decimal(0)
    open_quantity: Decimal = Decimal(0)
    completely_delivered: bool = False
    deleted: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class PurchaseOrder:
    number: str
    supplier: str = ""
    company_code: str = ""
    order_type: str = ""
    purchasing_organization: str = ""
    purchasing_group: str = ""
    order_date: datetime | None = None
    changed_at: datetime | None = None
    items: list[PurchaseOrderItem] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def _results(value: Any) -> list[dict[str, Any]]:
    rows = value.get("results", []) if isinstance(value, dict) else value or []
    return [r for r in rows if isinstance(r, dict)]


def _items(data: PurchaseRequisitionCreate) -> list[tuple[str, PurchaseRequisitionItemCreate]]:
    return [(f"{(i + 1) * 10:05d}", item) for i, item in enumerate(data.items)]


# --- OData -----------------------------------------------------------------------------------
def _pr_item_from_odata(row: dict[str, Any]) -> PurchaseRequisitionItem:
    return PurchaseRequisitionItem(
        item=s(row, "PurchaseRequisitionItem"),
        material=s(row, "Material"),
        plant=s(row, "Plant"),
        quantity=dec(row.get("RequestedQuantity")),
        unit=s(row, "BaseUnit"),
        purchase_order=s(row, "PurchasingDocument"),
        purchase_order_item=s(row, "PurchasingDocumentItem"),
        reference=s(row, REF_FIELD),
        raw=row,
    )


def _po_item_from_odata(row: dict[str, Any]) -> PurchaseOrderItem:
    lines = _results(row.get("to_ScheduleLine"))
    return PurchaseOrderItem(
        order=s(row, "PurchaseOrder"),
        item=s(row, "PurchaseOrderItem"),
        material=s(row, "Material"),
        plant=s(row, "Plant"),
        quantity=dec(row.get("OrderQuantity")),
        unit=s(row, "PurchaseOrderQuantityUnit"),
        net_price=dec(row.get("NetPriceAmount")),
        currency=s(row, "DocumentCurrency"),
        requisition=s(row, "PurchaseRequisition"),
        requisition_item=s(row, "PurchaseRequisitionItem"),
        received_quantity=sum((dec(li.get("RoughGoodsReceiptQty")) for li in lines), Decimal(0)),
        open_quantity=sum((dec(li.get("ScheduleLineOpenQuantity")) for li in lines), Decimal(0)),
        completely_delivered=bool(row.get("IsCompletelyDelivered")),
        deleted=bool(row.get("PurchasingDocumentDeletionCode")),
        raw=row,
    )


def _po_from_odata(row: dict[str, Any]) -> PurchaseOrder:
    return PurchaseOrder(
        number=s(row, "PurchaseOrder"),
        supplier=s(row, "Supplier"),
        company_code=s(row, "CompanyCode"),
        order_type=s(row, "PurchaseOrderType"),
        purchasing_organization=s(row, "PurchasingOrganization"),
        purchasing_group=s(row, "PurchasingGroup"),
        order_date=dt(row.get("PurchaseOrderDate")),
        changed_at=dt(row.get("LastChangeDateTime")),
        items=[_po_item_from_odata(i) for i in _results(row.get("to_PurchaseOrderItem"))],
        raw=row,
    )


class PurchasingOData(ODataBase):
    def create_purchase_requisition(
        self, data: PurchaseRequisitionCreate, *, idempotency_key: str
    ) -> CreateResult[PurchaseRequisition]:
        svc = self._svc(PR_SERVICE)
        items = []
        for number, item in _items(data):
            row: dict[str, Any] = {
                "PurchaseRequisitionItem": number,
                "PurchaseRequisitionType": data.pr_type,
                "Material": item.material,
                "Plant": item.plant,
                "StorageLocation": item.storage_location,
                "RequestedQuantity": format_decimal(item.quantity),
                "BaseUnit": item.unit,
                "DeliveryDate": format_datetime(item.delivery_date),
                "PurchasingGroup": item.purchasing_group,
                "PurchasingOrganization": item.purchasing_organization,
                "PurchaseRequisitionItemText": item.text,
                "MaterialGroup": item.material_group,
                "AccountAssignmentCategory": item.account_assignment,
                "PurchaseRequisitionPrice": format_decimal(item.price),
                "PurReqnItemCurrency": item.currency,
                REF_FIELD: idempotency_key,
            }
            row = {k: v for k, v in row.items() if v not in (None, "")}
            if item.cost_center or item.order:
                account = {"PurchaseReqnAcctAssgmtNumber": "01", "CostCenter": item.cost_center}
                account["OrderID"] = item.order
                row["to_PurchaseReqnAcctAssgmt"] = {
                    "results": [{k: v for k, v in account.items() if v}]
                }
            items.append(row)
        payload: dict[str, Any] = {
            "PurchaseRequisitionType": data.pr_type,
            "to_PurchaseReqnItem": {"results": items},
        }
        if data.description:
            payload["PurReqnDescription"] = data.description

        def create() -> tuple[PurchaseRequisition, list[Message]]:
            entity = svc.create("A_PurchaseRequisitionHeader", payload)
            return self.get_purchase_requisition(key_of(entity.data, "PurchaseRequisition")), []

        return self._once_by_reference(
            idempotency_key,
            REF_LENGTH,
            "purreq",
            self.find_purchase_requisition_by_reference,
            create,
        )

    def find_purchase_requisition_by_reference(self, reference: str) -> PurchaseRequisition | None:
        row = self._svc(PR_SERVICE).first(
            "A_PurchaseRequisitionItem", filter=eq(REF_FIELD, reference)
        )
        return self.get_purchase_requisition(s(row, "PurchaseRequisition")) if row else None

    def get_purchase_requisition(self, number: str) -> PurchaseRequisition:
        rows = self._svc(PR_SERVICE).query(
            "A_PurchaseRequisitionItem", filter=eq("PurchaseRequisition", number)
        )
        require(rows[0] if rows else None, f"Purchase requisition {number}")
        return PurchaseRequisition(number, [_pr_item_from_odata(r) for r in rows])

    def find_purchase_orders_for_requisition(
        self, requisition: str, item: str = ""
    ) -> list[PurchaseOrderItem]:
        flt = and_(
            eq("PurchaseRequisition", requisition),
            eq("PurchaseRequisitionItem", item) if item else None,
        )
        rows = self._svc(PO_SERVICE).query(
            "A_PurchaseOrderItem", filter=flt, expand=["to_ScheduleLine"]
        )
        return [_po_item_from_odata(r) for r in rows]

    def get_purchase_order(self, number: str) -> PurchaseOrder:
        entity = self._svc(PO_SERVICE).get(
            "A_PurchaseOrder", number, expand=["to_PurchaseOrderItem/to_ScheduleLine"]
        )
        return _po_from_odata(entity.data)

    def iter_purchase_order_changes(
        self, since: datetime | None
    ) -> Iterator[DeltaPage[PurchaseOrder]]:
        return self._svc(PO_SERVICE).iter_delta(
            "A_PurchaseOrder",
            since,
            expand=["to_PurchaseOrderItem/to_ScheduleLine"],
            convert=_po_from_odata,
        )


# --- RFC -------------------------------------------------------------------------------------
EBAN_FIELDS = ["BANFN", "BNFPO", "MATNR", "WERKS", "MENGE", "MEINS", "EBELN", "EBELP", "EXT_REF"]
EKPO_FIELDS = ["EBELN", "EBELP", "MATNR", "WERKS", "MENGE", "MEINS", "NETPR", "BANFN", "BNFPO"]
EKPO_FIELDS += ["ELIKZ", "LOEKZ"]
EKKO_FIELDS = ["EBELN", "BUKRS", "BSART", "LIFNR", "EKORG", "EKGRP", "BEDAT", "AEDAT", "WAERS"]


def _pr_item_from_eban(row: dict[str, str]) -> PurchaseRequisitionItem:
    return PurchaseRequisitionItem(
        item=s(row, "BNFPO"),
        material=s(row, "MATNR"),
        plant=s(row, "WERKS"),
        quantity=dec(row.get("MENGE")),
        unit=s(row, "MEINS"),
        purchase_order=s(row, "EBELN"),
        purchase_order_item=s(row, "EBELP"),
        reference=s(row, "EXT_REF"),
        raw=row,
    )


def _po_item_from_ekpo(row: dict[str, str]) -> PurchaseOrderItem:
    return PurchaseOrderItem(
        order=s(row, "EBELN"),
        item=s(row, "EBELP"),
        material=s(row, "MATNR"),
        plant=s(row, "WERKS"),
        quantity=dec(row.get("MENGE")),
        unit=s(row, "MEINS"),
        net_price=dec(row.get("NETPR")),
        requisition=s(row, "BANFN"),
        requisition_item=s(row, "BNFPO"),
        completely_delivered=s(row, "ELIKZ") == "X",
        deleted=bool(s(row, "LOEKZ")),
        raw=row,
    )


class PurchasingRfc(RfcBase):
    def create_purchase_requisition(
        self, data: PurchaseRequisitionCreate, *, idempotency_key: str
    ) -> CreateResult[PurchaseRequisition]:
        items, itemsx, accounts, accountsx, extension = [], [], [], [], []
        for number, item in _items(data):
            row = {
                "PREQ_ITEM": number,
                "MATERIAL": item.material,
                "PLANT": item.plant,
                "STORE_LOC": item.storage_location,
                "QUANTITY": str(item.quantity),
                "UNIT": item.unit,
                "DELIV_DATE": abap_date(item.delivery_date),
                "PUR_GROUP": item.purchasing_group,
                "PURCH_ORG": item.purchasing_organization,
                "SHORT_TEXT": item.text,
                "MATL_GROUP": item.material_group,
                "ACCTASSCAT": item.account_assignment,
                "PREQ_PRICE": str(item.price) if item.price is not None else "",
                "CURRENCY": item.currency,
            }
            row = {k: v for k, v in row.items() if v}
            items.append(row)
            itemsx.append({k: ("X" if k != "PREQ_ITEM" else v) for k, v in row.items()})
            if item.cost_center or item.order:
                acc = {"PREQ_ITEM": number, "SERIAL_NO": "01", "COSTCENTER": item.cost_center}
                acc["ORDERID"] = item.order
                acc = {k: v for k, v in acc.items() if v}
                accounts.append(acc)
                accountsx.append(
                    {k: ("X" if k not in ("PREQ_ITEM", "SERIAL_NO") else v) for k, v in acc.items()}
                )
            extension.append(
                {"STRUCTURE": "BAPI_TE_MEREQITEM", "VALUEPART1": number + idempotency_key.ljust(35)}
            )

        def create() -> tuple[PurchaseRequisition, list[Message]]:
            with self.rfc.luw() as luw:
                result = luw.call(
                    "BAPI_PR_CREATE",
                    PRHEADER={"PR_TYPE": data.pr_type},
                    PRHEADERX={"PR_TYPE": "X"},
                    PRITEM=items,
                    PRITEMX=itemsx,
                    PRACCOUNT=accounts,
                    PRACCOUNTX=accountsx,
                    EXTENSIONIN=extension,
                )
                messages = check_return(return_rows(result))
                number = s(result, "NUMBER")
                luw.commit()
            return self.get_purchase_requisition(number), messages

        return self._once_by_reference(
            idempotency_key,
            REF_LENGTH,
            "purreq",
            self.find_purchase_requisition_by_reference,
            create,
        )

    def find_purchase_requisition_by_reference(self, reference: str) -> PurchaseRequisition | None:
        row = self._read_one("EBAN", ["BANFN"], [f"EXT_REF = {abap_literal(reference)}"])
        return self.get_purchase_requisition(row["BANFN"]) if row else None

    def get_purchase_requisition(self, number: str) -> PurchaseRequisition:
        rows = self._read_all("EBAN", EBAN_FIELDS, [f"BANFN = {abap_literal(number)}"])
        require(rows[0] if rows else None, f"Purchase requisition {number}")
        return PurchaseRequisition(number, [_pr_item_from_eban(r) for r in rows])

    def find_purchase_orders_for_requisition(
        self, requisition: str, item: str = ""
    ) -> list[PurchaseOrderItem]:
        where = [f"BANFN = {abap_literal(requisition)}"]
        if item:
            where.append(f"BNFPO = {abap_literal(item)}")
        return [_po_item_from_ekpo(r) for r in self._read_all("EKPO", EKPO_FIELDS, where)]

    def get_purchase_order(self, number: str) -> PurchaseOrder:
        where = [f"EBELN = {abap_literal(number)}"]
        head = require(self._read_one("EKKO", EKKO_FIELDS, where), f"Purchase order {number}")
        return self._po(head)

    def _po(self, head: dict[str, str]) -> PurchaseOrder:
        where = [f"EBELN = {abap_literal(head['EBELN'])}"]
        return PurchaseOrder(
            number=s(head, "EBELN"),
            supplier=s(head, "LIFNR"),
            company_code=s(head, "BUKRS"),
            order_type=s(head, "BSART"),
            purchasing_organization=s(head, "EKORG"),
            purchasing_group=s(head, "EKGRP"),
            order_date=from_abap_date(head.get("BEDAT")),
            changed_at=from_abap_date(head.get("AEDAT")),
            items=[_po_item_from_ekpo(r) for r in self._read_all("EKPO", EKPO_FIELDS, where)],
            raw=head,
        )

    def iter_purchase_order_changes(
        self, since: datetime | None
    ) -> Iterator[DeltaPage[PurchaseOrder]]:
        where = [f"AEDAT >= '{abap_date(since)}'"] if since is not None else []
        watermark = since
        for rows in self.rfc.iter_table("EKKO", EKKO_FIELDS, where):
            page = [self._po(r) for r in rows]
            for po in page:
                if po.changed_at and (watermark is None or po.changed_at > watermark):
                    watermark = po.changed_at
            yield DeltaPage(rows=page, watermark=watermark)
