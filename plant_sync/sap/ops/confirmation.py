"""Time confirmation of a maintenance order operation (partial or final), exactly once.

OData: API_MAINTORDERCONFIRMATION — not in shared/reference; follows SAP's published
"Maintenance Order Confirmation" OData V2 API (api.sap.com): entity set MaintOrderConfirmation,
key MaintOrderConf + MaintOrderConfCntrValue. Idempotency key in ``ConfirmationText``
(AFRU-LTXA1, CHAR 40).
RFC: BAPI_ALM_CONF_CREATE (TIMETICKETS, CONF_TEXT carries the key; RETURN + DETAIL_RETURN)
and BAPI_TRANSACTION_COMMIT; look-up via RFC_READ_TABLE AFRU. Cancellation is not offered
(optional in the brief; SAP's confirmation API has no cancel in the version followed here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..models import CreateResult, Message
from ..odata.query import eq, format_datetime, format_decimal
from ..rfc.client import abap_literal
from ..rfc.returns import check_return, return_rows
from .base import ODataBase, RfcBase, abap_date, alpha, dec, key_of, require, s

SERVICE = "API_MAINTORDERCONFIRMATION"
ENTITY = "MaintOrderConfirmation"
REF_FIELD = "ConfirmationText"
REF_LENGTH = 40


@dataclass
class ConfirmationCreate:
    order: str
    operation: str  # e.g. "0010"
    actual_work: Decimal
    work_unit: str = "H"
    final: bool = False  # final confirmation: no remaining work expected
    personnel_number: str = ""
    posting_date: date | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class Confirmation:
    confirmation: str
    counter: str
    order: str = ""
    operation: str = ""
    actual_work: Decimal = Decimal(0)
    work_unit: str = ""
    final: bool = False
    reference: str = ""
    reversed: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def _external(number: str) -> str:
    return number.lstrip("0") or number


def _from_odata(row: dict[str, Any]) -> Confirmation:
    return Confirmation(
        confirmation=_external(key_of(row, "MaintOrderConf")),
        counter=s(row, "MaintOrderConfCntrValue"),
        order=_external(s(row, "MaintenanceOrder")),
        operation=s(row, "MaintenanceOrderOperation"),
        actual_work=dec(row.get("ActualWorkQuantity")),
        work_unit=s(row, "ActualWorkQuantityUnit"),
        final=bool(row.get("IsFinalConfirmation")),
        reference=s(row, REF_FIELD),
        reversed=bool(row.get("IsReversed")),
        raw=row,
    )


class ConfirmationOData(ODataBase):
    def create_confirmation(
        self, data: ConfirmationCreate, *, idempotency_key: str
    ) -> CreateResult[Confirmation]:
        svc = self._svc(SERVICE)
        payload = {
            "MaintenanceOrder": data.order,
            "MaintenanceOrderOperation": data.operation,
            "ActualWorkQuantity": format_decimal(data.actual_work),
            "ActualWorkQuantityUnit": data.work_unit,
            "IsFinalConfirmation": data.final,
            "NoRemainingWorkIsExpected": data.final,
            "PersonnelNumber": data.personnel_number,
            "PostingDate": format_datetime(data.posting_date),
            "ConfirmedExecutionStartDateTime": format_datetime(data.start),
            "ConfirmedExecutionEndDateTime": format_datetime(data.end),
            REF_FIELD: idempotency_key,
        }
        payload = {k: v for k, v in payload.items() if v not in (None, "")}

        def create() -> tuple[Confirmation, list[Message]]:
            return _from_odata(svc.create(ENTITY, payload).data), []

        return self._once_by_reference(
            idempotency_key, REF_LENGTH, "confirmation", self.find_confirmation_by_reference, create
        )

    def find_confirmation_by_reference(self, reference: str) -> Confirmation | None:
        row = self._svc(SERVICE).first(ENTITY, filter=eq(REF_FIELD, reference))
        return _from_odata(row) if row else None

    def get_confirmation(self, confirmation: str, counter: str) -> Confirmation:
        key = {"MaintOrderConf": confirmation, "MaintOrderConfCntrValue": counter}
        return _from_odata(self._svc(SERVICE).get(ENTITY, key).data)


AFRU_FIELDS = ["RUECK", "RMZHL", "AUFNR", "VORNR", "ISMNW", "ISMNE", "AUERU", "PERNR", "LTXA1"]


def _from_afru(row: dict[str, str]) -> Confirmation:
    return Confirmation(
        confirmation=_external(s(row, "RUECK")),
        counter=s(row, "RMZHL"),
        order=_external(s(row, "AUFNR")),
        operation=s(row, "VORNR"),
        actual_work=dec(row.get("ISMNW")),
        work_unit=s(row, "ISMNE"),
        final=s(row, "AUERU") == "X",
        reference=s(row, "LTXA1"),
        raw=row,
    )


class ConfirmationRfc(RfcBase):
    def create_confirmation(
        self, data: ConfirmationCreate, *, idempotency_key: str
    ) -> CreateResult[Confirmation]:
        ticket = {
            "ORDERID": alpha(data.order, 12),
            "OPERATION": data.operation,
            # AFRU-AUERU: ' ' partial, 'X' final, '1' automatic final (SAP decides by the
            # remaining work): a partial confirmation must leave FIN_CONF initial
            "FIN_CONF": "X" if data.final else "",
            "CLEAR_RES": "X" if data.final else "",
            "ACT_WORK": str(data.actual_work),
            "UN_WORK": data.work_unit,
            "PERS_NO": data.personnel_number,
            "POSTG_DATE": abap_date(data.posting_date),
            "CONF_TEXT": idempotency_key,
        }

        def create() -> tuple[Confirmation, list[Message]]:
            with self.rfc.luw() as luw:
                result = luw.call(
                    "BAPI_ALM_CONF_CREATE", TIMETICKETS=[{k: v for k, v in ticket.items() if v}]
                )
                messages = check_return(return_rows(result))
                messages += check_return(return_rows(result, "DETAIL_RETURN"))
                luw.commit()
            detail = (result.get("DETAIL_RETURN") or [{}])[0]
            found = self.get_confirmation(s(detail, "CONF_NO"), s(detail, "CONF_CNT"))
            return found, messages

        return self._once_by_reference(
            idempotency_key, REF_LENGTH, "confirmation", self.find_confirmation_by_reference, create
        )

    def find_confirmation_by_reference(self, reference: str) -> Confirmation | None:
        row = self._read_one("AFRU", AFRU_FIELDS, [f"LTXA1 = {abap_literal(reference)}"])
        return _from_afru(row) if row else None

    def get_confirmation(self, confirmation: str, counter: str) -> Confirmation:
        where = [
            f"RUECK = {abap_literal(alpha(confirmation, 10))}",
            f"RMZHL = {abap_literal(alpha(counter, 8))}",
        ]
        row = self._read_one("AFRU", AFRU_FIELDS, where)
        return _from_afru(require(row, f"Confirmation {confirmation}/{counter}"))
