# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""SAP PO item numbers on purchase order lines, including in the purchase order form (onchange on
new lines, which have no database id yet)."""

from odoo.tests import Form
from odoo.tests.common import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestPurchaseOrderLineSapItem(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vendor = cls.env["res.partner"].create({"name": "Acme Field Services"})
        cls.products = cls.env["product.product"].create(
            [{"name": f"Service {n}", "type": "service"} for n in range(3)]
        )

    def add_line(self, form, product, qty=1):
        with form.order_line.new() as line:
            line.product_id = product
            line.product_qty = qty

    def test_lines_added_in_the_form_are_numbered(self):
        form = Form(self.env["purchase.order"])
        form.partner_id = self.vendor
        self.add_line(form, self.products[0])
        self.add_line(form, self.products[1])
        order = form.save()
        self.assertEqual(order.order_line.mapped("sap_po_item"), ["00010", "00020"])

    def test_line_added_to_a_saved_order_gets_the_next_free_item(self):
        order = self.env["purchase.order"].create(
            {
                "partner_id": self.vendor.id,
                "order_line": [
                    (0, 0, {"product_id": p.id, "product_qty": 1}) for p in self.products[:2]
                ],
            }
        )
        self.assertEqual(order.order_line.mapped("sap_po_item"), ["00010", "00020"])
        # SAP renumbered the second item; a line added in the form (mixed saved and new lines,
        # sorting before the saved ones) must neither clash nor renumber the saved lines.
        order.order_line[1].sap_po_item = "00040"
        with Form(order) as form, form.order_line.new() as line:
            line.product_id = self.products[2]
            line.sequence = 1
        self.assertEqual(len(order.order_line), 3)
        self.assertEqual(
            sorted(order.order_line.mapped("sap_po_item")), ["00010", "00040", "00050"]
        )
        self.assertEqual(
            order.order_line.filtered(lambda li: li.product_id == self.products[2]).sap_po_item,
            "00050",
        )
