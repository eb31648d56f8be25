# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class MaintenanceEquipment(models.Model):
    _inherit = "maintenance.equipment"

    sap_critical = fields.Boolean(
        string="Critical Equipment",
        help="Spare parts consumed for requests on this equipment are posted to SAP at once "
        "(like critical parts), and part requests for breakdowns go to SAP in real time.",
    )
