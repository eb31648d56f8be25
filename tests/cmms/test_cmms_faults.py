"""Injected faults surface as typed errors: transient ones can be retried, and a retry after the
fault is gone succeeds."""

from __future__ import annotations

import pytest

from plant_sync.cmms import WorkOrder, make_client
from plant_sync.cmms.soap import maximo_mif_config
from plant_sync.errors import (
    ConnectionFailed,
    RateLimited,
    RemoteTimeout,
    ServiceUnavailable,
    outcome_of,
)


@pytest.fixture
def clients(seeded, maximo_config, rest_config, http):
    soap = make_client(
        maximo_mif_config(seeded.wsdl_url, username="maxadmin", password="maxadmin", http=http)
    )
    soap.ping()  # WSDL loaded before faults start
    return {
        "maximo": make_client(maximo_config()),
        "soap": soap,
        "rest": make_client(rest_config()),
    }


@pytest.mark.parametrize("face", ["maximo", "soap", "rest"])
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_transient_service_unavailable(seeded, clients, face, status):
    seeded.faults.set(error_rate=1.0, status=status, scope=face)
    with pytest.raises(ServiceUnavailable) as info:
        list(clients[face].list_changed())
    outcome = outcome_of(info.value)
    assert outcome.transient
    seeded.faults.clear()
    assert len(list(clients[face].list_changed())) == 12


@pytest.mark.parametrize("face", ["maximo", "rest"])
def test_429_is_rate_limited_with_retry_after(seeded, clients, face):
    seeded.faults.set(error_rate=1.0, status=429, retry_after=7, scope=face)
    with pytest.raises(RateLimited) as info:
        clients[face].get(seeded.store.workorders()[0]["wonum"])
    assert info.value.transient and info.value.retry_after == 7


def test_fault_count_lets_the_retry_succeed(seeded, clients):
    seeded.faults.set(error_rate=1.0, status=503, count=1)
    client = clients["maximo"]
    with pytest.raises(ServiceUnavailable):
        client.create(WorkOrder(title="first try"))
    created = client.create(WorkOrder(title="first try"))
    assert created.title == "first try"
    assert seeded.faults.injected("error") == 1


def test_partial_error_rate_only_raises_typed_transient_errors(seeded, clients):
    seeded.faults.set(error_rate=0.5, status=503, seed=42, scope="maximo")
    ok = failed = 0
    for _ in range(20):
        try:
            clients["maximo"].ping()
            ok += 1
        except ServiceUnavailable as exc:
            assert exc.transient
            failed += 1
    assert ok and failed and ok + failed == 20


def test_latency_beyond_the_read_timeout_is_remote_timeout(seeded, maximo_config, http):
    http.read_timeout = 0.2
    client = make_client(maximo_config(http=http))
    seeded.faults.set(latency=1.0, scope="maximo")
    with pytest.raises(RemoteTimeout) as info:
        client.ping()
    assert info.value.transient


def test_small_latency_is_harmless(seeded, clients):
    seeded.faults.set(latency=0.01)
    assert len(list(clients["rest"].list_changed())) == 12


def test_stopped_server_is_connection_failed(seeded, maximo_config):
    client = make_client(maximo_config())
    seeded.stop()
    with pytest.raises(ConnectionFailed) as info:
        client.ping()
    assert info.value.transient
