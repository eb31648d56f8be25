"""Maintenance notification: create (exactly once), read, complete.

OData: API_MAINTNOTIFICATION (EDMX in shared/reference), entity set MaintenanceNotification,
function import CompleteMaintNotification. Idempotency key in ``MaintNotifExtReferenceNumber``
(QMEL-REFNUM, CHAR 20).
RFC: BAPI_ALM_NOTIF_CREATE + BAPI_ALM_NOTIF_SAVE + BAPI_TRANSACTION_COMMIT on one connection;
the key travels in EXTENSIONIN (structure BAPI_TE_QMEL -> QMEL-REFNUM); reads via
RFC_READ_TABLE on QMEL/QMIH; completion via BAPI_ALM_NOTIF_CLOSE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..idempotent import reach
from ..models import CreateResult, Message
from ..odata.client import entity_etag
from ..odata.query import eq, format_datetime
from ..rfc.client import abap_literal
from ..rfc.returns import check_return, return_rows
from .base import (
    ODataBase,
    RfcBase,
    abap_date,
    alpha,
    from_abap_date,
    key_of,
    require,
    s,
)

SERVICE = "API_MAINTNOTIFICATION"
ENTITY = "MaintenanceNotification"
REF_FIELD = "MaintNotifExtReferenceNumber"
REF_LENGTH = 20
COMPLETED_PHASES = ("4", "5")  # NotifProcessingPhase: 4 completed, 5 deleted
EQUI, FLOC = "EAMS_EQUI", "EAMS_FL"  # TechObjIsEquipOrFuncnlLoc


@dataclass
class NotificationCreate:
    notification_type: str  # e.g. "M1" maintenance request, "M2" malfunction report
    text: str  # short text, 40 characters
    equipment: str = ""
    functional_location: str = ""
    priority: str = ""
    planning_plant: str = ""
    long_text: str = ""
    reported_by: str = ""
    malfunction_start: datetime | None = None
    breakdown: bool = False
    # optional responsibility data (OData MaintenancePlannerGroup / MainWorkCenter /
    # MainWorkCenterPlant; RFC NOTIFHEADER-PLANGROUP / PM_WKCTR_C / MAINTPLANT). The notification
    # has no cost center in API_MAINTNOTIFICATION nor in BAPI2080_NOTHDRI: it is set on the order.
    planner_group: str = ""
    main_work_center: str = ""
    work_center_plant: str = ""


@dataclass
class Notification:
    number: str
    notification_type: str = ""
    text: str = ""
    equipment: str = ""
    functional_location: str = ""
    priority: str = ""
    order: str = ""
    reference: str = ""
    completed: bool = False
    status: str = ""
    changed_at: datetime | None = None
    etag: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def _external(number: str) -> str:
    return number.lstrip("0") or number


def _completed(notification: Notification) -> bool:
    return notification.completed


# --- OData -----------------------------------------------------------------------------------
def _from_odata(row: dict[str, Any], etag: str = "") -> Notification:
    phase = s(row, "NotifProcessingPhase")
    status = s(row, "ConcatenatedActiveSystStsName")
    return Notification(
        number=_external(key_of(row, "MaintenanceNotification")),
        notification_type=s(row, "NotificationType"),
        text=s(row, "NotificationText"),
        equipment=s(row, "TechnicalObject") if s(row, "TechObjIsEquipOrFuncnlLoc") == EQUI else "",
        functional_location=s(row, "FunctionalLocation"),
        priority=s(row, "MaintPriority"),
        order=_external(s(row, "MaintenanceOrder")),
        reference=s(row, REF_FIELD),
        completed=phase in COMPLETED_PHASES or "NOCO" in status.split(),
        status=status,
        changed_at=None,
        etag=etag or entity_etag(row),
        raw=row,
    )


class NotificationOData(ODataBase):
    def create_notification(
        self, data: NotificationCreate, *, idempotency_key: str
    ) -> CreateResult[Notification]:
        svc = self._svc(SERVICE)
        payload: dict[str, Any] = {
            "NotificationType": data.notification_type,
            "NotificationText": data.text,
            REF_FIELD: idempotency_key,
        }
        if data.equipment:
            payload["TechnicalObject"] = data.equipment
            payload["TechObjIsEquipOrFuncnlLoc"] = EQUI
        elif data.functional_location:
            payload["TechnicalObject"] = data.functional_location
            payload["TechObjIsEquipOrFuncnlLoc"] = FLOC
        optional = {
            "MaintPriority": data.priority,
            "MaintenancePlanningPlant": data.planning_plant,
            "MaintenancePlannerGroup": data.planner_group,
            "MainWorkCenter": data.main_work_center,
            "MainWorkCenterPlant": data.work_center_plant,
            "MaintNotifLongTextForEdit": data.long_text,
            "ReportedByUser": data.reported_by,
            "MalfunctionStartDate": format_datetime(data.malfunction_start),
        }
        payload.update({k: v for k, v in optional.items() if v})
        if data.breakdown:
            payload["MaintenanceObjectIsDown"] = True

        def create() -> tuple[Notification, list[Message]]:
            entity = svc.create(ENTITY, payload)
            return _from_odata(entity.data, entity.etag), []

        return self._once_by_reference(
            idempotency_key, REF_LENGTH, "notification", self.find_notification_by_reference, create
        )

    def find_notification_by_reference(self, reference: str) -> Notification | None:
        row = self._svc(SERVICE).first(ENTITY, filter=eq(REF_FIELD, reference))
        return _from_odata(row) if row else None

    def get_notification(self, number: str) -> Notification:
        entity = self._svc(SERVICE).get(ENTITY, number)
        return _from_odata(entity.data, entity.etag)

    def complete_notification(
        self, number: str, *, reference_time: datetime | None = None
    ) -> Notification:
        """Complete (status NOCO); completing an already completed notification returns it."""
        params = {"MaintenanceNotification": number, "MaintNotifReferenceDateTime": reference_time}
        return reach(
            lambda: self.get_notification(number),
            _completed,
            lambda: self._svc(SERVICE).call_function("CompleteMaintNotification", params),
            self.retrier,
        )


# --- RFC -------------------------------------------------------------------------------------
QMEL_FIELDS = ["QMNUM", "QMART", "QMTXT", "PRIOK", "AUFNR", "REFNUM", "AEDAT", "QMDAB"]


class NotificationRfc(RfcBase):
    def create_notification(
        self, data: NotificationCreate, *, idempotency_key: str
    ) -> CreateResult[Notification]:
        header = {
            "SHORT_TEXT": data.text,
            "PRIORITY": data.priority,
            "EQUIPMENT": data.equipment,
            "FUNCT_LOC": data.functional_location,
            "PLANPLANT": data.planning_plant,
            "PLANGROUP": data.planner_group,
            "PM_WKCTR_C": data.main_work_center,
            "REPORTEDBY": data.reported_by,
            "BREAKDOWN": "X" if data.breakdown else "",
        }
        if data.malfunction_start:
            header["STRMLFNDATE"] = abap_date(data.malfunction_start)
        header = {k: v for k, v in header.items() if v}
        longtexts = [
            {"OBJTYPE": "QMEL", "FORMAT_COL": "*", "TEXT_LINE": data.long_text[i : i + 132]}
            for i in range(0, len(data.long_text), 132)
        ]

        def create() -> tuple[Notification, list[Message]]:
            with self.rfc.luw() as luw:
                result = luw.call(
                    "BAPI_ALM_NOTIF_CREATE",
                    NOTIF_TYPE=data.notification_type,
                    NOTIFHEADER=header,
                    LONGTEXTS=longtexts,
                    EXTENSIONIN=[{"STRUCTURE": "BAPI_TE_QMEL", "VALUEPART1": idempotency_key}],
                )
                messages = check_return(return_rows(result))
                temporary = s(result.get("NOTIFHEADER_EXPORT") or {}, "NOTIF_NO")
                saved = luw.call("BAPI_ALM_NOTIF_SAVE", NUMBER=temporary)
                messages += check_return(return_rows(saved))
                number = s(saved.get("NOTIFHEADER") or {}, "NOTIF_NO") or temporary
                luw.commit()
            return self.get_notification(number), messages

        return self._once_by_reference(
            idempotency_key, REF_LENGTH, "notification", self.find_notification_by_reference, create
        )

    def _notification(self, row: dict[str, str]) -> Notification:
        qmih = self._read_one("QMIH", ["QMNUM", "EQUNR", "TPLNR"], [f"QMNUM = '{row['QMNUM']}'"])
        return Notification(
            number=_external(row["QMNUM"]),
            notification_type=s(row, "QMART"),
            text=s(row, "QMTXT"),
            equipment=_external(s(qmih or {}, "EQUNR")),
            functional_location=s(qmih or {}, "TPLNR"),
            priority=s(row, "PRIOK"),
            order=_external(s(row, "AUFNR")),
            reference=s(row, "REFNUM"),
            changed_at=from_abap_date(row.get("AEDAT")),
            completed=bool(from_abap_date(row.get("QMDAB"))),
            raw=row,
        )

    def find_notification_by_reference(self, reference: str) -> Notification | None:
        row = self._read_one("QMEL", QMEL_FIELDS, [f"REFNUM = {abap_literal(reference)}"])
        return self._notification(row) if row else None

    def get_notification(self, number: str) -> Notification:
        where = [f"QMNUM = {abap_literal(alpha(number, 12))}"]
        row = require(self._read_one("QMEL", QMEL_FIELDS, where), f"Notification {number}")
        return self._notification(row)

    def complete_notification(
        self, number: str, *, reference_time: datetime | None = None
    ) -> Notification:
        """Complete (QMEL-QMDAB set); an already completed notification is returned as is."""

        def close() -> None:
            with self.rfc.luw() as luw:
                result = luw.call(
                    "BAPI_ALM_NOTIF_CLOSE",
                    NUMBER=alpha(number, 12),
                    SYSTSTAT={"REFDATE": abap_date(reference_time), "LANGU": "E"},
                )
                check_return(return_rows(result))
                luw.commit()

        notification = reach(lambda: self.get_notification(number), _completed, close, self.retrier)
        notification.completed = True
        return notification
