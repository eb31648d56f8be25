# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


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
    # --- one part from a phone: searched, or scanned into the barcode field ------------------
    barcode = fields.Char(help="Scan or type the barcode (or internal reference) of the part.")
    product_id = fields.Many2one(
        "product.product", string="Part", domain="[('is_storable', '=', True)]"
    )
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure")

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

    @api.onchange("barcode")
    def _onchange_barcode(self):
        code = (self.barcode or "").strip()
        if not code:
            return None
        self.barcode = False
        product = self.env["product.product"].search(
            ["|", ("barcode", "=", code), ("default_code", "=", code), ("is_storable", "=", True)],
            limit=1,
        )
        if not product:
            return {
                "warning": {
                    "title": self.env._("Unknown part"),
                    "message": self.env._("No spare part has the barcode %(code)s.", code=code),
                }
            }
        self.product_id = product
        return None

    def _check_technician_booking(self):
        """Without stock rights, a user books parts only on a job assigned to them that is not
        finished, from an internal location of its company to an SAP consumption location;
        the transfer is then created in superuser mode, against the request's own SAP order."""
        request = self.request_id
        request.check_access("write")
        user = self.env.user
        if request.user_id != user and not user.has_group("maintenance.group_equipment_manager"):
            raise AccessError(self.env._("You can only book parts on jobs assigned to you."))
        if request.archive or request.stage_id.done:
            raise UserError(self.env._("%(job)s is finished.", job=request.display_name))
        source, destination = self.location_id.sudo(), self.location_dest_id.sudo()
        if (
            source.usage != "internal"
            or source.company_id not in (request.company_id, self.env["res.company"])
            or not destination.sap_consumption
        ):
            raise AccessError(
                self.env._("Parts are taken from a store of the job's company to consumption.")
            )

    def _picking_type(self):
        warehouse = self.location_id.warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", self.request_id.company_id.id or self.env.company.id)],
            limit=1,
        )
        return warehouse.out_type_id

    def action_confirm(self):
        self.ensure_one()
        self.check_access("write")
        self.request_id.check_access("read")
        lines = [
            (line.product_id, line.quantity, line.uom_id)
            for line in self.line_ids
            if line.quantity > 0
        ]
        if self.product_id and self.quantity > 0:
            lines.append((self.product_id, self.quantity, self.product_id.uom_id))
        if not lines:
            raise UserError(self.env._("Enter at least one part with a quantity."))
        Picking = self.env["stock.picking"]
        order_number = self.sap_order_number or False
        technician = not self.env.user.has_group("stock.group_stock_user")
        if technician:
            self._check_technician_booking()
            Picking = Picking.sudo()
            order_number = self.request_id._stock_sap_order_number()
        picking = Picking.create(
            {
                "picking_type_id": self._picking_type().id,
                "location_id": self.location_id.id,
                "location_dest_id": self.location_dest_id.id,
                "origin": self.request_id.name,
                "maintenance_request_id": self.request_id.id,
                "sap_order_number": order_number,
                "company_id": self.request_id.company_id.id or self.env.company.id,
                "move_ids": [
                    fields.Command.create(
                        {
                            "name": product.display_name,
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "product_uom": uom.id,
                            "location_id": self.location_id.id,
                            "location_dest_id": self.location_dest_id.id,
                        }
                    )
                    for product, quantity, uom in lines
                ],
            }
        )
        picking.action_confirm()
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
        if technician:
            # the technician cannot open transfers: the job shows what was booked
            return {"type": "ir.actions.act_window_close"}
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
