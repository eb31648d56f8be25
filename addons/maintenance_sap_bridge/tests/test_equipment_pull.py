# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import time

from odoo.tests.common import tagged

from .common import SapMaintenanceCase


@tagged("post_install", "-at_install")
class TestEquipmentPullOData(SapMaintenanceCase):
    transport = "odata"
    seed_equipment = 600

    def _sap_equipment(self):
        return self.env["maintenance.equipment"].search(
            [("sap_equipment_number", "!=", False), ("company_id", "=", self.company.id)]
        )

    def _stamp_all(self, equipment):
        self.env.cr.execute(
            "UPDATE maintenance_equipment SET sap_last_sync = '2000-01-01' WHERE id IN %s",
            (tuple(equipment.ids),),
        )
        equipment.invalidate_recordset(["sap_last_sync"])

    def test_pull_creates_once_then_nothing_then_only_the_changed_one(self):
        started = time.monotonic()
        self.pull("master")
        first_seconds = time.monotonic() - started
        equipment = self._sap_equipment()
        self.assertEqual(len(equipment), 600)
        self.assertEqual(len(set(equipment.mapped("sap_equipment_number"))), 600, "no duplicates")
        bindings = self.env["plant.sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("res_model", "=", "maintenance.equipment")]
        )
        self.assertEqual(len(bindings), 600)
        pump = equipment.filtered(lambda e: e.sap_equipment_number == self.master["equipment"][0])
        self.assertEqual(pump.serial_no, "SN00000001")
        self.assertEqual(pump.category_id.name, "PUMP")
        self.assertEqual(
            pump.sap_functional_location_id.code, self.master["functional_locations"][0]
        )
        self.assertEqual(pump.maintenance_team_id, self.team, "work center RES-0100 -> team")
        self.assertEqual(self.env["maintenance.functional.location"].search_count([]), 2)
        # second run: nothing changed in SAP, nothing written in Odoo
        self._stamp_all(equipment)
        messages_before = self.env["plant.sync.message"].search_count([])
        self.pull("master")
        self.assertEqual(len(self._sap_equipment()), 600)
        self.assertEqual(set(equipment.mapped("sap_last_sync")), {equipment[0].sap_last_sync})
        self.assertEqual(str(equipment[0].sap_last_sync), "2000-01-01 00:00:00")
        self.assertEqual(self.env["plant.sync.message"].search_count([]), messages_before)
        # one equipment changes in SAP: only that one is updated
        number = self.master["equipment"][42]
        with self.sim.store.transaction() as tx:
            tx.update(
                "Equipment",
                {
                    "Equipment": number,
                    "ValidityEndDate": tx.find("Equipment", Equipment=number)[0]["ValidityEndDate"],
                },
                {"EquipmentName": "Pump 42 (overhauled)", "ManufacturerPartTypeName": "P-NEW"},
            )
        self.pull("master")
        changed = equipment.filtered(lambda e: str(e.sap_last_sync) != "2000-01-01 00:00:00")
        self.assertEqual(changed.mapped("sap_equipment_number"), [number])
        self.assertEqual(changed.name, "Pump 42 (overhauled)")
        self.assertEqual(changed.model, "P-NEW")
        self.assertLess(first_seconds, 600)  # sanity bound only, not a timing assertion

    def test_existing_equipment_is_linked_not_duplicated_and_full_resync_is_idempotent(self):
        existing = self.env["maintenance.equipment"].create(
            {"name": "Old pump", "serial_no": "SN00000003"}
        )
        self.pull("master")
        self.assertEqual(existing.sap_equipment_number, self.master["equipment"][2])
        self.assertEqual(existing.name, "Pump 00003")
        self.assertEqual(len(self._sap_equipment()), 600)
        self._stamp_all(self._sap_equipment())
        self.flows["master"].action_sap_full_resync()  # enqueues the pull job
        self.pull("master")
        self.assertEqual(len(self._sap_equipment()), 600)
        self.assertFalse(
            self._sap_equipment().filtered(lambda e: str(e.sap_last_sync) != "2000-01-01 00:00:00"),
            "a full resync of unchanged data writes nothing",
        )


@tagged("post_install", "-at_install")
class TestEquipmentPullRfc(SapMaintenanceCase):
    transport = "rfc"
    seed_equipment = 120

    def test_rfc_pull_creates_once_and_second_run_changes_nothing(self):
        self.pull("master")
        Equipment = self.env["maintenance.equipment"]
        equipment = Equipment.search([("sap_equipment_number", "!=", False)])
        self.assertEqual(len(equipment), 120)
        # functional locations come over RFC too (IFLOT with ERDAT/AEDAT), and the equipment
        # carries plant, work center and location (EQUZ/ILOA)
        locations = self.env["maintenance.functional.location"].search(
            [("code", "in", self.master["functional_locations"])]
        )
        self.assertEqual(len(locations), 2)
        self.assertEqual(set(locations.mapped("plant")), {"1010"})
        self.assertFalse(
            self.env["plant.sync.exception"].search_count(
                [("flow_id", "=", self.flows["master"].id)]
            ),
            "nothing skipped",
        )
        first = equipment.filtered(lambda e: e.sap_equipment_number == self.master["equipment"][0])
        self.assertEqual(first.sap_plant, "1010")
        self.assertEqual(first.sap_work_center, "RES-0100")
        self.assertEqual(first.maintenance_team_id, self.team, "work center RES-0100 -> team")
        self.assertEqual(
            first.sap_functional_location_id.code, self.master["functional_locations"][0]
        )
        self.env.cr.execute(
            "UPDATE maintenance_equipment SET sap_last_sync = '2000-01-01' WHERE id IN %s",
            (tuple(equipment.ids),),
        )
        equipment.invalidate_recordset(["sap_last_sync"])
        # RFC deltas have day granularity: today's rows come again and are recognised
        self.pull("master")
        self.assertEqual(Equipment.search_count([("sap_equipment_number", "!=", False)]), 120)
        self.assertEqual(str(equipment[0].sap_last_sync), "2000-01-01 00:00:00")
        self.assertEqual(len(set(equipment.mapped("sap_last_sync"))), 1)
