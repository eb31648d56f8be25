# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class StockSapReconciliationLine(models.Model):
    """One stock position whose SAP and Odoo quantities differ. Written by the reconciliation
    with one INSERT ... SELECT (never one ORM create per line); read-only for users."""

    _name = "stock.sap.reconciliation.line"
    _description = "SAP Stock Reconciliation Difference"
    _order = "abs_value desc, id"

    reconciliation_id = fields.Many2one(
        "stock.sap.reconciliation", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one("res.company", index=True, readonly=True)
    date = fields.Datetime(related="reconciliation_id.date", store=True)
    location_id = fields.Many2one("stock.location", string="Location", readonly=True)
    plant = fields.Char(readonly=True)
    storage_location = fields.Char(readonly=True)
    material = fields.Char(string="SAP Material", readonly=True, index=True)
    product_id = fields.Many2one("product.product", readonly=True)
    uom_id = fields.Many2one("uom.uom", string="SAP Unit", readonly=True)
    sap_qty = fields.Float(string="SAP Quantity", digits="Product Unit of Measure", readonly=True)
    odoo_qty = fields.Float(string="Odoo Quantity", digits="Product Unit of Measure", readonly=True)
    difference = fields.Float(
        string="Difference (SAP − Odoo)", digits="Product Unit of Measure", readonly=True
    )
    price_unit = fields.Float(string="Unit Value", digits="Product Price", readonly=True)
    value = fields.Monetary(currency_field="currency_id", readonly=True)
    abs_value = fields.Monetary(
        string="Value at Stake", currency_field="currency_id", readonly=True
    )
    currency_id = fields.Many2one("res.currency", readonly=True)
    above_tolerance = fields.Boolean(readonly=True)
    owner_group = fields.Selection([("planner", "Planner"), ("finance", "Finance")], readonly=True)
    exception_id = fields.Many2one("plant.sync.exception", readonly=True)
