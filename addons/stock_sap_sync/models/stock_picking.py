# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class StockPicking(models.Model):
    _inherit = "stock.picking"

    maintenance_request_id = fields.Many2one(
        "maintenance.request",
        string="Maintenance Request",
        index="btree_not_null",
        check_company=True,
        help="The request the parts of this transfer are consumed for.",
    )
    sap_order_number = fields.Char(
        string="SAP Maintenance Order",
        compute="_compute_sap_order_number",
        store=True,
        readonly=False,
        copy=False,
        help="Goods issues of this transfer are posted against this order (261/262). Empty: "
        "consumption is posted to the mapped cost center (201/202).",
    )
    sap_posting_state = fields.Selection(
        [
            ("none", "Not posted to SAP"),
            ("pending", "Waiting"),
            ("posted", "Posted"),
            ("error", "Error"),
        ],
        string="SAP Posting",
        compute="_compute_sap_posting_state",
    )
    sap_reversible = fields.Boolean(compute="_compute_sap_posting_state")

    @api.depends("maintenance_request_id")
    def _compute_sap_order_number(self):
        for picking in self:
            request = picking.maintenance_request_id
            if request and not picking.sap_order_number:
                picking.sap_order_number = request._stock_sap_order_number() or False

    @api.depends("move_ids.sap_state")
    def _compute_sap_posting_state(self):
        for picking in self:
            states = set(picking.move_ids.mapped("sap_state")) - {"none", "cancelled"}
            if not states:
                picking.sap_posting_state = "none"
            elif states & {"failed", "held"}:
                picking.sap_posting_state = "error"
            elif "pending" in states:
                picking.sap_posting_state = "pending"
            else:
                picking.sap_posting_state = "posted"
            picking.sap_reversible = picking.state == "done" and any(
                move.sap_movement_kind == "issue" and not move.sap_reversal_move_ids
                for move in picking.move_ids
            )

    def action_sap_reverse(self):
        """Storno of a consumption booked by mistake: return every part to where it came from
        and reverse the SAP material document (once) instead of posting a 262/202."""
        self.ensure_one()
        self.check_access("write")
        if not self.sap_reversible:
            raise UserError(self.env._("This transfer has no consumption left to reverse."))
        moves = self.move_ids.filtered(
            lambda m: m.sap_movement_kind == "issue" and not m.sap_reversal_move_ids
        )
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=self.id, active_ids=self.ids, active_model="stock.picking")
            .create({"picking_id": self.id})
        )
        wizard.product_return_moves = [Command.clear()] + [
            Command.create(
                {
                    "product_id": move.product_id.id,
                    "quantity": move.product_uom._compute_quantity(
                        move.quantity, move.product_id.uom_id
                    ),
                    "move_id": move.id,
                }
            )
            for move in moves
        ]
        returned = wizard._create_return()
        returned.move_ids.sudo().write({"sap_reversal": True})
        for move in returned.move_ids:
            move.quantity = move.product_uom_qty
        returned.move_ids.picked = True
        returned.with_context(skip_backorder=True, skip_sms=True).button_validate()
        return {
            "type": "ir.actions.act_window",
            "res_model": "stock.picking",
            "res_id": returned.id,
            "view_mode": "form",
        }
