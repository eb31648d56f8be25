# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests.common import tagged

from .common import SapMaintenanceCase


@tagged("post_install", "-at_install")
class TestHeldUntilMapped(SapMaintenanceCase):
    def _request(self, equipment):
        return self.env["maintenance.request"].create(
            {"name": "Vibration", "equipment_id": equipment.id, "maintenance_team_id": self.team.id}
        )

    def test_unmapped_equipment_is_held_then_released_when_linked(self):
        equipment = self.env["maintenance.equipment"].create(
            {"name": "Compressor C-7", "category_id": self.category.id, "sap_plant": "1010"}
        )
        with trap_jobs() as trap:
            request = self._request(equipment)
            self.run_jobs(trap)
            message = self.messages(request, "notification")
            self.assertEqual(message.state, "held")
            self.assertEqual(message.hold_mapping_type, "equipment")
            self.assertEqual(
                message.hold_reason,
                "Equipment 'Compressor C-7' has no SAP equipment number — pull it from SAP or "
                "link it (enter its SAP equipment number on the equipment); the waiting message "
                "is sent as soon as it is linked.",
            )
            self.assertIn(f"maintenance.equipment,{equipment.id}", message.error_technical)
            exception = message.exception_ids
            self.assertEqual((exception.kind, exception.fix_button), ("missing_link", "link"))
            action = exception.action_fix()
            self.assertEqual(
                (action["res_model"], action["res_id"]), (equipment._name, equipment.id)
            )
            self.assertEqual(request.sap_sync_state, "held")
            self.assertIn(
                request, self.env["maintenance.request"].search([("sap_sync_error", "=", True)])
            )
            self.assertIn(
                request, self.env["maintenance.request"].search([("sap_in_sap", "=", False)])
            )
            self.assertEqual(self.sim.store.counts()["MaintenanceNotification"], 0)
            # the planner links the equipment to its SAP number: the message is released
            equipment.sap_equipment_number = self.master["equipment"][1]
            self.assertEqual(message.state, "pending")
            self.run_jobs(trap)
        self.assertEqual(message.state, "done")
        self.assertTrue(request.sap_notification_number)
        self.assertEqual(self.sim.store.counts()["MaintenanceNotification"], 1)

    def test_unmapped_cost_center_is_held_then_released_by_the_mapping(self):
        other_category = self.env["maintenance.equipment.category"].create({"name": "Fans"})
        equipment = self.make_equipment(category_id=other_category.id)
        with trap_jobs() as trap:
            request = self._request(equipment)
            self.run_jobs(trap)
            message = self.messages(request, "notification")
            self.assertEqual(message.state, "held")
            self.assertEqual(message.hold_mapping_type, "cost_center")
            self.assertEqual(
                message.hold_value, f"maintenance.equipment.category,{other_category.id}"
            )
            self.assertTrue(message.exception_ids.filtered(lambda e: e.state == "new"))
            self.env["plant.sync.mapping"].create(
                self._mapping("cost_center", other_category, "10101101", direction="outbound")
            )
            self.assertEqual(message.state, "pending")
            self.run_jobs(trap)
        self.assertEqual(message.state, "done")
        self.assertEqual(request.sap_cost_center, "10101101")
        self.assertFalse(
            message.exception_ids.filtered(lambda e: e.state in ("new", "in_progress"))
        )
        self.assertEqual(self.sim.store.counts()["MaintenanceNotification"], 1)

    def test_unmapped_planner_group_holds_the_request(self):
        team = self.env["maintenance.team"].create({"name": "Electricians"})
        equipment = self.make_equipment()
        with trap_jobs() as trap:
            request = self.env["maintenance.request"].create(
                {"name": "Fuse", "equipment_id": equipment.id, "maintenance_team_id": team.id}
            )
            self.run_jobs(trap)
        message = self.messages(request, "notification")
        self.assertEqual(message.state, "held")
        self.assertEqual(message.hold_mapping_type, "planner_group")
