from odoo.tests.common import TransactionCase, tagged

from ..flow import Flow, flow_class, registered


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

    def test_every_flow_of_an_installed_addon_is_declared_once_and_selectable(self):
        """The flow registry and the code selection agree: each flow of a loaded addon is found
        by its code, is a choice of plant.sync.flow.code with its label, and says what
        triggers it; flows of addons not installed here are not found."""
        selection = dict(
            self.env["plant.sync.flow"]._fields["code"]._description_selection(self.env)
        )
        loaded = self.env.registry._init_modules
        for code, cls in registered().items():
            if cls.module not in loaded:
                self.assertIsNone(flow_class(self.env, code))
                continue
            self.assertIs(flow_class(self.env, code), cls)
            self.assertEqual(selection.get(code), cls.label, code)
            self.assertTrue(cls.trigger, f"{code} says what triggers it")
            self.assertTrue(cls.has_pull() or cls.run is not Flow.run, f"{code} does something")
