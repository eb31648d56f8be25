"""Generic REST face of the simulator (``/rest/api/v1``), a JSON:API-like CMMS API used to test
the configuration-only REST client. Same rows as the Maximo and SOAP faces.

* Auth: ``X-Api-Key`` header. Optional Fiix-style signing: when the simulator has a
  ``rest_signing_secret``, every request must carry ``Authorization: base64(HMAC-SHA256(secret,
  raw body))``.
* ``GET /workorders``: filters ``updated_since`` (>=) and ``status``; paging by ``page`` +
  ``per_page``, ``offset`` + ``limit`` or ``cursor`` (+ ``per_page``); every answer has
  ``meta.next_cursor``, ``links.next`` and a ``Link: <...>; rel="next"`` header while more
  records follow.
* ``GET/PATCH /workorders/<id>`` (``ETag``/``If-Match`` -> 412), ``POST /workorders`` (201).
* Errors: ``{"error": {"code": ..., "message": ...}}``; a record lock answers 423.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from .faults import Faults
from .store import CmmsStore, StoreError, normalize_date

#: How a generic REST backend reads this API's work orders (``RestConfig.field_map``); the
#: tests and the Odoo addon configure their REST backends with it.
REST_FIELD_MAP = {
    "external_id": "id",
    "title": "attributes.name",
    "description": "attributes.description",
    "status": "attributes.status.code",
    "priority": "attributes.priority",
    "work_type": "attributes.work_type",
    "asset_id": "attributes.asset.id",
    "location": "attributes.location.code",
    "site": "attributes.site",
    "failure_class": "attributes.failure.class",
    "problem_code": "attributes.failure.problem",
    "cause_code": "attributes.failure.cause",
    "remedy_code": "attributes.failure.remedy",
    "downtime_start": "attributes.downtime.start",
    "downtime_end": "attributes.downtime.end",
    "reported_at": "attributes.reported_at",
    "target_start": "attributes.target.start",
    "target_finish": "attributes.target.finish",
    "changed_at": "attributes.updated_at",
    "version": "meta.version",
}

# REST path -> lean Maximo attribute
REST_FIELDS = {
    "attributes.name": "description",
    "attributes.description": "description_longdescription",
    "attributes.status.code": "status",
    "attributes.priority": "wopriority",
    "attributes.work_type": "worktype",
    "attributes.asset.id": "assetnum",
    "attributes.location.code": "location",
    "attributes.site": "siteid",
    "attributes.failure.class": "failurecode",
    "attributes.failure.problem": "problemcode",
    "attributes.downtime.start": "actstart",
    "attributes.downtime.end": "actfinish",
    "attributes.reported_at": "reportdate",
    "attributes.target.start": "targstartdate",
    "attributes.target.finish": "targcompdate",
    "attributes.updated_at": "changedate",
}
LABOUR_FIELDS = {
    "code": "laborcode",
    "craft": "craft",
    "hours": "regularhrs",
    "start": "startdatetime",
    "finish": "finishdatetime",
}


def rest_error(status: int, code: str, message: str) -> Response:
    body = json.dumps({"error": {"code": code, "message": message}})
    return Response(body, status=status, content_type="application/json")


def _put(target: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _take(source: dict, path: str) -> tuple[bool, Any]:
    current: Any = source
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return False, None
        current = current[part]
    return True, current


def to_rest(row: dict) -> dict:
    record: dict[str, Any] = {"id": row["wonum"], "type": "workorder"}
    for path, attr in REST_FIELDS.items():
        if row.get(attr) not in (None, ""):
            _put(record, path, row[attr])
    failures = {r.get("type"): r.get("failurecode") for r in row.get("failurereport") or []}
    if failures.get("CAUSE"):
        _put(record, "attributes.failure.cause", failures["CAUSE"])
    if failures.get("REMEDY"):
        _put(record, "attributes.failure.remedy", failures["REMEDY"])
    record.setdefault("attributes", {})["labour"] = [
        {k: r.get(v) for k, v in LABOUR_FIELDS.items() if r.get(v) is not None}
        for r in row.get("labtrans") or []
    ]
    record["meta"] = {"version": row["_rowstamp"]}
    return record


def from_rest(record: dict) -> dict:
    values: dict[str, Any] = {}
    for path, attr in REST_FIELDS.items():
        found, value = _take(record, path)
        if found and attr != "changedate":
            values[attr] = value
    failures = []
    for kind in ("cause", "remedy"):
        found, value = _take(record, f"attributes.failure.{kind}")
        if found and value:
            failures.append({"type": kind.upper(), "failurecode": value})
    if failures:
        values["failurereport"] = failures
    found, labour = _take(record, "attributes.labour")
    if found and labour:
        values["labtrans"] = [
            {attr: line.get(key) for key, attr in LABOUR_FIELDS.items() if key in line}
            for line in labour
        ]
    if record.get("id"):
        values["wonum"] = str(record["id"])
    return values


class RestApp:
    def __init__(
        self,
        store: CmmsStore,
        faults: Faults,
        api_key: str,
        signing_secret: str = "",
        page_size: int = 50,
    ) -> None:
        self.store = store
        self.faults = faults
        self.api_key = api_key
        self.signing_secret = signing_secret
        self.page_size = page_size

    def __call__(self, request: Request, parts: list[str]) -> Response:
        # parts: ["rest", "api", "v1", "workorders", <id>?]
        if request.headers.get("X-Api-Key") != self.api_key:
            return rest_error(401, "UNAUTHORIZED", "Missing or wrong API key")
        if self.signing_secret and not self._signature_ok(request):
            return rest_error(401, "BAD_SIGNATURE", "Request signature does not match the body")
        if len(parts) < 4 or parts[3] != "workorders":
            return rest_error(404, "NOT_FOUND", "Unknown resource")
        try:
            if len(parts) == 4 and request.method == "GET":
                return self.list(request)
            if len(parts) == 4 and request.method == "POST":
                return self.create(request)
            if len(parts) == 5 and request.method == "GET":
                return self.get(parts[4])
            if len(parts) == 5 and request.method in ("PATCH", "PUT"):
                return self.patch(request, parts[4])
            return rest_error(405, "METHOD_NOT_ALLOWED", f"{request.method} not allowed")
        except StoreError as exc:
            codes = {404: "NOT_FOUND", 412: "STALE_VERSION"}
            return rest_error(exc.status, codes.get(exc.status, "INVALID"), exc.message)

    def _signature_ok(self, request: Request) -> bool:
        expected = hmac.new(
            self.signing_secret.encode(), request.get_data(), hashlib.sha256
        ).digest()
        try:
            offered = base64.b64decode(request.headers.get("Authorization", ""), validate=True)
        except (ValueError, binascii.Error):
            return False
        return hmac.compare_digest(expected, offered)

    def list(self, request: Request) -> Response:
        args = request.args
        since = args.get("updated_since")
        status = args.get("status")
        try:
            since_iso = normalize_date(since) if since else None
            per_page = int(args.get("per_page") or args.get("limit") or self.page_size)
            if args.get("cursor"):
                offset = int(base64.urlsafe_b64decode(args["cursor"].encode()).decode())
            elif args.get("offset"):
                offset = int(args["offset"])
            else:
                offset = (max(1, int(args.get("page") or 1)) - 1) * per_page
        except (ValueError, binascii.Error, StoreError):
            return rest_error(400, "BAD_QUERY", "Invalid paging or filter parameter")

        def keep(row: dict) -> bool:
            if status and row.get("status") != status:
                return False
            if not since_iso:
                return True
            return datetime.fromisoformat(row["changedate"]) >= datetime.fromisoformat(since_iso)

        rows = self.store.workorders(keep)
        chunk = rows[offset : offset + per_page]
        next_offset = offset + len(chunk)
        more = next_offset < len(rows)
        cursor = base64.urlsafe_b64encode(str(next_offset).encode()).decode() if more else None
        meta = {
            "total": len(rows),
            "per_page": per_page,
            "page": offset // per_page + 1 if per_page else 1,
            "next_cursor": cursor,
        }
        links: dict[str, Any] = {"next": None}
        headers = {}
        if more:
            query = {
                k: v for k, v in args.items() if k not in ("page", "offset", "cursor", "limit")
            }
            query.update(cursor=cursor, per_page=per_page)
            links["next"] = f"{request.base_url}?{urlencode(query)}"
            headers["Link"] = f'<{links["next"]}>; rel="next"'
        body = {"data": [to_rest(r) for r in chunk], "meta": meta, "links": links}
        return Response(json.dumps(body), content_type="application/json", headers=headers)

    def _single(self, row: dict, status: int = 200) -> Response:
        response = Response(
            json.dumps({"data": to_rest(row)}), status=status, content_type="application/json"
        )
        response.headers["ETag"] = row["_rowstamp"]
        return response

    def _payload(self, request: Request) -> dict:
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            raise StoreError("Request body is not valid JSON") from None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise StoreError('Request body must be {"data": {...}}')
        return data

    def get(self, wonum: str) -> Response:
        row = self.store.workorder(wonum)
        if row is None:
            return rest_error(404, "NOT_FOUND", f"Work order {wonum} not found")
        return self._single(row)

    def create(self, request: Request) -> Response:
        values = from_rest(self._payload(request))
        if self.faults.lock_now("rest"):
            return rest_error(423, "LOCKED", "The record is locked by another user")
        return self._single(self.store.create_workorder(values), status=201)

    def patch(self, request: Request, wonum: str) -> Response:
        row = self.store.workorder(wonum)
        if row is None:
            return rest_error(404, "NOT_FOUND", f"Work order {wonum} not found")
        if self.faults.lock_now("rest"):
            return rest_error(423, "LOCKED", "The record is locked by another user")
        if_match = (request.headers.get("If-Match") or "").removeprefix("W/").strip('"') or None
        values = from_rest(self._payload(request))
        values.pop("wonum", None)
        row = self.store.update_workorder(wonum, values, siteid=row["siteid"], if_rowstamp=if_match)
        return self._single(row)
