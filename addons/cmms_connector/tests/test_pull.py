# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.tests.common import tagged

from .common import KINDS, CmmsCase


@tagged("post_install", "-at_install")
class TestWorkOrderPull(CmmsCase):
    def assert_imported(self, backend, count):
        requests = self.requests_of(backend)
        self.assertEqual(len(requests), count)
        wo = self.sim.store.workorder("WO0001")
        request = backend._record_for("maintenance.request", "WO0001")
        self.assertEqual(request.name, wo["description"])
        self.assertEqual(request.stage_id, self.env.ref("maintenance.stage_0"))
        self.assertEqual(request.priority, "2", "wopriority 2 -> Normal (priority mapping)")
        self.assertEqual(
            request.equipment_id, backend._record_for("maintenance.equipment", "PUMP-100")
        )
        self.assertEqual(request.equipment_id.serial_no, "PUMP-100")
        self.assertEqual(request.maintenance_team_id, self.team)
        self.assertEqual(request.cmms_backend_id, backend)
        self.assertIn("WO0001", request.plant_sync_external_ref)
        return requests

    def test_pull_creates_requests_idempotently_for_every_kind(self):
        self.add_workorders(10)
        for kind in KINDS:
            with self.subTest(kind=kind):
                backend = self.backends[kind]
                backend.cmms_pull_chunk = 4
                messages = self.pull(backend)
                self.assertEqual(len(messages), 10)
                self.assertEqual(set(messages.mapped("state")), {"done"})
                requests = self.assert_imported(backend, 10)
                flow = self.flow(backend, "cmms_wo_pull")
                self.assertEqual(str(flow.watermark_date), "2024-01-10 08:00:00")
                # a second pull reads the last change again (>=) and creates nothing
                again = self.pull(backend)
                self.assertFalse(again, "same work order versions -> same messages, no new one")
                self.assertEqual(self.requests_of(backend), requests)
                # no export of what was just imported (no echo)
                pushes = self.env["plant.sync.message"].search(
                    [("flow_code", "=", "cmms_wo_push"), ("backend_id", "=", backend.id)]
                )
                self.assertFalse(pushes)
        # created once (first backend), then matched by serial number and bound by the others
        pump = self.env["maintenance.equipment"].search([("serial_no", "=", "PUMP-100")])
        self.assertEqual(len(pump), 1)
        for backend in self.backends.values():
            self.assertEqual(backend._external_id_for(pump), "PUMP-100")

    def test_changed_work_order_updates_request_and_feeds_downtime(self):
        self.add_workorders(3)
        backend = self.maximo
        self.pull(backend)
        request = backend._record_for("maintenance.request", "WO0002")
        self.sim.store.update_workorder(
            "WO0002",
            {
                "status": "COMP",
                "actstart": "2024-02-01T06:00:00+00:00",
                "actfinish": "2024-02-01T09:30:00+00:00",
                "failurecode": "PUMPS",
                "problemcode": "LEAK",
                "failurereport": [
                    {"type": "CAUSE", "failurecode": "SEALWEAR"},
                    {"type": "REMEDY", "failurecode": "REPLSEAL"},
                ],
            },
            changedate="2024-02-01T10:00:00+00:00",
        )
        messages = self.pull(backend)
        self.assertEqual(len(messages), 1, "only the changed work order is pulled again")
        self.assertEqual(messages.res_id, request.id)
        self.assertEqual(request.stage_id, self.env.ref("maintenance.stage_3"))
        self.assertEqual(str(request.downtime_start), "2024-02-01 06:00:00")
        self.assertEqual(request.downtime_hours, 3.5)
        self.assertEqual(
            (
                request.cmms_failure_class,
                request.cmms_problem_code,
                request.cmms_cause_code,
                request.cmms_remedy_code,
            ),
            ("PUMPS", "LEAK", "SEALWEAR", "REPLSEAL"),
        )
        event = request.downtime_event_ids
        self.assertEqual(len(event), 1)
        self.assertEqual(event.duration_hours, 3.5)
        self.assertEqual(event.equipment_id, request.equipment_id)
        self.assertEqual(
            (event.source_system, event.source_backend_id, event.source_external_id),
            ("cmms", backend, "WO0002"),
        )
        self.assertEqual(event.message_id, messages)
        self.assertEqual(event.cause_code, "SEALWEAR")
        self.assertFalse(self.push_messages(request), "an import is not pushed back")

    def test_failure_code_mapping_translates_codes(self):
        self.env["plant.sync.mapping"].create(
            {
                "mapping_type": "cause_code",
                "backend_id": self.rest.id,
                "external_value": "SEALWEAR",
                "odoo_value": "Seal worn",
            }
        )
        self.add_workorders(1, failurereport=[{"type": "CAUSE", "failurecode": "SEALWEAR"}])
        self.pull(self.rest)
        request = self.rest._record_for("maintenance.request", "WO0001")
        self.assertEqual(request.cmms_cause_code, "Seal worn")

    def test_unmapped_status_holds_message_until_mapping_saved(self):
        self.add_workorders(1, status="WMATL")
        with self.jobs() as trap:
            flow = self.flow(self.maximo, "cmms_wo_pull")
            flow._run_batch_now()
            self.run_all(trap)
            message = self.env["plant.sync.message"].search([("flow_id", "=", flow.id)])
            self.assertEqual(message.state, "held")
            self.assertEqual(message.hold_mapping_type, "status")
            self.assertEqual(message.hold_value, "WMATL")
            self.assertTrue(
                message.hold_reason.startswith("CMMS Status 'WMATL' has no Odoo counterpart"),
                message.hold_reason,
            )
            self.assertFalse(self.requests_of(self.maximo))
            self.env["plant.sync.mapping"].create(
                {
                    "mapping_type": "status",
                    "external_value": "WMATL",
                    "odoo_ref": f"maintenance.stage,{self.env.ref('maintenance.stage_1').id}",
                    "direction": "inbound",
                }
            )
            self.run_all(trap)
        self.assertEqual(message.state, "done")
        request = self.maximo._record_for("maintenance.request", "WO0001")
        self.assertEqual(request.stage_id, self.env.ref("maintenance.stage_1"))

    def test_unknown_asset_waits_for_equipment_mapping_when_not_auto_created(self):
        self.maximo.cmms_create_equipment = False
        equipment = self.env["maintenance.equipment"].create({"name": "Pump P-100 (Odoo)"})
        self.add_workorders(1)
        with self.jobs() as trap:
            flow = self.flow(self.maximo, "cmms_wo_pull")
            flow._run_batch_now()
            self.run_all(trap)
            message = self.env["plant.sync.message"].search([("flow_id", "=", flow.id)])
            self.assertEqual((message.state, message.hold_value), ("held", "PUMP-100"))
            exception = message.exception_ids
            self.assertEqual(exception.kind, "missing_link")
            self.assertTrue(
                exception.description.startswith(
                    "CMMS asset 'PUMP-100' is not linked to an Odoo equipment — link it: map "
                    "the asset to its equipment"
                ),
                exception.description,
            )
            self.assertEqual(
                exception.name, "CMMS asset 'PUMP-100' is not linked to an Odoo equipment"
            )
            action = exception.action_fix()
            self.assertEqual(action["res_model"], "plant.sync.mapping")
            self.assertEqual(
                action["context"],
                {
                    "default_backend_id": self.maximo.id,
                    "default_mapping_type": "cmms_equipment",
                    "default_direction": "inbound",
                    "default_external_value": "PUMP-100",
                },
            )
            self.env["plant.sync.mapping"].create(
                {
                    "mapping_type": "cmms_equipment",
                    "backend_id": self.maximo.id,
                    "external_value": "PUMP-100",
                    "odoo_ref": f"maintenance.equipment,{equipment.id}",
                    "direction": "inbound",
                }
            )
            self.run_all(trap)
        self.assertEqual(message.state, "done")
        request = self.maximo._record_for("maintenance.request", "WO0001")
        self.assertEqual(request.equipment_id, equipment)
        self.assertEqual(self.maximo._external_id_for(equipment), "PUMP-100")

    def test_asset_pull_builds_crosswalk(self):
        existing = self.env["maintenance.equipment"].create(
            {"name": "Conveyor", "serial_no": "CONV-200"}
        )
        messages = self.pull(self.maximo, "cmms_asset_pull")
        self.assertEqual(len(messages), 2)
        self.assertEqual(set(messages.mapped("state")), {"done"})
        self.assertEqual(self.maximo._record_for("maintenance.equipment", "CONV-200"), existing)
        self.assertEqual(existing.name, "Belt conveyor C-200")
        pump = self.maximo._record_for("maintenance.equipment", "PUMP-100")
        self.assertEqual((pump.name, pump.location), ("Centrifugal pump P-100", "AREA1"))
        self.assertFalse(self.pull(self.maximo, "cmms_asset_pull"), "nothing changed")

    def test_transient_cmms_error_retries_the_pull_job(self):
        self.add_workorders(2)
        self.sim.faults.set(error_rate=1.0, status=503, retry_after=7, count=1, scope="maximo")
        flow = self.flow(self.maximo, "cmms_wo_pull")
        with self.jobs() as trap:
            flow._run_batch_now()
            with self.assertRaises(RetryableJobError) as caught:
                trap.enqueued_jobs[0].perform()
            self.assertEqual(caught.exception.seconds, 7, "Retry-After of the CMMS is kept")
            self.assertFalse(flow.watermark_date, "the watermark stays until a page succeeds")
            self.run_all(trap)  # the retry
        self.assertEqual(len(self.requests_of(self.maximo)), 2)
