# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class PurchaseOrder(models.Model):
    _name = "purchase.order"
    _inherit = ["purchase.order", "plant.sync.bound.mixin"]

    sap_po_number = fields.Char(
        string="SAP Purchase Order",
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="The SAP purchase order this contractor order is executed under: approved "
        "service confirmations are posted against it.",
    )
    service_confirmation_ids = fields.One2many(
        "purchase.service.confirmation", "order_id", string="Service Confirmations"
    )
    service_confirmation_count = fields.Integer(compute="_compute_service_confirmation_count")

    @api.depends("service_confirmation_ids")
    def _compute_service_confirmation_count(self):
        for order in self:
            order.service_confirmation_count = len(order.service_confirmation_ids)

    def action_view_service_confirmations(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock_sap_sync.action_purchase_service_confirmation"
        )
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"default_order_id": self.id}
        return action
