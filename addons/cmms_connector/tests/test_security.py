# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from odoo.exceptions import AccessError
from odoo.tests.common import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestDowntimeSecurity(TransactionCase):
    """Access rights and multi-company rules of the models of this addon."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.ref("base.main_company")
        cls.company_b = cls.env["res.company"].create({"name": "Plant B"})
        cls.backend_b = cls.env["plant.sync.backend"].create(
            {
                "name": "CMMS B",
                "kind": "cmms_rest",
                "company_id": cls.company_b.id,
                "cmms_rest_field_map": '{"external_id": "id"}',
            }
        )
        Event = cls.env["plant.downtime.event"]
        cls.event_a = Event.create(
            {
                "company_id": cls.company_a.id,
                "date_start": datetime(2024, 1, 1, 8),
                "date_end": datetime(2024, 1, 1, 10, 15),
            }
        )
        cls.event_b = Event.create(
            {
                "company_id": cls.company_b.id,
                "date_start": datetime(2024, 1, 2, 8),
                "source_system": "cmms",
                "source_backend_id": cls.backend_b.id,
                "source_external_id": "B-1",
            }
        )
        cls.employee_a = new_test_user(
            cls.env,
            login="employee_a",
            groups="base.group_user",
            company_id=cls.company_a.id,
            company_ids=[(6, 0, cls.company_a.ids)],
        )
        cls.manager_a = new_test_user(
            cls.env,
            login="maint_manager_a",
            groups="base.group_user,maintenance.group_equipment_manager",
            company_id=cls.company_a.id,
            company_ids=[(6, 0, cls.company_a.ids)],
        )
        cls.admin_b = new_test_user(
            cls.env,
            login="ps_admin_b",
            groups="base.group_user,plant_sync_base.group_plant_sync_admin",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )

    def test_duration_is_stored_and_open_stops_have_none(self):
        self.assertEqual(self.event_a.duration_hours, 2.25)
        self.assertFalse(self.event_a.is_open)
        self.assertEqual(self.event_b.duration_hours, 0.0)
        self.assertTrue(self.event_b.is_open)
        groups = self.env["plant.downtime.event"].read_group(
            [("id", "in", (self.event_a | self.event_b).ids)], ["total_hours:sum"], []
        )
        self.assertEqual(groups[0]["total_hours"], 2.25)

    def test_employees_read_only_their_companies_events(self):
        Event = self.env["plant.downtime.event"].with_user(self.employee_a)
        visible = Event.search([("id", "in", (self.event_a | self.event_b).ids)])
        self.assertEqual(visible, self.event_a)
        with self.assertRaises(AccessError):
            self.event_a.with_user(self.employee_a).write({"cause_code": "X"})
        with self.assertRaises(AccessError):
            Event.create({"date_start": datetime(2024, 1, 3)})

    def test_maintenance_managers_record_stops(self):
        event = (
            self.env["plant.downtime.event"]
            .with_user(self.manager_a)
            .create({"date_start": datetime(2024, 1, 3, 6), "cause_code": "POWER"})
        )
        self.assertEqual(event.company_id, self.company_a)
        self.assertEqual(event.source_system, "odoo")

    def test_webhook_events_follow_the_backend_company(self):
        Event = self.env["cmms.webhook.event"]
        received = Event._remember(self.backend_b.id, "evt-b")
        self.assertEqual(received.company_id, self.company_b)
        self.assertEqual(
            Event.with_user(self.admin_b).search([("event_id", "=", "evt-b")]), received
        )
        admin_a = new_test_user(
            self.env,
            login="ps_admin_a",
            groups="base.group_user,plant_sync_base.group_plant_sync_admin",
            company_id=self.company_a.id,
            company_ids=[(6, 0, self.company_a.ids)],
        )
        self.assertFalse(Event.with_user(admin_a).search([("event_id", "=", "evt-b")]))
        with self.assertRaises(AccessError):
            Event.with_user(self.employee_a).search([])
