"""Reading from the SAP simulator: paging, delta filters, $select/$expand/$orderby, keys."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from plant_sync.simulators.sap.values import iso_from_us


def _pull_all(api, first_url: str) -> tuple[list[dict], int]:
    rows, pages, url = [], 0, api.root + first_url
    while url:
        r = api.session.get(url, timeout=30)
        assert r.status_code == 200, r.text
        d = r.json()["d"]
        rows += d["results"]
        pages += 1
        url = d.get("__next")
    return rows, pages


def test_server_driven_paging_over_many_pages(sap_sim_factory, sap_http_factory):
    sim = sap_sim_factory(page_size=25)
    sim.store.seed_equipment(140, plant="1010")
    api = sap_http_factory(sim, "API_EQUIPMENT")
    first = api.get("Equipment?$inlinecount=allpages&$select=Equipment").json()["d"]
    assert first["__count"] == str(150)
    assert "$skiptoken=25" in first["__next"]
    rows, pages = _pull_all(api, "Equipment?$select=Equipment,EquipmentName")
    assert pages == 6
    numbers = [r["Equipment"] for r in rows]
    assert len(numbers) == 150 == len(set(numbers))
    assert numbers == sorted(numbers)


def test_top_skip_and_paging_combined(sap_sim_factory, sap_http_factory):
    sim = sap_sim_factory(page_size=10)
    api = sap_http_factory(sim, "API_EQUIPMENT")
    rows, pages = _pull_all(api, "Equipment?$top=7&$skip=2")
    assert [r["Equipment"] for r in rows] == [str(10000002 + i) for i in range(7)]
    assert pages == 1
    sim.store.seed_equipment(30)
    rows, pages = _pull_all(api, "Equipment?$top=25&$skip=1")
    assert len(rows) == 25 and pages == 3


def test_delta_pull_by_last_change_datetime(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    for i in range(3):
        assert api.post(
            "MaintenanceNotification", json={"NotificationType": "M1", "NotificationText": f"n{i}"}
        ).ok
    rows = api.get("MaintenanceNotification").json()["d"]["results"]
    newest = max(int(r["LastChangeDateTime"][6:-7]) for r in rows)
    stamp = iso_from_us(newest * 1000 + 999)
    time.sleep(0.01)
    changed = rows[0]
    etag = changed["__metadata"]["etag"]
    r = api.write(
        "MERGE",
        f"MaintenanceNotification('{changed['MaintenanceNotification']}')",
        json={"NotificationText": "changed"},
        headers={"If-Match": etag},
    )
    assert r.status_code == 204
    flt = f"LastChangeDateTime gt datetimeoffset'{stamp}'"
    delta = api.get("MaintenanceNotification", params={"$filter": flt}).json()["d"]["results"]
    assert [d["MaintenanceNotification"] for d in delta] == [changed["MaintenanceNotification"]]
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    none = api.get(
        "MaintenanceNotification", params={"$filter": f"LastChangeDateTime ge datetime'{later}'"}
    )
    assert none.json()["d"]["results"] == []


def test_filter_operators_select_orderby(sap_sim, sap_http):
    api = sap_http("API_EQUIPMENT")
    eq = sap_sim.master["equipment"]
    r = api.get(
        "Equipment",
        params={
            "$filter": f"(Equipment eq '{eq[0]}' or Equipment eq '{eq[1]}') and "
            "MaintenancePlant eq '1010' and substringof('Pump', EquipmentName)",
            "$select": "Equipment,EquipmentName",
            "$orderby": "Equipment desc",
        },
    )
    rows = r.json()["d"]["results"]
    assert [x["Equipment"] for x in rows] == [eq[1], eq[0]]
    assert set(rows[0]) == {"__metadata", "Equipment", "EquipmentName"}
    r = api.get(
        "Equipment",
        params={
            "$filter": "startswith(EquipmentName,'Pump 0000') and "
            f"Equipment ne '{eq[0]}' and Equipment le '{eq[5]}'"
        },
    )
    assert len(r.json()["d"]["results"]) == 5
    assert api.get("Equipment/$count").text == "10"
    bad = api.get("Equipment", params={"$filter": "Equipment eq"})
    assert bad.status_code == 400


def test_entity_by_compound_key_with_etag_header(sap_sim, sap_http):
    api = sap_http("API_EQUIPMENT")
    eq = sap_sim.master["equipment"][3]
    r = api.get(f"Equipment(Equipment='{eq}',ValidityEndDate=datetime'9999-12-31T00:00:00')")
    assert r.status_code == 200
    d = r.json()["d"]
    assert d["Equipment"] == eq
    assert r.headers["ETag"] == d["__metadata"]["etag"]
    assert d["__metadata"]["etag"].startswith("W/\"datetimeoffset'")
    assert d["ValidityEndDate"] == "/Date(253402214400000)/"
    assert d["to_Partner"]["__deferred"]["uri"].endswith("/to_Partner")
    missing = api.get("Equipment(Equipment='1',ValidityEndDate=datetime'9999-12-31T00:00:00')")
    assert missing.status_code == 404


def test_expand_operations_and_navigation(sap_sim, sap_http):
    api = sap_http("API_MAINTENANCEORDER;v=0002")
    body = {
        "MaintenanceOrderType": "PM01",
        "MaintenanceOrderDesc": "Pump overhaul",
        "Equipment": sap_sim.master["equipment"][0],
        "to_MaintenanceOrderOperation": [
            {"OperationDescription": "Dismantle"},
            {"OperationDescription": "Reassemble"},
        ],
    }
    created = api.post("MaintenanceOrder", json=body)
    assert created.status_code == 201, created.text
    order = created.json()["d"]["MaintenanceOrder"]
    r = api.get(f"MaintenanceOrder('{order}')?$expand=to_MaintenanceOrderOperation")
    ops = r.json()["d"]["to_MaintenanceOrderOperation"]["results"]
    assert [o["MaintenanceOrderOperation"] for o in ops] == ["0010", "0020"]
    nav = api.get(f"MaintenanceOrder('{order}')/to_MaintenanceOrderOperation").json()["d"]
    assert len(nav["results"]) == 2
    back = api.get(
        f"MaintenanceOrderOperation(MaintenanceOrder='{order}',"
        "MaintenanceOrderOperation='0020',MaintenanceOrderSubOperation='')"
        "/to_MaintenanceOrder"
    )
    assert back.json()["d"]["MaintenanceOrder"] == order


def test_equipment_pull_of_1000_records(sap_sim_factory, sap_http_factory):
    sim = sap_sim_factory(page_size=500)
    sim.store.seed_equipment(1000)
    api = sap_http_factory(sim, "API_EQUIPMENT")
    rows, pages = _pull_all(api, "Equipment?$inlinecount=allpages")
    assert len(rows) == 1010 and pages == 3


def test_100k_stock_positions_filter_and_page(sap_sim_factory, sap_http_factory):
    sim = sap_sim_factory(seed=False, page_size=1000)
    sim.store.seed_plant("1010", ("0001",))
    sim.store.seed_materials(100_000, with_master=False, prefix="BULK", stock=3)
    api = sap_http_factory(sim, "API_MATERIAL_STOCK_SRV")
    r = api.get(
        "A_MatlStkInAcctMod",
        params={
            "$filter": "Plant eq '1010' and StorageLocation eq '0001' "
            "and InventoryStockType eq '01'",
            "$inlinecount": "allpages",
        },
    )
    d = r.json()["d"]
    assert d["__count"] == "100000"
    assert len(d["results"]) == 1000 and "__next" in d
    assert d["results"][0]["MatlWrhsStkQtyInMatlBaseUnit"].startswith("3.000")
    one = api.get("A_MatlStkInAcctMod", params={"$filter": "Material eq 'BULK-054321'"})
    assert len(one.json()["d"]["results"]) == 1
