"""IBM Maximo JSON API client (object structures ``mxapiwodetail`` and ``mxapiasset``).

Follows IBM's Maximo REST/JSON API documentation (Maximo REST API Guide, "Authentication",
"Filtering", "Sorting and paging", "Create and update resources"; Maximo JSON API - CRUD,
"Rowstamp"):

* ``GET <root>/api/os/<os>?lean=1&oslc.select=...&oslc.where=...&oslc.pageSize=N``; the answer
  is ``{"member": [...], "responseInfo": {"nextPage": {"href": ...}}}`` and the next page is
  fetched by following ``nextPage.href`` (only when the caller iterates that far).
* ``oslc.where`` syntax: ``changedate>="2024-05-01T08:00:00+00:00" and siteid="BEDFORD"``
  (strings and ISO dates in double quotes).
* Create: ``POST <collection>`` with header ``properties`` (oslc.select syntax) so the answer
  carries the created record. Update: ``POST <member href>`` with ``x-method-override: PATCH``,
  ``patchtype: MERGE`` (child rows matched and merged, never deleted) and ``properties``.
* Optimistic concurrency: every record carries ``_rowstamp``; sending it as ``If-Match`` makes the
  update fail with HTTP 412 when someone changed the record since we read it.
* Authentication: ``apikey`` header, ``maxauth: base64(user:password)`` (native) or
  ``Authorization: Basic`` (application server security).
* Errors: ``{"Error": {"reasonCode": "BMXAA...", "message": ..., "statusCode": ...}}``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from ..errors import NotFound, ProtocolError, ValidationError
from . import errors as classify
from .config import MaximoConfig
from .http import GuardedSession, HttpResponse, decode_json, error_json, json_headers
from .workorder import (
    DATE_FIELDS,
    LabourLine,
    WorkOrder,
    date_value,
    field_value,
    format_datetime,
    hours_value,
    rows_value,
    text_value,
)

LABTRANS_SELECT = "labtrans{laborcode,craft,regularhrs,startdatetime,finishdatetime}"
FAILUREREPORT_SELECT = "failurereport{type,failurecode}"


class MaximoClient:
    """:class:`~plant_sync.cmms.client.CmmsClient` for the Maximo JSON API."""

    def __init__(self, config: MaximoConfig) -> None:
        self.config = config
        # the derived maxauth/Basic token is a credential too: scrubbed from anything logged
        self.http = GuardedSession(
            config.base_url,
            config.http,
            secrets=(config.api_key, config.password, *self._auth_headers().values()),
        )
        self._fields = {k: v for k, v in config.field_map.items() if v}
        if "external_id" not in self._fields:
            raise ValidationError("Maximo field_map needs 'external_id' (wonum)")

    # --- CmmsClient ----------------------------------------------------------------------------
    def list_changed(self, since: datetime | None = None) -> Iterator[WorkOrder]:
        clauses = []
        if since is not None:
            changed = self._fields.get("changed_at", "changedate")
            clauses.append(f'{changed}{self.config.delta_operator}"{format_datetime(since)}"')
        params = self._query_params(clauses)
        params["oslc.orderBy"] = f"+{self._fields.get('changed_at', 'changedate')}"
        for record in self._iter_members(self.config.workorder_os, params):
            yield self.to_workorder(record)

    def get(self, external_id: str) -> WorkOrder:
        record = self._find(external_id)
        if record is None:
            raise NotFound(f"Maximo work order {external_id} not found")
        return self.to_workorder(record)

    def create(self, workorder: WorkOrder) -> WorkOrder:
        body = self.to_maximo(workorder)
        if self.config.site_id:
            body.setdefault(self._fields.get("site", "siteid"), self.config.site_id)
        response = self._call(
            "POST",
            self._collection(self.config.workorder_os),
            params={"lean": "1"},
            headers={"properties": self._select()},
            body=body,
        )
        return self.to_workorder(self._record_of(response))

    def update(self, workorder: WorkOrder, fields: Iterable[str] | None = None) -> WorkOrder:
        href = workorder.ref
        if not href:
            current = self._find(workorder.external_id)
            if current is None:
                raise NotFound(f"Maximo work order {workorder.external_id} not found")
            href = text_value(current.get("href") or "", "href")
            if not href:
                raise ProtocolError("Maximo answered a work order without its 'href'")
        headers = {
            "x-method-override": "PATCH",
            "patchtype": "MERGE",
            "properties": self._select(),
        }
        if workorder.version:
            headers["If-Match"] = workorder.version
        body = self.to_maximo(workorder, fields=fields)
        for key in (self._fields["external_id"], self._fields.get("site", "siteid")):
            body.pop(key, None)  # key attributes are not updatable
        response = self._call("POST", href, params={"lean": "1"}, headers=headers, body=body)
        return self.to_workorder(self._record_of(response))

    def ping(self) -> None:
        params = {"lean": "1", "oslc.select": self._fields["external_id"], "oslc.pageSize": "1"}
        self._call("GET", self._collection(self.config.workorder_os), params=params)

    def close(self) -> None:
        self.http.close()

    # --- assets (mxapiasset) -------------------------------------------------------------------
    def iter_assets(self, since: datetime | None = None, select: str = "*") -> Iterator[dict]:
        """Raw lean asset records (``assetnum``, ``description``, ``location``, ``status``...)."""
        clauses = (
            [f'changedate{self.config.delta_operator}"{format_datetime(since)}"'] if since else []
        )
        params = self._query_params(clauses, select=select)
        yield from self._iter_members(self.config.asset_os, params)

    def get_asset(self, assetnum: str) -> dict:
        clauses = [f'assetnum="{_quote(assetnum)}"']
        params = self._query_params(clauses, select="*")
        params["oslc.pageSize"] = "2"
        for record in self._iter_members(self.config.asset_os, params):
            return record
        raise NotFound(f"Maximo asset {assetnum} not found")

    # --- mapping -------------------------------------------------------------------------------
    def to_workorder(self, record: dict[str, Any]) -> WorkOrder:
        values: dict[str, Any] = {}
        for name, attr in self._fields.items():
            value = record.get(attr)
            if value is None:
                continue
            values[name] = field_value(name, value, attr)
        for row in rows_value(record.get("failurereport"), "failurereport"):
            kind = text_value(row.get("type") or "", "type").upper()
            code = text_value(row.get("failurecode") or "", "failurecode")
            if kind == "CAUSE":
                values["cause_code"] = code
            elif kind == "REMEDY":
                values["remedy_code"] = code
            elif kind == "PROBLEM":
                values.setdefault("problem_code", code)
        values["labour"] = [
            LabourLine(
                labour_code=text_value(row.get("laborcode") or "", "laborcode"),
                craft=text_value(row.get("craft") or "", "craft"),
                hours=hours_value(row.get("regularhrs"), "regularhrs"),
                start=date_value(row.get("startdatetime"), "startdatetime"),
                finish=date_value(row.get("finishdatetime"), "finishdatetime"),
            )
            for row in rows_value(record.get("labtrans"), "labtrans")
        ]
        rowstamp = record.get("_rowstamp")
        values["version"] = "" if rowstamp is None else text_value(rowstamp, "_rowstamp")
        values["ref"] = text_value(record.get("href") or "", "href")
        if "workorderid" in record:
            values["extra"] = {"workorderid": record["workorderid"]}
        return WorkOrder(**values)

    def to_maximo(self, wo: WorkOrder, fields: Iterable[str] | None = None) -> dict[str, Any]:
        wanted = set(fields) if fields is not None else None
        body: dict[str, Any] = {}
        for name, attr in self._fields.items():
            if name == "changed_at" or (wanted is not None and name not in wanted):
                continue
            value = getattr(wo, name)
            if name in DATE_FIELDS:
                value = format_datetime(value)
            if value in (None, "") and wanted is None:
                continue
            body[attr] = value
        failures = []
        for name, kind in (("cause_code", "CAUSE"), ("remedy_code", "REMEDY")):
            if (wanted is None or name in wanted) and getattr(wo, name):
                failures.append({"type": kind, "failurecode": getattr(wo, name)})
        if failures:
            body["failurereport"] = failures
        if wo.labour and (wanted is None or "labour" in wanted):
            body["labtrans"] = [
                {
                    "laborcode": line.labour_code,
                    "craft": line.craft,
                    "regularhrs": line.hours,
                    "startdatetime": format_datetime(line.start),
                    "finishdatetime": format_datetime(line.finish),
                }
                for line in wo.labour
            ]
        return body

    # --- plumbing ------------------------------------------------------------------------------
    def _select(self) -> str:
        attrs = sorted(set(self._fields.values()))
        return ",".join([*attrs, LABTRANS_SELECT, FAILUREREPORT_SELECT])

    def _collection(self, object_structure: str) -> str:
        return f"{self.config.api_route}/os/{object_structure}"

    def _query_params(self, clauses: list[str], select: str | None = None) -> dict[str, str]:
        if self.config.site_id:
            clauses = [*clauses, f'siteid="{_quote(self.config.site_id)}"']
        if self.config.extra_where:
            clauses = [*clauses, self.config.extra_where]
        params = {
            "lean": "1",
            "oslc.select": select or self._select(),
            "oslc.pageSize": str(self.config.page_size),
        }
        if clauses:
            params["oslc.where"] = " and ".join(clauses)
        return params

    def _find(self, external_id: str) -> dict[str, Any] | None:
        params = self._query_params([f'{self._fields["external_id"]}="{_quote(external_id)}"'])
        params["oslc.pageSize"] = "2"
        for record in self._iter_members(self.config.workorder_os, params):
            return record
        return None

    def _iter_members(self, object_structure: str, params: dict[str, str]) -> Iterator[dict]:
        url: str | None = self._collection(object_structure)
        query: dict[str, str] | None = params
        guard = self.config.http.page_guard(f"Maximo {object_structure}")
        while url:
            body = decode_json(self._call("GET", url, params=query))
            if not isinstance(body, dict) or not isinstance(body.get("member", []), list):
                raise ProtocolError("Maximo collection answer without a 'member' list")
            members = body.get("member", [])
            if not all(isinstance(member, dict) for member in members):
                raise ProtocolError("Maximo collection answer with a member that is no record")
            yield from members
            next_page = _next_page(body)
            if next_page:
                guard.next_page(len(members), next_page)
            url, query = next_page, None  # nextPage.href carries every query parameter

    def _auth_headers(self) -> dict[str, str]:
        cfg = self.config
        if cfg.auth == "apikey":
            return {"apikey": cfg.api_key}
        token = base64.b64encode(f"{cfg.username}:{cfg.password}".encode()).decode()
        if cfg.auth == "maxauth":
            return {"maxauth": token}
        return {"Authorization": f"Basic {token}"}

    def _call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> HttpResponse:
        all_headers = json_headers(self._auth_headers(), headers, with_body=body is not None)
        data = None if body is None else json.dumps(body).encode()
        response = self.http.request(method, url, params=params, headers=all_headers, data=data)
        if response.status >= 400:
            retry_after = classify.retry_after_seconds(response.headers.get("Retry-After"))
            raise classify.from_maximo_json(response.status, error_json(response), retry_after)
        return response

    def _record_of(self, response: HttpResponse) -> dict[str, Any]:
        record = decode_json(response)
        if not isinstance(record, dict):
            raise ProtocolError("Maximo answered a create/update with no record")
        return record


def _next_page(body: dict[str, Any]) -> str | None:
    """``responseInfo.nextPage.href`` of a collection answer (None on the last page)."""
    info = body.get("responseInfo") or {}
    page = (info.get("nextPage") or {}) if isinstance(info, dict) else None
    href = page.get("href") if isinstance(page, dict) else None
    if not isinstance(page, dict) or not isinstance(href, (str, type(None))):
        raise ProtocolError("Maximo 'responseInfo.nextPage.href' is not a link")
    return href or None


def _quote(value: str) -> str:
    """A value for an oslc.where string literal. Double quotes cannot be escaped in that syntax,
    so they are refused rather than allowed to change the query."""
    value = str(value)
    if '"' in value:
        raise ValidationError(f"Value {value!r} contains a double quote; not allowed in a query")
    return value
