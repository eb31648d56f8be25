# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.tools import float_compare

from .stock_sap_requisition import OPEN_STATES


class StockWarehouseOrderpoint(models.Model):
    _inherit = "stock.warehouse.orderpoint"

    sap_replenish = fields.Boolean(
        string="Replenish through SAP",
        help="The rule creates SAP purchase requisitions instead of Odoo procurements; what "
        "SAP has been asked for and not yet delivered counts as in progress.",
    )
    sap_requisition_ids = fields.One2many("stock.sap.requisition", "orderpoint_id")

    def _quantity_in_progress(self):
        res = super()._quantity_in_progress()
        sap = self.filtered("sap_replenish")
        if sap:
            Requisition = self.env["stock.sap.requisition"].sudo()
            for orderpoint, uom, qty in Requisition._read_group(
                [("orderpoint_id", "in", sap.ids), ("state", "in", OPEN_STATES)],
                ["orderpoint_id", "product_uom_id"],
                ["open_qty:sum"],
            ):
                res[orderpoint.id] = res.get(orderpoint.id, 0.0) + uom._compute_quantity(
                    qty, orderpoint.product_uom, round=False
                )
        return res

    def _procure_orderpoint_confirm(
        self, use_new_cursor=False, company_id=None, raise_user_error=True
    ):
        sap = self.filtered("sap_replenish")
        if sap:
            sap._stock_sap_create_requisitions()
        rest = self - sap
        if rest:
            return super(StockWarehouseOrderpoint, rest)._procure_orderpoint_confirm(
                use_new_cursor=use_new_cursor,
                company_id=company_id,
                raise_user_error=raise_user_error,
            )
        return {}

    def _stock_sap_create_requisitions(self):
        """One SAP requisition per rule for the quantity to order (sent with the flow)."""
        vals_list = []
        for orderpoint in self:
            qty = orderpoint.qty_to_order
            if float_compare(qty, 0.0, precision_rounding=orderpoint.product_uom.rounding) <= 0:
                continue
            vals_list.append(
                {
                    "company_id": orderpoint.company_id.id,
                    "product_id": orderpoint.product_id.id,
                    "product_qty": qty,
                    "product_uom_id": orderpoint.product_uom.id,
                    "location_id": orderpoint.location_id.id,
                    "orderpoint_id": orderpoint.id,
                    "origin": orderpoint.name,
                    "date_required": orderpoint.lead_days_date or fields.Date.today(),
                }
            )
        requisitions = self.env["stock.sap.requisition"].sudo().create(vals_list)
        requisitions.action_submit()
        self.qty_to_order_manual = 0
        return requisitions
