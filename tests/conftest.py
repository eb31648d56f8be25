"""Shared pytest fixtures: the SAP simulator (real HTTP on loopback, real SQLite store)."""

from __future__ import annotations

import pytest
import requests

from plant_sync.simulators.sap import SapSimulator

SAP_USER = "PLANT_SYNC"
SAP_PASSWORD = "Secret#1"
OAUTH_CLIENT = ("plant-sync-client", "client-secret")


@pytest.fixture
def sap_sim_factory():
    """Build simulators: ``sap_sim_factory(seed=True, **SapSimulator kwargs)``; stopped after."""
    sims: list[SapSimulator] = []

    def make(seed: bool = True, **kwargs) -> SapSimulator:
        kwargs.setdefault("users", {SAP_USER: SAP_PASSWORD})
        kwargs.setdefault("oauth_clients", dict([OAUTH_CLIENT]))
        sim = SapSimulator(**kwargs).start()
        sims.append(sim)
        if seed:
            sim.seed_master_data()
        return sim

    yield make
    for sim in sims:
        sim.stop()


@pytest.fixture
def sap_sim(sap_sim_factory) -> SapSimulator:
    """A fresh simulator with master data: plant 1010 (sloc 0001/0002), cost center 10101101,
    work centers RES-0100/RES-0200, 3 functional locations, 10 equipment, 10 materials with 100 PC
    stock in 1010/0001. ``sap_sim.master`` holds the ids."""
    return sap_sim_factory()


class SapHttp:
    """A minimal SAP Gateway client for the simulator tests (CSRF fetch + session cookies)."""

    def __init__(self, sim: SapSimulator, service: str, auth=(SAP_USER, SAP_PASSWORD)) -> None:
        self.root = sim.service_url(service)
        self.session = requests.Session()
        self.session.auth = auth
        self.session.headers["Accept"] = "application/json"
        self.token = ""

    def fetch_token(self) -> str:
        r = self.session.get(self.root, headers={"X-CSRF-Token": "Fetch"}, timeout=10)
        r.raise_for_status()
        self.token = r.headers["x-csrf-token"]
        return self.token

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.root + path, timeout=30, **kw)

    def write(self, method: str, path: str, json=None, headers=None, **kw) -> requests.Response:
        if not self.token:
            self.fetch_token()
        h = {"X-CSRF-Token": self.token, **(headers or {})}
        return self.session.request(
            method, self.root + path, json=json, headers=h, timeout=30, **kw
        )

    def post(self, path: str, json=None, **kw) -> requests.Response:
        return self.write("POST", path, json, **kw)


@pytest.fixture
def sap_http(sap_sim):
    """``sap_http("API_MAINTNOTIFICATION")`` -> SapHttp bound to the ``sap_sim`` fixture."""
    return lambda service, **kw: SapHttp(sap_sim, service, **kw)


@pytest.fixture
def sap_http_factory():
    """``sap_http_factory(sim, "API_EQUIPMENT")`` -> SapHttp for any simulator."""
    return SapHttp
