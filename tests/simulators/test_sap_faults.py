"""Fault injection on the SAP simulator: 5xx/429, locks, drop after commit, CSRF expiry, RFC."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from plant_sync.sap.pyrfc_compat import CommunicationError


def test_error_rate_returns_5xx_with_retry_after(sap_sim, sap_http):
    api = sap_http("API_EQUIPMENT")
    sap_sim.faults.set(error_rate=1.0, status=503, retry_after=7, seed=1)
    r = api.get("Equipment")
    assert r.status_code == 503 and r.headers["Retry-After"] == "7"
    assert r.json()["error"]["code"]
    sap_sim.faults.set(status=429)
    assert api.get("Equipment").status_code == 429
    sap_sim.faults.clear()
    assert api.get("Equipment").status_code == 200


def test_seeded_error_rate_is_reproducible(sap_sim, sap_http):
    api = sap_http("API_EQUIPMENT")
    runs = []
    for _ in range(2):
        sap_sim.faults.set(error_rate=0.5, status=503, seed=42)
        runs.append([api.get("Equipment?$top=1").status_code for _ in range(12)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 503}


def test_fail_next_and_lock_rate(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    api.fetch_token()
    sap_sim.faults.set(fail_next=2, status=502)
    assert [api.get("").status_code for _ in range(3)] == [502, 502, 200]
    sap_sim.faults.set(lock_rate=1.0, lock_user="MAINT01")
    r = api.post("MaintenanceNotification", json={"NotificationType": "M1"})
    assert r.status_code == 423
    assert "MAINT01" in r.json()["error"]["message"]["value"]
    assert api.get("MaintenanceNotification").status_code == 200  # reads are not locked
    sap_sim.faults.clear()
    assert api.post("MaintenanceNotification", json={"NotificationType": "M1"}).status_code == 201


def test_drop_after_commit_writes_but_client_gets_no_answer(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    api.fetch_token()
    sap_sim.faults.set(drop_after_commit_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        api.post(
            "MaintenanceNotification",
            json={"NotificationType": "M1", "MaintNotifExtReferenceNumber": "DROPKEY000000001"},
        )
    sap_sim.faults.clear()
    # the nasty case: the notification exists although the client saw a failure
    found = api.get(
        "MaintenanceNotification",
        params={"$filter": "MaintNotifExtReferenceNumber eq 'DROPKEY000000001'"},
    )
    assert len(found.json()["d"]["results"]) == 1


def test_csrf_expiry_forces_a_new_fetch(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    api.fetch_token()
    sap_sim.faults.set(csrf_expire=True)
    r = api.post("MaintenanceNotification", json={"NotificationType": "M1"})
    assert r.status_code == 403 and r.headers["x-csrf-token"] == "Required"
    api.fetch_token()
    assert api.post("MaintenanceNotification", json={"NotificationType": "M1"}).status_code == 201


def test_http_control_endpoints(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    api.post("MaintenanceNotification", json={"NotificationType": "M1"})
    state = requests.get(sap_sim.url + "/__sim__/state", timeout=10).json()
    assert state["counts"]["MaintenanceNotification"] == 1
    set_ = requests.post(
        sap_sim.url + "/__sim__/faults",
        json={"error_rate": 1.0, "status": 500, "seed": 3},
        timeout=10,
    )
    assert set_.json()["error_rate"] == 1.0
    assert api.get("MaintenanceNotification").status_code == 500
    requests.delete(sap_sim.url + "/__sim__/faults", timeout=10)
    assert api.get("MaintenanceNotification").status_code == 200
    requests.post(sap_sim.url + "/__sim__/reset", json={}, timeout=10)
    assert sap_sim.store.counts()["MaintenanceNotification"] == 0
    assert sap_sim.store.count("Equipment") == 10  # master data kept
    bad = requests.post(sap_sim.url + "/__sim__/faults", json={"nonsense": 1}, timeout=10)
    assert bad.status_code == 400


def test_rfc_faults_communication_error_lock_and_drop_after_commit(sap_sim):
    conn = sap_sim.rfc_connection(user="PLANT_SYNC", passwd="Secret#1")
    sap_sim.faults.set(error_rate=1.0)
    with pytest.raises(CommunicationError):
        conn.call("RFC_PING")
    sap_sim.faults.set(error_rate=0.0, lock_rate=1.0, lock_user="JDOE")
    r = conn.call(
        "BAPI_PR_CREATE",
        PRITEM=[{"MATERIAL": sap_sim.master["materials"][0], "PLANT": "1010", "QUANTITY": 1}],
    )
    assert (r["RETURN"][0]["TYPE"], r["RETURN"][0]["MESSAGE_V1"]) == ("E", "JDOE")
    sap_sim.faults.set(lock_rate=0.0, drop_after_commit_rate=1.0)
    r = conn.call(
        "BAPI_PR_CREATE",
        PRITEM=[{"MATERIAL": sap_sim.master["materials"][0], "PLANT": "1010", "QUANTITY": 1}],
    )
    assert r["NUMBER"]
    with pytest.raises(CommunicationError):
        conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    assert sap_sim.store.count("A_PurchaseRequisitionHeader") == 1  # committed nonetheless
    assert not conn.alive


def test_hold_after_commit_keeps_the_answer_of_a_committed_write(sap_sim, sap_http):
    """Chaos tests kill the client while SAP holds the answer of a write it committed."""
    api = sap_http("API_MAINTNOTIFICATION")
    api.fetch_token()
    requests.post(
        sap_sim.url + "/__sim__/faults",
        json={"hold_next": 1, "hold_after_commit": 30},
        timeout=10,
    )
    answers = []
    client = threading.Thread(
        target=lambda: answers.append(
            api.post(
                "MaintenanceNotification",
                json={"NotificationType": "M1", "MaintNotifExtReferenceNumber": "HOLDKEY000000001"},
            ).status_code
        ),
        daemon=True,
    )
    client.start()
    deadline = time.monotonic() + 10
    holding = []
    while not holding and time.monotonic() < deadline:
        holding = requests.get(sap_sim.url + "/__sim__/state", timeout=10).json()["faults"][
            "holding"
        ]
        time.sleep(0.05)
    assert len(holding) == 1 and "HOLDKEY000000001" in holding[0]["body"]
    assert sap_sim.store.counts()["MaintenanceNotification"] == 1, "committed before the answer"
    assert not answers, "the answer is held"
    assert api.post("MaintenanceNotification", json={"NotificationType": "M1"}).status_code == 201
    assert sap_sim.faults.snapshot()["stats"]["holds"] == 1, "only the next write is held"
