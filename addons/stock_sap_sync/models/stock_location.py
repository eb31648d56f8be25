# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class StockLocation(models.Model):
    _inherit = "stock.location"

    sap_consumption = fields.Boolean(
        string="SAP Consumption Location",
        help="Parts moved from a mapped stock location to this location are consumed: the "
        "goods issue is posted to SAP (261 against the maintenance order, 201 to the cost "
        "center); moves back are returns (262/202).",
    )
