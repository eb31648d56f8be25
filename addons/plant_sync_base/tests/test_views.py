# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import Form
from odoo.tests.common import tagged

from .common import TEST_KIND, PlantSyncCase

VIEWS = {
    "plant.sync.backend": ["kanban", "list", "form", "search"],
    "plant.sync.flow": ["list", "form", "search"],
    "plant.sync.mapping": ["list", "form", "search"],
    "plant.sync.binding": ["list", "form", "search"],
    "plant.sync.message": ["list", "form", "search", "graph", "pivot"],
    "plant.sync.exception": ["list", "kanban", "form", "search", "graph", "pivot"],
}


@tagged("post_install", "-at_install")
class TestViews(PlantSyncCase):
    def test_views_load_for_every_integration_group(self):
        for user in (self.admin, self.finance, self.planner):
            for model, view_types in VIEWS.items():
                views = self.env[model].with_user(user).get_views([(False, v) for v in view_types])
                self.assertEqual(set(views["views"]), set(view_types), model)

    def test_backend_form_secret_is_write_only(self):
        with Form(self.env["plant.sync.backend"].with_user(self.admin)) as form:
            form.name = "ERP QAS"
            form.kind = TEST_KIND
            form.base_url = "https://erp-qas.example.com"
            form.password = "Form-Secret-1"
        backend = form.record
        self.assertTrue(backend.password_set)
        self.assertEqual(backend._get_secret("password"), "Form-Secret-1")
        with Form(backend.with_user(self.admin)) as form:
            self.assertFalse(form.password, "the form never shows the secret")
            form.name = "ERP QAS (renamed)"
        self.assertEqual(backend._get_secret("password"), "Form-Secret-1")

    def test_settings_show_encryption_status(self):
        settings = self.env["res.config.settings"].create({})
        self.assertIn("Configured", settings.plant_sync_encryption_status)

    def test_dashboard_counters(self):
        self.remote.script(400)
        with trap_jobs() as trap:
            self.enqueue()
            trap.perform_enqueued_jobs()
        backend = self.backend.with_user(self.admin)
        self.assertEqual(backend.failed_count, 1)
        self.assertEqual(backend.open_exception_count, 1)
        action = backend.action_open_failed()
        self.assertEqual(self.env["plant.sync.message"].search_count(action["domain"]), 1)
