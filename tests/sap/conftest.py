"""Fixtures for the SAP client tests: a running SAP simulator on loopback and a service per
transport configured exactly as an Odoo backend would configure it."""

from __future__ import annotations

import pytest

from plant_sync.sap.config import SapConnectionConfig
from plant_sync.sap.service import make_sap_service

USER, PASSWORD = "PLANT_SYNC", "Secret#1"
OAUTH_ID, OAUTH_SECRET = "plant-sync-client", "client-secret"


def _start(page_size: int = 100):
    from plant_sync.simulators.sap import SapSimulator

    return SapSimulator(
        users={USER: PASSWORD},
        oauth_clients={OAUTH_ID: OAUTH_SECRET},
        page_size=page_size,
        clients=("100",),
    ).start()


@pytest.fixture
def sim_factory():
    started = []

    def make(page_size: int = 100):
        sim = _start(page_size)
        started.append(sim)
        sim.master = sim.store.seed_master_data()
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(sim_factory):
    return sim_factory()


def odata_config(sim, **overrides) -> SapConnectionConfig:
    values = {
        "transport": "odata",
        "base_url": sim.url,
        "client": "100",
        "user": USER,
        "password": PASSWORD,
        "allow_loopback": True,
        "allow_http": True,
        "backoff": 0.01,
        "max_retry_after": 0.05,
        "read_timeout": 10,
    }
    values.update(overrides)
    return SapConnectionConfig(**values)


def rfc_config(sim, **overrides) -> SapConnectionConfig:
    values = {
        "transport": "rfc",
        "client": "100",
        "connection_factory": lambda: sim.rfc_connection(user=USER, passwd=PASSWORD, client="100"),
        "backoff": 0.01,
        "max_retry_after": 0.05,
    }
    values.update(overrides)
    return SapConnectionConfig(**values)


CONFIGS = {"odata": odata_config, "rfc": rfc_config}


@pytest.fixture(params=["odata", "rfc"])
def transport(request):
    return request.param


@pytest.fixture
def service(sim, transport):
    svc = make_sap_service(CONFIGS[transport](sim))
    yield svc
    svc.close()


@pytest.fixture
def odata(sim):
    svc = make_sap_service(odata_config(sim))
    yield svc
    svc.close()


@pytest.fixture
def make_service():
    made = []

    def make(sim, transport: str, **overrides):
        svc = make_sap_service(CONFIGS[transport](sim, **overrides))
        made.append(svc)
        return svc

    yield make
    for svc in made:
        svc.close()
