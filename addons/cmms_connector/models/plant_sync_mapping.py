# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class PlantSyncMapping(models.Model):
    _inherit = "plant.sync.mapping"

    mapping_type = fields.Selection(
        selection_add=[
            ("cmms_problem", "CMMS Problem Code"),
            ("cmms_remedy", "CMMS Remedy Code"),
            ("cmms_equipment", "CMMS Asset → Equipment"),
        ],
        ondelete={
            "cmms_problem": "cascade",
            "cmms_remedy": "cascade",
            "cmms_equipment": "cascade",
        },
    )

    @api.model
    def _plant_sync_mapping_models(self):
        models_ = super()._plant_sync_mapping_models()
        return models_ + [m for m in ("maintenance.equipment",) if m not in models_]
