"""Replaying a create — sequentially, in parallel threads, under faults — leaves exactly one
SAP document (checked in the simulator's store)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from plant_sync.idempotency import make_key
from plant_sync.sap.ops.notification import NotificationCreate


def _create(service, key):
    return service.create_notification(NotificationCreate("M1", "Replay"), idempotency_key=key)


def test_hundred_sequential_replays_make_one_document(service, sim, transport):
    key = make_key("replay-seq", transport)
    results = [_create(service, key) for _ in range(100)]
    assert sum(r.created for r in results) == 1
    assert len({r.document.number for r in results}) == 1
    assert len(sim.store.find_notification_by_reference(key)) == 1


def test_twenty_parallel_replays_make_one_document(service, sim, transport):
    key = make_key("replay-par", transport)
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: _create(service, key), range(20)))
    assert sum(r.created for r in results) == 1
    assert len({r.document.number for r in results}) == 1
    assert len(sim.store.find_notification_by_reference(key)) == 1


@pytest.mark.parametrize("seed", [1, 2])
def test_creates_under_faults_make_exactly_one_document_each(sim, make_service, transport, seed):
    service = make_service(sim, transport, max_attempts=25)
    sim.faults.set(error_rate=0.3, status=503, drop_after_commit_rate=0.1, seed=seed)
    keys = [make_key("faults", transport, seed, i) for i in range(8)]
    try:
        numbers = [_create(service, key).document.number for key in keys]
    finally:
        sim.faults.clear()
    for key, number in zip(keys, numbers, strict=True):
        stored = sim.store.find_notification_by_reference(key)
        assert [row["MaintenanceNotification"].lstrip("0") for row in stored] == [number]
