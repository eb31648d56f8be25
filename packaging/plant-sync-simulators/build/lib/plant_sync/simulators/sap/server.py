"""``SapSimulator``: store + OData server (threaded werkzeug) + RFC connections + faults."""

from __future__ import annotations

from typing import Any

from ..http_server import BackgroundServer, QuietHandler
from .app import SapGatewayApp
from .faults import Faults
from .gateway import Gateway
from .store import SapStore


class _QuietHandler(QuietHandler):
    """No access log lines and errors only at info level: the simulator must not pollute test
    logs."""

    def log(self, type: str, message: str, *args) -> None:  # noqa: A002
        if type == "error":
            super().log("info", message, *args)


class SapSimulator:
    """A simulated SAP S/4HANA system for tests and demos.

    >>> sim = SapSimulator(users={"PLANT_SYNC": "Secret#1"}).start()
    >>> sim.service_url("API_MAINTNOTIFICATION")  # doctest: +SKIP
    'http://127.0.0.1:51234/sap/opu/odata/sap/API_MAINTNOTIFICATION/'
    >>> sim.stop()
    """

    def __init__(
        self,
        db_path: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        users: dict[str, str] | None = None,
        oauth_clients: dict[str, str] | None = None,
        page_size: int = 100,
        clients: tuple[str, ...] = ("100",),
        sid: str = "S4H",
    ) -> None:
        self.host = host
        self.port = port
        self.store = SapStore(db_path)
        for name, password in (users if users is not None else {"PLANT_SYNC": "Secret#1"}).items():
            self.store.seed_user(name.upper(), password)
        self.gateway = Gateway(self.store, clients, oauth_clients or {}, sid)
        self.faults = Faults(on_csrf_expire=self.gateway.expire_all)
        self.app = SapGatewayApp(self.store, self.gateway, self.faults, page_size, self)
        self._server: BackgroundServer | None = None
        self.master: dict[str, Any] = {}

    def seed_master_data(self, **kwargs: Any) -> dict[str, Any]:
        """Seed the standard landscape (see ``SapStore.seed_master_data``); kept in ``master``."""
        self.master = self.store.seed_master_data(**kwargs)
        return self.master

    @property
    def page_size(self) -> int:
        return self.app.page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        self.app.page_size = value

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self) -> SapSimulator:
        if self._server is not None:
            return self
        self._server = BackgroundServer(self.app, self.host, self.port, _QuietHandler)
        self.port = self._server.port
        self._server.start(f"sap-sim-{self.port}")
        return self

    def serve_forever(self) -> None:
        """Run in the foreground (``python -m plant_sync.simulators.sap``)."""
        self._server = BackgroundServer(self.app, self.host, self.port, _QuietHandler)
        self.port = self._server.port
        self._server.serve_forever()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(timeout=10)
            self._server = None
        self.store.close()

    def __enter__(self) -> SapSimulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- addresses --------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def service_url(self, service: str) -> str:
        return f"{self.url}/sap/opu/odata/sap/{service}/"

    @property
    def token_url(self) -> str:
        return f"{self.url}/sap/bc/sec/oauth2/token"

    # --- RFC and control --------------------------------------------------------------------------
    def rfc_connection(
        self, user: str = "PLANT_SYNC", passwd: str = "", client: str = "100", **params: Any
    ):
        from .rfc import SimRfcConnection

        return SimRfcConnection(self, user=user, passwd=passwd, client=client, **params)

    def convert_pr_to_po(self, requisition: str, supplier: str = "17300001") -> str:
        """Simulate a buyer turning a purchase requisition into a purchase order."""
        from .purchasing import convert_pr_to_po

        with self.store.transaction() as tx:
            return convert_pr_to_po(tx, "BUYER", requisition, supplier)

    def reset(self, everything: bool = False) -> None:
        self.faults.clear()
        self.gateway.expire_all()
        self.store.reset(everything)
