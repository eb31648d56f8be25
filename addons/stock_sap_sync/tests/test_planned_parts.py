# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import new_test_user, tagged

from .common import StockSapCase, trap_jobs


@tagged("post_install", "-at_install")
class TestPlannedParts(StockSapCase):
    """Spare-part readiness of a job before release (Odoo stock of the store, SAP stock of the
    last reconciliation), and parts booked from a phone by a technician without stock rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow_recon.write({"recon_tolerance_qty": 1000.0, "recon_finance_threshold": 1e9})
        # SAP has 100 in 1010/0001, the store in Odoo 1
        cls.bearing = cls.make_part(cls.sap_materials[0], qty_on_hand=1.0, sap_critical=True)
        cls.plain_technician = new_test_user(
            cls.env, login="ss_phone_technician", groups="base.group_user"
        )

    def test_critical_part_short_until_the_store_has_it_then_consumed(self):
        request = self.make_request()
        request.planned_part_ids = [Command.create({"product_id": self.bearing.id, "quantity": 2})]
        part = request.planned_part_ids
        self.assertEqual(part.location_id, self.stock_location, "the SAP-mapped store")
        self.assertTrue(part.critical, "from the part's critical flag")
        self.assertEqual((part.qty_available, part.availability), (1.0, "critical"))
        self.assertEqual(request.parts_readiness, "critical")
        self.assertIn("need 2", request.parts_readiness_note)
        self.assertIn("Store: parts short", request.plant_sync_waiting)
        # SAP stock as the last reconciliation saw it (SAP 100, Odoo 1: a difference)
        reconciliation = self.env["stock.sap.reconciliation"].create(
            {"flow_id": self.flow_recon.id}
        )
        reconciliation._run()
        self.env.invalidate_all()
        self.assertEqual(part.sap_qty, 100.0)
        self.assertEqual(part.sap_stock_date, reconciliation.date)
        self.assertEqual(part.availability, "critical", "Odoo's store is what the job takes")
        self.assertIn("(SAP 100)", request.parts_readiness_note)
        # the store receives the part: ready; booked on the job: consumed
        self.env["stock.quant"]._update_available_quantity(self.bearing, self.stock_location, 4)
        self.env.invalidate_all()
        self.assertEqual((part.qty_available, part.availability), (5.0, "ok"))
        self.assertEqual(request.parts_readiness, "ready")
        with trap_jobs() as trap:
            self.consume(request, [(self.bearing, 2)])
            self.run_jobs(trap)
        self.env.invalidate_all()
        self.assertEqual((part.qty_consumed, part.availability), (2.0, "consumed"))
        # the goods issue is a step of the request's timeline, with its SAP document
        move = request.picking_ids.move_ids
        self.assertTrue(move.sap_material_document)
        self.assertIn(move.sap_material_document, request.plant_sync_timeline)
        self.assertIn("SAP goods issue", request.plant_sync_timeline)

    def test_technician_without_stock_rights_books_on_own_job_against_its_order(self):
        request = self.make_request(user_id=self.plain_technician.id)
        if "sap_order_number" in request._fields:  # maintenance_sap_bridge installed
            request.write({"sap_backend_id": self.backend.id, "sap_order_number": self.sap_order()})
        order = request._stock_sap_order_number()
        wizard = (
            self.env["maintenance.consume.parts"]
            .with_user(self.plain_technician)
            .create({"request_id": request.id, "product_id": self.bearing.id, "quantity": 1.0})
        )
        # the barcode finds the part
        wizard.product_id = False
        wizard.barcode = self.bearing.default_code
        wizard._onchange_barcode()
        self.assertEqual(wizard.product_id, self.bearing)
        wizard.sap_order_number = "4999999"  # somebody else's order: not taken
        with trap_jobs() as trap:
            action = wizard.action_confirm()
            self.run_jobs(trap)
        self.assertEqual(action["type"], "ir.actions.act_window_close")
        picking = request.picking_ids
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.sap_order_number, order)
        self.assertEqual(picking.user_id, self.plain_technician)
        self.assertEqual(
            request.with_user(self.plain_technician).parts_booked_summary.split()[0], "1"
        )

    def test_technician_without_stock_rights_cannot_book_on_other_jobs(self):
        other = self.make_request()  # not assigned to the technician
        other.message_subscribe(partner_ids=self.plain_technician.partner_id.ids)  # reads it
        wizard = (
            self.env["maintenance.consume.parts"]
            .with_user(self.plain_technician)
            .create({"request_id": other.id, "product_id": self.bearing.id, "quantity": 1.0})
        )
        with self.assertRaises(AccessError):
            wizard.action_confirm()
        done = self.make_request(user_id=self.plain_technician.id)
        done.stage_id = self.env["maintenance.stage"].search([("done", "=", True)], limit=1)
        wizard = (
            self.env["maintenance.consume.parts"]
            .with_user(self.plain_technician)
            .create({"request_id": done.id, "product_id": self.bearing.id, "quantity": 1.0})
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertFalse((other | done).picking_ids)
