# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from odoo.tests.common import new_test_user, tagged

from .common import KINDS, CmmsCase


@tagged("post_install", "-at_install")
class TestWorkOrderPush(CmmsCase):
    def complete(self, request):
        """What a technician does in Odoo: repaired, downtime, cause, 2.5 hours of work."""
        request.write(
            {
                "stage_id": self.env.ref("maintenance.stage_3").id,
                "downtime_start": datetime(2024, 3, 4, 7, 0),
                "downtime_end": datetime(2024, 3, 4, 9, 30),
                "cmms_cause_code": "BEARING",
                "duration": 2.5,
                "user_id": self.technician.id,
            }
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.technician = new_test_user(cls.env, login="wilson", groups="base.group_user")

    def test_completion_in_odoo_is_pushed_for_every_kind(self):
        self.add_workorders(len(KINDS))
        for number, kind in enumerate(KINDS, start=1):
            with self.subTest(kind=kind):
                backend = self.backends[kind]
                wonum = f"WO{number:04d}"
                self.pull(backend)
                request = backend._record_for("maintenance.request", wonum)
                with self.jobs() as trap:
                    self.complete(request)
                    message = self.push_messages(request)
                    self.assertEqual(len(message), 1, "one push per state of the request")
                    self.assertEqual(message.backend_id, backend)
                    self.run_all(trap)
                self.assertEqual(message.state, "done", message.error_technical)
                stored = self.sim.store.workorder(wonum)
                self.assertEqual(stored["status"], "COMP")
                self.assertEqual(stored["actstart"], "2024-03-04T07:00:00+00:00")
                self.assertEqual(stored["actfinish"], "2024-03-04T09:30:00+00:00")
                self.assertIn({"type": "CAUSE", "failurecode": "BEARING"}, stored["failurereport"])
                labour = stored.get("labtrans") or []
                self.assertEqual(
                    [(row["laborcode"], row["regularhrs"]) for row in labour], [("WILSON", 2.5)]
                )
                self.assertTrue(request.cmms_labour_pushed)
                binding = self.env["plant.sync.binding"]._binding_for(backend, request)
                self.assertEqual(binding.external_version, self.pushed_version(kind, stored))
                # the pull that follows sees our own change: nothing to import, nothing pushed
                with self.jobs() as trap:
                    self.flow(backend, "cmms_wo_pull")._run_batch_now()
                    self.run_all(trap)
                self.assertEqual(len(self.push_messages(request)), 1, "no echo of the import")
                self.assertEqual(len(self.sim.store.workorder(wonum).get("labtrans") or []), 1)

    def pushed_version(self, kind, stored):
        if kind == "cmms_soap":
            return stored["changedate"]
        return stored["_rowstamp"]

    def test_push_waits_for_outbound_status_mapping(self):
        self.add_workorders(1)
        self.pull(self.maximo)
        request = self.maximo._record_for("maintenance.request", "WO0001")
        scrap_like = self.env["maintenance.stage"].create({"name": "Waiting parts", "sequence": 3})
        with self.jobs() as trap:
            request.stage_id = scrap_like
            self.run_all(trap)
            message = self.push_messages(request)
            self.assertEqual((message.state, message.hold_mapping_type), ("held", "status"))
            self.env["plant.sync.mapping"].create(
                {
                    "mapping_type": "status",
                    "external_value": "WMATL",
                    "odoo_ref": f"maintenance.stage,{scrap_like.id}",
                    "direction": "outbound",
                }
            )
            self.run_all(trap)
        self.assertEqual(message.state, "done")
        self.assertEqual(self.sim.store.workorder("WO0001")["status"], "WMATL")

    def test_request_created_in_odoo_for_a_cmms_creates_the_work_order(self):
        equipment = self.env["maintenance.equipment"].create({"name": "Pump", "serial_no": "X"})
        self.maximo._bind(equipment, "PUMP-100")
        with self.jobs() as trap:
            request = self.env["maintenance.request"].create(
                {
                    "name": "Pump vibrates",
                    "equipment_id": equipment.id,
                    "cmms_backend_id": self.maximo.id,
                    "maintenance_team_id": self.team.id,
                }
            )
            self.run_all(trap)
        wonum = self.maximo._external_id_for(request)
        self.assertTrue(wonum)
        stored = self.sim.store.workorder(wonum)
        self.assertEqual((stored["description"], stored["assetnum"]), ("Pump vibrates", "PUMP-100"))
        self.assertEqual(stored["status"], "WAPPR")

    def test_downtime_entered_in_odoo_feeds_the_downtime_events(self):
        equipment = self.env["maintenance.equipment"].create({"name": "Press"})
        request = self.env["maintenance.request"].create(
            {
                "name": "Press stopped",
                "equipment_id": equipment.id,
                "maintenance_team_id": self.team.id,
                "downtime_start": datetime(2024, 6, 1, 8, 0),
            }
        )
        event = request.downtime_event_ids
        self.assertEqual((event.source_system, event.is_open), ("odoo", True))
        self.assertEqual(event.source_external_id, f"maintenance.request,{request.id}")
        request.write({"downtime_end": datetime(2024, 6, 1, 8, 45), "cmms_cause_code": "JAM"})
        self.assertEqual(request.downtime_event_ids, event, "the same stop, updated")
        self.assertEqual((event.duration_hours, event.cause_code), (0.75, "JAM"))
        self.assertEqual(equipment.downtime_event_count, 1)

    def test_request_without_cmms_is_not_pushed(self):
        with self.jobs() as trap:
            request = self.env["maintenance.request"].create(
                {"name": "Local only", "maintenance_team_id": self.team.id}
            )
            request.stage_id = self.env.ref("maintenance.stage_1")
            trap.assert_jobs_count(0)
        self.assertFalse(self.push_messages(request))
