"""Maintenance order with operations: create (from a notification), read, release, technically
complete, close, read status.

OData: API_MAINTENANCEORDER version 0002 (EDMX in shared/reference): deep insert of
MaintenanceOrder with to_MaintenanceOrderOperation; function imports ReleaseMaintenanceOrder,
SetMaintOrdToTechCompleted, SetMaintOrderStatusToClosed. Idempotency key in
``AdditionalDeviceData`` (CHAR 40; the simulator README explains the choice: the one free-text
header field that also exists in the BAPI as IT_HEADER-DEVICEDATA).
RFC: BAPI_ALM_ORDER_MAINTAIN (IT_METHODS HEADER CREATE / OPERATION CREATE / RELEASE /
TECHNICALCOMPLETE / COMPLETE + SAVE) and BAPI_TRANSACTION_COMMIT on the same connection;
header reads via RFC_READ_TABLE AUFK/AFIH, operations via BAPI_ALM_ORDER_GET_DETAIL.
Creates and look-ups return the order header with its status; ``get_maintenance_order()`` also
returns the operations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ...errors import BusinessRuleError
from ..idempotent import Retrier, reach
from ..models import CreateResult, DeltaPage, Message, StatusChange
from ..odata.client import entity_etag
from ..odata.query import and_, eq, format_datetime, format_decimal, or_
from ..rfc.client import abap_literal
from ..rfc.returns import check_return, return_rows
from .base import (
    ODataBase,
    RfcBase,
    abap_date,
    alpha,
    dt,
    from_abap_date,
    key_of,
    require,
    s,
)

SERVICE = "API_MAINTENANCEORDER"
ENTITY = "MaintenanceOrder"
OPERATIONS = "to_MaintenanceOrderOperation"
REF_FIELD = "AdditionalDeviceData"
REF_LENGTH = 40
TEMP_ORDER = "%00000000001"


@dataclass
class OperationCreate:
    text: str
    work_center: str = ""
    plant: str = ""
    control_key: str = "PM01"
    planned_work: Decimal | None = None
    work_unit: str = "H"
    activity: str = ""  # operation number, e.g. "0010"; numbered 0010, 0020... when empty


@dataclass
class OrderCreate:
    order_type: str  # e.g. "PM01"
    description: str
    planning_plant: str
    notification: str = ""  # create the order for this notification
    equipment: str = ""
    functional_location: str = ""
    main_work_center: str = ""
    work_center_plant: str = ""
    priority: str = ""
    start: date | None = None
    end: date | None = None
    operations: list[OperationCreate] = field(default_factory=list)
    # optional account assignment / responsibility (OData CostCenter, MaintenancePlannerGroup;
    # RFC IT_HEADER-COSTCENTER, -PLANGROUP of BAPI_ALM_ORDER_HEADERS_I)
    cost_center: str = ""
    planner_group: str = ""


@dataclass
class OrderOperation:
    operation: str
    description: str = ""
    work_center: str = ""
    plant: str = ""
    control_key: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    planned_work: Decimal | None = None  # MaintOrdOperationWorkDuration / WORK_ACTIVITY
    work_unit: str = ""  # MaintOrdOpWorkDurationUnit / UN_WORK


def _work(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).strip())
    except ArithmeticError:
        return None


@dataclass
class OrderStatus:
    order: str
    system_status: str = ""  # SAP system status text, e.g. "REL NMAT PRC"

    @property
    def codes(self) -> set[str]:
        return set(self.system_status.replace(",", " ").split())

    @property
    def released(self) -> bool:
        return bool(self.codes & {"REL", "TECO", "CLSD"})

    @property
    def technically_completed(self) -> bool:
        return bool(self.codes & {"TECO", "CLSD"})

    @property
    def closed(self) -> bool:
        return "CLSD" in self.codes


@dataclass
class MaintenanceOrder:
    number: str
    order_type: str = ""
    description: str = ""
    notification: str = ""
    equipment: str = ""
    functional_location: str = ""
    planning_plant: str = ""
    main_work_center: str = ""
    reference: str = ""
    status: OrderStatus | None = None
    operations: list[OrderOperation] = field(default_factory=list)
    etag: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    # header details filled by reads and by :meth:`iter_maintenance_order_changes`
    maintenance_plan: str = ""  # OData MaintenancePlan, RFC AFIH-WARPL
    user_status: str = ""  # OData UserStatusText (RFC: not read, empty)
    planner_group: str = ""  # MaintenancePlannerGroup, AFIH-INGPR
    cost_center: str = ""  # CostCenter, AUFK-KOSTL
    work_center_plant: str = ""  # MainWorkCenterPlant, AUFK-WAWRK
    start: datetime | None = None  # basic start (MaintOrdBasicStartDateTime, AFKO-GSTRP)
    end: datetime | None = None  # basic finish (MaintOrdBasicEndDateTime, AFKO-GLTRP)
    changed_at: datetime | None = None  # LastChangeDateTime (RFC: AUFK-AEDAT/ERDAT, a day)


def _external(number: str) -> str:
    return number.lstrip("0") or number


def _activities(data: OrderCreate) -> list[tuple[str, OperationCreate]]:
    return [(op.activity or f"{(i + 1) * 10:04d}", op) for i, op in enumerate(data.operations)]


ODATA_STATUS_FUNCTIONS = {
    "release": "ReleaseMaintenanceOrder",
    "teco": "SetMaintOrdToTechCompleted",
    "close": "SetMaintOrderStatusToClosed",
}
RFC_STATUS_METHODS = {"release": "RELEASE", "teco": "TECHNICALCOMPLETE", "close": "COMPLETE"}


class _Transitions:
    """Status transitions are idempotent: already in the target status -> no call; a business
    error while the order did reach the status (a concurrent or lost earlier call) -> success.
    A transient failure is retried (``max_attempts``) only after re-reading the status."""

    retrier: Retrier

    def get_maintenance_order_status(self, number: str) -> OrderStatus:  # pragma: no cover
        raise NotImplementedError

    def _transition(
        self, number: str, reached: Callable[[OrderStatus], bool], action: Callable[[], Any]
    ) -> StatusChange:
        status = reach(
            lambda: self.get_maintenance_order_status(number), reached, action, self.retrier
        )
        return StatusChange(number, status.system_status)

    def _status_action(
        self, number: str, target: str, **options: Any
    ) -> Callable[[], Any]:  # pragma: no cover
        """The remote call that moves the order to ``target`` (``release``/``teco``/``close``)."""
        raise NotImplementedError

    def release_maintenance_order(self, number: str) -> StatusChange:
        return self._transition(
            number, lambda st: st.released, self._status_action(number, "release")
        )

    def technically_complete_maintenance_order(
        self,
        number: str,
        *,
        reference_time: datetime | None = None,
        complete_notification: bool = False,
    ) -> StatusChange:
        """TECO. With ``complete_notification`` the order's notification is completed too (OData
        asks SetMaintOrdToTechCompleted for it; BAPI_ALM_ORDER_MAINTAIN has no such option, so
        RFC closes it with BAPI_ALM_NOTIF_CLOSE after the TECO commit). Both transports then
        make sure it is completed, also when the order already was TECO (idempotent)."""
        action = self._status_action(
            number,
            "teco",
            reference_time=reference_time,
            complete_notification=complete_notification,
        )
        change = self._transition(number, lambda st: st.technically_completed, action)
        if complete_notification:
            self._complete_order_notification(number, reference_time)
        return change

    def _complete_order_notification(self, number: str, reference_time: datetime | None) -> None:
        complete = getattr(self, "complete_notification", None)
        get_order = getattr(self, "get_maintenance_order", None)
        if complete is None or get_order is None:  # pragma: no cover - mixin used alone
            return
        notification = get_order(number, with_operations=False).notification
        if notification:
            complete(notification, reference_time=reference_time)

    def close_maintenance_order(self, number: str) -> StatusChange:
        return self._transition(number, lambda st: st.closed, self._status_action(number, "close"))


# --- OData -----------------------------------------------------------------------------------
def _op_from_odata(row: dict[str, Any]) -> OrderOperation:
    return OrderOperation(
        operation=s(row, "MaintenanceOrderOperation"),
        description=s(row, "OperationDescription"),
        work_center=s(row, "WorkCenter"),
        plant=s(row, "Plant"),
        control_key=s(row, "OperationControlKey"),
        raw=row,
        planned_work=_work(row.get("MaintOrdOperationWorkDuration")),
        work_unit=s(row, "MaintOrdOpWorkDurationUnit"),
    )


def _from_odata(row: dict[str, Any], etag: str = "") -> MaintenanceOrder:
    ops = row.get(OPERATIONS)
    ops = ops.get("results", []) if isinstance(ops, dict) else ops or []
    number = _external(key_of(row, "MaintenanceOrder"))
    return MaintenanceOrder(
        number=number,
        order_type=s(row, "MaintenanceOrderType"),
        description=s(row, "MaintenanceOrderDesc"),
        notification=_external(s(row, "MaintenanceNotification")),
        equipment=s(row, "Equipment"),
        functional_location=s(row, "FunctionalLocation"),
        planning_plant=s(row, "MaintenancePlanningPlant"),
        main_work_center=s(row, "MainWorkCenter"),
        reference=s(row, REF_FIELD),
        status=OrderStatus(number, s(row, "SystemStatusText")),
        operations=[_op_from_odata(op) for op in ops if isinstance(op, dict)],
        etag=etag or entity_etag(row),
        raw=row,
        maintenance_plan=s(row, "MaintenancePlan"),
        user_status=s(row, "UserStatusText"),
        planner_group=s(row, "MaintenancePlannerGroup"),
        cost_center=s(row, "CostCenter"),
        work_center_plant=s(row, "MainWorkCenterPlant"),
        start=dt(row.get("MaintOrdBasicStartDateTime") or row.get("MaintOrdBasicStartDate")),
        end=dt(row.get("MaintOrdBasicEndDateTime") or row.get("MaintOrdBasicEndDate")),
        changed_at=dt(row.get("LastChangeDateTime")),
    )


def _type_filter(order_types: tuple[str, ...] | list[str]) -> set[str]:
    return {t.strip().upper() for t in order_types or () if t and t.strip()}


class OrderOData(ODataBase, _Transitions):
    def create_maintenance_order(
        self, data: OrderCreate, *, idempotency_key: str
    ) -> CreateResult[MaintenanceOrder]:
        svc = self._svc(SERVICE)
        header = {
            "MaintenanceOrderType": data.order_type,
            "MaintenanceOrderDesc": data.description,
            "MaintenancePlanningPlant": data.planning_plant,
            "MaintenanceNotification": data.notification,
            "Equipment": data.equipment,
            "FunctionalLocation": data.functional_location,
            "MainWorkCenter": data.main_work_center,
            "MainWorkCenterPlant": data.work_center_plant,
            "MaintPriority": data.priority,
            "CostCenter": data.cost_center,
            "MaintenancePlannerGroup": data.planner_group,
            "MaintOrdBasicStartDateTime": format_datetime(data.start),
            "MaintOrdBasicEndDateTime": format_datetime(data.end),
        }
        payload: dict[str, Any] = {k: v for k, v in header.items() if v}
        payload[REF_FIELD] = idempotency_key
        operations = []
        for activity, op in _activities(data):
            row = {
                "MaintenanceOrderOperation": activity,
                "OperationDescription": op.text,
                "WorkCenter": op.work_center,
                "Plant": op.plant or data.planning_plant,
                "OperationControlKey": op.control_key,
                "MaintOrdOperationWorkDuration": format_decimal(op.planned_work),
                "MaintOrdOpWorkDurationUnit": op.work_unit if op.planned_work is not None else "",
            }
            operations.append({k: v for k, v in row.items() if v})
        if operations:
            payload[OPERATIONS] = {"results": operations}

        def create() -> tuple[MaintenanceOrder, list[Message]]:
            entity = svc.create(ENTITY, payload)
            return self.get_maintenance_order(
                _external(key_of(entity.data, "MaintenanceOrder")), with_operations=False
            ), []

        return self._once_by_reference(
            idempotency_key, REF_LENGTH, "order", self.find_maintenance_order_by_reference, create
        )

    def find_maintenance_order_by_reference(self, reference: str) -> MaintenanceOrder | None:
        row = self._svc(SERVICE).first(ENTITY, filter=eq(REF_FIELD, reference))
        return (
            self.get_maintenance_order(_external(s(row, "MaintenanceOrder")), with_operations=False)
            if row
            else None
        )

    def get_maintenance_order(
        self, number: str, *, with_operations: bool = True
    ) -> MaintenanceOrder:
        expand = [OPERATIONS] if with_operations else None
        entity = self._svc(SERVICE).get(ENTITY, number, expand=expand)
        return _from_odata(entity.data, entity.etag)

    def iter_maintenance_order_changes(
        self, since: datetime | None, *, plant: str = "", order_types: tuple[str, ...] = ()
    ) -> Iterator[DeltaPage[MaintenanceOrder]]:
        """Order headers (no operations) changed after ``since`` (all when ``None``), oldest
        first, page by page: ``LastChangeDateTime`` delta on MaintenanceOrder, optionally of one
        planning plant and of some order types. Each page carries its watermark."""
        types = sorted(_type_filter(order_types))
        return self._svc(SERVICE).iter_delta(
            ENTITY,
            since,
            filter=and_(
                eq("MaintenancePlanningPlant", plant) if plant else None,
                or_(*(eq("MaintenanceOrderType", t) for t in types)) if types else None,
            ),
            convert=_from_odata,
        )

    def get_maintenance_order_status(self, number: str) -> OrderStatus:
        entity = self._svc(SERVICE).get(
            ENTITY, number, select=["MaintenanceOrder", "SystemStatusText"]
        )
        return OrderStatus(_external(number), s(entity.data, "SystemStatusText"))

    def _status_action(
        self,
        number: str,
        target: str,
        *,
        reference_time: datetime | None = None,
        complete_notification: bool = False,
    ) -> Callable[[], Any]:
        params: dict[str, Any] = {}
        if target == "teco":
            params = {
                "MaintOrderReferenceDateTime": reference_time,
                "AssignedMaintNotifIsToBeClosed": complete_notification,
            }
        svc = self._svc(SERVICE)
        function = ODATA_STATUS_FUNCTIONS[target]
        return lambda: svc.call_function(function, {"MaintenanceOrder": number, **params})


# --- RFC -------------------------------------------------------------------------------------
class OrderRfc(RfcBase, _Transitions):
    def create_maintenance_order(
        self, data: OrderCreate, *, idempotency_key: str
    ) -> CreateResult[MaintenanceOrder]:
        header = {
            "ORDERID": TEMP_ORDER,
            "ORDER_TYPE": data.order_type,
            "SHORT_TEXT": data.description,
            "PLANPLANT": data.planning_plant,
            "NOTIF_NO": alpha(data.notification, 12) if data.notification else "",
            "EQUIPMENT": data.equipment,
            "FUNCT_LOC": data.functional_location,
            "MN_WK_CTR": data.main_work_center,
            "PLANT": data.work_center_plant,
            "PRIORITY": data.priority,
            "COSTCENTER": data.cost_center,
            "PLANGROUP": data.planner_group,
            "START_DATE": abap_date(data.start) if data.start else "",
            "FINISH_DATE": abap_date(data.end) if data.end else "",
            "DEVICEDATA": idempotency_key,
        }
        methods = [_method("HEADER", "CREATE", TEMP_ORDER)]
        operations = []
        for activity, op in _activities(data):
            methods.append(_method("OPERATION", "CREATE", TEMP_ORDER + activity, len(operations)))
            operations.append(
                {
                    "ACTIVITY": activity,
                    "DESCRIPTION": op.text,
                    "WORK_CNTR": op.work_center,
                    "PLANT": op.plant or data.planning_plant,
                    "CONTROL_KEY": op.control_key,
                    "WORK_ACTIVITY": str(op.planned_work) if op.planned_work is not None else "",
                    "UN_WORK": op.work_unit if op.planned_work is not None else "",
                }
            )
        methods.append(_method("", "SAVE", TEMP_ORDER))

        def create() -> tuple[MaintenanceOrder, list[Message]]:
            with self.rfc.luw() as luw:
                result = luw.call(
                    "BAPI_ALM_ORDER_MAINTAIN",
                    IT_METHODS=methods,
                    IT_HEADER=[{k: v for k, v in header.items() if v}],
                    IT_OPERATION=operations,
                )
                messages = check_return(return_rows(result))
                number = _final_number(result)
                luw.commit()
            return self.get_maintenance_order(number, with_operations=False), messages

        return self._once_by_reference(
            idempotency_key, REF_LENGTH, "order", self.find_maintenance_order_by_reference, create
        )

    def find_maintenance_order_by_reference(self, reference: str) -> MaintenanceOrder | None:
        row = self._read_one("AFIH", ["AUFNR"], [f"DEVICEDATA = {abap_literal(reference)}"])
        return self.get_maintenance_order(s(row, "AUFNR"), with_operations=False) if row else None

    def get_maintenance_order(
        self, number: str, *, with_operations: bool = True
    ) -> MaintenanceOrder:
        key = [f"AUFNR = {abap_literal(alpha(number, 12))}"]
        aufk = require(self._read_one("AUFK", AUFK_FIELDS, key), f"Order {number}")
        afih = self._read_one("AFIH", AFIH_FIELDS, key) or {}
        afko = self._read_one("AFKO", AFKO_FIELDS, key) or {}
        order = _from_tables(aufk, afih, afko)
        if with_operations:
            order.operations = self._operations(alpha(number, 12))
        return order

    def iter_maintenance_order_changes(
        self, since: datetime | None, *, plant: str = "", order_types: tuple[str, ...] = ()
    ) -> Iterator[DeltaPage[MaintenanceOrder]]:
        """Order headers (no operations) created or changed since ``since`` (all when
        ``None``) with RFC_READ_TABLE: AUFK by ERDAT, then by AEDAT (day granularity: orders of
        the watermark day are delivered again — consumers upsert), joined with AFIH (planning
        plant, status, maintenance plan WARPL, planner group INGPR) and AFKO (basic dates)."""
        types = _type_filter(order_types)
        seen: set[str] = set()
        watermark = since
        passes = [[]] if since is None else [["ERDAT"], ["AEDAT"]]
        for date_fields in passes:
            where = [f"{f} >= '{abap_date(since)}'" for f in date_fields]
            if len(types) == 1:
                where.append(f"AUART = {abap_literal(next(iter(types)))}")
            for rows in self.rfc.iter_table("AUFK", AUFK_FIELDS, where):
                rows = [r for r in rows if r["AUFNR"] not in seen]
                seen.update(r["AUFNR"] for r in rows)
                if types:
                    rows = [r for r in rows if s(r, "AUART").upper() in types]
                afih = self._by_order("AFIH", AFIH_FIELDS, rows)
                afko = self._by_order("AFKO", AFKO_FIELDS, rows)
                page = []
                for row in rows:
                    order = _from_tables(
                        row, afih.get(row["AUFNR"], {}), afko.get(row["AUFNR"], {})
                    )
                    if plant and order.planning_plant != plant:
                        continue
                    if order.changed_at and (watermark is None or order.changed_at > watermark):
                        watermark = order.changed_at
                    page.append(order)
                if page:
                    yield DeltaPage(rows=page, watermark=watermark)

    def _by_order(
        self, table: str, fields: list[str], rows: list[dict[str, str]]
    ) -> dict[str, dict[str, str]]:
        """``table`` rows of the orders in ``rows`` (one key range read), by AUFNR."""
        if not rows:
            return {}
        keys = sorted(r["AUFNR"] for r in rows)
        where = [f"AUFNR >= {abap_literal(keys[0])}", f"AUFNR <= {abap_literal(keys[-1])}"]
        wanted = set(keys)
        found: dict[str, dict[str, str]] = {}
        for page in self.rfc.iter_table(table, fields, where):
            found.update({r["AUFNR"]: r for r in page if r["AUFNR"] in wanted})
        return found

    def _operations(self, number: str) -> list[OrderOperation]:
        result = self.retrier.read(
            lambda: self.rfc.call("BAPI_ALM_ORDER_GET_DETAIL", NUMBER=number)
        )
        check_return(return_rows(result))
        return [
            OrderOperation(
                operation=s(op, "ACTIVITY"),
                description=s(op, "DESCRIPTION"),
                work_center=s(op, "WORK_CNTR"),
                plant=s(op, "PLANT"),
                control_key=s(op, "CONTROL_KEY"),
                raw=dict(op),
                planned_work=_work(op.get("WORK_ACTIVITY")),
                work_unit=s(op, "UN_WORK"),
            )
            for op in result.get("ET_OPERATIONS") or []
        ]

    def get_maintenance_order_status(self, number: str) -> OrderStatus:
        key = [f"AUFNR = {abap_literal(alpha(number, 12))}"]
        afih = require(self._read_one("AFIH", ["AUFNR", "STAT"], key), f"Order {number}")
        return OrderStatus(_external(number), s(afih, "STAT"))

    def _maintain(self, number: str, method: str) -> Callable[[], None]:
        order = alpha(number, 12)

        def run() -> None:
            with self.rfc.luw() as luw:
                result = luw.call(
                    "BAPI_ALM_ORDER_MAINTAIN",
                    IT_METHODS=[_method("HEADER", method, order), _method("", "SAVE", order)],
                )
                check_return(return_rows(result))
                luw.commit()

        return run

    def _status_action(self, number: str, target: str, **_options: Any) -> Callable[[], None]:
        # BAPI_ALM_ORDER_MAINTAIN has no reference time / notification completion option: the
        # notification is completed after TECO (technically_complete_maintenance_order)
        return self._maintain(number, RFC_STATUS_METHODS[target])


AUFK_FIELDS = ["AUFNR", "AUART", "KTEXT", "WERKS", "VAPLZ", "WAWRK", "KOSTL", "ERDAT", "AEDAT"]
AFIH_FIELDS = ["AUFNR", "EQUNR", "QMNUM", "IWERK", "INGPR", "WARPL", "DEVICEDATA", "STAT"]
AFKO_FIELDS = ["AUFNR", "GSTRP", "GLTRP"]


def _from_tables(
    aufk: dict[str, str], afih: dict[str, str], afko: dict[str, str]
) -> MaintenanceOrder:
    number = _external(aufk["AUFNR"])
    changed = [
        d for d in (from_abap_date(aufk.get("AEDAT")), from_abap_date(aufk.get("ERDAT"))) if d
    ]
    return MaintenanceOrder(
        number=number,
        order_type=s(aufk, "AUART"),
        description=s(aufk, "KTEXT"),
        notification=_external(s(afih, "QMNUM")),
        equipment=_external(s(afih, "EQUNR")),
        planning_plant=s(afih, "IWERK") or s(aufk, "WERKS"),
        main_work_center=s(aufk, "VAPLZ"),
        reference=s(afih, "DEVICEDATA"),
        status=OrderStatus(number, s(afih, "STAT")),
        raw={**aufk, **afih, **afko},
        maintenance_plan=_external(s(afih, "WARPL")),
        planner_group=s(afih, "INGPR"),
        cost_center=s(aufk, "KOSTL"),
        work_center_plant=s(aufk, "WAWRK"),
        start=from_abap_date(afko.get("GSTRP")),
        end=from_abap_date(afko.get("GLTRP")),
        changed_at=max(changed) if changed else None,
    )


def _method(objecttype: str, method: str, key: str, ref: int = 0) -> dict[str, str]:
    return {
        "REFNUMBER": f"{ref + 1:06d}",
        "OBJECTTYPE": objecttype,
        "METHOD": method,
        "OBJECTKEY": key,
    }


def _final_number(result: dict[str, Any]) -> str:
    for row in result.get("ET_NUMBERS") or []:
        new = s(row, "AUFNR_NEW")
        if new and not new.startswith("%"):
            return new
    raise BusinessRuleError("BAPI_ALM_ORDER_MAINTAIN returned no order number")


__all__ = [
    "MaintenanceOrder",
    "OperationCreate",
    "OrderCreate",
    "OrderOData",
    "OrderOperation",
    "OrderRfc",
    "OrderStatus",
]
