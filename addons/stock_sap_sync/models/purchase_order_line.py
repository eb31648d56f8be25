# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class PurchaseOrderLine(models.Model):
    _inherit = "purchase.order.line"

    sap_po_item = fields.Char(
        string="SAP PO Item",
        compute="_compute_sap_po_item",
        store=True,
        readonly=False,
        copy=False,
        help="Item of the SAP purchase order this line corresponds to (00010, 00020...).",
    )
    service_confirmation_ids = fields.One2many(
        "purchase.service.confirmation", "purchase_line_id", string="Service Confirmations"
    )
    qty_service_confirmed = fields.Float(
        string="Confirmed (approved)",
        compute="_compute_qty_service_confirmed",
        digits="Product Unit of Measure",
    )

    @api.depends("order_id.order_line", "display_type")
    def _compute_sap_po_item(self):
        for order in self.order_id:
            lines = order.order_line.filtered(lambda line: not line.display_type)
            for index, line in enumerate(lines.sorted(lambda li: (li.sequence, li.id)), 1):
                if not line.sap_po_item:
                    line.sap_po_item = f"{index * 10:05d}"

    @api.depends("service_confirmation_ids.state", "service_confirmation_ids.quantity")
    def _compute_qty_service_confirmed(self):
        for line in self:
            line.qty_service_confirmed = sum(
                line.service_confirmation_ids.filtered(
                    lambda c: c.state in ("approved", "posted")
                ).mapped("quantity")
            )
