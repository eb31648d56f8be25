# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from .common import SapMaintenanceCase

REQUESTS = 4
QUIET = mute_logger("plant_sync.sap.idempotent", "plant_sync.sap.rfc", "plant_sync.sap.odata")


@tagged("post_install", "-at_install")
class TestResilienceOData(SapMaintenanceCase):
    """SAP answering 30% errors, enqueue lock conflicts, dropped connections after commit and
    latency: the jobs run again until done, and every document exists exactly once."""

    transport = "odata"

    def test_faulty_sap_every_document_and_confirmation_exactly_once(self):
        self.backend.flow_ids.write({"max_retries": 100})
        equipment = self.make_equipment()
        Request, Labour = self.env["maintenance.request"], self.env["maintenance.request.labour"]
        self.sim.faults.set(
            error_rate=0.3,
            status=503,
            latency=0.01,
            lock_rate=0.1,
            drop_after_commit_rate=0.1,
            seed=1,
        )
        with trap_jobs() as trap, QUIET:
            requests = Request.create(
                [
                    {
                        "name": f"Chaos {i}",
                        "equipment_id": equipment.id,
                        "maintenance_team_id": self.team.id,
                    }
                    for i in range(REQUESTS)
                ]
            )
            self.run_jobs(trap)
            requests.write({"stage_id": self.stage_progress.id})
            self.run_jobs(trap)
            lines = Labour
            for request in requests:
                lines |= Labour.with_user(self.technician).create(
                    [
                        {"request_id": request.id, "hours": 1.5},
                        {"request_id": request.id, "hours": 0.75},
                    ]
                )
            lines.with_user(self.technician).action_submit()
            lines.with_user(self.planner).action_approve()
            self.run_jobs(trap)
            requests.write({"stage_id": self.stage_done.id})
            self.run_jobs(trap)
        stats = self.sim.faults.snapshot().get("stats") or {}
        self.sim.faults.clear()
        messages = self.env["plant.sync.message"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(set(messages.mapped("state")), {"done"}, messages.mapped("error_human"))
        self.assertGreater(sum(v for v in stats.values() if isinstance(v, int)), 10, stats)
        counts = self.sim.store.counts()
        self.assertEqual(counts["MaintenanceNotification"], REQUESTS)
        self.assertEqual(counts["MaintenanceOrder"], REQUESTS)
        self.assertEqual(counts["MaintOrderConfirmation"], 3 * REQUESTS)
        for message in messages.filtered(lambda m: m.flow_code == "sap_pm_confirmation"):
            self.assertEqual(
                len(self.sim.store.find_confirmation_by_reference(message.idempotency_key)), 1
            )
        for request in requests:
            self.assertEqual(self.sap_order(request.sap_order_number)["_status"], "TECO")
            confirmations = self.sap_confirmations(request.sap_order_number)
            # the hours once each, then the final confirmation (zero hours) on completion
            self.assertEqual(
                sorted(c["ActualWorkQuantity"] for c in confirmations), [0.0, 0.75, 1.5]
            )
            finals = [c for c in confirmations if c["IsFinalConfirmation"]]
            self.assertEqual([c["ActualWorkQuantity"] for c in finals], [0.0])
        self.assertEqual(set(lines.mapped("state")), {"posted"})


@tagged("post_install", "-at_install")
class TestResilienceRfc(TestResilienceOData):
    transport = "rfc"
    allow_inherited_tests_method = True
