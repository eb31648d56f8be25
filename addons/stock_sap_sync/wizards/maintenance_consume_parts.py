# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError


class MaintenanceConsumeParts(models.TransientModel):
    """What a technician fills in to book the spare parts used on a maintenance request: one
    transfer from the (SAP-mapped) maintenance store to the consumption location, validated at
    once; validation posts the goods issue to SAP."""

    _name = "maintenance.consume.parts"
    _description = "Consume Spare Parts for a Maintenance Request"

    request_id = fields.Many2one("maintenance.request", required=True, readonly=True)
    company_id = fields.Many2one(related="request_id.company_id")
    location_id = fields.Many2one(
        "stock.location",
        string="Taken From",
        required=True,
        domain="[('usage', '=', 'internal'), ('company_id', 'in', (company_id, False))]",
        default=lambda self: self._default_location(),
    )
    location_dest_id = fields.Many2one(
        "stock.location",
        string="Consumed At",
        required=True,
        domain="[('sap_consumption', '=', True)]",
        default=lambda self: self.env.ref(
            "stock_sap_sync.stock_location_maintenance_consumption", raise_if_not_found=False
        ),
    )
    sap_order_number = fields.Char(
        string="SAP Maintenance Order",
        compute="_compute_sap_order_number",
        store=True,
        readonly=False,
        precompute=True,
        help="Empty: the parts are posted to the cost center (201).",
    )
    line_ids = fields.One2many("maintenance.consume.parts.line", "wizard_id", string="Parts")

    @api.model
    def _default_location(self):
        company = self.env.company
        mappings = (
            self.env["plant.sync.mapping"]
            .sudo()
            .search([("mapping_type", "=", "location"), ("odoo_key", "=like", "stock.location,%")])
        )
        for mapping in mappings:
            location = mapping.odoo_ref
            if location.usage == "internal" and location.company_id in (company, False):
                return location
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        return warehouse.lot_stock_id

    @api.depends("request_id")
    def _compute_sap_order_number(self):
        for wizard in self:
            wizard.sap_order_number = (
                wizard.request_id._stock_sap_order_number() if wizard.request_id else False
            )

    def _picking_type(self):
        warehouse = self.location_id.warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", self.request_id.company_id.id or self.env.company.id)],
            limit=1,
        )
        return warehouse.out_type_id

    def action_confirm(self):
        self.ensure_one()
        lines = self.line_ids.filtered(lambda line: line.quantity > 0)
        if not lines:
            raise UserError(self.env._("Enter at least one part with a quantity."))
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self._picking_type().id,
                "location_id": self.location_id.id,
                "location_dest_id": self.location_dest_id.id,
                "origin": self.request_id.name,
                "maintenance_request_id": self.request_id.id,
                "sap_order_number": self.sap_order_number or False,
                "company_id": self.request_id.company_id.id or self.env.company.id,
                "move_ids": [
                    fields.Command.create(
                        {
                            "name": line.product_id.display_name,
                            "product_id": line.product_id.id,
                            "product_uom_qty": line.quantity,
                            "product_uom": line.uom_id.id,
                            "location_id": self.location_id.id,
                            "location_dest_id": self.location_dest_id.id,
                        }
                    )
                    for line in lines
                ],
            }
        )
        picking.action_confirm()
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
        return {
            "type": "ir.actions.act_window",
            "res_model": "stock.picking",
            "res_id": picking.id,
            "view_mode": "form",
        }


class MaintenanceConsumePartsLine(models.TransientModel):
    _name = "maintenance.consume.parts.line"
    _description = "Spare Part Consumed"

    wizard_id = fields.Many2one("maintenance.consume.parts", required=True, ondelete="cascade")
    product_id = fields.Many2one(
        "product.product", required=True, domain="[('is_storable', '=', True)]"
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

    @api.depends("product_id")
    def _compute_uom_id(self):
        for line in self:
            if not line.uom_id or line.uom_id.category_id != line.product_id.uom_id.category_id:
                line.uom_id = line.product_id.uom_id
