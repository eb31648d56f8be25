# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import float_compare

AVAILABILITY = [
    ("ok", "Available"),
    ("short", "Short"),
    ("critical", "Critical part short"),
    ("consumed", "Consumed"),
]


class MaintenanceRequestPart(models.Model):
    """A spare part the job needs (planned by the planner before release). Shows what Odoo has
    available in the store the part is taken from, and the SAP quantity of the last stock
    reconciliation where SAP and Odoo differed, so that a job is not released while a critical
    part is missing."""

    _name = "maintenance.request.part"
    _description = "Planned Spare Part of a Maintenance Request"
    _order = "request_id, critical desc, id"
    _check_company_auto = True

    request_id = fields.Many2one(
        "maintenance.request", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="request_id.company_id", store=True, index=True)
    product_id = fields.Many2one(
        "product.product",
        string="Part",
        required=True,
        domain="[('is_storable', '=', True)]",
        check_company=True,
    )
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure", required=True)
    uom_id = fields.Many2one(
        "uom.uom",
        string="Unit",
        compute="_compute_uom_id",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    uom_category_id = fields.Many2one(related="product_id.uom_id.category_id")
    location_id = fields.Many2one(
        "stock.location",
        string="Taken From",
        required=True,
        domain="[('usage', '=', 'internal'), ('company_id', 'in', (company_id, False))]",
        default=lambda self: self.env["maintenance.consume.parts"]._default_location(),
        check_company=True,
    )
    critical = fields.Boolean(
        compute="_compute_critical",
        store=True,
        readonly=False,
        precompute=True,
        help="A job must not be released while a critical part is short (default: the part's "
        "'Critical Spare Part' flag).",
    )
    qty_available = fields.Float(
        string="Available (Odoo)",
        digits="Product Unit of Measure",
        compute="_compute_stock",
        compute_sudo=True,
        help="Free quantity (on hand minus reserved) in the store, in the unit of this line.",
    )
    qty_consumed = fields.Float(
        string="Booked",
        digits="Product Unit of Measure",
        compute="_compute_stock",
        compute_sudo=True,
        help="Already consumed on this job (done transfers of the request).",
    )
    sap_qty = fields.Float(
        string="SAP Stock",
        digits="Product Unit of Measure",
        compute="_compute_stock",
        compute_sudo=True,
        help="Unrestricted SAP stock of the last stock reconciliation that found a difference "
        "for this part and store (empty: SAP agreed with Odoo, or never reconciled).",
    )
    sap_stock_date = fields.Datetime(
        string="SAP Stock As Of", compute="_compute_stock", compute_sudo=True
    )
    availability = fields.Selection(
        AVAILABILITY, compute="_compute_stock", compute_sudo=True, string="Readiness"
    )

    @api.depends("product_id")
    def _compute_uom_id(self):
        for part in self:
            if not part.uom_id or part.uom_id.category_id != part.product_id.uom_id.category_id:
                part.uom_id = part.product_id.uom_id

    @api.depends("product_id")
    def _compute_critical(self):
        for part in self:
            part.critical = part.product_id.sap_critical

    def _sap_reconciled(self):
        """(SAP quantity in the product unit or None, date) from the newest reconciliation line
        of this part and store."""
        self.ensure_one()
        line = self.env["stock.sap.reconciliation.line"].search(
            [
                ("product_id", "=", self.product_id.id),
                ("location_id", "parent_of", self.location_id.id),
                ("reconciliation_id.state", "=", "done"),
            ],
            order="date desc, id desc",
            limit=1,
        )
        if not line:
            return None, False
        qty = line.sap_qty
        if line.uom_id and line.uom_id != self.product_id.uom_id:
            qty = line.uom_id._compute_quantity(qty, self.product_id.uom_id)
        return qty, line.date

    @api.depends(
        "product_id", "quantity", "uom_id", "location_id", "critical", "request_id.picking_ids"
    )
    def _compute_stock(self):
        Move = self.env["stock.move"]
        for part in self:
            product, uom = part.product_id, part.uom_id or part.product_id.uom_id
            if not product or not part.location_id:
                part.qty_available = part.qty_consumed = part.sap_qty = 0.0
                part.sap_stock_date = False
                part.availability = "ok"
                continue
            free = product.with_context(location=part.location_id.id).free_qty
            request_id = part.request_id._origin.id
            moves = request_id and Move.search(
                [
                    ("maintenance_request_id", "=", request_id),
                    ("product_id", "=", product.id),
                    ("state", "=", "done"),
                    ("location_dest_id.usage", "!=", "internal"),
                ]
            )
            consumed = sum(moves.mapped("product_qty")) if moves else 0.0
            sap_qty, sap_date = part._sap_reconciled()
            part.qty_available = product.uom_id._compute_quantity(free, uom)
            part.qty_consumed = product.uom_id._compute_quantity(consumed, uom)
            part.sap_qty = product.uom_id._compute_quantity(sap_qty, uom) if sap_qty else 0.0
            part.sap_stock_date = sap_date
            digits = uom.rounding
            missing = part.quantity - part.qty_consumed
            if float_compare(missing, 0.0, precision_rounding=digits) <= 0:
                part.availability = "consumed"
                continue
            short = float_compare(part.qty_available, missing, precision_rounding=digits) < 0
            if sap_date and sap_qty is not None:
                short = short or float_compare(part.sap_qty, missing, precision_rounding=digits) < 0
            if not short:
                part.availability = "ok"
            else:
                part.availability = "critical" if part.critical else "short"

    def _short_text(self):
        """'Bearing 6204: need 2 Units, available 0 (SAP 0)'."""
        self.ensure_one()
        text = self.env._(
            "%(part)s: need %(need)s %(unit)s, available %(free)s",
            part=self.product_id.display_name,
            need=f"{self.quantity - self.qty_consumed:g}",
            unit=self.uom_id.name,
            free=f"{self.qty_available:g}",
        )
        if self.sap_stock_date:
            text += self.env._(" (SAP %(qty)s)", qty=f"{self.sap_qty:g}")
        return text
