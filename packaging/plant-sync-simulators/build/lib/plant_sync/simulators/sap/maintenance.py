"""Plant maintenance: notifications, orders (with operations, status) and confirmations.

Shared by the OData services and the BAPIs. Functions take a store transaction, the acting SAP
user and values keyed by OData property names (storage values); they raise :class:`SapError`.
Message classes follow SAP's (IM notifications, IW orders, RU confirmations); the numbers are
plausible, not copied from a system.
"""

from __future__ import annotations

from typing import Any

from .common import err, numc, seconds_of_day, today_us
from .errors import SapError
from .store import Tx

NOTIFICATION_TYPES = {
    "M1": "Maintenance request",
    "M2": "Malfunction report",
    "M3": "Activity report",
}
ORDER_TYPES = {"PM01", "PM02", "PM03", "PM04", "PM05"}
EQUI = "EAMS_EQUI"
FLOC = "EAMS_FL"

# notification processing phase -> system status text
PHASE_STATUS = {"1": "OSNO", "2": "NOPR", "4": "NOCO"}


def order_lock(order: str) -> str:
    return f"ORDER/{order}"


def notif_lock(notif: str) -> str:
    return f"NOTIF/{notif}"


# --- technical objects --------------------------------------------------------------------------
def equipment(tx: Tx, number: str) -> dict | None:
    rows = tx.find("Equipment", Equipment=number)
    return rows[0] if rows else None


def functional_location(tx: Tx, fl: str) -> dict | None:
    return tx.get("A_FunctionalLocation", {"FunctionalLocation": fl})


def require_equipment(tx: Tx, number: str, target: str = "Equipment") -> dict:
    row = equipment(tx, number)
    if row is None:
        raise err("IE", "101", f"Equipment {number} does not exist", target)
    return row


def require_floc(tx: Tx, fl: str, target: str = "FunctionalLocation") -> dict:
    row = functional_location(tx, fl)
    if row is None:
        raise err("IL", "101", f"Functional location {fl} does not exist", target)
    return row


def require_plant(tx: Tx, plant: str, target: str) -> None:
    if not tx.plant_exists(plant):
        raise err("IW", "015", f"Plant {plant} is not defined", target)


def require_work_center(tx: Tx, wc: str, plant: str | None, target: str) -> None:
    if tx.work_center(wc, plant or None) is None:
        raise err("IW", "016", f"Work center {wc} does not exist in plant {plant}", target)


# --- notifications ------------------------------------------------------------------------------
def create_notification(tx: Tx, user: str, values: dict[str, Any], number: str | None = None):
    v = {k: val for k, val in values.items() if val is not None}
    ntype = v.get("NotificationType")
    if not ntype:
        raise err("IM", "015", "Enter a notification type", "NotificationType")
    if ntype not in NOTIFICATION_TYPES:
        raise err("IM", "016", f"Notification type {ntype} is not defined", "NotificationType")
    obj = v.get("TechnicalObject")
    if obj:
        kind = v.get("TechObjIsEquipOrFuncnlLoc") or (EQUI if equipment(tx, obj) else FLOC)
        if kind == EQUI:
            eq = require_equipment(tx, obj, "TechnicalObject")
            v.setdefault("MaintenancePlanningPlant", eq["MaintenancePlanningPlant"])
            v.setdefault("MaintenancePlant", eq["MaintenancePlant"])
            v["FunctionalLocation"] = eq["FunctionalLocation"] or ""
            v["TechnicalObjectDescription"] = eq["EquipmentName"]
        elif kind == FLOC:
            fl = require_floc(tx, obj, "TechnicalObject")
            v.setdefault("MaintenancePlanningPlant", fl["MaintenancePlanningPlant"])
            v.setdefault("MaintenancePlant", fl["MaintenancePlant"])
            v["FunctionalLocation"] = obj
            v["TechnicalObjectDescription"] = fl["FunctionalLocationName"]
        else:
            raise err(
                "IM",
                "017",
                f"Technical object type {kind} is not supported",
                "TechObjIsEquipOrFuncnlLoc",
            )
        v["TechObjIsEquipOrFuncnlLoc"] = kind
        v["TechnicalObjectLabel"] = obj
    for field in ("MaintenancePlanningPlant", "MaintenancePlant"):
        if v.get(field):
            require_plant(tx, v[field], field)
    if v.get("MainWorkCenter"):
        require_work_center(tx, v["MainWorkCenter"], v.get("MainWorkCenterPlant"), "MainWorkCenter")
    if v.get("MaintenanceOrder") and not tx.get(
        "MaintenanceOrder", {"MaintenanceOrder": v["MaintenanceOrder"]}
    ):
        raise err("IW", "001", f"Order {v['MaintenanceOrder']} does not exist", "MaintenanceOrder")
    number = number or str(tx.next_number("QMEL", 10000000))
    today, now = today_us(), seconds_of_day()
    v.update(
        MaintenanceNotification=number,
        NotifProcessingPhase="2" if v.get("MaintenanceOrder") else "1",
        CreationDate=today,
        CreationTime=now,
        CreatedByUser=user,
        LastChangeDate=today,
        LastChangeTime=now,
        _status="NOPR" if v.get("MaintenanceOrder") else "OSNO",
    )
    v.setdefault("NotificationText", "")
    v.setdefault("ReportedByUser", user)
    v.setdefault("NotificationCreationDate", today)
    v.setdefault("NotificationCreationTime", now)
    v.setdefault("MaintPriority", "")
    v["ConcatenatedActiveSystStsName"] = v["_status"]
    v["NotifProcessingPhaseDesc"] = {"1": "Outstanding", "2": "In process"}[
        v["NotifProcessingPhase"]
    ]
    tx.insert("MaintenanceNotification", v)
    return {"MaintenanceNotification": number}


def get_notification(tx: Tx, number: str) -> dict:
    row = tx.get("MaintenanceNotification", {"MaintenanceNotification": number})
    if row is None:
        raise err("IM", "001", f"Notification {number} does not exist", status=404)
    return row


def update_notification(tx: Tx, user: str, number: str, changes: dict[str, Any]) -> None:
    row = get_notification(tx, number)
    tx.check_lock(notif_lock(number), user)
    if row["NotifProcessingPhase"] == "4":
        raise err("IM", "020", f"Notification {number} is completed; changes are not possible")
    if changes.get("TechnicalObject"):
        kind = changes.get("TechObjIsEquipOrFuncnlLoc") or row["TechObjIsEquipOrFuncnlLoc"] or EQUI
        (require_equipment if kind == EQUI else require_floc)(
            tx, changes["TechnicalObject"], "TechnicalObject"
        )
    tx.update(
        "MaintenanceNotification",
        {"MaintenanceNotification": number},
        {**changes, "LastChangeDate": today_us(), "LastChangeTime": seconds_of_day()},
    )


def _set_notif_phase(tx: Tx, number: str, phase: str, extra: dict | None = None) -> None:
    desc = {"1": "Outstanding", "2": "In process", "4": "Completed"}[phase]
    tx.update(
        "MaintenanceNotification",
        {"MaintenanceNotification": number},
        {
            "NotifProcessingPhase": phase,
            "NotifProcessingPhaseDesc": desc,
            "_status": PHASE_STATUS[phase],
            "ConcatenatedActiveSystStsName": PHASE_STATUS[phase],
            "LastChangeDate": today_us(),
            "LastChangeTime": seconds_of_day(),
            **(extra or {}),
        },
    )


def complete_notification(tx: Tx, user: str, number: str) -> None:
    row = get_notification(tx, number)
    tx.check_lock(notif_lock(number), user)
    if row["NotifProcessingPhase"] == "4":
        raise err("IM", "021", f"Notification {number} is already completed")
    _set_notif_phase(
        tx,
        number,
        "4",
        {"NotificationCompletionDate": today_us(), "CompletionTime": seconds_of_day()},
    )


def notification_in_process(tx: Tx, user: str, number: str) -> None:
    row = get_notification(tx, number)
    tx.check_lock(notif_lock(number), user)
    if row["NotifProcessingPhase"] != "1":
        raise err(
            "IM", "022", f"Notification {number} cannot be put in process (status {row['_status']})"
        )
    _set_notif_phase(tx, number, "2")


# --- orders -------------------------------------------------------------------------------------
def status_text(status: str, confirmed: str = "") -> str:
    return f"{status} {confirmed}".strip() if confirmed else status


def create_order(
    tx: Tx,
    user: str,
    values: dict[str, Any],
    operations: list[dict[str, Any]] | None = None,
    number: str | None = None,
) -> dict[str, str]:
    v = {k: val for k, val in values.items() if val is not None}
    otype = v.get("MaintenanceOrderType")
    if not otype:
        raise err("IW", "020", "Enter an order type", "MaintenanceOrderType")
    if otype not in ORDER_TYPES:
        raise err("IW", "021", f"Order type {otype} is not defined", "MaintenanceOrderType")
    eq = None
    if v.get("Equipment"):
        eq = require_equipment(tx, v["Equipment"])
        v.setdefault("FunctionalLocation", eq["FunctionalLocation"] or None)
        v["EquipmentName"] = eq["EquipmentName"]
    if v.get("FunctionalLocation"):
        fl = require_floc(tx, v["FunctionalLocation"])
        v.setdefault("MaintenancePlanningPlant", fl["MaintenancePlanningPlant"])
    if eq:
        v.setdefault("MaintenancePlanningPlant", eq["MaintenancePlanningPlant"])
        v.setdefault("MaintenancePlant", eq["MaintenancePlant"])
        if eq["MainWorkCenter"]:
            v.setdefault("MainWorkCenter", eq["MainWorkCenter"])
        v.setdefault("CostCenter", eq["CostCenter"] or None)
    plant = v.get("MaintenancePlanningPlant")
    if not plant:
        raise err("IW", "022", "Enter a maintenance planning plant", "MaintenancePlanningPlant")
    require_plant(tx, plant, "MaintenancePlanningPlant")
    v.setdefault("MaintenancePlant", plant)
    v.setdefault("MainWorkCenterPlant", plant)
    if not v.get("MainWorkCenter"):
        raise err("IW", "023", "Enter a main work center", "MainWorkCenter")
    require_work_center(tx, v["MainWorkCenter"], v["MainWorkCenterPlant"], "MainWorkCenter")
    notif = v.get("MaintenanceNotification")
    if notif:
        nrow = tx.get("MaintenanceNotification", {"MaintenanceNotification": notif})
        if nrow is None:
            raise err(
                "IM", "001", f"Notification {notif} does not exist", "MaintenanceNotification"
            )
        if nrow["NotifProcessingPhase"] == "4":
            raise err("IM", "023", f"Notification {notif} is completed", "MaintenanceNotification")
        if nrow["MaintenanceOrder"]:
            raise err(
                "IW",
                "024",
                f"Notification {notif} is already assigned to order {nrow['MaintenanceOrder']}",
                "MaintenanceNotification",
            )
        tx.check_lock(notif_lock(notif), user)
    ops = list(operations or [])
    for i, op in enumerate(ops):
        wc = op.get("WorkCenter")
        if wc:
            require_work_center(
                tx, wc, op.get("Plant") or plant, f"to_MaintenanceOrderOperation/{i}"
            )
    number = number or str(tx.next_number("AUFK", 4000000))
    v.update(
        MaintenanceOrder=number,
        _status="CRTD",
        SystemStatusText="CRTD",
        CreatedByUser=user,
        LastChangeByUser=user,
        MaintOrderCreationDateTime=tx.store.stamp(),
        CompanyCode="1010",
        ControllingArea="A000",
        Currency="EUR",
    )
    v.setdefault("MaintenanceOrderDesc", "")
    tx.insert("MaintenanceOrder", v)
    if not ops:
        ops = [{"OperationDescription": v["MaintenanceOrderDesc"]}]
    for i, op in enumerate(ops, start=1):
        add_operation(tx, number, v, op, default_no=numc(i * 10, 4))
    if notif:
        _set_notif_phase(
            tx, notif, "2", {"MaintenanceOrder": number, "MaintenanceOrderType": otype}
        )
    return {"MaintenanceOrder": number}


def add_operation(tx: Tx, order: str, header: dict, op: dict[str, Any], default_no: str) -> dict:
    o = {k: val for k, val in op.items() if val is not None}
    o.pop("MaintenanceOrder", None)
    o["MaintenanceOrder"] = order
    o["MaintenanceOrderOperation"] = numc(o.get("MaintenanceOrderOperation") or default_no, 4)
    o.setdefault("MaintenanceOrderSubOperation", "")
    o.setdefault("OperationControlKey", "PM01")
    o.setdefault("WorkCenter", header.get("MainWorkCenter"))
    o.setdefault(
        "Plant", header.get("MainWorkCenterPlant") or header.get("MaintenancePlanningPlant")
    )
    o.setdefault("OperationDescription", header.get("MaintenanceOrderDesc", ""))
    o.setdefault("MaintOrdOpWorkDurationUnit", "H")
    o["MaintOrderConfirmation"] = numc(tx.next_number("RUECK", 1), 10)
    o["MaintOrderConfCntrValue"] = numc(0, 8)
    o["ActualWorkQuantity"] = 0.0
    o["SystemStatusText"] = "CRTD"
    o["_status"] = ""
    o["IsMarkedForDeletion"] = 0
    return tx.insert("MaintenanceOrderOperation", o)


def get_order(tx: Tx, order: str, status: int = 404) -> dict:
    row = tx.get("MaintenanceOrder", {"MaintenanceOrder": order})
    if row is None:
        raise err("IW", "001", f"Order {order} does not exist", "MaintenanceOrder", status=status)
    return row


def update_order(tx: Tx, user: str, order: str, changes: dict[str, Any]) -> None:
    row = get_order(tx, order)
    tx.check_lock(order_lock(order), user)
    if row["_status"] in ("TECO", "CLSD"):
        raise err("IW", "030", f"Order {order} has status {row['_status']}; change not possible")
    if changes.get("Equipment"):
        require_equipment(tx, changes["Equipment"])
    if changes.get("FunctionalLocation"):
        require_floc(tx, changes["FunctionalLocation"])
    if changes.get("MainWorkCenter"):
        require_work_center(
            tx,
            changes["MainWorkCenter"],
            changes.get("MainWorkCenterPlant") or row["MainWorkCenterPlant"],
            "MainWorkCenter",
        )
    tx.update(
        "MaintenanceOrder", {"MaintenanceOrder": order}, {**changes, "LastChangeByUser": user}
    )


def _set_order_status(tx: Tx, user: str, order: str, status: str, extra: dict | None = None):
    row = tx.get("MaintenanceOrder", {"MaintenanceOrder": order})
    conf = _confirmation_state(tx, order) if status in ("REL", "TECO") else ""
    tx.update(
        "MaintenanceOrder",
        {"MaintenanceOrder": order},
        {
            "_status": status,
            "SystemStatusText": status_text(status, conf),
            "LastChangeByUser": user,
            **(extra or {}),
        },
    )
    for op in tx.find("MaintenanceOrderOperation", MaintenanceOrder=order):
        keys = {k: op[k] for k in tx.es("MaintenanceOrderOperation").type.keys}
        tx.update(
            "MaintenanceOrderOperation",
            keys,
            {"SystemStatusText": status_text(status, op["_status"] or "")},
        )
    return row


def _transition(tx: Tx, user: str, order: str, allowed: tuple[str, ...], new: str, verb: str):
    row = get_order(tx, order, status=404)
    tx.check_lock(order_lock(order), user)
    if row["_status"] not in allowed:
        raise err(
            "IW",
            "031",
            f"Order {order}: {verb} is not allowed in status {row['_status']}",
            "MaintenanceOrder",
        )
    return row


def release_order(tx: Tx, user: str, order: str) -> None:
    _transition(tx, user, order, ("CRTD",), "REL", "release")
    _set_order_status(tx, user, order, "REL")


def teco_order(tx: Tx, user: str, order: str, complete_notification_too: bool = False) -> None:
    row = _transition(tx, user, order, ("REL",), "TECO", "technical completion")
    _set_order_status(
        tx,
        user,
        order,
        "TECO",
        {
            "MaintOrderReferenceDateTime": tx.store.stamp(),
            "MainWorkCompletedDateTime": tx.store.stamp(),
        },
    )
    notif = row["MaintenanceNotification"]
    if complete_notification_too and notif:
        nrow = tx.get("MaintenanceNotification", {"MaintenanceNotification": notif})
        if nrow and nrow["NotifProcessingPhase"] != "4":
            complete_notification(tx, user, notif)


def close_order(tx: Tx, user: str, order: str) -> None:
    _transition(tx, user, order, ("TECO",), "CLSD", "business completion")
    _set_order_status(tx, user, order, "CLSD")


def _confirmation_state(tx: Tx, order: str) -> str:
    ops = tx.find("MaintenanceOrderOperation", MaintenanceOrder=order)
    states = [op["_status"] or "" for op in ops]
    if ops and all(s == "CNF" for s in states):
        return "CNF"
    if any(states):
        return "PCNF"
    return ""


# --- confirmations ------------------------------------------------------------------------------
def create_confirmation(
    tx: Tx, user: str, values: dict[str, Any], conf_counter: tuple[str, str] | None = None
) -> dict[str, str]:
    v = {k: val for k, val in values.items() if val is not None}
    order = v.get("MaintenanceOrder")
    opno = v.get("MaintenanceOrderOperation")
    if not order:
        raise err("RU", "100", "Enter an order number", "MaintenanceOrder")
    row = tx.get("MaintenanceOrder", {"MaintenanceOrder": order})
    if row is None:
        raise err("RU", "101", f"Order {order} does not exist", "MaintenanceOrder")
    tx.check_lock(order_lock(order), user)
    if row["_status"] == "CRTD":
        raise err(
            "RU",
            "155",
            f"Order {order} is not released; confirmation not possible",
            "MaintenanceOrder",
        )
    if row["_status"] in ("TECO", "CLSD"):
        raise err(
            "RU",
            "156",
            f"Order {order} has status {row['_status']}; confirmation not possible",
            "MaintenanceOrder",
        )
    if not opno:
        raise err("RU", "102", "Enter an operation", "MaintenanceOrderOperation")
    opkeys = {
        "MaintenanceOrder": order,
        "MaintenanceOrderOperation": numc(opno, 4),
        "MaintenanceOrderSubOperation": v.get("MaintenanceOrderSubOperation") or "",
    }
    op = tx.get("MaintenanceOrderOperation", opkeys)
    if op is None:
        raise err(
            "RU",
            "103",
            f"Operation {opno} does not exist in order {order}",
            "MaintenanceOrderOperation",
        )
    if op["_status"] == "CNF":
        raise err(
            "RU",
            "150",
            f"Operation {opno} of order {order} is already finally confirmed",
            "MaintenanceOrderOperation",
        )
    qty = float(v.get("ActualWorkQuantity") or 0.0)
    if qty < 0:
        raise err("RU", "104", "Actual work must not be negative", "ActualWorkQuantity")
    if v.get("WorkCenter"):
        require_work_center(tx, v["WorkCenter"], v.get("Plant") or op["Plant"], "WorkCenter")
    conf = op["MaintOrderConfirmation"]
    if conf_counter is None:
        counter = numc(int(op["MaintOrderConfCntrValue"] or 0) + 1, 8)
    else:
        conf, counter = conf_counter
    final = bool(v.get("IsFinalConfirmation"))
    v.update(
        MaintOrderConf=conf,
        MaintOrderConfCntrValue=counter,
        MaintenanceOrderOperation=opkeys["MaintenanceOrderOperation"],
        MaintenanceOrderSubOperation=opkeys["MaintenanceOrderSubOperation"],
        ActualWorkQuantity=qty,
        IsFinalConfirmation=int(final),
        IsReversed=0,
        CreatedByUser=user,
    )
    v.setdefault("ActualWorkQuantityUnit", op["MaintOrdOpWorkDurationUnit"] or "H")
    v.setdefault("WorkCenter", op["WorkCenter"])
    v.setdefault("Plant", op["Plant"])
    v.setdefault("PostingDate", today_us())
    v.setdefault("ConfirmationText", "")
    v.setdefault("NoRemainingWorkIsExpected", int(final))
    tx.insert("MaintOrderConfirmation", v)
    tx.update(
        "MaintenanceOrderOperation",
        opkeys,
        {
            "ActualWorkQuantity": round((op["ActualWorkQuantity"] or 0.0) + qty, 3),
            "MaintOrderConfCntrValue": counter,
            "_status": "CNF" if final else "PCNF",
            "SystemStatusText": status_text(row["_status"], "CNF" if final else "PCNF"),
            "MaintOrdOpHasNoRemainingWork": int(final),
        },
    )
    _set_order_status(tx, user, order, row["_status"])
    return {"MaintOrderConf": conf, "MaintOrderConfCntrValue": counter}


def check_status_for_goods_issue(tx: Tx, order: str, target: str) -> dict:
    row = tx.get("MaintenanceOrder", {"MaintenanceOrder": order})
    if row is None:
        raise err("M7", "120", f"Order {order} does not exist", target)
    if row["_status"] == "CRTD":
        raise err(
            "M7", "121", f"Order {order} is not released; goods movement not possible", target
        )
    if row["_status"] == "CLSD":
        raise err("M7", "122", f"Order {order} is closed; goods movement not possible", target)
    return row


__all__ = ["SapError"]
