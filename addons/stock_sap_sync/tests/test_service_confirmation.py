# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import psycopg2
from odoo.exceptions import AccessError
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from .common import PLANT, SLOC, StockSapCase, trap_jobs


@tagged("post_install", "-at_install")
class TestServiceConfirmation(StockSapCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service_material = cls.sim.store.seed_materials(
            1, PLANT, SLOC, prefix="SRV", price=100.0
        )[0]
        cls.service = cls.env["product.product"].create(
            {"name": "Pump alignment (contractor)", "type": "service", "standard_price": 100}
        )
        cls.backend._bind(cls.service, cls.service_material)
        cls.contractor = cls.env["res.partner"].create({"name": "Acme Field Services"})
        cls.order = cls.env["purchase.order"].create(
            {
                "partner_id": cls.contractor.id,
                "order_line": [
                    (0, 0, {"product_id": cls.service.id, "product_qty": 10, "price_unit": 100})
                ],
            }
        )
        cls.order.button_confirm()
        cls.line = cls.order.order_line

    def setUp(self):
        super().setUp()
        self.sim.reset()  # documents (POs too) are wiped: each test has its own SAP PO
        self.sap_po = self.sim.store.seed_purchase_order([(self.service_material, 10, 100.0)])
        self.order.sap_po_number = self.sap_po

    def received_in_sap(self):
        line = self.sim.store.find("A_PurchaseOrderScheduleLine", PurchasingDocument=self.sap_po)[0]
        return line["RoughGoodsReceiptQty"]

    def confirmed_by_technician(self, quantity=4):
        Confirmation = self.env["purchase.service.confirmation"].with_user(self.technician)
        confirmation = Confirmation.create(
            {"purchase_line_id": self.line.id, "quantity": quantity, "description": "Aligned"}
        )
        confirmation.action_confirm()
        return confirmation

    def test_posted_to_sap_only_after_finance_approval(self):
        self.assertEqual(self.line.sap_po_item, "00010")
        with trap_jobs() as trap:
            confirmation = self.confirmed_by_technician()
            self.assertEqual(confirmation.state, "confirmed")
            self.assertEqual(confirmation.confirmed_by_id, self.technician)
            trap.assert_jobs_count(0)
            self.assertEqual(self.received_in_sap(), 0.0)
            confirmation.with_user(self.finance).action_approve()
            self.assertEqual(confirmation.approved_by_id, self.finance)
            trap.assert_jobs_count(1)
            self.run_jobs(trap)
        self.assertEqual(confirmation.state, "posted")
        self.assertEqual(self.received_in_sap(), 4.0)
        items = self.sap_documents(PurchaseOrder=self.sap_po)
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0]["GoodsMovementType"], "101")
        self.assertEqual(confirmation.sap_material_document, items[0]["MaterialDocument"])
        self.assertEqual(self.line.qty_service_confirmed, 4)
        self.assertEqual(self.order.service_confirmation_count, 1)

    def test_technician_cannot_approve_nor_force_the_state(self):
        confirmation = self.confirmed_by_technician()
        as_technician = confirmation.with_user(self.technician)
        with self.assertRaises(AccessError):
            as_technician.action_approve()
        with self.assertRaises(AccessError):
            as_technician.write({"state": "approved"})
        with self.assertRaises(AccessError):
            as_technician.write({"approved_by_id": self.finance.id})
        with self.assertRaises(AccessError):
            self.env["purchase.service.confirmation"].with_user(self.technician).create(
                {"purchase_line_id": self.line.id, "quantity": 1, "state": "approved"}
            )
        self.assertEqual(confirmation.state, "confirmed")

    def test_approver_cannot_be_the_confirmer(self):
        Confirmation = self.env["purchase.service.confirmation"].with_user(self.finance)
        confirmation = Confirmation.create({"purchase_line_id": self.line.id, "quantity": 2})
        confirmation.action_confirm()
        with self.assertRaises(AccessError):
            confirmation.action_approve()
        # and the database refuses it even when the ORM checks are bypassed
        with (
            self.assertRaises(psycopg2.errors.CheckViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            confirmation.sudo().write({"state": "approved", "approved_by_id": self.finance.id})
            confirmation.env.flush_all()
        confirmation.invalidate_recordset()
        confirmation.with_user(self.finance2).action_approve()
        self.assertEqual(confirmation.state, "approved")

    def test_unapproved_confirmation_is_refused_by_the_flow(self):
        confirmation = self.confirmed_by_technician()
        with trap_jobs() as trap, mute_logger("odoo.addons.plant_sync_base"):
            message = self.env["plant.sync.message"]._enqueue(
                self.flow_service, confirmation, {"forged": True}, ("forged", confirmation.id)
            )
            self.run_jobs(trap)
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.exception_ids.owner_group, "finance")
        self.assertEqual(self.received_in_sap(), 0.0)
        self.assertEqual(confirmation.state, "confirmed")

    def test_finance_rejects(self):
        confirmation = self.confirmed_by_technician()
        confirmation.with_user(self.finance).action_reject()
        self.assertEqual(confirmation.state, "rejected")
        self.assertFalse(confirmation.sap_message_id)
