"""The simulator itself: persistence, thread safety, Maximo query features, CLI."""

from __future__ import annotations

import subprocess
import sys
import threading

import requests

from plant_sync.cmms import WorkOrder, make_client
from plant_sync.simulators.cmms import CmmsSimulator

KEY = {"apikey": "maximo-key"}


def test_store_survives_a_restart(tmp_path):
    db = str(tmp_path / "cmms.sqlite")
    with CmmsSimulator(db_path=db) as sim:
        sim.store.add_asset("PUMP-1", "Pump")
        first = sim.store.add_workorder(description="persisted", assetnum="PUMP-1")
    with CmmsSimulator(db_path=db) as sim:
        again = sim.store.workorder(first["wonum"])
        assert again["description"] == "persisted"
        second = sim.store.add_workorder(description="next")
        assert int(second["_rowstamp"]) > int(first["_rowstamp"])
        assert int(second["wonum"]) > int(first["wonum"])
        response = requests.get(
            sim.maximo_url + "/api/os/mxapiwodetail",
            params={"lean": "1", "oslc.select": "wonum"},
            headers=KEY,
            timeout=10,
        )
        assert {m["wonum"] for m in response.json()["member"]} == {first["wonum"], second["wonum"]}


def test_concurrent_creates_get_distinct_numbers(seeded, maximo_config):
    errors: list[Exception] = []
    created: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        client = make_client(maximo_config())
        try:
            for i in range(5):
                wo = client.create(WorkOrder(title=f"t{n}-{i}", asset_id="PUMP-100"))
                with lock:
                    created.append(wo.external_id)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(created) == len(set(created)) == 30
    assert seeded.store.count() == 42


def test_oslc_where_operators_paging_links_and_namespaced_form(seeded):
    url = seeded.maximo_url + "/api/os/mxapiwodetail"
    params = {
        "lean": "1",
        "oslc.where": 'status in ["APPR","COMP"] and wopriority<2 and description="%day%"',
        "oslc.select": "wonum,status,wopriority",
        "oslc.pageSize": "3",
        "collectioncount": "1",
    }
    body = requests.get(url, params=params, headers=KEY, timeout=10).json()
    assert body["responseInfo"]["totalCount"] == 4
    assert all(m["status"] == "APPR" and m["wopriority"] == 1 for m in body["member"])
    assert "description" not in body["member"][0] and "_rowstamp" in body["member"][0]
    nxt = requests.get(body["responseInfo"]["nextPage"]["href"], headers=KEY, timeout=10).json()
    assert len(nxt["member"]) == 1 and "nextPage" not in nxt["responseInfo"]
    bad = requests.get(url, params={"oslc.where": 'status="APPR'}, headers=KEY, timeout=10)
    assert bad.status_code == 400 and bad.json()["Error"]["reasonCode"] == "BMXAA8744E"
    plain = requests.get(url, params={"oslc.select": "wonum"}, headers=KEY, timeout=10).json()
    assert "spi:wonum" in plain["rdfs:member"][0]
    member = requests.get(body["member"][0]["href"], params={"lean": "1"}, headers=KEY, timeout=10)
    assert member.headers["ETag"] == body["member"][0]["_rowstamp"]


def test_soap_wsdl_is_served_with_inline_schema_and_own_address(seeded):
    text = requests.get(seeded.wsdl_url, timeout=10).text
    assert 'name="QueryMXWODETAIL"' in text and "urn:processDocument" in text
    assert seeded.soap_url in text and "schemaLocation" not in text


def test_command_line_starts_a_seeded_simulator(tmp_path):
    db = tmp_path / "demo.sqlite"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plant_sync.simulators.cmms",
            "--port",
            "0",
            "--db",
            str(db),
            "--seed-demo",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("CMMS simulator on http://127.0.0.1:")
        base = first.rsplit(" ", 1)[-1]
        assert requests.get(base + "/health", timeout=10).json() == {"status": "ok"}
        members = requests.get(
            base + "/maximo/api/os/mxapiwodetail", params={"lean": "1"}, headers=KEY, timeout=10
        ).json()["member"]
        # the 12 demo work orders plus the one left unmapped on purpose (status WMATL)
        assert len(members) == 13
        assert sum(m["status"] == "WMATL" for m in members) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0
