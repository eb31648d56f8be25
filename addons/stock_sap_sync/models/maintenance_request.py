# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class MaintenanceRequest(models.Model):
    _inherit = "maintenance.request"

    picking_ids = fields.One2many(
        "stock.picking", "maintenance_request_id", string="Part Transfers"
    )
    picking_count = fields.Integer(compute="_compute_stock_sap_counts")
    sap_requisition_ids = fields.One2many(
        "stock.sap.requisition", "maintenance_request_id", string="Part Requisitions"
    )
    sap_requisition_count = fields.Integer(compute="_compute_stock_sap_counts")

    @api.depends("picking_ids", "sap_requisition_ids")
    def _compute_stock_sap_counts(self):
        for request in self:
            request.picking_count = len(request.picking_ids)
            request.sap_requisition_count = len(request.sap_requisition_ids)

    def _stock_sap_order_number(self):
        """The SAP maintenance order parts are issued against: the order number that
        maintenance_sap_bridge keeps on the request when it is installed (no hard dependency)."""
        self.ensure_one()
        if "sap_order_number" in self._fields:
            return self.sap_order_number or False
        return False

    def _stock_sap_is_breakdown(self):
        self.ensure_one()
        return self.maintenance_type == "corrective" and (
            self.priority == "3" or bool(self.equipment_id.sap_critical)
        )

    def action_consume_parts(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Consume Parts"),
            "res_model": "maintenance.consume.parts",
            "view_mode": "form",
            "target": "new",
            "context": {"default_request_id": self.id},
        }

    def action_request_parts(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Request Parts from SAP"),
            "res_model": "stock.sap.requisition",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_maintenance_request_id": self.id,
                "default_urgency": "breakdown" if self._stock_sap_is_breakdown() else "normal",
                "default_origin": self.name,
            },
        }

    def action_view_part_transfers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.action_picking_tree_all")
        action["domain"] = [("maintenance_request_id", "=", self.id)]
        action["context"] = {"default_maintenance_request_id": self.id}
        return action

    def action_view_part_requisitions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock_sap_sync.action_stock_sap_requisition"
        )
        action["domain"] = [("maintenance_request_id", "=", self.id)]
        action["context"] = {"default_maintenance_request_id": self.id}
        return action
