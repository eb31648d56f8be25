from odoo.tests.common import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_menu_root_visible_to_integration_users_only(self):
        menu = self.env.ref("plant_sync_base.menu_plant_sync_root")
        self.assertEqual(menu.name, "Plant Integration")
        self.assertEqual(menu.groups_id, self.env.ref("plant_sync_base.group_plant_sync_user"))

    def test_admin_group_implies_finance_and_user(self):
        admin = self.env.ref("plant_sync_base.group_plant_sync_admin")
        implied = admin.trans_implied_ids
        self.assertIn(self.env.ref("plant_sync_base.group_plant_sync_finance"), implied)
        self.assertIn(self.env.ref("plant_sync_base.group_plant_sync_user"), implied)
