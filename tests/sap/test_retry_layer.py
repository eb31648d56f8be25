"""One retry layer: the transports try each call once, the ops layer (``Retrier``,
``create_once``, ``reach``) repeats, bounded by ``max_attempts``. Requests are counted at the
simulator; failures come from its fault API."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest

from plant_sync.errors import ConnectionFailed, ServiceUnavailable
from plant_sync.idempotency import make_key
from plant_sync.sap.idempotent import Retrier
from plant_sync.sap.ops.notification import NotificationCreate
from plant_sync.sap.ops.order import OrderCreate

Match = Callable[[object], bool]


def _is_post(entity: str) -> Match:
    return lambda request: request.method == "POST" and request.path.endswith("/" + entity)


def _is_get(entity: str) -> Match:
    return lambda request: request.method == "GET" and request.path.endswith("/" + entity)


def _first(times: int, match: Match) -> Match:
    """``match`` for its first ``times`` matching requests only."""
    hits = [0]

    def first(request) -> bool:
        if not match(request):
            return False
        hits[0] += 1
        return hits[0] <= times

    return first


@pytest.fixture
def seen(sim, monkeypatch):
    """Requests reaching the simulator by (method, last path segment); ``seen.fail(match)``
    makes every matching request fail with 503 through the fault API (``fail_next``)."""
    counts: Counter = Counter()
    failing: list[Match] = []
    dispatch = sim.app.dispatch

    def counting(request):
        counts[(request.method, request.path.rsplit("/", 1)[-1])] += 1
        if any(match(request) for match in failing):
            sim.faults.set(fail_next=1, status=503, retry_after=None)
        return dispatch(request)

    monkeypatch.setattr(sim.app, "dispatch", counting)
    counts.fail = failing.append  # type: ignore[attr-defined]
    return counts


@pytest.fixture
def no_sleep(monkeypatch):
    """``time.sleep`` fails when the test's own thread (the client) calls it."""
    real, test_thread = time.sleep, threading.current_thread()

    def sleep(seconds: float) -> None:
        if threading.current_thread() is test_thread:
            raise AssertionError(f"the client slept {seconds} s")
        real(seconds)

    monkeypatch.setattr(time, "sleep", sleep)


@pytest.fixture
def pauses(monkeypatch):
    """Back-offs of the ops layer (the only place allowed to wait)."""
    taken: list[int] = []
    monkeypatch.setattr(Retrier, "pause", lambda self, attempt, exc: taken.append(attempt))
    return taken


def _note(service, tag: str):
    return service.create_notification(NotificationCreate("M1", tag), idempotency_key=make_key(tag))


# --- max_attempts=1: one request, no sleep ------------------------------------------------------
def test_single_attempt_read_raises_the_503_after_one_request(sim, make_service, seen, no_sleep):
    service = make_service(sim, "odata", max_attempts=1)
    seen.fail(_is_get("Equipment"))
    with pytest.raises(ServiceUnavailable) as info:
        service.get_equipment(sim.master["equipment"][0])
    assert info.value.status == 503
    assert sum(seen.values()) == 1 and seen[("GET", "Equipment")] == 1
    assert sim.faults.snapshot()["stats"]["errors"] == 1


def test_single_attempt_create_raises_the_503_after_one_post(sim, make_service, seen, no_sleep):
    service = make_service(sim, "odata", max_attempts=1)
    seen.fail(_is_post("MaintenanceNotification"))
    key = make_key("single-create")
    with pytest.raises(ServiceUnavailable):
        service.create_notification(NotificationCreate("M1", "once"), idempotency_key=key)
    # one look-up, one CSRF token fetch, one create: nothing repeated
    assert seen[("POST", "MaintenanceNotification")] == 1
    assert seen[("GET", "MaintenanceNotification")] == 1
    assert sum(seen.values()) == 3
    assert sim.store.find_notification_by_reference(key) == []


def test_single_attempt_rfc_call_raises_at_once(sim, make_service, no_sleep):
    service = make_service(sim, "rfc", max_attempts=1)
    sim.faults.set(error_rate=1.0)
    with pytest.raises(ConnectionFailed):
        service.get_notification("10000000")
    assert sim.faults.snapshot()["stats"]["errors"] == 1


def test_single_attempt_status_change_is_not_repeated(sim, make_service, seen, no_sleep):
    service = make_service(sim, "odata", max_attempts=1)
    order = _order(service, sim)
    seen.clear()
    seen.fail(_is_post("ReleaseMaintenanceOrder"))
    with pytest.raises(ServiceUnavailable):
        service.release_maintenance_order(order)
    assert seen[("POST", "ReleaseMaintenanceOrder")] == 1
    assert not service.get_maintenance_order_status(order).released


# --- max_attempts=3: the ops layer repeats, the transport does not ----------------------------
def test_create_failing_twice_is_retried_by_the_ops_layer_only(sim, make_service, seen, pauses):
    service = make_service(sim, "odata", max_attempts=3)
    seen.fail(_first(2, _is_post("MaintenanceNotification")))
    key = make_key("fails-twice")
    result = service.create_notification(NotificationCreate("M1", "twice"), idempotency_key=key)
    assert result.created and result.attempts == 3
    assert seen[("POST", "MaintenanceNotification")] == 3
    # the key was looked up before the create and again before each retry
    assert seen[("GET", "MaintenanceNotification")] == 3
    assert pauses == [0, 1]  # the back-offs were the ops layer's
    assert len(sim.store.find_notification_by_reference(key)) == 1


def test_persistent_create_failure_is_tried_max_attempts_times(sim, make_service, seen, pauses):
    service = make_service(sim, "odata", max_attempts=3)
    seen.fail(_is_post("MaintenanceNotification"))
    key = make_key("fails-always")
    with pytest.raises(ServiceUnavailable):
        service.create_notification(NotificationCreate("M1", "always"), idempotency_key=key)
    assert seen[("POST", "MaintenanceNotification")] == 3  # 3 x 3 = 9 with two layers
    assert pauses == [0, 1]
    assert sim.store.find_notification_by_reference(key) == []


def test_persistent_read_failure_is_tried_max_attempts_times(sim, make_service, seen, pauses):
    service = make_service(sim, "odata", max_attempts=3)
    seen.fail(_is_get("MaintenanceNotification"))
    with pytest.raises(ServiceUnavailable):
        _note(service, "lookup-fails")
    assert seen[("GET", "MaintenanceNotification")] == 3  # the look-up, not 3 x 3
    assert seen[("POST", "MaintenanceNotification")] == 0


def test_create_committed_but_answer_lost_is_found_not_repeated(sim, make_service, seen, pauses):
    service = make_service(sim, "odata", max_attempts=3)
    sim.faults.set(drop_after_commit_rate=1.0)
    key = make_key("lost-answer")
    result = service.create_notification(NotificationCreate("M1", "lost"), idempotency_key=key)
    sim.faults.clear()
    assert result.recovered and not result.created
    assert seen[("POST", "MaintenanceNotification")] == 1
    assert len(sim.store.find_notification_by_reference(key)) == 1


def test_status_change_is_retried_after_a_recheck(sim, make_service, seen, pauses):
    service = make_service(sim, "odata", max_attempts=3)
    order = _order(service, sim)
    seen.clear()
    seen.fail(_first(1, _is_post("ReleaseMaintenanceOrder")))
    change = service.release_maintenance_order(order)
    assert "REL" in change.status.split()
    assert seen[("POST", "ReleaseMaintenanceOrder")] == 2
    assert pauses == [0]


def test_status_change_whose_answer_was_lost_is_not_sent_again(sim, make_service, seen, pauses):
    service = make_service(sim, "odata", max_attempts=3)
    order = _order(service, sim)
    seen.clear()
    sim.faults.set(drop_after_commit_rate=1.0)
    change = service.release_maintenance_order(order)
    sim.faults.clear()
    assert "REL" in change.status.split()
    assert seen[("POST", "ReleaseMaintenanceOrder")] == 1  # the re-read saw it released


# --- protocol steps are no retries ------------------------------------------------------------
def test_csrf_token_refetch_works_with_a_single_attempt(sim, make_service, seen, no_sleep):
    service = make_service(sim, "odata", max_attempts=1)
    _note(service, "csrf-first")
    fetches = service.http.csrf_fetches
    sim.faults.set(csrf_expire=True)
    seen.clear()
    result = _note(service, "csrf-second")
    assert result.created
    assert service.http.csrf_fetches == fetches + 1
    # the rejected POST (403 "CSRF token validation failed"), then the one with the new token
    assert seen[("POST", "MaintenanceNotification")] == 2
    assert len(sim.store.find_notification_by_reference(make_key("csrf-second"))) == 1


def _order(service, sim) -> str:
    note = _note(service, f"order-note-{time.monotonic_ns()}").document
    data = OrderCreate(
        order_type="PM01",
        description="Retry layer",
        planning_plant="1010",
        notification=note.number,
        equipment=sim.master["equipment"][0],
        main_work_center="RES-0100",
        work_center_plant="1010",
    )
    key = make_key("order", time.monotonic_ns())
    return service.create_maintenance_order(data, idempotency_key=key).document.number
