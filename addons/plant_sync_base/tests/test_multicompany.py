# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError
from odoo.tests.common import new_test_user, tagged

from .common import PlantSyncCase


@tagged("post_install", "-at_install")
class TestMultiCompany(PlantSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Plant B Ltd"})
        cls.admin_b = new_test_user(
            cls.env,
            login="ps_admin_b",
            groups="base.group_user,plant_sync_base.group_plant_sync_admin",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.remote.script(400)
        with trap_jobs() as trap:
            cls.message = cls.env["plant.sync.message"]._enqueue(
                "test_push", cls.record, {"d": 1}, ("mc",), backend=cls.backend
            )
            trap.perform_enqueued_jobs()

    def test_user_of_company_b_sees_nothing_of_company_a(self):
        self.assertEqual(self.message.company_id, self.company)
        self.assertTrue(self.message.exception_ids)
        env_b = self.env(user=self.admin_b)
        for model in (
            "plant.sync.backend",
            "plant.sync.flow",
            "plant.sync.message",
            "plant.sync.exception",
            "plant.sync.binding",
        ):
            self.assertFalse(env_b[model].search([]), f"{model} of company A visible to B")
        with self.assertRaises(AccessError):
            self.backend.with_user(self.admin_b).read(["name"])
        with self.assertRaises(AccessError):
            self.message.with_user(self.admin_b).read(["state"])
        with self.assertRaises(AccessError):
            self.message.exception_ids.with_user(self.admin_b).read(["name"])

    def test_export_of_company_b_record_uses_no_company_a_flow(self):
        record_b = self.env["res.partner"].create(
            {"name": "B order", "company_id": self.company_b.id}
        )
        with trap_jobs() as trap:
            messages = self.env["plant.sync.message"]._enqueue(
                "test_push", record_b, {}, ("b",), backend=self.backend
            )
            trap.assert_jobs_count(0)
        self.assertFalse(messages)

    def test_exception_queue_by_owner_group(self):
        exception = self.message.exception_ids  # validation -> planner
        self.assertEqual(exception.owner_group, "planner")
        self.assertTrue(exception.with_user(self.planner).has_access("read"))
        exception.owner_group = "admin"
        self.assertFalse(exception.with_user(self.planner).has_access("read"))
        self.assertFalse(exception.with_user(self.finance).has_access("read"))
        self.assertTrue(exception.with_user(self.admin).has_access("read"))
        exception.user_id = self.planner  # assigned: the planner sees their own
        self.assertTrue(exception.with_user(self.planner).has_access("read"))
