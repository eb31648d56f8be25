"""Fixtures of the CMMS tests: a running simulator, loopback-allowing HTTP settings, a hit
counting HTTP server (to prove that nothing was fetched) and a webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from werkzeug.wrappers import Request, Response

from plant_sync.cmms import HttpSettings, MaximoConfig, RestConfig
from plant_sync.cmms.config import PaginationConfig, RestAuth
from plant_sync.simulators.cmms import CmmsSimulator
from plant_sync.simulators.cmms.rest_app import REST_FIELD_MAP
from plant_sync.simulators.http_server import BackgroundServer
from plant_sync.webhooks import InMemorySeenStore, WebhookVerifier, read_body

API_KEY = "maximo-key"
USERS = {"maxadmin": "maxadmin", "wilson": "s3cret-pw"}


@pytest.fixture
def http() -> HttpSettings:
    return HttpSettings(
        allow_http=True, allow_loopback_hosts=("127.0.0.1",), connect_timeout=5, read_timeout=10
    )


@pytest.fixture
def sim() -> Iterator[CmmsSimulator]:
    simulator = CmmsSimulator(api_key=API_KEY, users=dict(USERS), page_size=50).start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def seeded(sim: CmmsSimulator) -> CmmsSimulator:
    """Two assets and 12 work orders changed on 12 consecutive days of January 2024."""
    sim.store.add_asset("PUMP-100", "Centrifugal pump", location="AREA1")
    sim.store.add_asset("CONV-200", "Belt conveyor", location="AREA2")
    for day in range(1, 13):
        sim.store.add_workorder(
            description=f"Work order of day {day}",
            assetnum="PUMP-100" if day % 2 else "CONV-200",
            status="APPR" if day % 3 == 0 else "WAPPR",
            wopriority=day % 3 + 1,
            worktype="CM",
            changedate=f"2024-01-{day:02d}T08:00:00+00:00",
        )
    return sim


@pytest.fixture
def maximo_config(sim: CmmsSimulator, http: HttpSettings):
    def make(**overrides) -> MaximoConfig:
        values = {"base_url": sim.maximo_url, "api_key": API_KEY, "http": http, "page_size": 4}
        values.update(overrides)
        return MaximoConfig(**values)

    return make


@pytest.fixture
def rest_config(sim: CmmsSimulator, http: HttpSettings):
    def make(style: str = "page", page_size: int = 5, **overrides) -> RestConfig:
        values = {
            "base_url": sim.rest_url,
            "field_map": dict(REST_FIELD_MAP),
            "labour_path": "attributes.labour",
            "labour_fields": {
                "labour_code": "code",
                "craft": "craft",
                "hours": "hours",
                "start": "start",
                "finish": "finish",
            },
            "static_fields": {"type": "workorder"},
            "auth": RestAuth(kind="api_key", header="X-Api-Key", token=API_KEY),
            "pagination": PaginationConfig(style=style, page_size=page_size),
            "http": http,
        }
        values.update(overrides)
        return RestConfig(**values)

    return make


@pytest.fixture
def hit_counter() -> Iterator[dict]:
    """A loopback HTTP server that counts every request (any path) - the target of XXE
    payloads: a correct parser never calls it."""
    state = {"hits": 0, "paths": []}
    lock = threading.Lock()

    @Request.application
    def app(request: Request) -> Response:
        with lock:
            state["hits"] += 1
            state["paths"].append(request.full_path)
        return Response('<!ENTITY leak "leaked">', content_type="application/xml-dtd")

    server = BackgroundServer(app).start()
    state["url"] = f"http://127.0.0.1:{server.port}/collect"
    try:
        yield state
    finally:
        server.stop()


WEBHOOK_SECRET = "whsec-test-0123456789"
MAX_BODY = 4096


class WebhookReceiver:
    """A tiny WSGI endpoint using :class:`WebhookVerifier` the way the Odoo controller does:
    refuse oversized bodies before reading them, verify, process OK events once."""

    def __init__(self) -> None:
        self.verifier = WebhookVerifier(
            [WEBHOOK_SECRET, "previous-secret-rotated-out"], InMemorySeenStore(), max_body=MAX_BODY
        )
        self.processed: list[dict] = []
        self.verdicts: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        length = request.content_length
        if length is not None and length > MAX_BODY:
            result = self.verifier.verify(request.headers, b"", content_length=length)
        else:
            body = read_body(request.stream, MAX_BODY)  # bounded also when chunked
            result = self.verifier.verify(request.headers, body)
        with self._lock:
            self.verdicts.append(result.verdict.value)
            if result.ok:
                self.processed.append(json.loads(body))
        payload = {"status": result.verdict.value}
        response = Response(
            json.dumps(payload), status=result.http_status, content_type="application/json"
        )
        return response(environ, start_response)


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    receiver = WebhookReceiver()
    server = BackgroundServer(receiver).start()
    try:
        yield receiver, f"http://127.0.0.1:{server.port}/plant_sync/webhook/cmms"
    finally:
        server.stop()
