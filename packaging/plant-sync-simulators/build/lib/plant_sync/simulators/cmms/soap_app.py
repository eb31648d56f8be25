"""Maximo MIF SOAP face of the simulator: ``/meaweb/services/MXWODETAIL``.

``GET ...?wsdl`` serves ``wsdl/MXWODETAIL.wsdl`` with ``wsdl/MXWODETAIL.xsd`` inlined and the
address set to this server. ``POST`` accepts SOAP 1.1 document/literal requests for
Query/Create/Update/Sync/Delete MXWODETAIL, authenticates a WS-Security UsernameToken against
the simulator users, and answers Maximo-style documents or SOAP faults whose faultstring starts
with the BMXAA reason code.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree
from werkzeug.wrappers import Request, Response

from plant_sync.errors import ProtocolError
from plant_sync.safexml import parse_xml

from .faults import Faults
from .store import DATE_ATTRS, CmmsStore, StoreError

WSDL_DIR = Path(__file__).parent / "wsdl"
SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
MAX = "http://www.ibm.com/maximo"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BIND = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD = "http://www.w3.org/2001/XMLSchema"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"

# XSD order of the WORKORDER elements (zeep serialises in this order; so do we)
WO_ELEMENTS = (
    "ACTFINISH", "ACTSTART", "ASSETNUM", "CHANGEDATE", "DESCRIPTION",
    "DESCRIPTION_LONGDESCRIPTION", "FAILURECODE", "LOCATION", "ORGID", "PROBLEMCODE",
    "REPORTDATE", "SITEID", "STATUS", "TARGCOMPDATE", "TARGSTARTDATE", "WONUM", "WOPRIORITY",
    "WORKORDERID", "WORKTYPE",
)  # fmt: skip
CHILDREN = {
    "FAILUREREPORT": ("FAILURECODE", "TYPE"),
    "LABTRANS": ("CRAFT", "FINISHDATETIME", "LABORCODE", "REGULARHRS", "STARTDATETIME"),
}


@lru_cache(maxsize=1)
def _wsdl_template() -> bytes:
    return (WSDL_DIR / "MXWODETAIL.wsdl").read_bytes()


def service_wsdl(address: str) -> bytes:
    """The WSDL with the schema inlined (no transitive fetch needed) and our address."""
    wsdl = etree.fromstring(_wsdl_template())
    xsd = etree.fromstring((WSDL_DIR / "MXWODETAIL.xsd").read_bytes())
    types = wsdl.find(f"{{{WSDL_NS}}}types")
    for child in list(types):
        types.remove(child)
    types.append(copy.deepcopy(xsd))
    for address_el in wsdl.iter(f"{{{SOAP_BIND}}}address"):
        address_el.set("location", address)
    return etree.tostring(wsdl, xml_declaration=True, encoding="UTF-8")


def fault(code: str, message: str, reason: str = "") -> Response:
    env = etree.Element(f"{{{SOAPENV}}}Envelope", nsmap={"soapenv": SOAPENV})
    body = etree.SubElement(env, f"{{{SOAPENV}}}Body")
    flt = etree.SubElement(body, f"{{{SOAPENV}}}Fault")
    etree.SubElement(flt, "faultcode").text = f"soapenv:{code}"
    etree.SubElement(flt, "faultstring").text = message
    detail = etree.SubElement(flt, "detail")
    exc = etree.SubElement(detail, f"{{{MAX}}}Exception", nsmap={None: MAX})
    etree.SubElement(exc, f"{{{MAX}}}ReasonCode").text = reason or message.split(" ", 1)[0]
    return Response(etree.tostring(env), status=500, content_type="text/xml; charset=utf-8")


def envelope(payload: etree._Element) -> Response:
    env = etree.Element(f"{{{SOAPENV}}}Envelope", nsmap={"soapenv": SOAPENV})
    etree.SubElement(env, f"{{{SOAPENV}}}Body").append(payload)
    return Response(
        etree.tostring(env, xml_declaration=True, encoding="UTF-8"),
        content_type="text/xml; charset=utf-8",
    )


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


class SoapApp:
    def __init__(self, store: CmmsStore, faults: Faults, users: dict[str, str]) -> None:
        self.store = store
        self.faults = faults
        self.users = users

    def __call__(self, request: Request) -> Response:
        if request.method == "GET":
            if "wsdl" in {k.lower() for k in request.args}:
                return Response(service_wsdl(request.base_url), content_type="text/xml")
            if request.args.get("xsd"):
                return Response((WSDL_DIR / "MXWODETAIL.xsd").read_bytes(), content_type="text/xml")
            return Response("MXWODETAIL service. Append ?wsdl.", content_type="text/plain")
        if request.method != "POST":
            return Response(status=405)
        try:
            root = parse_xml(request.get_data())
        except ProtocolError as exc:
            return fault("Client", f"Invalid request document: {exc}")
        body = root.find(f"{{{SOAPENV}}}Body")
        if body is None or len(body) == 0:
            return fault("Client", "No SOAP body")
        if not self._authenticated(root):
            return fault(
                "Client",
                "BMXAA0021E - User name and password combination are not valid. Try again.",
            )
        operation = body[0]
        name = etree.QName(operation).localname
        handler = {
            "QueryMXWODETAIL": self.query,
            "CreateMXWODETAIL": self.create,
            "UpdateMXWODETAIL": self.update,
            "SyncMXWODETAIL": self.sync,
            "DeleteMXWODETAIL": self.delete,
        }.get(name)
        if handler is None:
            return fault("Client", f"Unknown operation {name}")
        try:
            return handler(operation)
        except StoreError as exc:
            return fault("Server", exc.message, exc.code)
        except (ValueError, TypeError) as exc:
            return fault("Client", f"Invalid request: {exc}")

    def _authenticated(self, root: etree._Element) -> bool:
        token = root.find(f".//{{{WSSE}}}UsernameToken")
        if token is None:
            return False
        user = token.findtext(f"{{{WSSE}}}Username") or ""
        password = token.findtext(f"{{{WSSE}}}Password") or ""
        return bool(user) and self.users.get(user) == password

    # --- operations --------------------------------------------------------------------------
    def query(self, operation: etree._Element) -> Response:
        query = operation.find(f"{{{MAX}}}MXWODETAILQuery")
        if query is not None and query.findtext(f"{{{MAX}}}WHERE"):
            return fault("Client", "The simulator does not evaluate WHERE; use field criteria")
        tests = []
        wo = query.find(f"{{{MAX}}}WORKORDER") if query is not None else None
        for criterion in wo if wo is not None else []:
            attr = etree.QName(criterion).localname.lower()
            tests.append(_criterion(attr, criterion.get("operator", "="), criterion.text or ""))
        rows = self.store.workorders(lambda r: all(t(r) for t in tests))
        start = int(operation.get("rsStart") or 0)
        max_items = int(operation.get("maxItems") or len(rows) or 1)
        chunk = rows[start : start + max_items]
        response = etree.Element(f"{{{MAX}}}QueryMXWODETAILResponse", nsmap={None: MAX})
        response.set("rsStart", str(start))
        response.set("rsCount", str(len(chunk)))
        response.set("rsTotal", str(len(rows)))
        response.set(
            "creationDateTime", datetime.now().astimezone().replace(microsecond=0).isoformat()
        )
        response.set("baseLanguage", "EN")
        response.set("transLanguage", "EN")
        wo_set = etree.SubElement(response, f"{{{MAX}}}MXWODETAILSet")
        for row in chunk:
            wo_set.append(self._record_xml(row))
        return envelope(response)

    def create(self, operation: etree._Element, verb: str = "Create") -> Response:
        keys = etree.Element(f"{{{MAX}}}{verb}MXWODETAILResponse", nsmap={None: MAX})
        key_set = etree.SubElement(keys, f"{{{MAX}}}WORKORDERMboKeySet")
        for element in self._workorders(operation):
            values = self._values(element)
            if self.faults.lock_now("soap"):
                return self._lock_fault(values)
            if verb == "Sync" and self.store.workorder(
                values.get("wonum", ""), values.get("siteid")
            ):
                record = self.store.update_workorder(
                    values["wonum"], values, siteid=values.get("siteid")
                )
            else:
                record = self.store.create_workorder(values)
            key = etree.SubElement(key_set, f"{{{MAX}}}WORKORDER")
            for attr in ("SITEID", "WONUM", "WORKORDERID"):
                etree.SubElement(key, f"{{{MAX}}}{attr}").text = str(record[attr.lower()])
        return envelope(keys)

    def sync(self, operation: etree._Element) -> Response:
        return self.create(operation, verb="Sync")

    def update(self, operation: etree._Element) -> Response:
        for element in self._workorders(operation):
            values = self._values(element)
            wonum = values.get("wonum")
            if not wonum:
                return fault("Client", "BMXAA4195E - A value is required for the Work Order field.")
            if self.store.workorder(wonum, values.get("siteid")) is None:
                return fault("Client", f"Work order {wonum} does not exist.")
            if self.faults.lock_now("soap"):
                return self._lock_fault(values)
            self.store.update_workorder(wonum, values, siteid=values.get("siteid"))
        return envelope(etree.Element(f"{{{MAX}}}UpdateMXWODETAILResponse", nsmap={None: MAX}))

    def delete(self, operation: etree._Element) -> Response:
        for element in self._workorders(operation):
            values = self._values(element)
            self.store.delete_workorder(values.get("wonum", ""), values.get("siteid"))
        return envelope(etree.Element(f"{{{MAX}}}DeleteMXWODETAILResponse", nsmap={None: MAX}))

    # --- helpers -----------------------------------------------------------------------------
    def _lock_fault(self, values: dict) -> Response:
        return fault(
            "Server",
            f"BMXAA8229W - Record WORKORDER : Site={values.get('siteid', '')} Work Order="
            f"{values.get('wonum', '')} has been updated by another user. Your changes have not "
            "been saved. Refresh the record and try again.",
        )

    @staticmethod
    def _workorders(operation: etree._Element) -> list[etree._Element]:
        wo_set = operation.find(f"{{{MAX}}}MXWODETAILSet")
        return [] if wo_set is None else wo_set.findall(f"{{{MAX}}}WORKORDER")

    @staticmethod
    def _values(element: etree._Element) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for child in element:
            name = etree.QName(child).localname
            if name in CHILDREN:
                row = {etree.QName(c).localname.lower(): (c.text or "") for c in child if c.text}
                values.setdefault(name.lower(), []).append(row)
            elif child.text is not None:
                values[name.lower()] = child.text
        return values

    def _record_xml(self, row: dict) -> etree._Element:
        element = etree.Element(f"{{{MAX}}}WORKORDER")
        for attr in WO_ELEMENTS:
            value = row.get(attr.lower())
            if value not in (None, ""):
                etree.SubElement(element, f"{{{MAX}}}{attr}").text = _text(value)
        for child, attrs in CHILDREN.items():
            for child_row in row.get(child.lower()) or []:
                child_el = etree.SubElement(element, f"{{{MAX}}}{child}")
                for attr in attrs:
                    value = child_row.get(attr.lower())
                    if value not in (None, ""):
                        etree.SubElement(child_el, f"{{{MAX}}}{attr}").text = _text(value)
        return element


def _criterion(attr: str, operator: str, text: str):
    def check(row: dict) -> bool:
        value = row.get(attr)
        if operator == "EMPTY":
            return value in (None, "")
        if operator == "NOTEMPTY":
            return value not in (None, "")
        if value is None:
            return operator == "!="
        left, right = str(value), text
        if attr in DATE_ATTRS:
            left = _aware(str(value))
            right = _aware(text)
        return {
            "=": left == right,
            "!=": left != right,
            ">": left > right,
            ">=": left >= right,
            "<": left < right,
            "<=": left <= right,
            "SW": str(left).startswith(str(right)),
            "EW": str(left).endswith(str(right)),
        }[operator]

    return check


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
