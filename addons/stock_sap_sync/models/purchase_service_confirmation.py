# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools import FLOW_SERVICE_CONFIRMATION

FINANCE = "plant_sync_base.group_plant_sync_finance"
#: fields only the workflow methods write (through sudo, after their checks)
PROTECTED = {
    "confirmed_by_id",
    "confirmed_date",
    "approved_by_id",
    "approved_date",
    "sap_material_document",
    "sap_material_document_year",
    "sap_message_id",
}


class PurchaseServiceConfirmation(models.Model):
    """A contractor's service confirmed in Odoo, approved by finance, then posted to SAP.

    Segregation of duties is enforced, not conventional: approving needs the Plant
    Integration / Finance group, the approver cannot be the person who confirmed (Python check
    *and* a database CHECK constraint), the workflow fields cannot be written directly, and the
    SAP flow (flows/sap_service_confirmation.py) refuses anything not approved."""

    _name = "purchase.service.confirmation"
    _description = "Contractor Service Confirmation"
    _inherit = ["mail.thread", "plant.sync.bound.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    purchase_line_id = fields.Many2one(
        "purchase.order.line",
        string="Service Line",
        required=True,
        index=True,
        check_company=True,
        domain="[('product_id.type', '=', 'service'), ('order_id.state', 'in', "
        "('purchase', 'done'))]",
    )
    order_id = fields.Many2one(
        related="purchase_line_id.order_id", store=True, index=True, string="Purchase Order"
    )
    company_id = fields.Many2one(
        related="purchase_line_id.company_id", store=True, index=True, precompute=True
    )
    partner_id = fields.Many2one(related="order_id.partner_id", string="Contractor", store=True)
    product_id = fields.Many2one(related="purchase_line_id.product_id", string="Service")
    uom_id = fields.Many2one(related="purchase_line_id.product_uom", string="Unit")
    price_unit = fields.Float(related="purchase_line_id.price_unit")
    currency_id = fields.Many2one(related="purchase_line_id.currency_id")
    quantity = fields.Float(required=True, default=1.0, digits="Product Unit of Measure")
    amount = fields.Monetary(compute="_compute_amount", currency_field="currency_id")
    date = fields.Date(string="Service Date", required=True, default=fields.Date.context_today)
    description = fields.Text(string="Work Done")
    maintenance_request_id = fields.Many2one(
        "maintenance.request", index="btree_not_null", check_company=True
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("confirmed", "Confirmed"),
            ("approved", "Approved"),
            ("posted", "Posted to SAP"),
            ("rejected", "Rejected"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    confirmed_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    confirmed_date = fields.Datetime(readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    approved_date = fields.Datetime(readonly=True, copy=False)
    sap_message_id = fields.Many2one("plant.sync.message", readonly=True, copy=False)
    sap_message_state = fields.Selection(related="sap_message_id.state", string="SAP Message")
    sap_material_document = fields.Char(readonly=True, copy=False)
    sap_material_document_year = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        (
            "approver_not_confirmer",
            "CHECK (approved_by_id IS NULL OR approved_by_id <> confirmed_by_id)",
            "The person who confirmed a service cannot approve it.",
        ),
        (
            "approved_before_posted",
            "CHECK (state NOT IN ('approved', 'posted') OR approved_by_id IS NOT NULL)",
            "A service confirmation is approved by finance before it is posted.",
        ),
        ("quantity_positive", "CHECK (quantity > 0)", "The quantity must be positive."),
    ]

    @api.depends("quantity", "price_unit")
    def _compute_amount(self):
        for confirmation in self:
            confirmation.amount = confirmation.quantity * confirmation.price_unit

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                if PROTECTED & vals.keys() or vals.get("state", "draft") != "draft":
                    raise AccessError(self.env._("Service confirmations start as drafts."))
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"].next_by_code("purchase.service.confirmation") or "/"
                )
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and (PROTECTED & vals.keys() or "state" in vals):
            raise AccessError(
                self.env._(
                    "The workflow of a service confirmation is changed with its buttons only."
                )
            )
        if (
            not self.env.su
            and self.filtered(lambda c: c.state != "draft")
            and ({"quantity", "purchase_line_id", "date"} & vals.keys())
        ):
            raise UserError(self.env._("Only draft service confirmations can be changed."))
        return super().write(vals)

    # ---------------------------------------------------------------------------------------
    # workflow
    # ---------------------------------------------------------------------------------------
    def action_confirm(self):
        """Operational confirmation (the technician / supervisor who saw the work done)."""
        self.check_access("write")
        for confirmation in self:
            if confirmation.state != "draft":
                raise UserError(self.env._("Only drafts can be confirmed."))
            if confirmation.purchase_line_id.product_id.type != "service":
                raise UserError(self.env._("Only service lines are confirmed this way."))
        self.sudo().write(
            {
                "state": "confirmed",
                "confirmed_by_id": self.env.uid,
                "confirmed_date": fields.Datetime.now(),
            }
        )
        return True

    def _check_approver(self):
        if not self.env.user.has_group(FINANCE):
            raise AccessError(
                self.env._("Only finance reviewers approve or reject service confirmations.")
            )
        for confirmation in self:
            if confirmation.state != "confirmed":
                raise UserError(self.env._("Only confirmed services can be approved."))
            if confirmation.confirmed_by_id == self.env.user:
                raise AccessError(
                    self.env._(
                        "Segregation of duties: %(user)s confirmed %(name)s and cannot approve it.",
                        user=self.env.user.name,
                        name=confirmation.name,
                    )
                )

    def action_approve(self):
        """Finance approval; only then is the confirmation posted to SAP."""
        self.check_access("read")
        self._check_approver()
        self.sudo().write(
            {
                "state": "approved",
                "approved_by_id": self.env.uid,
                "approved_date": fields.Datetime.now(),
            }
        )
        self._stock_sap_enqueue()
        return True

    def action_reject(self):
        self.check_access("read")
        self._check_approver()
        self.sudo().write({"state": "rejected"})
        return True

    def _stock_sap_enqueue(self):
        Message = self.env["plant.sync.message"]
        Flow = self.env["plant.sync.flow"]
        for confirmation in self.filtered(lambda c: c.state == "approved"):
            payload = {
                "confirmation": confirmation.name,
                "purchase_order": confirmation.order_id.sap_po_number or "",
                "item": confirmation.purchase_line_id.sap_po_item or "",
                "quantity": confirmation.quantity,
                "confirmed_by": confirmation.confirmed_by_id.login,
                "approved_by": confirmation.approved_by_id.login,
            }
            for flow in Flow._find(FLOW_SERVICE_CONFIRMATION, company=confirmation.company_id):
                messages = Message._enqueue(flow, confirmation, payload, ("svc", confirmation.id))
                if messages:
                    confirmation.sudo().sap_message_id = messages[0]
                    break

    def _plant_sync_accounting_values(self, backend):
        """Service date and the request's SAP cost center, for the exception queue."""
        self.ensure_one()
        request = self.maintenance_request_id
        cost_center = request.sap_cost_center if "sap_cost_center" in request._fields else False
        return {"date": self.date, "cost_center": cost_center}
