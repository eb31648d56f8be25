"""The CMMS simulator: one werkzeug WSGI server with the Maximo JSON, Maximo MIF SOAP and
generic REST faces over one SQLite store, run-time fault injection and a webhook emitter.

    sim = CmmsSimulator(port=0, api_key="maximo-key", users={"maxadmin": "maxadmin"}).start()
    sim.maximo_url   # http://127.0.0.1:<port>/maximo   (api/os/mxapiwodetail under it)
    sim.soap_url     # .../meaweb/services/MXWODETAIL   (sim.wsdl_url = soap_url + "?wsdl")
    sim.rest_url     # .../rest/api/v1
    sim.stop()
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

from werkzeug.wrappers import Request, Response

from ..http_server import BackgroundServer
from ..http_server import QuietHandler as QuietHandler  # re-exported
from .emitter import change_event, emit
from .faults import Faults, poisoned_json, poisoned_xml
from .maximo_app import MaximoApp, maximo_error
from .rest_app import RestApp, rest_error
from .soap_app import SoapApp, fault
from .store import CmmsStore

SOAP_PATH = "meaweb/services/MXWODETAIL"


class SimulatorApp:
    """WSGI entry point: routing, counting and fault injection."""

    def __init__(self, sim: CmmsSimulator) -> None:
        self.sim = sim
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path.strip("/")
        parts = path.split("/")
        if path == SOAP_PATH:
            scope = "soap"
        elif parts[0] == "maximo":
            scope = "maximo"
        elif parts[:3] == ["rest", "api", "v1"]:
            scope = "rest"
        elif path == "health":
            return Response(json.dumps({"status": "ok"}), content_type="application/json")
        else:
            return Response("not found", status=404)
        with self._lock:
            self.hits[scope] += 1
        sim = self.sim
        sim.faults.delay(scope)
        raw = sim.faults.raw_for(scope)
        if raw is not None:
            return Response(raw.raw_body, status=raw.raw_status, content_type=raw.raw_content_type)
        poison = sim.faults.poison_for(scope)
        if poison is not None:
            if scope == "soap":
                ctype = "text/html" if poison.poison == "html" else "text/xml; charset=utf-8"
                return Response(poisoned_xml(poison.poison, poison), content_type=ctype)
            body, ctype = poisoned_json(poison.poison, poison)
            return Response(body, content_type=ctype)
        error = sim.faults.error_for(scope)
        if error is not None:
            response = self._error(scope, error.status)
            if error.status in (429, 503):
                response.headers["Retry-After"] = str(error.retry_after)
            return response
        if scope == "soap":
            return sim.soap_app(request)
        if scope == "maximo":
            return sim.maximo_app(request, parts)
        return sim.rest_app(request, parts)

    @staticmethod
    def _error(scope: str, status: int) -> Response:
        message = "Service temporarily unavailable (injected fault)"
        if status == 429:
            message = "Too many requests (injected fault)"
        if scope == "maximo":
            return maximo_error(status, message, "")
        if scope == "rest":
            return rest_error(status, "UNAVAILABLE" if status != 429 else "RATE_LIMITED", message)
        if status >= 500:
            response = fault("Server", message)
            response.status_code = status
            return response
        return Response(message, status=status, content_type="text/plain")


class CmmsSimulator:
    def __init__(
        self,
        db_path: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = "maximo-key",
        users: dict[str, str] | None = None,
        page_size: int = 50,
        *,
        rest_api_key: str | None = None,
        rest_signing_secret: str = "",
        webhook_url: str = "",
        webhook_secret: str = "",
    ) -> None:
        self.host = host
        self.port = port
        self.api_key = api_key
        self.users = dict(users if users is not None else {"maxadmin": "maxadmin"})
        self.page_size = page_size
        self.store = CmmsStore(db_path)
        self.faults = Faults()
        self.maximo_app = MaximoApp(self.store, self.faults, api_key, self.users, page_size)
        self.soap_app = SoapApp(self.store, self.faults, self.users)
        self.rest_app = RestApp(
            self.store, self.faults, rest_api_key or api_key, rest_signing_secret, page_size
        )
        self.app = SimulatorApp(self)
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.webhook_results: list[int] = []
        self.store.listeners.append(self._on_change)
        self._server: BackgroundServer | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> CmmsSimulator:
        self._server = BackgroundServer(self.app, self.host, self.port)
        self.port = self._server.port
        self._server.start("cmms-simulator")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(timeout=5)
            self._server = None
        self.store.close()

    def __enter__(self) -> CmmsSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def maximo_url(self) -> str:
        return self.url + "/maximo"

    @property
    def soap_url(self) -> str:
        return f"{self.url}/{SOAP_PATH}"

    @property
    def wsdl_url(self) -> str:
        return self.soap_url + "?wsdl"

    @property
    def rest_url(self) -> str:
        return self.url + "/rest/api/v1"

    @property
    def hits(self) -> Counter[str]:
        """Requests received per face (``maximo``, ``soap``, ``rest``)."""
        return self.app.hits

    # --- webhooks ------------------------------------------------------------------------------
    def emit_webhook(
        self,
        url: str,
        secret: str | list[str],
        event: dict[str, Any],
        repeat: int = 1,
        parallel: int = 1,
        **kwargs: Any,
    ) -> list[int]:
        return emit(url, secret, event, repeat=repeat, parallel=parallel, **kwargs)

    def configure_webhook(self, url: str, secret: str) -> None:
        """Send a signed ``workorder.created``/``workorder.updated`` event for every change."""
        self.webhook_url, self.webhook_secret = url, secret

    def _on_change(self, kind: str, action: str, record: dict[str, Any]) -> None:
        if not (self.webhook_url and self.webhook_secret):
            return
        event = change_event(kind, action, record)

        def send() -> None:
            self.webhook_results.extend(emit(self.webhook_url, self.webhook_secret, event))

        threading.Thread(target=send, daemon=True).start()
