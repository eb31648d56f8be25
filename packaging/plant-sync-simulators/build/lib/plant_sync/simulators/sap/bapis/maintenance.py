"""PM BAPIs: BAPI_ALM_NOTIF_CREATE/SAVE, BAPI_ALM_ORDER_MAINTAIN, BAPI_ALM_CONF_CREATE,
BAPI_EQUI_GETDETAIL. Field names follow SAP's BAPI structures (BAPI2080_NOTHDRI,
BAPI_ALM_ORDER_HEADERS_I, BAPI_ALM_ORDER_OPERATION, BAPI_ALM_TIMECONFIRMATION, BAPI_ITOB)."""

from __future__ import annotations

from typing import Any

from .. import maintenance as pm
from ..common import numc
from ..errors import SapError
from ..values import sap_date
from .common import (
    alpha_in,
    alpha_out,
    date_in,
    empty_return,
    error_row,
    flag,
    number_in,
    ret,
    text,
    values_from,
)

NOTIF_HEADER = {
    "SHORT_TEXT": ("NotificationText", text),
    "PRIORITY": ("MaintPriority", text),
    "REPORTEDBY": ("ReportedByUser", text),
    "PLANPLANT": ("MaintenancePlanningPlant", text),
    "PLANGROUP": ("MaintenancePlannerGroup", text),
    "PM_WKCTR_C": ("MainWorkCenter", text),
    "MAINTPLANT": ("MaintenancePlant", text),
    "PLSECTN": ("PlantSection", text),
    "BREAKDOWN": ("MaintenanceObjectIsDown", lambda v: int(flag(v))),
    "DESSTDATE": ("RequiredStartDate", date_in),
    "DESENDDATE": ("RequiredEndDate", date_in),
    "STRMLFNDATE": ("MalfunctionStartDate", date_in),
    "ENDMLFNDATE": ("MalfunctionEndDate", date_in),
    "NOTIF_DATE": ("NotificationCreationDate", date_in),
    "CODE_GROUP": ("MaintNotificationCodeGroup", text),
    "CODING": ("MaintNotificationCode", text),
}

ORDER_HEADER = {
    "ORDER_TYPE": ("MaintenanceOrderType", text),
    "PLANPLANT": ("MaintenancePlanningPlant", text),
    "MN_WK_CTR": ("MainWorkCenter", text),
    "PLANT": ("MainWorkCenterPlant", text),
    "PMACTTYPE": ("MaintenanceActivityType", text),
    "PLANGROUP": ("MaintenancePlannerGroup", text),
    "SHORT_TEXT": ("MaintenanceOrderDesc", text),
    "EQUIPMENT": ("Equipment", alpha_in),
    "FUNCT_LOC": ("FunctionalLocation", text),
    "NOTIF_NO": ("MaintenanceNotification", alpha_in),
    "PRIORITY": ("MaintPriority", text),
    "COSTCENTER": ("CostCenter", text),
    "MAINTPLANT": ("MaintenancePlant", text),
    "DEVICEDATA": ("AdditionalDeviceData", text),
    "SYSTCOND": ("OperationSystemCondition", text),
    "START_DATE": ("MaintOrdBasicStartDateTime", date_in),
    "FINISH_DATE": ("MaintOrdBasicEndDateTime", date_in),
    "REVISION": ("MaintenanceRevision", text),
}

ORDER_OPERATION = {
    "ACTIVITY": ("MaintenanceOrderOperation", text),
    "SUB_ACTIVITY": ("MaintenanceOrderSubOperation", text),
    "CONTROL_KEY": ("OperationControlKey", text),
    "WORK_CNTR": ("WorkCenter", text),
    "PLANT": ("Plant", text),
    "DESCRIPTION": ("OperationDescription", text),
    "WORK_ACTIVITY": ("MaintOrdOperationWorkDuration", number_in),
    "UN_WORK": ("MaintOrdOpWorkDurationUnit", text),
    "DURATION_NORMAL": ("MaintOrderOperationDuration", number_in),
    "DURATION_NORMAL_UNIT": ("MaintOrdOperationDurationUnit", text),
    "NUMBER_OF_CAPACITIES": ("NumberOfCapacities", lambda v: int(number_in(v) or 0)),
    "ACTTYPE": ("ActivityType", text),
}


def _notif_export(values: dict, number: str) -> dict:
    return {
        "NOTIF_NO": number,
        "NOTIF_TYPE": values.get("NotificationType", ""),
        "SHORT_TEXT": values.get("NotificationText", ""),
        "PRIORITY": values.get("MaintPriority", ""),
        "EQUIPMENT": alpha_out(
            values.get("TechnicalObject", "")
            if values.get("TechObjIsEquipOrFuncnlLoc") == pm.EQUI
            else "",
            18,
        ),
        "FUNCT_LOC": values.get("FunctionalLocation", ""),
        "ORDERID": alpha_out(values.get("MaintenanceOrder", ""), 12),
    }


def notif_create(
    conn,
    NOTIF_TYPE: str = "",
    NOTIFHEADER: dict | None = None,
    EXTENSIONIN: list | None = None,
    ORDERID: str = "",
    **_: Any,
) -> dict:
    header = NOTIFHEADER or {}
    values = values_from(header, NOTIF_HEADER)
    values["NotificationType"] = text(NOTIF_TYPE)
    equi, floc = alpha_in(header.get("EQUIPMENT")), text(header.get("FUNCT_LOC"))
    if equi:
        values.update(TechnicalObject=equi, TechObjIsEquipOrFuncnlLoc=pm.EQUI)
    elif floc:
        values.update(TechnicalObject=floc, TechObjIsEquipOrFuncnlLoc=pm.FLOC)
    if ORDERID:
        values["MaintenanceOrder"] = alpha_in(ORDERID)
    for row in EXTENSIONIN or []:
        if text(row.get("STRUCTURE")).upper() == "BAPI_TE_QMEL":
            values["MaintNotifExtReferenceNumber"] = text(row.get("VALUEPART1"))[:20].strip()
    temp = f"%{len(conn.pending.get('notif', {})) + 1:011d}"
    try:
        conn.dry_run(lambda tx: pm.create_notification(tx, conn.user, values, number=temp))
    except SapError as err:
        return {"NOTIFHEADER_EXPORT": _notif_export(values, ""), "RETURN": [error_row(err)]}
    conn.pending.setdefault("notif", {})[temp] = values
    return {"NOTIFHEADER_EXPORT": _notif_export(values, temp), "RETURN": []}


def notif_save(conn, NUMBER: str = "", **_: Any) -> dict:
    values = conn.pending.get("notif", {}).pop(text(NUMBER), None)
    if values is None:
        err = SapError("IM", "001", f"Notification {NUMBER} does not exist")
        return {"NOTIFHEADER": _notif_export({}, ""), "RETURN": [error_row(err)]}
    if (lock := conn.lock_fault()) is not None:
        return {"NOTIFHEADER": _notif_export(values, ""), "RETURN": [error_row(lock)]}
    number = str(conn.draw("QMEL", 10000000))
    try:
        conn.stage(lambda tx: pm.create_notification(tx, conn.user, values, number=number))
    except SapError as err:
        return {"NOTIFHEADER": _notif_export(values, ""), "RETURN": [error_row(err)]}
    return {"NOTIFHEADER": _notif_export(values, alpha_out(number, 12)), "RETURN": []}


def notif_close(
    conn, NUMBER: str = "", SYSTSTAT: dict | None = None, TESTRUN: str = "", **_: Any
) -> dict:
    """BAPI_ALM_NOTIF_CLOSE: complete a notification (takes effect on COMMIT)."""
    number = alpha_in(NUMBER)
    if (lock := conn.lock_fault()) is not None:
        return {"RETURN": [error_row(lock)], "SYSTEMSTATUS": "", "USERSTATUS": ""}
    runner = conn.dry_run if flag(TESTRUN) else conn.stage
    try:
        runner(lambda tx: pm.complete_notification(tx, conn.user, number))
    except SapError as err:
        return {"RETURN": [error_row(err)], "SYSTEMSTATUS": "", "USERSTATUS": ""}
    return {"RETURN": [], "SYSTEMSTATUS": "NOCO", "USERSTATUS": ""}


# --- BAPI_ALM_ORDER_MAINTAIN ---------------------------------------------------------------------
def order_maintain(
    conn,
    IT_METHODS: list | None = None,
    IT_HEADER: list | None = None,
    IT_HEADER_UP: list | None = None,
    IT_OPERATION: list | None = None,
    **_: Any,
) -> dict:
    methods = IT_METHODS or []
    headers, headers_up, operations = IT_HEADER or [], IT_HEADER_UP or [], IT_OPERATION or []
    if not any(text(m.get("METHOD")).upper() == "SAVE" for m in methods):
        return {"RETURN": [], "ET_NUMBERS": []}  # SAP does nothing without a SAVE method
    if (lock := conn.lock_fault()) is not None:
        return {"RETURN": [error_row(lock)], "ET_NUMBERS": []}
    temps: dict[str, str] = {}
    for m in methods:
        key = text(m.get("OBJECTKEY"))
        if text(m.get("OBJECTTYPE")).upper() == "HEADER" and key.startswith("%"):
            temps.setdefault(key[:12], "")

    def plan(numbers: dict[str, str]):
        def order_of(key: str) -> str:
            key = key[:12]
            return numbers.get(key, alpha_in(key))

        def op(tx):
            created: dict[str, dict] = {}
            steps = []
            for i, m in enumerate(methods, start=1):
                otype = text(m.get("OBJECTTYPE")).upper()
                method = text(m.get("METHOD")).upper()
                ref = int(text(m.get("REFNUMBER")) or "1")
                key = text(m.get("OBJECTKEY"))
                steps.append((i, otype, method, ref, key))
            # headers to create first (with their operations), then changes and status methods
            for i, otype, method, ref, key in steps:
                if otype == "HEADER" and method == "CREATE":
                    created[key[:12]] = {
                        "values": values_from(_row(headers, ref), ORDER_HEADER),
                        "ops": [],
                        "row": i,
                    }
            for _i, otype, method, ref, key in steps:
                if otype == "OPERATION" and method == "CREATE":
                    values = values_from(_row(operations, ref), ORDER_OPERATION)
                    if key[:12] in created:
                        created[key[:12]]["ops"].append(values)
                    else:
                        order = pm.get_order(tx, order_of(key), status=400)
                        count = len(
                            tx.find(
                                "MaintenanceOrderOperation",
                                MaintenanceOrder=order["MaintenanceOrder"],
                            )
                        )
                        pm.add_operation(
                            tx, order["MaintenanceOrder"], order, values, numc((count + 1) * 10, 4)
                        )
            for key, spec in created.items():
                _wrap(
                    spec["row"],
                    lambda k=key, s=spec: pm.create_order(
                        tx, conn.user, s["values"], s["ops"], number=numbers[k]
                    ),
                )
            for i, otype, method, ref, key in steps:
                if otype != "HEADER" or method in ("CREATE", "SAVE"):
                    continue
                order = order_of(key)
                if method == "CHANGE":
                    flags = _row(headers_up, ref)
                    values = values_from(_row(headers, ref), ORDER_HEADER)
                    changes = {
                        p: v
                        for f, (p, _c) in ORDER_HEADER.items()
                        if flag(flags.get(f)) and (v := values.get(p)) is not None
                    }
                    _wrap(i, lambda o=order, c=changes: pm.update_order(tx, conn.user, o, c))
                elif method == "RELEASE":
                    _wrap(i, lambda o=order: pm.release_order(tx, conn.user, o))
                elif method == "TECHNICALCOMPLETE":
                    _wrap(i, lambda o=order: pm.teco_order(tx, conn.user, o))
                elif method == "COMPLETE":  # business completion (CLSD)
                    _wrap(i, lambda o=order: pm.close_order(tx, conn.user, o))
                elif method not in ("DIALOG",):
                    raise SapError(
                        "IWO_BAPI2", "002", f"Method {method} is not supported", variables=(method,)
                    )
            return [numbers.get(k, "") for k in created]

        return op

    try:
        conn.dry_run(plan({k: f"%{n:011d}" for n, k in enumerate(temps, start=1)}))
    except _RowError as rerr:
        return {"RETURN": [error_row(rerr.err, "IT_METHODS", rerr.row)], "ET_NUMBERS": []}
    except SapError as err:
        return {"RETURN": [error_row(err, "IT_METHODS")], "ET_NUMBERS": []}
    final = {k: str(conn.draw("AUFK", 4000000)) for k in temps}
    try:
        conn.stage(plan(final))
    except (SapError, _RowError) as err:
        err = err.err if isinstance(err, _RowError) else err
        return {"RETURN": [error_row(err, "IT_METHODS")], "ET_NUMBERS": []}
    numbers = [{"AUFNR_IN": k, "AUFNR_NEW": alpha_out(v, 12)} for k, v in final.items()]
    rows = [ret("S", "IWO_BAPI2", "126", f"Order {v} saved", v) for v in final.values()]
    if not final:
        rows = [ret("S", "IWO_BAPI2", "126", "Orders saved")]
    return {"RETURN": rows, "ET_NUMBERS": numbers}


class _RowError(Exception):
    def __init__(self, err: SapError, row: int) -> None:
        super().__init__(err.text)
        self.err = err
        self.row = row


def _wrap(row: int, fn) -> Any:
    try:
        return fn()
    except SapError as err:
        raise _RowError(err, row) from None


def _row(table: list, ref: int) -> dict:
    return table[ref - 1] if 0 < ref <= len(table) else {}


def order_get_detail(conn, NUMBER: str = "", **_: Any) -> dict:
    """BAPI_ALM_ORDER_GET_DETAIL: ES_HEADER, ET_OPERATIONS, RETURN."""
    order = alpha_in(NUMBER)
    tx = conn.store.reader()
    row = tx.get("MaintenanceOrder", {"MaintenanceOrder": order})
    if row is None:
        err = SapError("IW", "001", f"Order {order} does not exist", variables=(order,))
        return {"ES_HEADER": {}, "ET_OPERATIONS": [], "RETURN": [error_row(err)]}
    header = {
        "ORDERID": alpha_out(order, 12),
        "ORDER_TYPE": row["MaintenanceOrderType"] or "",
        "PLANPLANT": row["MaintenancePlanningPlant"] or "",
        "MN_WK_CTR": row["MainWorkCenter"] or "",
        "PLANT": row["MainWorkCenterPlant"] or "",
        "SHORT_TEXT": row["MaintenanceOrderDesc"] or "",
        "EQUIPMENT": alpha_out(row["Equipment"] or "", 18),
        "FUNCT_LOC": row["FunctionalLocation"] or "",
        "NOTIF_NO": alpha_out(row["MaintenanceNotification"] or "", 12),
        "COSTCENTER": row["CostCenter"] or "",
        "SYS_STATUS": row["SystemStatusText"] or "",
        "DEVICEDATA": row["AdditionalDeviceData"] or "",
        "ENTERED_BY": row["CreatedByUser"] or "",
    }
    ops = [
        {
            "ACTIVITY": op["MaintenanceOrderOperation"],
            "SUB_ACTIVITY": op["MaintenanceOrderSubOperation"] or "",
            "CONTROL_KEY": op["OperationControlKey"] or "",
            "WORK_CNTR": op["WorkCenter"] or "",
            "PLANT": op["Plant"] or "",
            "DESCRIPTION": op["OperationDescription"] or "",
            "WORK_ACTIVITY": op["MaintOrdOperationWorkDuration"] or 0.0,
            "UN_WORK": op["MaintOrdOpWorkDurationUnit"] or "",
            "CONF_NO": op["MaintOrderConfirmation"] or "",
            "SYSTEM_STATUS_TEXT": op["SystemStatusText"] or "",
        }
        for op in tx.find("MaintenanceOrderOperation", MaintenanceOrder=order)
    ]
    return {"ES_HEADER": header, "ET_OPERATIONS": ops, "RETURN": []}


# --- BAPI_ALM_CONF_CREATE ------------------------------------------------------------------------
def conf_create(conn, TIMETICKETS: list | None = None, TESTRUN: str = "", **_: Any) -> dict:
    details = []
    first_error = None
    for row, ticket in enumerate(TIMETICKETS or [], start=1):
        values = {
            "MaintenanceOrder": alpha_in(ticket.get("ORDERID")),
            "MaintenanceOrderOperation": text(ticket.get("OPERATION")),
            "MaintenanceOrderSubOperation": text(ticket.get("SUB_OPER")),
            "ActualWorkQuantity": number_in(ticket.get("ACT_WORK")) or 0.0,
            "ActualWorkQuantityUnit": text(ticket.get("UN_WORK")) or None,
            "IsFinalConfirmation": int(flag(ticket.get("FIN_CONF"))),
            "PersonnelNumber": text(ticket.get("PERS_NO")) or None,
            "ConfirmationText": text(ticket.get("CONF_TEXT")),
            "PostingDate": date_in(ticket.get("POSTG_DATE")),
            "WorkCenter": text(ticket.get("WORK_CNTR")) or None,
            "Plant": text(ticket.get("PLANT")) or None,
        }
        if (lock := conn.lock_fault()) is not None:
            err = lock
        else:
            try:
                runner = conn.dry_run if flag(TESTRUN) else conn.stage
                key = runner(lambda tx, v=values: pm.create_confirmation(tx, conn.user, v))
                details.append(
                    {
                        **ret(
                            "S",
                            "RU",
                            "100",
                            f"Confirmation of order {values['MaintenanceOrder']} saved",
                            values["MaintenanceOrder"],
                        ),
                        "FLG_LOCKED": "",
                        "CONF_NO": key["MaintOrderConf"],
                        "CONF_CNT": key["MaintOrderConfCntrValue"],
                    }
                )
                continue
            except SapError as e:
                err = e
        first_error = first_error or err
        details.append(
            {
                **error_row(err, "TIMETICKETS", row),
                "FLG_LOCKED": "X" if err.status == 423 else "",
                "CONF_NO": "",
                "CONF_CNT": "",
            }
        )
    result = error_row(first_error) if first_error else empty_return()
    return {"RETURN": result, "DETAIL_RETURN": details}


# --- BAPI_EQUI_GETDETAIL -------------------------------------------------------------------------
def equi_getdetail(conn, EQUIPMENT: str = "", **_: Any) -> dict:
    number = alpha_in(EQUIPMENT)
    eq = pm.equipment(conn.store.reader(), number)
    if eq is None:
        err = SapError("IE", "101", f"Equipment {number} does not exist", variables=(number,))
        return {"DATA_GENERAL_EXP": {}, "DATA_SPECIFIC_EXP": {}, "RETURN": error_row(err)}
    general = {
        "DESCRIPT": eq["EquipmentName"] or "",
        "OBJECTTYPE": eq["TechnicalObjectType"] or "",
        "MANFACTURE": eq["AssetManufacturerName"] or "",
        "MANMODEL": eq["ManufacturerPartTypeName"] or "",
        "MANSERNO": eq["ManufacturerSerialNumber"] or "",
        "CONSTYEAR": eq["ConstructionYear"] or "",
        "MAINTPLANT": eq["MaintenancePlant"] or "",
        "PLANPLANT": eq["MaintenancePlanningPlant"] or "",
        "COMP_CODE": eq["CompanyCode"] or "",
        "COSTCENTER": eq["CostCenter"] or "",
        "WORK_CTR": eq["MainWorkCenter"] or "",
        "START_FROM": sap_date(eq["ValidityStartDate"]),
        "READ_CRDAT": sap_date(eq["CreationDate"]),
        "READ_CHDAT": sap_date(eq["LastChangeDateTime"]),
    }
    specific = {
        "EQUICATGRY": eq["EquipmentCategory"] or "",
        "READ_FLOC": eq["FunctionalLocation"] or "",
        "MATERIAL": eq["Material"] or "",
        "SERIALNO": eq["SerialNumber"] or "",
    }
    return {"DATA_GENERAL_EXP": general, "DATA_SPECIFIC_EXP": specific, "RETURN": empty_return()}
