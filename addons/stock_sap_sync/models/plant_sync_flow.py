# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.addons.plant_sync_base.flow import selection_of

#: the flows of this addon (declared in ``flows/``, one file each)
FLOWS = selection_of("stock_sap_sync")


class PlantSyncFlow(models.Model):
    _inherit = "plant.sync.flow"

    code = fields.Selection(
        selection_add=FLOWS, ondelete={code: "cascade" for code, _label in FLOWS}
    )
    recon_tolerance_qty = fields.Float(
        string="Tolerance (quantity)",
        digits="Product Unit of Measure",
        help="Stock reconciliation: a difference raises an exception only when its quantity "
        "exceeds this tolerance and its value exceeds the value tolerance.",
    )
    recon_tolerance_value = fields.Float(
        string="Tolerance (value)",
        help="Stock reconciliation: differences worth less than this raise no exception.",
    )
    recon_finance_threshold = fields.Float(
        string="Finance Threshold",
        default=1000.0,
        help="Stock reconciliation: differences worth at least this go to the finance queue; "
        "smaller ones to the planners.",
    )
    recon_max_exceptions = fields.Integer(
        string="Max. Exceptions per Run",
        default=100,
        help="Stock reconciliation: at most this many exceptions per run (the largest values "
        "first); the rest are summed up in one exception.",
    )
