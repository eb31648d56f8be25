# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from .common import SapMaintenanceCase


@tagged("post_install", "-at_install")
class TestCorrectiveFlowOData(SapMaintenanceCase):
    transport = "odata"

    def _full_corrective_cycle(self):
        equipment = self.make_equipment()
        Request = self.env["maintenance.request"]
        with trap_jobs() as trap:
            # a technician without any integration group reports the breakdown
            request = (
                Request.with_user(self.technician)
                .create(
                    {
                        "name": "Pump leaking at the seal",
                        "equipment_id": equipment.id,
                        "maintenance_team_id": self.team.id,
                        "user_id": self.technician.id,
                        "duration": 3.0,
                        "priority": "3",
                    }
                )
                .sudo()
            )
            self.run_jobs(trap)
        notification = request.sap_notification_number
        self.assertTrue(notification, "the SAP notification number is on the request")
        sap_notif = self.sim.store.get(
            "MaintenanceNotification", MaintenanceNotification=notification
        )
        self.assertEqual(sap_notif["TechnicalObject"], equipment.sap_equipment_number)
        self.assertEqual(sap_notif["MaintPriority"], "1")
        self.assertEqual(sap_notif["NotificationText"], "Pump leaking at the seal")
        self.assertEqual(request.sap_cost_center, "10101101")
        self.assertEqual(request.sap_planner_group, "I01")
        self.assertEqual(sap_notif["MaintenancePlannerGroup"], "I01", "planner group sent")
        # stored once: a typed binding (the field is computed from it), no other copy
        self.assertEqual(self.backend._external_id_for(request, "sap_notification"), notification)
        self.assertFalse(self.backend._external_id_for(request), "no untyped binding")
        self.assertFalse(request._fields["sap_notification_number"].store)
        # planner approves the request: order created for the notification and released
        with trap_jobs() as trap:
            request.with_user(self.planner).write({"stage_id": self.stage_progress.id})
            self.run_jobs(trap)
        order = request.sap_order_number
        self.assertTrue(order)
        self.assertEqual(self.backend._external_id_for(request, "sap_order"), order)
        self.assertEqual(request.search([("sap_order_number", "=", order)]), request, "searchable")
        sap_order = self.sap_order(order)
        self.assertEqual(sap_order["_status"], "REL")
        self.assertEqual(sap_order["MaintenanceNotification"], notification)
        self.assertEqual(sap_order["MainWorkCenter"], "RES-0100")
        self.assertEqual(sap_order["CostCenter"], "10101101", "mapped cost center sent")
        self.assertEqual(sap_order["MaintenancePlannerGroup"], "I01", "planner group sent")
        self.assertEqual(request.sap_status_code, "REL")
        self.assertEqual(request.sap_operation_ids.mapped("number"), ["0010"])
        # technicians log labour; the planner approves; the confirmations are posted
        Labour = self.env["maintenance.request.labour"]
        with trap_jobs() as trap:
            line1 = Labour.with_user(self.technician).create(
                {"request_id": request.id, "hours": 2.5}
            )
            line2 = Labour.with_user(self.technician2).create(
                {"request_id": request.id, "hours": 1.25, "technician_id": self.technician2.id}
            )
            (line1 | line2).with_user(self.technician).action_submit()
            self.assertEqual(set((line1 | line2).mapped("state")), {"to_approve"})
            self.run_jobs(trap)
            self.assertFalse(self.sap_confirmations(order), "nothing posted before approval")
            with self.assertRaises(AccessError):
                line1.with_user(self.technician).action_approve()
            (line1 | line2).with_user(self.planner).action_approve()
            self.run_jobs(trap)
        self.assertEqual(
            set((line1 | line2).mapped("state")),
            {"posted"},
            (self.messages(line1) | self.messages(line2)).mapped("error_human"),
        )
        partial = self.sap_confirmations(order)
        self.assertEqual([c["IsFinalConfirmation"] for c in partial], [0, 0], "partial stays")
        self.assertEqual(self.sap_order(order)["SystemStatusText"], "REL PCNF")
        # completion: a last line becomes the final confirmation, then TECO
        with trap_jobs() as trap:
            line3 = Labour.with_user(self.technician).create(
                {"request_id": request.id, "hours": 0.5}
            )
            request.with_user(self.technician).write({"stage_id": self.stage_done.id})
            self.assertEqual(line3.state, "to_approve")
            self.assertTrue(line3.final)
            self.run_jobs(trap)
            status_message = self.messages(request, "status")
            self.assertEqual(status_message.state, "failed", "TECO waits for the approval")
            self.assertIn("await planner approval", status_message.error_human)
            line3.with_user(self.planner).action_approve()
            # TECO run before the final confirmation is posted: it waits, and the wait does not
            # use up the job's retries (queue_job would fail it while the labour is slow)
            status_job = next(j for j in trap.enqueued_jobs if j.recordset == status_message)
            with self.assertRaises(RetryableJobError) as waiting:
                status_job.perform()
            self.assertIn("Waiting for the approved labour", str(waiting.exception))
            self.assertTrue(waiting.exception.ignore_retry)
            self.run_jobs(trap)
        self.assertEqual(status_message.state, "done")
        confirmations = self.sap_confirmations(order)
        self.assertEqual(len(confirmations), 3)
        self.assertEqual(sorted(c["ActualWorkQuantity"] for c in confirmations), [0.5, 1.25, 2.5])
        self.assertEqual(
            sorted(c["PersonnelNumber"] or "" for c in confirmations),
            ["00001001", "00001001", "00001002"],
        )
        finals = [c for c in confirmations if c["IsFinalConfirmation"]]
        self.assertEqual(len(finals), 1)
        self.assertEqual(finals[0]["ActualWorkQuantity"], 0.5)
        sap_order = self.sap_order(order)
        self.assertEqual(sap_order["_status"], "TECO")
        self.assertEqual(request.sap_status_code, "TECO")
        sap_notif = self.sim.store.get(
            "MaintenanceNotification", MaintenanceNotification=notification
        )
        self.assertEqual(sap_notif["NotifProcessingPhase"], "4", "notification completed")
        # exactly once, and the timeline shows every step
        self.assertEqual(
            len(
                self.sim.store.find_notification_by_reference(
                    self.messages(request, "notification").idempotency_key
                )
            ),
            1,
        )
        self.assertEqual(
            len(
                self.sim.store.find_order_by_reference(
                    self.messages(request, "order").idempotency_key
                )
            ),
            1,
        )
        self.assertEqual(request.sap_sync_state, "synced")
        notes = request.message_ids.mapped("body")
        self.assertTrue(any("TECO" in (b or "") for b in notes))
        return request

    def test_request_notification_order_release_confirmations_teco(self):
        self._full_corrective_cycle()

    def test_technician_cannot_approve_and_sees_no_integration_data(self):
        equipment = self.make_equipment()
        with trap_jobs() as trap:
            request = (
                self.env["maintenance.request"]
                .with_user(self.technician)
                .create(
                    {
                        "name": "Noise",
                        "equipment_id": equipment.id,
                        "user_id": self.technician.id,
                        "maintenance_team_id": self.team.id,
                    }
                )
            )
            self.run_jobs(trap)
        labour = (
            self.env["maintenance.request.labour"]
            .with_user(self.technician)
            .create({"request_id": request.id, "hours": 1.0})
        )
        labour.action_submit()
        with self.assertRaises(AccessError):
            labour.action_approve()
        # the technician's form loads (no integration fields read without the group)
        request.with_user(self.technician).read(
            ["sap_notification_number", "sap_status", "sap_sync_state", "sap_labour_ids"]
        )
        self.assertTrue(request.sudo().sap_notification_number)

    def test_planner_cannot_approve_own_hours(self):
        equipment = self.make_equipment()
        request = self.env["maintenance.request"].create(
            {"name": "Check", "equipment_id": equipment.id}
        )
        labour = (
            self.env["maintenance.request.labour"]
            .with_user(self.planner)
            .create({"request_id": request.id, "hours": 1.0})
        )
        labour.action_submit()
        with self.assertRaises(AccessError):
            labour.action_approve()
        self.assertEqual(labour.state, "to_approve")

    def test_worker_reuses_its_sap_session_and_csrf_token_between_messages(self):
        """An OData client is kept per worker between jobs: the second notification reuses
        the SAP session and its CSRF token; an expired token is fetched again (403 Required)."""
        equipment = self.make_equipment()
        sessions = self.sim.gateway._sessions
        Request = self.env["maintenance.request"]

        def report(name):
            with trap_jobs() as trap:
                request = Request.create(
                    {
                        "name": name,
                        "equipment_id": equipment.id,
                        "maintenance_team_id": self.team.id,
                    }
                )
                self.run_jobs(trap)
            self.assertTrue(request.sap_notification_number)
            return request

        report("First")
        opened = len(sessions)
        # SAP answers 503 once: the session is sound, kept for the retry and the next message
        self.sim.faults.set(fail_next=1, status=503)
        with mute_logger("odoo.addons.plant_sync_base.models.plant_sync_message"):
            second = report("Second")
        self.assertEqual(self.messages(second, "notification").attempts, 2)
        self.assertEqual(len(sessions), opened, "no new SAP session for the next message")
        self.sim.gateway.expire_all()  # SAP logged the session off
        report("Third")
        self.assertEqual(len(sessions), 1, "a new session after 403 'CSRF token required'")
        # a settings change gives a fresh client (never a session opened with old settings)
        self.backend.read_timeout = 31
        report("Fourth")
        self.assertEqual(len(sessions), 2)


@tagged("post_install", "-at_install")
class TestCorrectiveFlowRfc(TestCorrectiveFlowOData):
    """The same cycle over the RFC transport (BAPIs through the simulator's connection)."""

    transport = "rfc"
    test_worker_reuses_its_sap_session_and_csrf_token_between_messages = None  # OData only
    allow_inherited_tests_method = True
