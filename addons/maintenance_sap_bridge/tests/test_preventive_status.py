# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from decimal import Decimal

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests.common import tagged

from .common import SapMaintenanceCase


@tagged("post_install", "-at_install")
class TestPreventiveAndStatusOData(SapMaintenanceCase):
    transport = "odata"

    def _plan_order(self, plan="100042", equipment_index=3):
        """SAP scheduling a maintenance plan: a PM03 order with two operations."""
        from plant_sync.sap.ops.order import OperationCreate, OrderCreate

        service = self.backend._client()
        try:
            result = service.create_maintenance_order(
                OrderCreate(
                    order_type="PM03",
                    description="Quarterly pump inspection",
                    planning_plant="1010",
                    equipment=self.master["equipment"][equipment_index],
                    main_work_center="RES-0100",
                    operations=[
                        OperationCreate(text="Check seals", planned_work=Decimal("1.5")),
                        OperationCreate(
                            text="Measure vibration",
                            work_center="RES-0200",
                            planned_work=Decimal("0.5"),
                        ),
                    ],
                ),
                idempotency_key=f"PLAN{plan}{equipment_index}",
            )
        finally:
            service.close()
        number = result.document.number.lstrip("0")
        with self.sim.store.transaction() as tx:
            tx.update("MaintenanceOrder", {"MaintenanceOrder": number}, {"MaintenancePlan": plan})
        return number

    def _set_sap_status(self, number, function):
        service = self.backend._client()
        try:
            getattr(service, function)(number)
        finally:
            service.close()

    def test_preventive_order_pulled_once_with_operations_and_team(self):
        number = self._plan_order()
        self.pull("order_pull")
        request = self.env["maintenance.request"].search([("sap_order_number", "=", number)])
        self.assertEqual(len(request), 1)
        self.assertEqual(request.maintenance_type, "preventive")
        # bound like a corrective request's order: one typed binding, no untyped one
        self.assertEqual(self.backend._external_id_for(request, "sap_order"), number)
        self.assertFalse(self.backend._external_id_for(request))
        self.assertEqual(request.sap_maintenance_plan, "100042")
        self.assertEqual(request.maintenance_team_id, self.team, "work center RES-0100 -> team")
        self.assertEqual(
            request.equipment_id.sap_equipment_number,
            self.master["equipment"][3],
            "the equipment is fetched from SAP when unknown",
        )
        self.assertEqual(request.sap_operation_ids.mapped("number"), ["0010", "0020"])
        self.assertEqual(request.sap_operation_ids.mapped("planned_hours"), [1.5, 0.5])
        self.assertEqual(request.duration, 2.0)
        self.assertEqual(request.stage_id, self.stage_new, "CRTD -> New Request")
        self.assertFalse(self.messages(request, "notification"), "no echo to SAP")
        # a second pull creates nothing
        self.pull("order_pull")
        self.flows["order_pull"].action_sap_full_resync()
        self.pull("order_pull")
        self.assertEqual(
            self.env["maintenance.request"].search_count([("sap_order_number", "=", number)]), 1
        )

    def test_sap_status_change_moves_the_odoo_stage(self):
        number = self._plan_order()
        self.pull("order_pull")
        request = self.env["maintenance.request"].search([("sap_order_number", "=", number)])
        self._set_sap_status(number, "release_maintenance_order")
        self._set_sap_status(number, "technically_complete_maintenance_order")
        with trap_jobs() as trap:
            self.flows["order_pull"]._run_batch_now()
            self.run_jobs(trap)
            self.assertEqual(trap.enqueued_jobs, [])
        self.assertEqual(request.sap_status_code, "TECO")
        self.assertEqual(request.stage_id, self.stage_done)
        self.assertFalse(self.messages(request, "status"), "an import does not echo back")

    def test_conflicting_changes_surface_as_exceptions(self):
        number = self._plan_order()
        self.pull("order_pull")
        request = self.env["maintenance.request"].search([("sap_order_number", "=", number)])
        etag = request.sap_order_etag
        # SAP releases and completes the order while Odoo moves it back to "New Request"
        self._set_sap_status(number, "release_maintenance_order")
        with trap_jobs() as trap:
            request.with_user(self.planner).write({"stage_id": self.stage_progress.id})
            self._set_sap_status(number, "technically_complete_maintenance_order")
            self.run_jobs(trap)
        message = self.messages(request, "status")
        self.assertEqual(message.state, "failed")
        self.assertIn("changed in SAP since the last sync", message.error_human)
        self.assertEqual(message.exception_ids.category, "business")
        self.assertEqual(self.sap_order(number)["_status"], "TECO", "SAP was not overwritten")
        self.assertEqual(request.sap_order_etag, etag)
        # the pull does not overwrite the Odoo stage either while the push is unresolved
        self.pull("order_pull")
        self.assertEqual(request.stage_id, self.stage_progress)
        conflict = self.env["plant.sync.exception"].search(
            [
                ("res_model", "=", request._name),
                ("res_id", "=", request.id),
                ("message_id", "=", False),
            ]
        )
        self.assertEqual(len(conflict), 1)
        self.assertIn("Conflict", conflict.name)
        # the planner decides for SAP: cancel the Odoo change, sync again
        message.action_cancel()
        with trap_jobs() as trap:
            request.with_user(self.planner).action_sap_sync_now()
            self.run_jobs(trap)
        self.assertEqual(request.sap_status_code, "TECO")
        self.assertEqual(request.stage_id, self.stage_done)


@tagged("post_install", "-at_install")
class TestPreventiveAndStatusRfc(TestPreventiveAndStatusOData):
    """The same scenarios over RFC: the order delta reads AUFK/AFIH/AFKO (maintenance plan
    AFIH-WARPL) with RFC_READ_TABLE."""

    transport = "rfc"
    allow_inherited_tests_method = True
