# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What reaches SAP is what the workflow decided, never what a caller wrote: the status export
reads the stage of the request, the confirmation posts the hours approved (issue 12). The RPC
side of the same attacks is in plant_sync_base's test_rpc_access."""

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import tagged

from .common import SapMaintenanceCase


@tagged("post_install", "-at_install")
class TestTrustBoundary(SapMaintenanceCase):
    transport = "odata"

    def _request_with_order(self):
        """A corrective request whose SAP order exists and is released."""
        with trap_jobs() as trap:
            request = self.env["maintenance.request"].create(
                {
                    "name": "Bearing noise",
                    "equipment_id": self.make_equipment().id,
                    "maintenance_team_id": self.team.id,
                    "user_id": self.technician.id,
                    "duration": 1.0,
                }
            )
            self.run_jobs(trap)
            request.write({"stage_id": self.stage_progress.id})
            self.run_jobs(trap)
        self.assertTrue(request.sap_order_number, self.messages(request).mapped("error_human"))
        self.assertEqual(self.sap_order(request.sap_order_number)["_status"], "REL")
        return request

    def test_status_export_takes_the_stage_from_the_request_not_the_payload(self):
        request = self._request_with_order()
        with trap_jobs() as trap:
            message = self.env["plant.sync.message"]._enqueue(
                "sap_pm_status",
                request,
                {"request_id": request.id, "stage_id": self.stage_done.id},  # names "done"
                ("forged stage", request.id),
            )
            self.run_jobs(trap)
        self.assertEqual(message.state, "done", message.error_human)
        self.assertEqual(
            self.sap_order(request.sap_order_number)["_status"],
            "REL",
            "the request is in progress: no TECO because a payload said so",
        )
        self.assertEqual(message._get_response()["target"], "REL")

    def test_confirmation_posts_the_hours_approved_not_a_later_value(self):
        request = self._request_with_order()
        Labour = self.env["maintenance.request.labour"]
        with trap_jobs() as trap:
            line = Labour.with_user(self.technician).create(
                {"request_id": request.id, "hours": 2.0}
            )
            line.with_user(self.technician).action_submit()
            line.with_user(self.planner).action_approve()
            # after approval only code in superuser mode can change the line; even then SAP
            # gets the approved snapshot
            line.sudo().write({"hours": 7.5})
            self.run_jobs(trap)
        self.assertEqual(line.state, "posted", self.messages(line).mapped("error_human"))
        confirmations = self.sap_confirmations(request.sap_order_number)
        self.assertEqual([c["ActualWorkQuantity"] for c in confirmations], [2.0])
        self.assertEqual(line.approved_by_id, self.planner)

    def test_workflow_fields_of_labour_are_not_writable_by_people(self):
        request = self._request_with_order()
        line = (
            self.env["maintenance.request.labour"]
            .with_user(self.technician)
            .create({"request_id": request.id, "hours": 3.0})
        )
        for vals in (
            {"state": "approved"},
            {"approved_by_id": self.planner.id},
            {"sap_confirmation": "1000001"},
        ):
            for user in (self.technician, self.planner):
                with self.assertRaises(AccessError):
                    line.with_user(user).write(vals)
        with self.assertRaises(AccessError):
            self.env["maintenance.request.labour"].with_user(self.technician).create(
                {"request_id": request.id, "hours": 1.0, "state": "posted"}
            )
        line.with_user(self.technician).action_submit()
        line.with_user(self.planner).action_approve()
        with self.assertRaises(UserError):
            line.with_user(self.planner).write({"hours": 30.0})
        self.assertEqual((line.state, line.hours), ("approved", 3.0))

    def test_sap_references_of_a_request_are_the_handlers(self):
        request = self._request_with_order()
        for user in (self.technician, self.planner):
            with self.assertRaises(AccessError):
                request.with_user(user).write({"sap_order_number": "4000999"})
        self.assertNotEqual(request.sap_order_number, "4000999")
