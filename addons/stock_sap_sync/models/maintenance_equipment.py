# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class MaintenanceEquipment(models.Model):
    _inherit = "maintenance.equipment"

    sap_critical = fields.Boolean(
        string="Critical Equipment",
        help="Spare parts consumed for requests on this equipment are posted to SAP at once "
        "(like critical parts), and part requests for breakdowns go to SAP in real time.",
    )

    @api.depends("serial_no")
    def _compute_match_serial(self):
        """With stock installed (this addon brings it next to maintenance), Odoo 18.0 counts the
        lots matching the serial number as the user: a maintenance user without inventory
        rights could not open any equipment form (AccessError on stock.lot). Backport of
        odoo/odoo#188644: no lot smart button for users who cannot read lots."""
        if not self.env["stock.lot"].has_access("read"):
            self.match_serial = False
            return
        super()._compute_match_serial()
