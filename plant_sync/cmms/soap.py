"""SOAP client (zeep) for WSDL-described CMMS services, configured per backend.

Operation names, request templates and element paths come from :class:`SoapConfig`, so a Maximo
MIF object-structure service (``MXWODETAIL``: ``QueryMXWODETAIL``/``CreateMXWODETAIL``/
``UpdateMXWODETAIL``) and an HxGN/Infor EAM service (one WSDL per operation,
``MP0024_GetWorkOrder_001`` ...) are both configurations of the same class;
:func:`maximo_mif_config` builds the Maximo one.

Security: zeep runs with ``forbid_dtd``, ``forbid_entities``, ``forbid_external`` and without
``xml_huge_tree``; on top of that every document goes through :class:`GuardedTransport`: SSRF
check of every URL, size cap, ``plant_sync.safexml`` check (DTD/entity declarations refused
before zeep parses), and no local file reads except the WSDL folder an administrator configured.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import zeep
import zeep.exceptions
from lxml import etree
from zeep.helpers import serialize_object
from zeep.wsse.username import UsernameToken

from ..crypto import redact
from ..errors import ConfigurationError, IntegrationError, NotFound, ProtocolError, ValidationError
from ..safexml import parse_xml
from . import errors as classify
from .config import HttpSettings, SoapConfig, SoapOperation
from .http import guard_url, guarded_requests_session, read_capped
from .mapping import as_list, fill_template, get_path, set_path
from .workorder import (
    LabourLine,
    WorkOrder,
    date_value,
    field_value,
    format_datetime,
    hours_value,
    text_value,
)

_logger = logging.getLogger(__name__)
SOAP_ENV_NS = (
    "http://schemas.xmlsoap.org/soap/envelope/",
    "http://www.w3.org/2003/05/soap-envelope",
)


class GuardedTransport(zeep.Transport):
    """zeep transport with the library's network and XML rules."""

    def __init__(self, settings: HttpSettings, local_root: str = "", secrets=()) -> None:
        session = guarded_requests_session(settings)  # peer address checked at connect
        session.verify = settings.verify
        super().__init__(
            timeout=settings.read_timeout, operation_timeout=settings.read_timeout, session=session
        )
        self.settings = settings
        self.local_root = os.path.realpath(local_root) if local_root else ""
        self.secrets = tuple(s for s in secrets if s)
        self.session.headers["User-Agent"] = settings.user_agent

    def check(self, url: str) -> str:
        return guard_url(url, self.settings)

    # documents (WSDL, XSD)
    def load(self, url: str) -> bytes:
        if not url:
            raise ConfigurationError("No WSDL location given")
        scheme = urlsplit(url).scheme.lower()
        if scheme in ("http", "https"):
            response = self._send("GET", url, None, {})
            if response.status_code != 200:
                raise classify.from_http(response.status_code, f"WSDL/XSD fetch: {url}")
            if "html" in (response.headers.get("Content-Type") or "").lower():
                raise ProtocolError(f"{url} answered an HTML page instead of a WSDL/XSD")
            content = response.content
        elif scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
            content = self._read_local(url[7:] if scheme == "file" else url)
        else:
            raise ConfigurationError(f"Unsupported document location scheme {scheme!r}")
        root = parse_xml(content, max_bytes=self.settings.max_response_bytes)
        if etree.QName(root).localname not in ("definitions", "description", "schema"):
            raise ProtocolError(f"{url} is not a WSDL or XML schema document")
        return content

    def _read_local(self, path: str) -> bytes:
        real = os.path.realpath(os.path.expanduser(path))
        if not self.local_root or os.path.commonpath([real, self.local_root]) != self.local_root:
            raise ProtocolError(
                f"Refused to read the local file {path!r}: only the folder of a locally "
                "configured WSDL may be read"
            )
        with open(real, "rb") as handle:
            data = handle.read(self.settings.max_response_bytes + 1)
        if len(data) > self.settings.max_response_bytes:
            raise ProtocolError(f"{path} exceeds the size limit")
        return data

    # operations
    def post(self, address: str, message: bytes, headers: dict) -> requests.Response:
        _logger.debug("SOAP POST %s headers=%s", address, redact(dict(headers), self.secrets))
        response = self._send("POST", address, message, headers)
        body = response.content
        ctype = (response.headers.get("Content-Type") or "").lower()
        looks_xml = body.lstrip()[:1] == b"<" and "html" not in ctype
        # 500 is how SOAP 1.1 carries faults; other HTTP errors are transport-level answers
        if response.status_code not in (200, 500) or not looks_xml and response.status_code != 200:
            raise classify.from_http(
                response.status_code,
                f"SOAP endpoint answered HTTP {response.status_code}",
                retry_after=classify.retry_after_seconds(response.headers.get("Retry-After")),
            )
        if "html" in ctype or not looks_xml:
            raise ProtocolError(
                f"SOAP endpoint answered {ctype or 'no content type'} instead of XML",
                status=response.status_code,
            )
        root = parse_xml(body, max_bytes=self.settings.max_response_bytes)
        if (
            etree.QName(root).localname != "Envelope"
            or etree.QName(root).namespace not in SOAP_ENV_NS
        ):
            if response.status_code != 200:
                raise classify.from_http(response.status_code, "SOAP endpoint error without fault")
            raise ProtocolError("SOAP answer is not a SOAP envelope")
        return response

    def _send(self, method: str, url: str, data: bytes | None, headers: dict) -> requests.Response:
        self.check(url)
        try:
            response = self.session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=self.settings.timeout,
                verify=self.settings.verify,
                allow_redirects=False,
                stream=True,
            )
            with response:
                limit = self.settings.max_response_bytes
                response._content = read_capped(response, limit, "SOAP answer")
        except requests.RequestException as exc:
            raise classify.from_exception(exc, f"SOAP {method} {urlsplit(url).path}") from None
        if 300 <= response.status_code < 400:
            raise ProtocolError(f"Unexpected redirect (HTTP {response.status_code})")
        return response


class SoapClient:
    """:class:`~plant_sync.cmms.client.CmmsClient` over a WSDL-described SOAP service."""

    def __init__(self, config: SoapConfig) -> None:
        self.config = config
        local_root = "" if _is_url(config.wsdl) else os.path.dirname(os.path.abspath(config.wsdl))
        self.transport = GuardedTransport(config.http, local_root, secrets=(config.password,))
        self.settings = zeep.Settings(
            strict=config.strict,
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
            xml_huge_tree=False,
        )
        self.wsse = (
            UsernameToken(config.username, config.password, use_digest=config.use_digest)
            if config.username
            else None
        )
        self._services: dict[str, Any] = {}
        if config.endpoint:
            self.transport.check(config.endpoint)

    # --- CmmsClient ----------------------------------------------------------------------------
    def list_changed(self, since: datetime | None = None) -> Iterator[WorkOrder]:
        cfg = self.config
        template = cfg.query_changed_since if since is not None else (cfg.query_all or None)
        if template is None:
            raise ConfigurationError("SoapConfig.query_all is needed to list without 'since'")
        start = 0
        guard = cfg.http.page_guard(f"SOAP {cfg.query.name}")
        while True:
            values = {
                "since": format_datetime(since),
                "start": start,
                "page_size": cfg.page_size,
                "site": cfg.site_id,
            }
            result = self._invoke(cfg.query, fill_template(template, values))
            records = as_list(get_path(result, cfg.record_path))
            for record in records:
                yield self.to_workorder(record)
            start += len(records)
            total = get_path(result, cfg.total_path) if cfg.total_path else None
            if (
                not records
                or len(records) < cfg.page_size
                or (total is not None and start >= _count(total))
            ):
                return
            guard.next_page(len(records))

    def get(self, external_id: str) -> WorkOrder:
        values = {"id": external_id, "site": self.config.site_id, "start": 0, "page_size": 2}
        result = self._invoke(self.config.query, fill_template(self.config.query_by_id, values))
        records = as_list(get_path(result, self.config.record_path))
        if not records:
            raise NotFound(f"Work order {external_id} not found")
        return self.to_workorder(records[0])

    def create(self, workorder: WorkOrder) -> WorkOrder:
        request = set_path({}, self.config.create_path, [self.to_record(workorder)])
        result = self._invoke(self.config.create, request)
        new_id = (
            get_path(result, self.config.create_id_path) if self.config.create_id_path else None
        )
        new_id = str(new_id or workorder.external_id)
        if not new_id:
            raise ProtocolError("The create answer carries no id (check create_id_path)")
        return self.get(new_id)

    def update(self, workorder: WorkOrder, fields: Iterable[str] | None = None) -> WorkOrder:
        if not workorder.external_id:
            raise NotFound("No external id given")
        wanted = None if fields is None else {*fields, "external_id", "site"}
        request = set_path({}, self.config.update_path, [self.to_record(workorder, wanted)])
        self._invoke(self.config.update, request)
        return self.get(workorder.external_id)

    def ping(self) -> None:
        self._service(self.config.query)  # WSDL reachable and parseable
        values = {
            "id": "__plant_sync_ping__",
            "site": self.config.site_id,
            "start": 0,
            "page_size": 1,
        }
        self._invoke(self.config.query, fill_template(self.config.query_by_id, values))

    def close(self) -> None:
        self.transport.session.close()

    # --- mapping -------------------------------------------------------------------------------
    def to_workorder(self, record: Any) -> WorkOrder:
        cfg = self.config
        values: dict[str, Any] = {}
        for name, path in cfg.fields.items():
            value = get_path(record, path)
            if value is None:
                continue
            values[name] = field_value(name, value, path)
        if cfg.failure_path:
            kinds = {v.upper(): k for k, v in cfg.failure_types.items()}
            type_path = cfg.failure_fields.get("type", "TYPE")
            code_path = cfg.failure_fields.get("code", "")
            for row in as_list(get_path(record, cfg.failure_path)):
                kind = text_value(get_path(row, type_path) or "", type_path).upper()
                if kind in kinds:
                    values[kinds[kind]] = text_value(get_path(row, code_path) or "", code_path)
        if cfg.labour_path:
            lf = cfg.labour_fields

            def field(row: Any, key: str) -> Any:
                return get_path(row, lf.get(key, ""))

            values["labour"] = [
                LabourLine(
                    labour_code=text_value(field(row, "labour_code") or "", "labour_code"),
                    craft=text_value(field(row, "craft") or "", "craft"),
                    hours=hours_value(field(row, "hours"), "hours"),
                    start=date_value(field(row, "start"), "start"),
                    finish=date_value(field(row, "finish"), "finish"),
                )
                for row in as_list(get_path(record, cfg.labour_path))
            ]
        if not values.get("version") and values.get("changed_at"):
            values["version"] = format_datetime(values["changed_at"]) or ""
        return WorkOrder(**values)

    def to_record(self, wo: WorkOrder, wanted: set[str] | None = None) -> dict[str, Any]:
        cfg = self.config
        record: dict[str, Any] = dict(cfg.record_defaults)
        if cfg.site_id and "site" in cfg.fields and not wo.site:
            wo = wo.evolve(site=cfg.site_id)
        for name, path in cfg.fields.items():
            if name in ("changed_at", "version") or (wanted is not None and name not in wanted):
                continue
            value = getattr(wo, name)
            if value in (None, ""):
                continue
            set_path(record, path, value)
        if cfg.failure_path:
            rows = []
            for name, kind in cfg.failure_types.items():
                code = getattr(wo, name, "")
                if code and (wanted is None or name in wanted):
                    row: dict[str, Any] = {}
                    set_path(row, cfg.failure_fields.get("type", "TYPE"), kind)
                    set_path(row, cfg.failure_fields.get("code", "FAILURECODE"), code)
                    rows.append(row)
            if rows:
                set_path(record, cfg.failure_path, rows)
        if cfg.labour_path and wo.labour and (wanted is None or "labour" in wanted):
            lines = []
            for line in wo.labour:
                row = {}
                for key, path in cfg.labour_fields.items():
                    value = getattr(line, key)
                    if value not in (None, ""):
                        set_path(row, path, value)
                lines.append(row)
            set_path(record, cfg.labour_path, lines)
        return record

    # --- zeep plumbing -------------------------------------------------------------------------
    def _service(self, operation: SoapOperation) -> Any:
        wsdl = operation.wsdl or self.config.wsdl
        service = self._services.get(wsdl)
        if service is None:
            try:
                client = zeep.Client(
                    wsdl, transport=self.transport, settings=self.settings, wsse=self.wsse
                )
                if self.config.endpoint:
                    binding = self._binding_name(client)
                    service = client.create_service(binding, self.config.endpoint)
                elif self.config.service_name:
                    service = client.bind(self.config.service_name, self.config.port_name or None)
                else:
                    service = client.service
            except IntegrationError:
                raise
            except Exception as exc:  # zeep raises many types while loading a WSDL
                error = _zeep_error(exc, "Loading the WSDL")
                if isinstance(error, ValidationError):
                    error = ProtocolError(error.message)
                raise error from None
            self._services[wsdl] = service
        return service

    def _binding_name(self, client: zeep.Client) -> str:
        services = client.wsdl.services
        if not services:
            raise ConfigurationError("The WSDL declares no service")
        service = services.get(self.config.service_name) or next(iter(services.values()))
        ports = service.ports
        port = ports.get(self.config.port_name) or next(iter(ports.values()))
        return port.binding.name.text

    def _invoke(self, operation: SoapOperation, request: dict[str, Any]) -> Any:
        service = self._service(operation)
        headers = [self._header(name, value) for name, value in self.config.soap_headers.items()]
        try:
            method = getattr(service, operation.name)
        except AttributeError:
            raise ConfigurationError(f"The WSDL has no operation {operation.name!r}") from None
        try:
            result = method(**request, _soapheaders=headers or None)
        except IntegrationError:
            raise
        except zeep.exceptions.Fault as fault:
            raise classify.from_soap_fault(
                str(fault.message or ""), str(fault.code or ""), _fault_detail(fault.detail)
            ) from None
        except Exception as exc:
            raise _zeep_error(exc, f"SOAP {operation.name}") from None
        return serialize_object(result, dict)

    @staticmethod
    def _header(name: str, value: str) -> etree._Element:
        element = etree.Element(name)
        element.text = value
        return element


def _fault_detail(detail: Any) -> str:
    """A fault's detail as text: zeep gives an element, or the raw answer (bytes) when a
    non-200 answer carries no Fault element."""
    if detail is None:
        return ""
    if isinstance(detail, etree._Element):
        return etree.tostring(detail).decode()
    if isinstance(detail, bytes):
        return detail[:4000].decode("utf-8", "replace")
    return str(detail)


def _zeep_error(exc: Exception, what: str) -> IntegrationError:
    if isinstance(exc, zeep.exceptions.TransportError):
        return classify.from_http(exc.status_code or 502, f"{what}: {exc.message}")
    if isinstance(
        exc,
        (
            zeep.exceptions.DTDForbidden,
            zeep.exceptions.EntitiesForbidden,
            zeep.exceptions.ExternalReferenceForbidden,
            zeep.exceptions.XMLSyntaxError,
            etree.XMLSyntaxError,
        ),
    ):
        return ProtocolError(f"{what}: unsafe or malformed XML ({type(exc).__name__})")
    if isinstance(exc, zeep.exceptions.ValidationError):
        return ValidationError(f"{what}: {exc}")
    if isinstance(exc, (zeep.exceptions.LookupError, zeep.exceptions.WsdlSyntaxError)):
        return ConfigurationError(f"{what}: {exc}")
    if isinstance(exc, (TypeError, ValueError)):
        return ValidationError(f"{what}: {exc}")
    return ProtocolError(f"{what}: {type(exc).__name__}: {exc}")


def _count(value: Any) -> int:
    """A record count of a SOAP answer (``rsTotal``)."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise ProtocolError(f"SOAP answer with a record count of {value!r}"[:200]) from None


def _is_url(location: str) -> bool:
    return urlsplit(location).scheme.lower() in ("http", "https")


def maximo_mif_config(
    wsdl: str,
    *,
    object_structure: str = "MXWODETAIL",
    site_id: str = "",
    **overrides: Any,
) -> SoapConfig:
    """SoapConfig for a Maximo MIF object-structure service such as ``MXWODETAIL``
    (``/meaweb/services/MXWODETAIL?wsdl``)."""
    os_name = object_structure.upper()
    by_id: dict[str, Any] = {"WONUM": [{"_value_1": "{id}", "operator": "="}]}
    changed: dict[str, Any] = {"CHANGEDATE": [{"_value_1": "{since}", "operator": ">="}]}
    everything: dict[str, Any] = {}
    if site_id:
        site = [{"_value_1": site_id, "operator": "="}]
        for clause in (by_id, changed, everything):
            clause["SITEID"] = site
    paging = {"maxItems": "{page_size}", "rsStart": "{start}"}
    settings: dict[str, Any] = {
        "wsdl": wsdl,
        "query": SoapOperation(f"Query{os_name}"),
        "create": SoapOperation(f"Create{os_name}"),
        "update": SoapOperation(f"Update{os_name}"),
        "record_path": f"{os_name}Set.WORKORDER",
        "create_path": f"{os_name}Set.WORKORDER",
        "update_path": f"{os_name}Set.WORKORDER",
        "create_id_path": "WORKORDERMboKeySet.WORKORDER.0.WONUM",
        "total_path": "rsTotal",
        "fields": {
            "external_id": "WONUM",
            "title": "DESCRIPTION",
            "description": "DESCRIPTION_LONGDESCRIPTION",
            "asset_id": "ASSETNUM",
            "location": "LOCATION",
            "site": "SITEID",
            "status": "STATUS",
            "priority": "WOPRIORITY",
            "work_type": "WORKTYPE",
            "failure_class": "FAILURECODE",
            "problem_code": "PROBLEMCODE",
            "downtime_start": "ACTSTART",
            "downtime_end": "ACTFINISH",
            "reported_at": "REPORTDATE",
            "target_start": "TARGSTARTDATE",
            "target_finish": "TARGCOMPDATE",
            "changed_at": "CHANGEDATE",
        },
        "query_by_id": {f"{os_name}Query": {"WORKORDER": by_id}, "maxItems": 2},
        "query_changed_since": {f"{os_name}Query": {"WORKORDER": changed}, **paging},
        "query_all": {f"{os_name}Query": {"WORKORDER": everything}, **paging},
        "labour_path": "LABTRANS",
        "labour_fields": {
            "labour_code": "LABORCODE",
            "craft": "CRAFT",
            "hours": "REGULARHRS",
            "start": "STARTDATETIME",
            "finish": "FINISHDATETIME",
        },
        "failure_path": "FAILUREREPORT",
        "failure_fields": {"type": "TYPE", "code": "FAILURECODE"},
        "failure_types": {"cause_code": "CAUSE", "remedy_code": "REMEDY"},
        "site_id": site_id,
    }
    settings.update(overrides)
    return SoapConfig(**settings)
