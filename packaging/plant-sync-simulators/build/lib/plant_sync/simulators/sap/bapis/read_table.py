"""RFC_READ_TABLE over views of the store that carry SAP's table and field names.

Output as SAP produces it: ``FIELDS`` (FIELDNAME, OFFSET, LENGTH, TYPE, FIELDTEXT) and ``DATA``
rows (``WA``) with every field padded to its length, separated by ``DELIMITER`` (right-trimmed
like pyrfc does). Number fields with ALPHA conversion (EQUNR, QMNUM, AUFNR, BANFN) come in SAP's
internal, zero-padded form. ``OPTIONS`` is a WHERE clause split over rows of up to 72 characters:
``FIELD op 'VALUE'`` joined by AND (op: = EQ <> NE > GT < LT >= GE <= LE LIKE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from plant_sync.sap.pyrfc_compat import ABAPApplicationError

from ..store import q
from ..values import sap_date, us_from_sap_date
from .common import alpha_in, text


@dataclass(frozen=True)
class Field:
    name: str
    column: str
    kind: str  # C char, A alpha number, N numc, D date, P number, B flag, L language
    length: int
    text: str = ""


def _f(name, column, kind, length, label=""):
    return Field(name, column, kind, length, label or column)


VIEWS: dict[str, tuple[str, list[Field]]] = {
    "EQUI": (
        "Equipment",
        [
            _f("EQUNR", "Equipment", "A", 18),
            _f("EQTYP", "EquipmentCategory", "C", 1),
            _f("EQART", "TechnicalObjectType", "C", 10),
            _f("HERST", "AssetManufacturerName", "C", 30),
            _f("TYPBZ", "ManufacturerPartTypeName", "C", 20),
            _f("SERGE", "ManufacturerSerialNumber", "C", 30),
            _f("BAUJJ", "ConstructionYear", "C", 4),
            _f("ERDAT", "CreationDate", "D", 8),
            _f("AEDAT", "LastChangeDateTime", "D", 8),
        ],
    ),
    "EQKT": (
        "Equipment",
        [
            _f("EQUNR", "Equipment", "A", 18),
            _f("SPRAS", "'E'", "C", 1),
            _f("EQKTX", "EquipmentName", "C", 40),
        ],
    ),
    "EQUZ": (
        "Equipment",
        [
            _f("EQUNR", "Equipment", "A", 18),
            _f("DATBI", "ValidityEndDate", "D", 8),
            _f("IWERK", "MaintenancePlanningPlant", "C", 4),
            _f("INGRP", "MaintenancePlannerGroup", "C", 3),
            # SAP keeps the CRHD object id in GEWRK; the simulator serves the work center itself
            _f("GEWRK", "MainWorkCenter", "C", 8),
            _f("TPLNR", "FunctionalLocation", "C", 30),
            # location record (ILOA) of the equipment: the simulator keys it by equipment number
            _f("ILOAN", "Equipment", "C", 18),
        ],
    ),
    "ILOA": (
        "Equipment",
        [
            _f("ILOAN", "Equipment", "C", 18),
            _f("TPLNR", "FunctionalLocation", "C", 30),
            _f("SWERK", "MaintenancePlant", "C", 4),
            _f("KOSTL", "CostCenter", "C", 10),
        ],
    ),
    "IFLOT": (
        "A_FunctionalLocation",
        [
            _f("TPLNR", "FunctionalLocation", "C", 30),
            _f("FLTYP", "FunctionalLocationCategory", "C", 1),
            _f("IWERK", "MaintenancePlanningPlant", "C", 4),
            _f("PLTXT", "FunctionalLocationName", "C", 40),
            _f("TPLMA", "SuperiorFunctionalLocation", "C", 30),
            _f("ERDAT", "CreationDate", "D", 8),
            _f("AEDAT", "LastChangeDateTime", "D", 8),
        ],
    ),
    "QMEL": (
        "MaintenanceNotification",
        [
            _f("QMNUM", "MaintenanceNotification", "A", 12),
            _f("QMART", "NotificationType", "C", 2),
            _f("QMTXT", "NotificationText", "C", 40),
            _f("PRIOK", "MaintPriority", "C", 1),
            _f("AUFNR", "MaintenanceOrder", "A", 12),
            _f("REFNUM", "MaintNotifExtReferenceNumber", "C", 20),
            _f("ERDAT", "CreationDate", "D", 8),
            _f("AEDAT", "LastChangeDate", "D", 8),
            _f("QMDAB", "NotificationCompletionDate", "D", 8),
        ],
    ),
    "QMIH": (
        "MaintenanceNotification",
        [
            _f("QMNUM", "MaintenanceNotification", "A", 12),
            _f("EQUNR", "TechnicalObject", "A", 18),
            _f("TPLNR", "FunctionalLocation", "C", 30),
        ],
    ),
    "AUFK": (
        "MaintenanceOrder",
        [
            _f("AUFNR", "MaintenanceOrder", "A", 12),
            _f("AUART", "MaintenanceOrderType", "C", 4),
            _f("KTEXT", "MaintenanceOrderDesc", "C", 40),
            _f("WERKS", "MaintenancePlant", "C", 4),
            _f("VAPLZ", "MainWorkCenter", "C", 8),
            _f("WAWRK", "MainWorkCenterPlant", "C", 4),
            _f("KOSTL", "CostCenter", "C", 10),
            _f("KOSTV", "ResponsibleCostCenter", "C", 10),
            _f("ERDAT", "MaintOrderCreationDateTime", "D", 8),
            _f("AEDAT", "LastChangeDateTime", "D", 8),
        ],
    ),
    "AFKO": (
        "MaintenanceOrder",
        [
            _f("AUFNR", "MaintenanceOrder", "A", 12),
            _f("GSTRP", "MaintOrdBasicStartDateTime", "D", 8),
            _f("GLTRP", "MaintOrdBasicEndDateTime", "D", 8),
        ],
    ),
    "AFIH": (
        "MaintenanceOrder",
        [
            _f("AUFNR", "MaintenanceOrder", "A", 12),
            _f("EQUNR", "Equipment", "A", 18),
            _f("QMNUM", "MaintenanceNotification", "A", 12),
            _f("IWERK", "MaintenancePlanningPlant", "C", 4),
            _f("INGPR", "MaintenancePlannerGroup", "C", 3),
            _f("WARPL", "MaintenancePlan", "A", 12),
            _f("DEVICEDATA", "AdditionalDeviceData", "C", 40),
            _f("STAT", "_status", "C", 4),
        ],
    ),
    "AFRU": (
        "MaintOrderConfirmation",
        [
            _f("RUECK", "MaintOrderConf", "N", 10),
            _f("RMZHL", "MaintOrderConfCntrValue", "N", 8),
            _f("AUFNR", "MaintenanceOrder", "A", 12),
            _f("VORNR", "MaintenanceOrderOperation", "C", 4),
            _f("ISMNW", "ActualWorkQuantity", "P", 13),
            _f("ISMNE", "ActualWorkQuantityUnit", "C", 3),
            _f("AUERU", "IsFinalConfirmation", "B", 1),
            _f("PERNR", "PersonnelNumber", "N", 8),
            _f("LTXA1", "ConfirmationText", "C", 40),
            _f("BUDAT", "PostingDate", "D", 8),
        ],
    ),
    "MKPF": (
        "A_MaterialDocumentHeader",
        [
            _f("MBLNR", "MaterialDocument", "C", 10),
            _f("MJAHR", "MaterialDocumentYear", "N", 4),
            _f("BLDAT", "DocumentDate", "D", 8),
            _f("BUDAT", "PostingDate", "D", 8),
            _f("BKTXT", "MaterialDocumentHeaderText", "C", 25),
        ],
    ),
    "MSEG": (
        "A_MaterialDocumentItem",
        [
            _f("MBLNR", "MaterialDocument", "C", 10),
            _f("MJAHR", "MaterialDocumentYear", "N", 4),
            _f("ZEILE", "MaterialDocumentItem", "N", 4),
            _f("MATNR", "Material", "C", 40),
            _f("WERKS", "Plant", "C", 4),
            _f("LGORT", "StorageLocation", "C", 4),
            _f("BWART", "GoodsMovementType", "C", 3),
            _f("MENGE", "QuantityInEntryUnit", "P", 13),
            _f("MEINS", "EntryUnit", "C", 3),
            _f("AUFNR", "ManufacturingOrder", "A", 12),
            _f("KOSTL", "CostCenter", "C", 10),
            _f("EBELN", "PurchaseOrder", "C", 10),
            _f("EBELP", "PurchaseOrderItem", "N", 5),
            _f("SMBLN", "ReversedMaterialDocument", "C", 10),
            _f("SJAHR", "ReversedMaterialDocumentYear", "N", 4),
            _f("SMBLP", "ReversedMaterialDocumentItem", "N", 4),
        ],
    ),
    "MARA": (
        "A_Product",
        [
            _f("MATNR", "Product", "C", 40),
            _f("MTART", "ProductType", "C", 4),
            _f("MEINS", "BaseUnit", "C", 3),
            _f("MATKL", "ProductGroup", "C", 9),
            _f("LVORM", "IsMarkedForDeletion", "B", 1),
            _f("ERSDA", "CreationDate", "D", 8),
            _f("LAEDA", "LastChangeDateTime", "D", 8),
        ],
    ),
    "MAKT": (
        "A_ProductDescription",
        [
            _f("MATNR", "Product", "C", 40),
            _f("SPRAS", "Language", "L", 1),
            _f("MAKTX", "ProductDescription", "C", 40),
        ],
    ),
    "MARC": (
        "A_ProductPlant",
        [
            _f("MATNR", "Product", "C", 40),
            _f("WERKS", "Plant", "C", 4),
            _f("EKGRP", "PurchasingGroup", "C", 3),
            _f("DISMM", "MRPType", "C", 2),
        ],
    ),
    "MBEW": (
        "A_ProductValuation",
        [
            _f("MATNR", "Product", "C", 40),
            _f("BWKEY", "ValuationArea", "C", 4),
            _f("BWTAR", "ValuationType", "C", 10),
            _f("VPRSV", "InventoryValuationProcedure", "C", 1),
            _f("STPRS", "StandardPrice", "P", 13),
            _f("VERPR", "MovingAveragePrice", "P", 13),
            _f("PEINH", "PriceUnitQty", "P", 7),
        ],
    ),
    "EKKO": (
        "A_PurchaseOrder",
        [
            _f("EBELN", "PurchaseOrder", "C", 10),
            _f("BUKRS", "CompanyCode", "C", 4),
            _f("BSART", "PurchaseOrderType", "C", 4),
            _f("LIFNR", "Supplier", "A", 10),
            _f("EKORG", "PurchasingOrganization", "C", 4),
            _f("EKGRP", "PurchasingGroup", "C", 3),
            _f("BEDAT", "PurchaseOrderDate", "D", 8),
            _f("AEDAT", "LastChangeDateTime", "D", 8),
            _f("WAERS", "DocumentCurrency", "C", 5),
        ],
    ),
    "EKPO": (
        "A_PurchaseOrderItem",
        [
            _f("EBELN", "PurchaseOrder", "C", 10),
            _f("EBELP", "PurchaseOrderItem", "N", 5),
            _f("MATNR", "Material", "C", 40),
            _f("WERKS", "Plant", "C", 4),
            _f("LGORT", "StorageLocation", "C", 4),
            _f("MENGE", "OrderQuantity", "P", 13),
            _f("MEINS", "PurchaseOrderQuantityUnit", "C", 3),
            _f("NETPR", "NetPriceAmount", "P", 11),
            _f("BANFN", "PurchaseRequisition", "A", 10),
            _f("BNFPO", "PurchaseRequisitionItem", "N", 5),
            _f("ELIKZ", "IsCompletelyDelivered", "B", 1),
            _f("LOEKZ", "PurchasingDocumentDeletionCode", "B", 1),
        ],
    ),
    "EKET": (
        "A_PurchaseOrderScheduleLine",
        [
            _f("EBELN", "PurchasingDocument", "C", 10),
            _f("EBELP", "PurchasingDocumentItem", "N", 5),
            _f("ETENR", "ScheduleLine", "N", 4),
            _f("EINDT", "ScheduleLineDeliveryDate", "D", 8),
            _f("MENGE", "ScheduleLineOrderQuantity", "P", 13),
            _f("WEMNG", "RoughGoodsReceiptQty", "P", 13),
        ],
    ),
    "EBAN": (
        "A_PurchaseRequisitionItem",
        [
            _f("BANFN", "PurchaseRequisition", "A", 10),
            _f("BNFPO", "PurchaseRequisitionItem", "N", 5),
            _f("MATNR", "Material", "C", 40),
            _f("WERKS", "Plant", "C", 4),
            _f("LGORT", "StorageLocation", "C", 4),
            _f("MENGE", "RequestedQuantity", "P", 13),
            _f("MEINS", "BaseUnit", "C", 3),
            _f("EBELN", "PurchasingDocument", "C", 10),
            _f("EBELP", "PurchasingDocumentItem", "N", 5),
            _f("EXT_REF", "PurReqnExternalReference", "C", 35),
        ],
    ),
    "MARD": (
        "A_MatlStkInAcctMod",
        [
            _f("MATNR", "Material", "C", 40),
            _f("WERKS", "Plant", "C", 4),
            _f("LGORT", "StorageLocation", "C", 4),
            _f("LABST", "MatlWrhsStkQtyInMatlBaseUnit", "P", 13),
        ],
    ),
}

#: ISO 639 (OData ``Language``) <-> SAP one-character language key (SPRAS)
LANGUAGES = {"EN": "E", "DE": "D", "FR": "F", "ES": "S", "IT": "I", "NL": "N", "PT": "P"}

_COND = re.compile(
    r"^\s*([A-Z0-9_]+)\s*(=|EQ|<>|NE|>=|GE|<=|LE|>|GT|<|LT|LIKE)\s*'((?:[^']|'')*)'\s*$", re.I
)
_OPMAP = {"EQ": "=", "NE": "<>", "GE": ">=", "LE": "<=", "GT": ">", "LT": "<"}


def _abap_error(key: str, message: str) -> ABAPApplicationError:
    return ABAPApplicationError(message=message, code=5, key=key, msg_type="E")


def _out(field: Field, value: Any) -> str:
    if field.kind == "D":
        s = sap_date(value) if value is not None else "00000000"
    elif field.kind == "A":
        s = text(value)
        s = s.zfill(field.length) if s.isdigit() else s
    elif field.kind == "N":
        s = text(value).zfill(field.length) if text(value) else "0" * field.length
    elif field.kind == "P":
        s = f"{float(value or 0):.3f}".rjust(field.length)
    elif field.kind == "B":
        s = "X" if value else ""
    elif field.kind == "L":
        s = LANGUAGES.get(text(value), text(value)[:1])
    else:
        s = text(value)
    return s[: field.length].ljust(field.length)


def _in(field: Field, value: str):
    if field.kind == "D":
        return us_from_sap_date(value)
    if field.kind == "A":
        return alpha_in(value)
    if field.kind == "B":
        return 1 if value.strip() else 0
    if field.kind == "L":
        return {v: k for k, v in LANGUAGES.items()}.get(value, value)
    if field.kind == "P":
        return float(value)
    return value


def _where(options: list, fields: dict[str, Field]) -> tuple[str, list]:
    clause = " ".join(text(o.get("TEXT")) for o in options or [] if text(o.get("TEXT")))
    if not clause.strip():
        return "", []
    parts = re.split(r"\s+AND\s+", clause.strip(), flags=re.I)
    sql, params = [], []
    for part in parts:
        m = _COND.match(part.strip().strip("()"))
        if not m:
            raise _abap_error("OPTION_NOT_VALID", f"Invalid WHERE condition: {part}")
        name, op, raw = m.group(1).upper(), m.group(2).upper(), m.group(3).replace("''", "'")
        field = fields.get(name)
        if field is None or field.column.startswith("'"):
            raise _abap_error("OPTION_NOT_VALID", f"Field {name} unknown in WHERE condition")
        if op == "LIKE":
            sql.append(f"COALESCE({q(field.column)}, '') LIKE ? ESCAPE '#'")
            params.append(raw.replace("*", "%").replace("+", "_"))
            continue
        value = _in(field, raw)
        column = q(field.column)
        if field.kind in ("C", "A", "N") and (value in ("", None) or op in ("<>", "NE")):
            column = f"COALESCE({column}, '')"
            value = value or ""
        sql.append(f"{column} {_OPMAP.get(op, op)} ?")
        params.append(value)
    return " AND ".join(sql), params


def read_table(
    conn,
    QUERY_TABLE: str = "",
    DELIMITER: str = "",
    NO_DATA: str = "",
    ROWSKIPS: int = 0,
    ROWCOUNT: int = 0,
    OPTIONS: list | None = None,
    FIELDS: list | None = None,
    **_: Any,
) -> dict:
    table = text(QUERY_TABLE).upper()
    view = VIEWS.get(table)
    if view is None:
        raise _abap_error("TABLE_NOT_AVAILABLE", f"Table {table} is not available")
    entity_set, all_fields = view
    by_name = {f.name: f for f in all_fields}
    wanted = [text(f.get("FIELDNAME")).upper() for f in FIELDS or [] if text(f.get("FIELDNAME"))]
    for name in wanted:
        if name not in by_name:
            raise _abap_error("FIELD_NOT_VALID", f"Field {name} is not valid for table {table}")
    fields = [by_name[n] for n in wanted] if wanted else all_fields
    where, params = _where(OPTIONS or [], by_name)
    out_fields, offset = [], 0
    for f in fields:
        out_fields.append(
            {
                "FIELDNAME": f.name,
                "OFFSET": f"{offset:06d}",
                "LENGTH": f"{f.length:06d}",
                "TYPE": {"A": "C", "B": "C", "L": "C"}.get(f.kind, f.kind),
                "FIELDTEXT": f.text,
            }
        )
        offset += f.length + len(DELIMITER or "")
    if text(NO_DATA).upper() == "X":
        return {"FIELDS": out_fields, "DATA": [], "OPTIONS": OPTIONS or []}
    tx = conn.store.reader()
    limit = int(ROWCOUNT or 0) or None
    rows = tx.select(entity_set, where, params, limit=limit, offset=int(ROWSKIPS or 0))
    data = []
    for row in rows:
        values = [_out(f, "E" if f.column == "'E'" else row.get(f.column)) for f in fields]
        data.append({"WA": (DELIMITER or "").join(values).rstrip()})
    return {"FIELDS": out_fields, "DATA": data, "OPTIONS": OPTIONS or []}
