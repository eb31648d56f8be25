# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Month-end: consumption not yet posted to SAP and service confirmations not posted block the
period of their document, at their value; posted, they no longer do."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests.common import new_test_user, tagged
from odoo.tools import mute_logger

from .common import COST_CENTER, PLANT, SLOC, StockSapCase, trap_jobs


@tagged("post_install", "-at_install")
class TestPeriodBlocker(StockSapCase):
    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.material = self.sap_materials[0]
        self.part = self.make_part(self.material)
        self.request = self.make_request()
        self.Blocker = self.env["plant.sync.period.blocker"]

    def blockers_of(self, records):
        self.Blocker.invalidate_model()  # a SQL view: nothing tells the cache it changed
        return self.Blocker.search(
            [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        )

    def test_goods_issue_blocks_its_period_until_posted(self):
        order = self.sap_order()
        with trap_jobs() as trap:
            move = self.consume(self.request, [(self.part, 3)], order=order).move_ids
            blocker = self.blockers_of(move)
            self.assertEqual(
                (blocker.source, blocker.status, blocker.amount, blocker.period),
                ("stock_move", "waiting", 37.5, move.date.strftime("%Y-%m")),
            )
            self.assertEqual(
                (blocker.company_id, blocker.currency_id, blocker.backend_id),
                (self.company, self.company.currency_id, self.backend),
            )
            self.run_jobs(trap)
        self.assertEqual(move.sap_state, "posted")
        self.assertFalse(self.blockers_of(move))

    def test_held_goods_issue_shows_its_exception_once_with_cost_center(self):
        shelf = self.env["stock.location"].create(
            {
                "name": "Workshop shelf",
                "usage": "internal",
                "location_id": self.warehouse.view_location_id.id,
            }
        )
        self.env["stock.quant"]._update_available_quantity(self.part, shelf, 5)
        with trap_jobs() as trap, mute_logger("odoo.addons.plant_sync_base"):
            picking = (
                self.env["maintenance.consume.parts"]
                .with_context(default_request_id=self.request.id)
                .create(
                    {
                        "location_id": shelf.id,
                        "sap_order_number": False,
                        "line_ids": [Command.create({"product_id": self.part.id, "quantity": 2})],
                    }
                )
                .action_confirm()
            )
            move = self.env["stock.picking"].browse(picking["res_id"]).move_ids
            self.run_jobs(trap)
        self.assertEqual(move.sap_state, "held")
        exception = move.sap_message_id.exception_ids
        self.assertEqual(len(exception), 1)
        # the finance fields of the exception come from the move
        self.assertEqual(
            (exception.cost_center, exception.document_date, exception.posting_period),
            (COST_CENTER, move.date.date(), move.date.strftime("%Y-%m")),
        )
        blocker = self.Blocker.search(
            ["|", ("exception_id", "=", exception.id), ("res_id", "=", move.id)]
        )
        self.assertEqual(len(blocker), 1, "the exception is shown on the move's line, not twice")
        self.assertEqual(
            (blocker.source, blocker.status, blocker.amount, blocker.cost_center),
            ("stock_move", "held", 25.0, COST_CENTER),
        )
        # the administrators work the exception (a missing mapping) from the line; finance,
        # who may not read it, gets the move
        admin = new_test_user(
            self.env, login="ss_admin", groups="plant_sync_base.group_plant_sync_admin"
        )
        action = blocker.with_user(admin).action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), (exception._name, exception.id))
        action = blocker.with_user(self.finance).action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), ("stock.move", move.id))
        technician = blocker.with_user(self.technician)
        with self.assertRaises(AccessError):
            technician.action_open_document()

    def test_service_confirmation_blocks_until_posted(self):
        service_material = self.sim.store.seed_materials(1, PLANT, SLOC, prefix="SRV")[0]
        service = self.env["product.product"].create(
            {"name": "Pump alignment (contractor)", "type": "service"}
        )
        self.backend._bind(service, service_material)
        order = self.env["purchase.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Acme"}).id,
                "order_line": [
                    Command.create({"product_id": service.id, "product_qty": 10, "price_unit": 100})
                ],
            }
        )
        order.button_confirm()
        order.sap_po_number = self.sim.store.seed_purchase_order([(service_material, 10, 100.0)])
        confirmation = (
            self.env["purchase.service.confirmation"]
            .with_user(self.technician)
            .create({"purchase_line_id": order.order_line.id, "quantity": 4})
        )
        confirmation.action_confirm()
        blocker = self.blockers_of(confirmation)
        self.assertEqual(
            (blocker.source, blocker.status, blocker.amount, blocker.period),
            ("service_confirmation", "to_approve", 400.0, confirmation.date.strftime("%Y-%m")),
        )
        with trap_jobs() as trap:
            confirmation.with_user(self.finance).action_approve()
            self.assertEqual(self.blockers_of(confirmation).status, "approved")
            self.run_jobs(trap)
        self.assertEqual(confirmation.state, "posted")
        self.assertFalse(self.blockers_of(confirmation))
