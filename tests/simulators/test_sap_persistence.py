"""The SAP simulator's SQLite store survives a restart (same file, numbering continues)."""

from __future__ import annotations

import threading

from plant_sync.simulators.sap import SapSimulator


def test_restart_keeps_documents_and_number_ranges(tmp_path, sap_http_factory):
    db = str(tmp_path / "sap.sqlite")
    first = SapSimulator(db_path=db).start()
    first.seed_master_data()
    api = sap_http_factory(first, "API_MAINTNOTIFICATION")
    assert api.post("MaintenanceNotification", json={"NotificationType": "M1"}).status_code == 201
    first.stop()
    second = SapSimulator(db_path=db).start()
    try:
        api = sap_http_factory(second, "API_MAINTNOTIFICATION")
        rows = api.get("MaintenanceNotification").json()["d"]["results"]
        assert [r["MaintenanceNotification"] for r in rows] == ["10000000"]
        r = api.post("MaintenanceNotification", json={"NotificationType": "M1"})
        assert r.json()["d"]["MaintenanceNotification"] == "10000001"
        assert second.store.count("Equipment") == 10
    finally:
        second.stop()


def test_concurrent_creates_get_distinct_numbers(sap_sim, sap_http_factory):
    errors: list[str] = []

    def worker():
        api = sap_http_factory(sap_sim, "API_MAINTNOTIFICATION")
        for _ in range(10):
            r = api.post("MaintenanceNotification", json={"NotificationType": "M1"})
            if r.status_code != 201:
                errors.append(r.text)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = sap_sim.store.find("MaintenanceNotification")
    numbers = sorted(int(r["MaintenanceNotification"]) for r in rows)
    assert numbers == list(range(10000000, 10000040))
