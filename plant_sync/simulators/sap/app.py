"""The WSGI application: SAP Gateway behaviour around the OData services, plus the control API.

Routes: ``/sap/opu/odata/sap/<SERVICE>/...`` (OData v2), ``/sap/bc/sec/oauth2/token`` (OAuth2
client credentials), ``/__sim__/...`` (test control: faults, reset, state, locks, PR->PO).
Works on Werkzeug 2.2 and newer (only ``Request``/``Response`` are used).
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from datetime import datetime, timezone
from urllib.parse import unquote

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from . import edmx, purchasing
from .batch import run_batch, split_url
from .errors import SapError, lock_error
from .faults import Faults, RawAnswer
from .gateway import Gateway, LogonFailed
from .odata import MODIFYING, ODataRequest, ODataResponse, execute, service_document
from .store import SapStore

ODATA_PREFIX = "/sap/opu/odata/sap/"
TOKEN_PATH = "/sap/bc/sec/oauth2/token"  # noqa: S105 (a URL path)
_log = logging.getLogger(__name__)


class DropConnection(Exception):
    """Fault: the work is committed but the client never gets an answer."""


def error_body(err: SapError) -> dict:
    txid = uuid.uuid4().hex.upper()
    details = err.details or [err.message()]
    return {
        "error": {
            "code": err.code,
            "message": {"lang": "en", "value": err.text},
            "innererror": {
                "application": {
                    "component_id": "PM-WOC-MN",
                    "service_namespace": "/SAP/",
                    "service_id": "",
                    "service_version": "0001",
                },
                "transactionid": txid,
                "timestamp": datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S.%f")[:21],
                "Error_Resolution": {
                    "SAP_Transaction": "For backend administrators: use ADT feed reader "
                    "'SAP Gateway Error Log' or run transaction /IWFND/ERROR_LOG on SAP Gateway "
                    "hub system and search for entries with the timestamp above for more details",
                    "SAP_Note": "See SAP Note 1797736 for error analysis "
                    "(https://service.sap.com/sap/support/notes/1797736)",
                },
                "errordetails": [
                    {
                        "code": d.code,
                        "message": d.text,
                        "propertyref": d.target,
                        "severity": d.severity,
                        "target": d.target,
                        "transition": False,
                    }
                    for d in details
                ],
            },
        }
    }


def error_response(err: SapError) -> ODataResponse:
    return ODataResponse.json(err.status, error_body(err), dict(err.headers))


def logon_page(text: str, sid: str, client: str) -> Response:
    html = (
        "<html><head><title>Logon Error Message</title></head><body>"
        f"<h1>Logon failed</h1><p>{text}</p></body></html>"
    )
    return Response(
        html,
        status=401,
        headers={
            "WWW-Authenticate": f'Basic realm="SAP NetWeaver Application Server [{sid}/{client}]"',
            "sap-server": "true",
        },
        content_type="text/html; charset=utf-8",
    )


class SapGatewayApp:
    def __init__(
        self,
        store: SapStore,
        gateway: Gateway,
        faults: Faults,
        page_size: int = 100,
        simulator=None,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.faults = faults
        self.page_size = page_size
        self.simulator = simulator
        self.services = edmx.all_services()

    # --- WSGI ------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except DropConnection:
            _drop(environ)
            response = Response(b"", status=500)
        finally:
            self.store.release()  # one SQLite connection per request thread, closed here
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/__sim__/"):
            return self.control(request)
        if path == TOKEN_PATH:
            return self.token(request)
        if path.startswith(ODATA_PREFIX):
            return self.odata(request)
        return Response("Not found", status=404, content_type="text/plain")

    # --- OAuth -----------------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        if request.method != "POST":
            return Response(status=405)
        result = self.gateway.issue_token(request.headers, request.form)
        status = (
            200 if "access_token" in result else 401 if result["error"] == "invalid_client" else 400
        )
        return Response(json.dumps(result), status=status, content_type="application/json")

    # --- OData -----------------------------------------------------------------------------------
    def odata(self, request: Request) -> Response:
        rest = unquote(request.path[len(ODATA_PREFIX) :])
        service_name, _, resource = rest.partition("/")
        service = self.services.get(service_name) or self.services.get(service_name.upper())
        if service is None:
            return _wsgi(
                error_response(
                    SapError(
                        "/IWFND/MED",
                        "170",
                        f"No service found for namespace '/SAP/', name '{service_name}', "
                        "version '0001'",
                        status=404,
                    )
                )
            )
        try:
            client = self.gateway.client_of(request.args)
            user = self.gateway.authenticate(request.headers, request.cookies, client)
        except LogonFailed as exc:
            return logon_page(exc.text, self.gateway.sid, request.args.get("sap-client", ""))
        self.faults.delay()
        failure = self.faults.error()
        if failure is not None:
            status, retry = failure
            err = SapError(
                "/IWFND/CM_BEC",
                "026",
                "Service temporarily unavailable (simulated)"
                if status != 429
                else "Too many requests (simulated)",
                status=status,
            )
            resp = _wsgi(error_response(err))
            if retry is not None:
                resp.headers["Retry-After"] = str(retry)
            return resp
        raw = self.faults.raw_answer()
        if raw is not None and not raw.after_commit:
            return _raw(raw)
        method = request.method.upper()
        effective = method
        if method == "POST" and request.headers.get("X-HTTP-Method"):
            effective = request.headers["X-HTTP-Method"].upper()
        extra_headers: dict[str, str] = {}
        cookies: list[tuple[str, str]] = []
        if method in ("GET", "HEAD") and request.headers.get("X-CSRF-Token", "").lower() == "fetch":
            session = self.gateway.fetch_token(request.cookies, user, client)
            extra_headers["x-csrf-token"] = session.token
            cookies = [
                (self.gateway.cookie_name(client), session.id),
                ("sap-usercontext", f"sap-client={client}"),
            ]
        if (effective in MODIFYING or method == "POST") and not self.gateway.check_csrf(
            request.headers, request.cookies, user, client
        ):
            resp = Response(
                "CSRF token validation failed",
                status=403,
                content_type="text/plain; charset=utf-8",
            )
            resp.headers["x-csrf-token"] = "Required"
            return resp
        root = f"{request.host_url}{ODATA_PREFIX[1:]}{service_name}/"
        try:
            if resource in ("", "/"):
                result = ODataResponse.json(200, service_document(service))
            elif resource == "$metadata":
                result = ODataResponse(
                    200,
                    service.raw,
                    {"Content-Type": "application/xml", "DataServiceVersion": "2.0"},
                )
            elif resource == "$batch":
                result = self.batch(request, service, user, root)
            else:
                if effective in MODIFYING:
                    self._maybe_lock()
                req = ODataRequest(
                    "GET" if method == "HEAD" else method,
                    service,
                    resource,
                    _args(request),
                    Headers(list(request.headers.items())),
                    request.get_data(),
                    user,
                    root,
                    request.query_string.decode(),
                )
                result = execute(self.store, req, self.page_size)
        except SapError as err:
            result = error_response(err)
        if result.modified and self.faults.drop_after_commit():
            raise DropConnection()
        if result.modified:
            self.faults.hold_after_commit(method, request.path, request.get_data())
        if raw is not None:
            return _raw(raw)  # SAP did the work; the answer is replaced
        if method == "HEAD":
            result.body = b""
        resp = _wsgi(result)
        for k, v in extra_headers.items():
            resp.headers[k] = v
        for name, value in cookies:
            resp.set_cookie(name, value, path="/", httponly=True)
        return resp

    def _maybe_lock(self) -> None:
        holder = self.faults.lock_conflict()
        if holder:
            raise lock_error("simulated", holder)

    def batch(self, request: Request, service, user: str, root: str) -> ODataResponse:
        root_path = f"{ODATA_PREFIX}{service.name}/"

        def run_operation(method, url, headers, body, tx=None):
            if method == "ERROR":
                r = error_response(url)
                return r.status, r.headers, r.body, False
            path, args, qs = split_url(url, root_path)
            headers = Headers(list(headers.items()))
            try:
                eff = headers.get("X-HTTP-Method", method).upper() if method == "POST" else method
                if eff in MODIFYING and tx is not None and tx_state.get("lock") is None:
                    holder = self.faults.lock_conflict()
                    tx_state["lock"] = holder or ""
                    if holder:
                        raise lock_error("simulated", holder)
                req = ODataRequest(method, service, path, args, headers, body, user, root, qs)
                r = execute(self.store, req, self.page_size, tx=tx)
            except SapError as err:
                r = error_response(err)
            return r.status, r.headers, r.body, r.modified

        tx_state: dict = {}

        def run_changeset(callback):
            tx_state.clear()
            with self.store.transaction() as tx:
                callback(tx)

        body, ctype, modified = run_batch(
            request.get_data(),
            request.headers.get("Content-Type", ""),
            run_operation,
            run_changeset,
        )
        return ODataResponse(
            202, body, {"Content-Type": ctype, "DataServiceVersion": "2.0"}, modified=modified
        )

    # --- control API -----------------------------------------------------------------------------
    def control(self, request: Request) -> Response:
        name = request.path[len("/__sim__/") :].strip("/")
        data = request.get_json(silent=True) or {}
        try:
            if name == "faults":
                if request.method == "DELETE":
                    self.faults.clear()
                elif request.method == "POST":
                    self.faults.set(**data)
                return _json(self.faults.snapshot())
            if name == "reset" and request.method == "POST":
                self.faults.clear()
                self.gateway.expire_all()
                self.store.reset(everything=bool(data.get("all")))
                return _json({"reset": True})
            if name == "state":
                return _json({"counts": self.store.counts(), "faults": self.faults.snapshot()})
            if name == "locks":
                if request.method == "DELETE":
                    self.store.unlock(data.get("object"))
                else:
                    self.store.lock(data["object"], data.get("user", "JDOE"))
                return _json({"ok": True})
            if name == "convert_pr" and request.method == "POST":
                with self.store.transaction() as tx:
                    po = purchasing.convert_pr_to_po(
                        tx, "BUYER", data["PurchaseRequisition"], data.get("Supplier", "17300001")
                    )
                return _json({"PurchaseOrder": po})
        except SapError as err:
            return _wsgi(error_response(err))
        except (KeyError, TypeError, ValueError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"error": f"unknown control endpoint {name}"}, 404)


def _args(request: Request) -> dict[str, str]:
    return dict(request.args.items())


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, default=str), status=status, content_type="application/json")


def _wsgi(result: ODataResponse) -> Response:
    resp = Response(result.body, status=result.status)
    for k, v in result.headers.items():
        resp.headers[k] = v
    return resp


def _raw(raw: RawAnswer) -> Response:
    return Response(raw.body, status=raw.status, content_type=raw.content_type)


def _drop(environ) -> None:
    """Close the client connection without an answer (werkzeug exposes the socket)."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
