"""Generic REST client: a Fiix/UpKeep/Limble-style JSON API described by :class:`RestConfig`
(paths, auth, signing, pagination, dotted-path field mapping) instead of code."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import NotFound, ProtocolError
from . import errors as classify
from .config import RestConfig
from .http import GuardedSession, HttpResponse, decode_json, error_json, json_headers
from .mapping import as_list, get_path, set_path
from .signing import RequestSigner, make_signer
from .workorder import (
    DATE_FIELDS,
    LabourLine,
    WorkOrder,
    date_value,
    field_value,
    format_datetime,
    hours_value,
    text_value,
)

LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)
LABOUR_KEYS = ("labour_code", "craft", "hours", "start", "finish")
READ_ONLY = frozenset({"changed_at", "version"})


class RestClient:
    """:class:`~plant_sync.cmms.client.CmmsClient` for a configured JSON REST API."""

    def __init__(self, config: RestConfig, signer: RequestSigner | None = None) -> None:
        self.config = config
        auth = config.auth
        secrets = (auth.token, auth.password, config.signing.secret if config.signing else "")
        self.http = GuardedSession(config.base_url, config.http, secrets=secrets)
        self.signer = signer or make_signer(config.signing)

    # --- CmmsClient ----------------------------------------------------------------------------
    def list_changed(self, since: datetime | None = None) -> Iterator[WorkOrder]:
        cfg, pag = self.config, self.config.pagination
        base: dict[str, Any] = {}
        if since is not None and cfg.since_param:
            base[cfg.since_param] = format_datetime(since)
        target: str | None = cfg.list_path
        page, offset, cursor = pag.first_page, 0, None
        guard = cfg.http.page_guard(f"REST {cfg.list_path}")
        while target:
            params = dict(base)
            if pag.style == "page":
                params.update({pag.page_param: page, pag.size_param: pag.page_size})
            elif pag.style == "offset":
                params.update({pag.offset_param: offset, pag.limit_param: pag.page_size})
            elif pag.style == "next_link" and target == cfg.list_path:
                params[pag.size_param] = pag.page_size  # first page; links carry the rest
            elif pag.style == "cursor":
                params[pag.size_param] = pag.page_size
                if cursor:
                    params[pag.cursor_param] = cursor
            response = self._call("GET", target, params=params or None)
            body = decode_json(response)
            items = get_path(body, cfg.items_path) if cfg.items_path else body
            if not isinstance(items, list):
                raise ProtocolError(f"List answer has no list at {cfg.items_path!r}")
            for item in items:
                yield self.to_workorder(item)
            target = None
            if pag.style == "page" and len(items) >= pag.page_size:
                guard.next_page(len(items))
                page, target = page + 1, cfg.list_path
            elif pag.style == "offset" and len(items) >= pag.page_size:
                guard.next_page(len(items))
                offset, target = offset + len(items), cfg.list_path
            elif pag.style == "cursor":
                cursor = get_path(body, pag.cursor_path)
                if cursor and items:
                    cursor = text_value(cursor, pag.cursor_path)
                    guard.next_page(len(items), cursor)
                    target = cfg.list_path
            elif pag.style == "next_link":
                link = self._next_link(body, response)
                if link:
                    guard.next_page(len(items), link)
                    target, base = link, {}  # the link carries the query

    def get(self, external_id: str) -> WorkOrder:
        response = self._call("GET", self._path(self.config.get_path, external_id))
        return self._single(response)

    def create(self, workorder: WorkOrder) -> WorkOrder:
        body = self.to_payload(workorder)
        response = self._call("POST", self.config.create_path, body=body)
        if not response.body.strip() and response.headers.get("Location"):
            response = self._call("GET", response.headers["Location"])
        return self._single(response)

    def update(self, workorder: WorkOrder, fields: Iterable[str] | None = None) -> WorkOrder:
        headers = {}
        if self.config.if_match and workorder.version:
            headers["If-Match"] = workorder.version
        body = self.to_payload(workorder, fields=fields)
        target = workorder.ref or self._path(self.config.update_path, workorder.external_id)
        response = self._call(self.config.update_method, target, headers=headers, body=body)
        if not response.body.strip():
            return self.get(workorder.external_id)
        return self._single(response)

    def ping(self) -> None:
        pag = self.config.pagination
        params = {pag.size_param: 1} if pag.style in ("page", "cursor") else None
        if pag.style == "offset":
            params = {pag.limit_param: 1}
        self._call("GET", self.config.ping_path or self.config.list_path, params=params)

    def close(self) -> None:
        self.http.close()

    # --- mapping -------------------------------------------------------------------------------
    def to_workorder(self, record: Any) -> WorkOrder:
        values: dict[str, Any] = {}
        for name, path in self.config.field_map.items():
            value = get_path(record, path)
            if value is None or name in ("labour", "extra"):
                continue
            values[name] = field_value(name, value, path)
        if self.config.labour_path:
            values["labour"] = [
                self._labour_line(row) for row in as_list(get_path(record, self.config.labour_path))
            ]
        if not values.get("external_id"):
            raise ProtocolError("A record without an id in the configured external_id path")
        return WorkOrder(**values)

    def to_payload(self, wo: WorkOrder, fields: Iterable[str] | None = None) -> dict[str, Any]:
        wanted = set(fields) if fields is not None else None
        record: dict[str, Any] = {}
        for key, value in self.config.static_fields.items():
            set_path(record, key, value)
        for name, path in self.config.field_map.items():
            if name in READ_ONLY or name in ("labour", "extra"):
                continue
            if wanted is not None and name not in wanted:
                continue
            value = getattr(wo, name)
            if name in DATE_FIELDS:
                value = format_datetime(value)
            if value in (None, "") and wanted is None:
                continue
            set_path(record, path, value)
        if self.config.labour_path and wo.labour and (wanted is None or "labour" in wanted):
            rows = []
            for line in wo.labour:
                row: dict[str, Any] = {}
                for key, path in self.config.labour_fields.items():
                    value = getattr(line, key)
                    set_path(
                        row, path, format_datetime(value) if key in ("start", "finish") else value
                    )
                rows.append(row)
            set_path(record, self.config.labour_path, rows)
        return {self.config.body_wrapper: record} if self.config.body_wrapper else record

    def _labour_line(self, row: Any) -> LabourLine:
        values = {
            k: get_path(row, p) for k, p in self.config.labour_fields.items() if k in LABOUR_KEYS
        }
        return LabourLine(
            labour_code=text_value(values.get("labour_code") or "", "labour_code"),
            craft=text_value(values.get("craft") or "", "craft"),
            hours=hours_value(values.get("hours"), "hours"),
            start=date_value(values.get("start"), "start"),
            finish=date_value(values.get("finish"), "finish"),
        )

    # --- plumbing ------------------------------------------------------------------------------
    def _path(self, template: str, external_id: str) -> str:
        if not external_id:
            raise NotFound("No external id given")
        return template.replace("{id}", quote(str(external_id), safe=""))

    def _single(self, response: HttpResponse) -> WorkOrder:
        body = decode_json(response)
        record = get_path(body, self.config.item_path) if self.config.item_path else body
        if not isinstance(record, dict):
            raise ProtocolError(f"Answer has no record at {self.config.item_path!r}")
        wo = self.to_workorder(record)
        if not wo.version and self.config.version_header:
            wo.version = response.headers.get(self.config.version_header, "") or ""
        return wo

    def _next_link(self, body: Any, response: HttpResponse) -> str | None:
        path = self.config.pagination.next_link_path
        if path.lower() == "header:link":
            match = LINK_NEXT.search(response.headers.get("Link", ""))
            return match.group(1) if match else None
        link = get_path(body, path)
        return text_value(link, path) if link else None

    def _auth_headers(self) -> dict[str, str]:
        auth = self.config.auth
        if auth.kind == "api_key":
            return {auth.header: auth.token}
        if auth.kind == "bearer":
            return {"Authorization": f"Bearer {auth.token}"}
        if auth.kind == "basic":
            token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        return {}

    def _call(
        self,
        method: str,
        target: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> HttpResponse:
        url = self.http.url(target)
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        data = json.dumps(body).encode() if body is not None else b""
        all_headers = json_headers(self._auth_headers(), headers, with_body=body is not None)
        if self.signer is not None:
            all_headers.update(self.signer.sign(method, url, data))
        response = self.http.request(method, url, headers=all_headers, data=data or None)
        if response.status >= 400:
            error_body = error_json(response)
            message = _first(
                error_body, "error.message", "message", "errors.0.detail", "errors.0.title", "error"
            )
            code = _first(error_body, "error.code", "code", "errors.0.code")
            raise classify.from_http(
                response.status,
                str(message or f"HTTP {response.status} from {method} {target}"),
                code=str(code or ""),
                retry_after=classify.retry_after_seconds(response.headers.get("Retry-After")),
                payload=error_body,
            )
        return response


def _first(body: Any, *paths: str) -> Any:
    for path in paths:
        value = get_path(body, path)
        if value not in (None, "") and not isinstance(value, (dict, list)):
            return value
    return None
