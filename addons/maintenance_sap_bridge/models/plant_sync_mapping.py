# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class PlantSyncMapping(models.Model):
    _inherit = "plant.sync.mapping"

    mapping_type = fields.Selection(
        selection_add=[("planner_group", "Planner Group")],
        ondelete={"planner_group": "cascade"},
    )

    @api.model
    def _plant_sync_mapping_models(self):
        models_ = super()._plant_sync_mapping_models()
        for name in ("maintenance.functional.location", "maintenance.equipment"):
            if name not in models_:
                models_.append(name)
        return models_
