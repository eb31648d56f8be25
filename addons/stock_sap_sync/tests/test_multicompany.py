# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests.common import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestMultiCompany(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.ref("base.main_company")
        cls.company_b = cls.env["res.company"].create({"name": "Plant B"})
        cls.user_a = new_test_user(
            cls.env,
            login="ss_mc_a",
            groups="base.group_user,stock.group_stock_user,plant_sync_base.group_plant_sync_admin",
            company_id=cls.company_a.id,
            company_ids=[(6, 0, cls.company_a.ids)],
        )
        cls.backend_b = cls.env["plant.sync.backend"].create(
            {"name": "SAP B", "kind": "sap_odata", "company_id": cls.company_b.id}
        )
        cls.backend_b.action_stock_sap_create_flows()
        cls.flow_b = cls.backend_b.flow_ids.filtered(lambda f: f.code == "sap_stock_reconciliation")
        cls.warehouse_b = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company_b.id)], limit=1
        )
        cls.product = cls.env["product.product"].create({"name": "Seal", "is_storable": True})

    def test_records_of_another_company_are_invisible(self):
        reconciliation = self.env["stock.sap.reconciliation"].create({"flow_id": self.flow_b.id})
        self.assertEqual(reconciliation.company_id, self.company_b)
        requisition = self.env["stock.sap.requisition"].create(
            {
                "company_id": self.company_b.id,
                "product_id": self.product.id,
                "location_id": self.warehouse_b.lot_stock_id.id,
            }
        )
        for record in (reconciliation, requisition):
            self.assertFalse(
                record.with_user(self.user_a).search([("id", "=", record.id)]),
                record._name,
            )
        self.assertEqual(len(self.flow_b), 1)
