# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    sap_critical = fields.Boolean(
        string="Critical Spare Part",
        help="Consumption of a critical part is posted to SAP at once, even when the goods "
        "movement flow sends routine consumption in scheduled batches.",
    )
    sap_base_uom_id = fields.Many2one(
        "uom.uom",
        string="SAP Base Unit",
        help="Unit SAP keeps this material in (from the material master, through the unit "
        "mapping). Quantities are converted to it before posting; empty: the product unit.",
    )
    sap_material_group = fields.Char(string="SAP Material Group", readonly=True)
    sap_material_type = fields.Char(string="SAP Material Type", readonly=True)
    sap_valuation_price = fields.Float(
        string="SAP Valuation Price",
        digits="Product Price",
        readonly=True,
        help="Price per SAP base unit from the material master, for reference (valuation of "
        "reconciliation differences). Empty: the Odoo cost is used.",
    )
