from odoo.tests.common import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_menu_under_plant_integration(self):
        menu = self.env.ref("stock_sap_sync.menu_stock_sap_sync_root")
        self.assertEqual(menu.parent_id, self.env.ref("plant_sync_base.menu_plant_sync_root"))
        module = self.env["ir.module.module"].search([("name", "=", "stock_sap_sync")])
        self.assertEqual(module.state, "installed")
        for dep in ["plant_sync_sap", "stock", "purchase", "maintenance"]:
            self.assertIn(dep, module.dependencies_id.mapped("name"))
