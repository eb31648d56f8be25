# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Small helpers of the SAP maintenance bridge, shared by its flows and models (outside the
``models`` package: flows register before the models read them): flow codes, value conversion
between ``plant_sync.sap`` dataclasses and JSON payloads, SAP status codes."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal

# No echo of SAP imports, while a CMMS import still reaches SAP (no echo is per backend)
SAP_KINDS = ("sap_odata", "sap_rfc")

#: binding document types of a request's two SAP documents (field -> type)
DOC_NOTIFICATION = "sap_notification"
DOC_ORDER = "sap_order"
SAP_NUMBERS = {"sap_notification_number": DOC_NOTIFICATION, "sap_order_number": DOC_ORDER}

FLOW_MASTER_PULL = "sap_pm_master_pull"
FLOW_NOTIFICATION = "sap_pm_notification"
FLOW_ORDER = "sap_pm_order"
FLOW_STATUS = "sap_pm_status"
FLOW_CONFIRMATION = "sap_pm_confirmation"
FLOW_ORDER_PULL = "sap_pm_order_pull"

#: the flows (declared in ../flows/<code>.py) in the order a backend's set-up lists them
FLOW_CODES = (
    FLOW_MASTER_PULL,
    FLOW_NOTIFICATION,
    FLOW_ORDER,
    FLOW_STATUS,
    FLOW_CONFIRMATION,
    FLOW_ORDER_PULL,
)
PUSH_FLOWS = (FLOW_NOTIFICATION, FLOW_ORDER, FLOW_STATUS, FLOW_CONFIRMATION)

#: SAP system statuses of an order, in lifecycle order
ORDER_STATUSES = ("CRTD", "REL", "TECO", "CLSD")
#: Odoo priority (0 very low .. 3 high) -> SAP priority (1 very high .. 4 low) when no mapping
DEFAULT_PRIORITY = {"0": "4", "1": "3", "2": "2", "3": "1"}


def primary_status(system_status: str) -> str:
    """The lifecycle status of a system status text ('REL PCNF' -> 'REL'; '' -> '')."""
    codes = (system_status or "").replace(",", " ").split()
    found = [c for c in codes if c in ORDER_STATUSES]
    return max(found, key=ORDER_STATUSES.index) if found else ""


def status_rank(code: str) -> int:
    return ORDER_STATUSES.index(code) if code in ORDER_STATUSES else -1


def to_aware(value):
    """Odoo naive UTC datetime -> aware UTC (None stays None)."""
    if not value:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def to_naive(value):
    """Aware datetime (or ISO text) -> naive UTC for Odoo Datetime fields."""
    if not value:
        return False
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)


def jsonable(value):
    """A library dataclass (or anything nested) as JSON-safe data; ``raw`` is left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "raw"
        }
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def content_hash(data) -> str:
    """Stable digest of JSON-safe data: same content -> same idempotency key."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def external_number(number) -> str:
    """SAP numbers without ALPHA zero padding (RFC returns them padded, OData not)."""
    text = str(number or "").strip()
    return text.lstrip("0") or text
