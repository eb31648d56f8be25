"""SAP Gateway OData v2 over one pooled ``requests.Session``.

:class:`SapHttp` is the transport of one backend (auth, CSRF tokens, cookies, limits,
correlation header, SSRF check); :class:`ODataService` addresses one service root
(``/sap/opu/odata/sap/<SERVICE>/``) and offers entity reads, streamed server-driven paging,
delta pulls by ``LastChangeDateTime``, creates, ETag-guarded updates, function imports and
``$batch`` (see :mod:`.batch`).

Protocol facts followed (shared/reference/README.md, SAP Gateway): CSRF token fetched with a GET
carrying ``X-CSRF-Token: Fetch``; a modifying request answered 403 with ``x-csrf-token:
Required`` gets one transparent re-fetch; JSON wrapped in ``{"d": ...}``; paging via ``__next``
with ``$skiptoken``; ETag from the header or ``__metadata.etag``; errors as SAP error JSON.

One attempt per call: a failure is raised as a typed error at once. The only repeated exchanges
are protocol steps (the CSRF re-fetch above, a new OAuth2 token after a 401); retries with
back-off belong to the ops layer (:mod:`plant_sync.sap.idempotent`), which re-checks SAP before
repeating anything that writes.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import requests

from ...crypto import redact
from ...errors import ConfigurationError, ProtocolError
from ...httpbody import parse_json, read_capped
from ...paging import PageGuard
from ...safexml import parse_xml
from ...urlguard import LINK_STRIP, AddressPolicy, check_url, guard_session, same_origin
from ..classify import classify_transport
from ..config import SapConnectionConfig
from ..correlation import current_correlation_id
from ..models import DeltaPage
from .auth import OAuth2ClientCredentials, make_auth
from .errors import error_from_response
from .query import and_, key_predicate, literal, parse_datetime

log = logging.getLogger("plant_sync.sap.odata")

MODIFYING = frozenset({"POST", "PUT", "PATCH", "MERGE", "DELETE"})


@dataclass
class HttpResult:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str = ""

    @property
    def etag(self) -> str:
        return self.headers.get("ETag", "") or ""


@dataclass
class Entity:
    """One OData entity: its properties and its ETag (for If-Match on update)."""

    data: dict[str, Any]
    etag: str = ""

    def __getitem__(self, name: str) -> Any:
        return self.data[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)


class SapHttp:
    """HTTP transport of one SAP backend; thread-safe, one connection pool."""

    def __init__(self, config: SapConnectionConfig) -> None:
        self.config = config.validate()
        self.base_url = config.base_url.rstrip("/")
        self._check(self.base_url)
        if config.auth == "oauth2":
            self._check(config.oauth_token_url)
        # the adapter checks the address each connection reached (DNS rebinding), for the
        # OData calls and the OAuth2 token requests alike
        self.session = guard_session(
            requests.Session(),
            AddressPolicy.of(config.loopback_hosts),
            pool_connections=2,
            pool_maxsize=max(1, config.pool_size),
            max_retries=0,
        )
        self.session.verify = config.verify
        self.session.trust_env = False  # no proxy/netrc surprises from the environment
        self.auth = make_auth(config, self.session)
        self.timeout = (config.connect_timeout, config.read_timeout)
        self._csrf: dict[str, str] = {}
        self._csrf_lock = threading.Lock()
        self.csrf_fetches = 0

    # --- set-up --------------------------------------------------------------------------
    def _check(self, url: str) -> None:
        check_url(
            url,
            allow_loopback_hosts=self.config.loopback_hosts,
            allow_http=self.config.allow_http,
        )

    def service_root(self, service: str) -> str:
        path = self.config.service_paths.get(service)
        if not path:
            path = f"{self.config.service_path.rstrip('/')}/{service}"
        return f"{self.base_url}/{path.strip('/')}/"

    def service(self, name: str) -> ODataService:
        return ODataService(self, name)

    def close(self) -> None:
        self.session.close()

    # --- one HTTP exchange ----------------------------------------------------------------
    def _params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        merged = dict(params or {})
        if self.config.client:
            merged.setdefault("sap-client", self.config.client)
        if self.config.language:
            merged.setdefault("sap-language", self.config.language)
        return merged

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        headers[self.config.correlation_header] = current_correlation_id()
        headers.update(extra or {})
        return headers

    def _exchange(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        data: bytes | None,
    ) -> HttpResult:
        wire_method, headers = method, dict(headers)
        if method == "MERGE":
            wire_method, headers["X-HTTP-Method"] = "POST", "MERGE"
        try:
            response = self.session.request(
                wire_method,
                url,
                params=params,
                data=data,
                headers=headers,
                auth=self.auth,
                timeout=self.timeout,
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise classify_transport(exc) from None
        try:
            body = self._read_limited(response)
        except requests.RequestException as exc:
            raise classify_transport(exc) from None
        finally:
            response.close()
        log.debug(
            "SAP %s %s -> %s (%d bytes)",
            method,
            redact(response.url.split("?")[0], self.config.secrets()),
            response.status_code,
            len(body),
        )
        return HttpResult(response.status_code, response.headers, body, response.url)

    def _read_limited(self, response: requests.Response) -> bytes:
        return read_capped(response, self.config.max_response_bytes, "SAP response")

    # --- CSRF --------------------------------------------------------------------------------
    def csrf_token(self, root: str, *, stale: str | None = None) -> str:
        with self._csrf_lock:
            token = self._csrf.get(root)
            if token and token != stale:
                return token
            result = self._checked(
                "GET", root, params=self._params(None), headers={"X-CSRF-Token": "Fetch"}
            )
            token = result.headers.get("x-csrf-token", "")
            if not token or token.lower() == "required":
                raise ProtocolError("SAP did not hand out a CSRF token on X-CSRF-Token: Fetch")
            self.csrf_fetches += 1
            self._csrf[root] = token
            return token

    # --- request with CSRF, OAuth renewal, error typing ------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        root: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        raw_body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResult:
        """Send one request; raise a typed :class:`IntegrationError` on any failure (never
        retried here: the ops layer decides, see :mod:`plant_sync.sap.idempotent`)."""
        method = method.upper()
        data = raw_body
        extra = dict(headers or {})
        if body is not None:
            data = json.dumps(body, default=str).encode()
            extra.setdefault("Content-Type", "application/json")
        return self._send(method, url, root, params, extra, data)

    def _send(
        self,
        method: str,
        url: str,
        root: str,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        data: bytes | None,
    ) -> HttpResult:
        token = None
        if method in MODIFYING:
            token = self.csrf_token(root)
            headers = {**headers, "X-CSRF-Token": token}
        result = self._exchange(
            method, url, params=self._params(params), headers=self._headers(headers), data=data
        )
        if (
            token is not None
            and result.status == 403
            and result.headers.get("x-csrf-token", "").lower() == "required"
        ):
            log.info("SAP CSRF token rejected; fetching a new one (once)")
            token = self.csrf_token(root, stale=token)
            headers = {**headers, "X-CSRF-Token": token}
            result = self._exchange(
                method, url, params=self._params(params), headers=self._headers(headers), data=data
            )
        if result.status == 401 and isinstance(self.auth, OAuth2ClientCredentials):
            self.auth.invalidate()
            result = self._exchange(
                method, url, params=self._params(params), headers=self._headers(headers), data=data
            )
        return self._raise_for(method, result)

    def _checked(
        self, method: str, url: str, *, params: Mapping[str, Any], headers: Mapping[str, str]
    ) -> HttpResult:
        return self._raise_for(
            method,
            self._exchange(method, url, params=params, headers=self._headers(headers), data=None),
        )

    def _raise_for(self, method: str, result: HttpResult) -> HttpResult:
        if 300 <= result.status < 400:
            raise ProtocolError(
                f"SAP redirected {method} to {result.headers.get('Location', '?')} "
                "(a logon page? check the authentication method)",
                status=result.status,
            )
        if result.status >= 400:
            raise error_from_response(result.status, result.headers, result.body)
        return result


def decode_json(result: HttpResult) -> Any:
    """The ``d`` member of an OData JSON answer. HTML pages, XML (DTDs refused), malformed
    JSON and JSON without ``d`` are :class:`ProtocolError`, never an empty result."""
    ctype = result.headers.get("Content-Type", "").lower()
    head = result.body.lstrip()[:200].lower()
    if "html" in ctype or head.startswith((b"<!doctype html", b"<html")):
        raise ProtocolError(
            f"SAP returned an HTML page (HTTP {result.status}) instead of OData JSON",
            status=result.status,
        )
    if "xml" in ctype or head.startswith(b"<"):
        parse_xml(result.body)  # refuses DTDs/entities, reports malformed XML
        raise ProtocolError("SAP returned XML where JSON was requested", status=result.status)
    try:
        doc = parse_json(result.body.decode("utf-8"), "JSON from SAP")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"Malformed JSON from SAP: {exc}", status=result.status) from None
    except ProtocolError as exc:
        exc.status = result.status
        raise
    if not isinstance(doc, dict) or "d" not in doc:
        raise ProtocolError("SAP JSON answer without the 'd' wrapper", status=result.status)
    return doc["d"]


def _rows(d: Any) -> tuple[list[dict[str, Any]], str | None, int | None]:
    if isinstance(d, list):
        rows, next_link, count = d, None, None
    elif isinstance(d, dict) and isinstance(d.get("results"), list):
        rows, next_link, count = d["results"], d.get("__next"), d.get("__count")
    else:
        raise ProtocolError("SAP collection answer without 'results'")
    if not all(isinstance(row, dict) for row in rows):
        raise ProtocolError("SAP collection answer with a row that is not an entity")
    if next_link is not None and not isinstance(next_link, str):
        raise ProtocolError("SAP collection answer with a '__next' that is not a link")
    try:
        return rows, next_link, None if count is None else int(count)
    except (TypeError, ValueError, OverflowError):
        raise ProtocolError(f"SAP collection answer with a '__count' of {count!r}") from None


def entity_etag(data: Mapping[str, Any], result: HttpResult | None = None) -> str:
    meta = data.get("__metadata") if isinstance(data, Mapping) else None
    if isinstance(meta, Mapping) and meta.get("etag"):
        return str(meta["etag"])
    return result.etag if result is not None else ""


class ODataService:
    """One OData service root of the backend."""

    def __init__(self, http: SapHttp, name: str) -> None:
        self.http = http
        self.name = name
        self.root = http.service_root(name)

    def url(self, path: str) -> str:
        return self.root + path.lstrip("/")

    def _get(self, url: str, params: Mapping[str, Any] | None = None) -> HttpResult:
        return self.http.request("GET", url, root=self.root, params=params)

    # --- reads ----------------------------------------------------------------------------------
    def get(
        self,
        entity_set: str,
        key: Any,
        *,
        select: list[str] | None = None,
        expand: list[str] | None = None,
    ) -> Entity:
        params = _query_options(select=select, expand=expand)
        result = self._get(self.url(entity_set + key_predicate(key)), params)
        data = decode_json(result)
        if not isinstance(data, dict):
            raise ProtocolError(f"SAP returned no entity for {entity_set}")
        return Entity(data, entity_etag(data, result))

    def iter_pages(
        self,
        entity_set: str,
        *,
        filter: str | None = None,
        select: list[str] | None = None,
        expand: list[str] | None = None,
        orderby: str | None = None,
        top: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield one server page at a time, following ``__next`` (``$skiptoken``); nothing is
        held beyond the current page. ``__next`` must stay on the configured host."""
        query = _query_options(
            filter=filter, select=select, expand=expand, orderby=orderby, top=top
        )
        query.update(params or {})
        url: str | None = self.url(entity_set)
        config = self.http.config
        guard = PageGuard(f"SAP {self.name}/{entity_set}", config.max_pages, config.max_empty_pages)
        while url:
            result = self._get(url, query)
            rows, next_link, _count = _rows(decode_json(result))
            yield rows
            if next_link:
                guard.next_page(len(rows), str(next_link))
            url, query = self._next(url, next_link) if next_link else (None, {})

    def _next(self, current: str, link: str) -> tuple[str, dict[str, Any]]:
        """The next page's URL and query; it must stay on the configured origin (scheme, host,
        port compared after normalisation) and pass the SSRF check again."""
        absolute = urljoin(current, str(link).strip(LINK_STRIP))
        if not same_origin(absolute, self.http.base_url):
            raise ProtocolError(f"SAP paging link leaves the configured host: {link!r}")
        self.http._check(absolute)
        target = urlsplit(absolute)
        query = dict(parse_qsl(target.query, keep_blank_values=True))
        return urlunsplit((target.scheme, target.netloc, target.path, "", "")), query

    def query(self, entity_set: str, **options: Any) -> list[dict[str, Any]]:
        """All rows (only for small, bounded result sets; stream big ones with iter_pages)."""
        return [row for page in self.iter_pages(entity_set, **options) for row in page]

    def first(self, entity_set: str, **options: Any) -> dict[str, Any] | None:
        for page in self.iter_pages(entity_set, **options):
            if page:
                return page[0]
        return None

    def iter_delta(
        self,
        entity_set: str,
        since: datetime | None,
        *,
        field: str = "LastChangeDateTime",
        filter: str | None = None,
        select: list[str] | None = None,
        expand: list[str] | None = None,
        convert: Callable[[dict[str, Any]], Any] = lambda row: row,
        overlap: timedelta | None = None,
    ) -> Iterator[DeltaPage]:
        """Rows changed after ``since`` (all rows when ``None``), oldest first, page by page.
        Each page carries the watermark to store once that page is processed.

        SAP's JSON shows DateTimeOffset to the millisecond while the database keeps 100 ns, so
        a watermark read from JSON means "up to the end of that millisecond": the filter starts
        after it (else the last rows of a pull come back every time). ``overlap`` re-reads a
        window before the watermark instead (at-least-once; the consumer upserts), e.g. for
        systems whose update task commits rows with an earlier timestamp late."""
        clause = None
        if since is not None:
            start = since - overlap if overlap else since + timedelta(microseconds=999)
            clause = f"{field} gt {literal(start)}"
        watermark = since
        for rows in self.iter_pages(
            entity_set,
            filter=and_(filter, clause),
            select=select,
            expand=expand,
            orderby=f"{field} asc",
        ):
            for row in rows:
                changed = parse_datetime(row.get(field))
                if changed is not None and (watermark is None or changed > watermark):
                    watermark = changed
            yield DeltaPage(rows=[convert(r) for r in rows], watermark=watermark)

    # --- writes ---------------------------------------------------------------------------------
    def create(self, entity_set: str, payload: Mapping[str, Any]) -> Entity:
        result = self.http.request("POST", self.url(entity_set), root=self.root, body=payload)
        data = decode_json(result)
        if not isinstance(data, dict):
            raise ProtocolError(f"SAP returned no entity after creating {entity_set}")
        return Entity(data, entity_etag(data, result))

    def update(self, entity_set: str, key: Any, changes: Mapping[str, Any], *, etag: str) -> str:
        """PATCH (or MERGE) with If-Match; 412 -> ConcurrentModification. Returns the new ETag
        when SAP sends one."""
        if not etag:
            raise ConfigurationError("An ETag is required to update (read the entity first)")
        result = self.http.request(
            self.http.config.update_method,
            self.url(entity_set + key_predicate(key)),
            root=self.root,
            body=dict(changes),
            headers={"If-Match": etag},
        )
        return result.etag

    def call_function(
        self, name: str, parameters: Mapping[str, Any], *, method: str = "POST"
    ) -> Any:
        """Function import: parameters as URI literals in the query string, as SAP does."""
        params = {k: literal(v) for k, v in parameters.items() if v is not None}
        result = self.http.request(method, self.url(name), root=self.root, params=params)
        if result.status == 204 or not result.body.strip():
            return None
        data = decode_json(result)
        if isinstance(data, dict) and set(data) == {name}:
            return data[name]
        return data

    def batch(self, operations: list[Any]) -> list[Any]:
        from .batch import run_batch

        return run_batch(self, operations)


def _query_options(
    *,
    filter: str | None = None,
    select: list[str] | None = None,
    expand: list[str] | None = None,
    orderby: str | None = None,
    top: int | None = None,
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if filter:
        options["$filter"] = filter
    if select:
        options["$select"] = ",".join(select)
    if expand:
        options["$expand"] = ",".join(expand)
    if orderby:
        options["$orderby"] = orderby
    if top is not None:
        options["$top"] = str(int(top))
    return options


__all__ = ["Entity", "HttpResult", "ODataService", "SapHttp", "decode_json"]
