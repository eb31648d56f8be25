# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class PlantSyncMapping(models.Model):
    _inherit = "plant.sync.mapping"

    mapping_type = fields.Selection(
        selection_add=[("material_group", "Material Group")],
        ondelete={"material_group": "cascade"},
    )

    @api.model
    def _plant_sync_mapping_models(self):
        return super()._plant_sync_mapping_models() + [
            "product.category",
            "maintenance.equipment",
        ]
