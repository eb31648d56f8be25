# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.plant_sync_base.tools import check_engine_fields
from odoo.exceptions import AccessError, UserError

from ..tools import FLOW_REQUISITION, location_plant_sloc

OPEN_STATES = ("to_send", "requested", "ordered")
#: the workflow and the mirrored SAP requisition / purchase order: written by the buttons and
#: the flows only (superuser mode)
SAP_FIELDS = frozenset(
    {
        "state",
        "backend_id",
        "sap_message_id",
        "sap_pr_number",
        "sap_pr_item",
        "sap_po_number",
        "sap_po_item",
        "vendor_code",
        "partner_id",
        "po_date",
        "po_changed_at",
        "po_quantity",
        "received_qty",
        "open_qty",
        "price_unit",
        "currency_code",
    }
)
#: what SAP is asked for: fixed once the requisition is sent (the flow reads the record)
REQUEST_FIELDS = frozenset(
    {
        "product_id",
        "product_qty",
        "product_uom_id",
        "location_id",
        "date_required",
        "urgency",
        "company_id",
    }
)


class StockSapRequisition(models.Model):
    """A purchase requisition Odoo asks SAP for (reorder rule or planner request), and the SAP
    purchase order and goods receipts it turned into.

    SAP is the purchasing system of record: the SAP purchase order is mirrored *on the
    requisition* (number, vendor, dates, ordered / received / open quantity) rather than as an
    Odoo ``purchase.order`` (see readme/DESCRIPTION.md for why)."""

    _name = "stock.sap.requisition"
    _description = "SAP Purchase Requisition"
    _inherit = ["mail.thread", "plant.sync.bound.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_send", "To Send"),
            ("requested", "Requested in SAP"),
            ("ordered", "Ordered"),
            ("received", "Received"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
        index=True,
        tracking=True,
        copy=False,
    )
    urgency = fields.Selection(
        [("normal", "Normal"), ("breakdown", "Breakdown (send at once)")],
        default="normal",
        required=True,
    )
    product_id = fields.Many2one(
        "product.product", required=True, check_company=True, domain="[('type', '=', 'consu')]"
    )
    product_qty = fields.Float(
        string="Quantity", required=True, default=1.0, digits="Product Unit of Measure"
    )
    product_uom_id = fields.Many2one(
        "uom.uom",
        string="Unit",
        compute="_compute_product_uom_id",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    location_id = fields.Many2one(
        "stock.location",
        string="Deliver To",
        required=True,
        check_company=True,
        domain="[('usage', '=', 'internal')]",
        help="Mapped stock location: gives the SAP plant and storage location.",
    )
    date_required = fields.Date(
        string="Required By",
        required=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=7),
    )
    origin = fields.Char()
    orderpoint_id = fields.Many2one(
        "stock.warehouse.orderpoint", string="Reorder Rule", index="btree_not_null", copy=False
    )
    maintenance_request_id = fields.Many2one(
        "maintenance.request", index="btree_not_null", check_company=True
    )
    requested_by_id = fields.Many2one(
        "res.users", string="Requested By", default=lambda self: self.env.user
    )
    backend_id = fields.Many2one("plant.sync.backend", readonly=True, copy=False, index=True)
    sap_message_id = fields.Many2one("plant.sync.message", readonly=True, copy=False)
    # --- SAP purchase requisition --------------------------------------------------------------
    sap_pr_number = fields.Char(
        string="SAP Requisition", readonly=True, copy=False, index="btree_not_null", tracking=True
    )
    sap_pr_item = fields.Char(string="SAP Requisition Item", readonly=True, copy=False)
    # --- SAP purchase order (mirrored) ----------------------------------------------------------
    sap_po_number = fields.Char(
        string="SAP Purchase Order",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
    )
    sap_po_item = fields.Char(string="SAP PO Item", readonly=True, copy=False)
    vendor_code = fields.Char(string="SAP Vendor", readonly=True, copy=False)
    partner_id = fields.Many2one("res.partner", string="Vendor", readonly=True, copy=False)
    po_date = fields.Date(string="Order Date", readonly=True, copy=False)
    po_changed_at = fields.Datetime(string="PO Last Change", readonly=True, copy=False)
    po_quantity = fields.Float(
        string="Ordered Quantity", readonly=True, copy=False, digits="Product Unit of Measure"
    )
    received_qty = fields.Float(
        string="Received Quantity",
        readonly=True,
        copy=False,
        digits="Product Unit of Measure",
        tracking=True,
    )
    open_qty = fields.Float(
        string="Expected Quantity",
        compute="_compute_open_qty",
        store=True,
        digits="Product Unit of Measure",
        help="Still to come: requested (before SAP ordered it), then ordered minus received.",
    )
    price_unit = fields.Float(string="Net Price", readonly=True, copy=False, digits="Product Price")
    currency_code = fields.Char(string="Currency", readonly=True, copy=False)
    receipt_move_ids = fields.One2many("stock.move", "sap_requisition_id", string="Receipts")

    _sql_constraints = [
        ("qty_positive", "CHECK (product_qty > 0)", "The quantity must be positive."),
    ]

    @api.depends("product_id")
    def _compute_product_uom_id(self):
        for requisition in self:
            if (
                not requisition.product_uom_id
                or requisition.product_uom_id.category_id
                != requisition.product_id.uom_id.category_id
            ):
                requisition.product_uom_id = requisition.product_id.uom_id

    @api.depends("state", "product_qty", "po_quantity", "received_qty")
    def _compute_open_qty(self):
        for requisition in self:
            if requisition.state in ("to_send", "requested"):
                requisition.open_qty = requisition.product_qty
            elif requisition.state == "ordered":
                requisition.open_qty = max(requisition.po_quantity - requisition.received_qty, 0.0)
            else:
                requisition.open_qty = 0.0

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # a new requisition is a draft (the form sends its default state)
            draft = vals.get("state", "draft") == "draft"
            check_engine_fields(self, set(vals) - {"state"} if draft else vals, SAP_FIELDS)
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("stock.sap.requisition") or "/"
        return super().create(vals_list)

    def write(self, vals):
        check_engine_fields(self, vals, SAP_FIELDS)
        if (
            not self.env.su
            and REQUEST_FIELDS & vals.keys()
            and self.filtered(lambda r: r.state != "draft")
        ):
            raise AccessError(self.env._("A requisition sent to SAP cannot be changed."))
        return super().write(vals)

    # ---------------------------------------------------------------------------------------
    # user actions
    # ---------------------------------------------------------------------------------------
    def action_submit(self):
        """Send to SAP: at once for breakdowns (or a real-time flow), else with the next batch."""
        self.check_access("write")
        for requisition in self:
            if requisition.state != "draft":
                raise UserError(self.env._("Only draft requisitions can be sent to SAP."))
        self.sudo().write({"state": "to_send"})
        self._stock_sap_enqueue()
        return True

    def action_cancel(self):
        self.check_access("write")
        for requisition in self:
            if requisition.state not in ("draft", "to_send"):
                raise UserError(self.env._("A requisition SAP has received is cancelled in SAP."))
            message = requisition.sudo().sap_message_id
            if message.state in ("pending", "held", "failed"):
                message._cancel(self.env._("Requisition cancelled"))
        self.sudo().write({"state": "cancel"})
        return True

    def _stock_sap_enqueue(self):
        Message = self.env["plant.sync.message"]
        Flow = self.env["plant.sync.flow"]
        for requisition in self:
            payload = {
                "requisition": requisition.name,
                "product": requisition.product_id.default_code
                or requisition.product_id.display_name,
                "quantity": requisition.product_qty,
                "uom": requisition.product_uom_id.name,
                "date_required": fields.Date.to_string(requisition.date_required),
                "urgency": requisition.urgency,
            }
            for flow in Flow._find(FLOW_REQUISITION, company=requisition.company_id):
                plant, _sloc = location_plant_sloc(
                    flow.backend_id, requisition.location_id, raise_missing=False
                )
                messages = Message._enqueue(
                    flow, requisition, payload, ("pr", requisition.id), plant=plant or None
                )
                if requisition.urgency == "breakdown" and flow.mode == "batch":
                    messages.sudo().filtered(
                        lambda m: m.state == "pending" and not m.job_uuid
                    )._schedule()
                if messages:
                    requisition.sudo().write(
                        {"sap_message_id": messages[0].id, "backend_id": flow.backend_id.id}
                    )
                    break  # one SAP system buys a requisition
