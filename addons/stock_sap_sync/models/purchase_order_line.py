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
        """Number item lines 00010, 00020... in their order on the purchase order, like SAP.

        Items already set (by SAP or earlier) are kept and never reused: a line without an item
        gets the next free one. Also runs in the purchase order form's onchange, where lines are
        new records whose ids (NewId) cannot be compared: saved lines sort by their database id,
        new ones after them in the order of the form.
        """
        for order in self.order_id:
            lines = order.order_line.filtered(lambda li: not li.display_type)
            items = [int(li.sap_po_item) for li in lines if (li.sap_po_item or "").isdigit()]
            next_item = max(items, default=0) // 10 * 10 + 10
            for line in lines.filtered(lambda li: not li.sap_po_item).sorted(
                lambda li: (li.sequence, not li._origin.id, li._origin.id or 0)
            ):
                if line in self:
                    line.sap_po_item = f"{next_item:05d}"
                next_item += 10

    @api.depends("service_confirmation_ids.state", "service_confirmation_ids.quantity")
    def _compute_qty_service_confirmed(self):
        for line in self:
            line.qty_service_confirmed = sum(
                line.service_confirmation_ids.filtered(
                    lambda c: c.state in ("approved", "posted")
                ).mapped("quantity")
            )
