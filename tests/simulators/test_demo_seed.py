"""The demo data of both simulators (``--seed-demo``) describe one plant: the CMMS assets are SAP
equipment too (same name, asset number = SAP serial number, which Odoo's crosswalk links)."""

from __future__ import annotations

from plant_sync.simulators.cmms.store import CmmsStore
from plant_sync.simulators.sap.store import SapStore


def test_cmms_demo_assets_are_sap_demo_equipment() -> None:
    sap, cmms = SapStore(None), CmmsStore(None)
    try:
        info = sap.seed_demo()
        cmms.seed_demo()
        by_serial = {
            row["ManufacturerSerialNumber"]: row
            for row in sap.find("Equipment")
            if row["Equipment"] in info["linked_equipment"]
        }
        assets = {asset["assetnum"]: asset["description"] for asset in cmms.assets()}
        assert set(assets) == set(by_serial)
        for assetnum, description in assets.items():
            assert by_serial[assetnum]["EquipmentName"] == description
        # the generic demo pumps keep their own serial numbers
        assert len(sap.find("Equipment")) == 53
    finally:
        sap.close()
        cmms.close()


def test_cmms_demo_has_one_work_order_in_a_status_the_demo_leaves_unmapped() -> None:
    cmms = CmmsStore(None)
    try:
        cmms.seed_demo()
        waiting = [wo for wo in cmms.workorders() if wo["status"] == "WMATL"]
        assert [wo["assetnum"] for wo in waiting] == ["CONV-200"]
    finally:
        cmms.close()
