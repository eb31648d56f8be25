# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class PlantSyncException(models.Model):
    _inherit = "plant.sync.exception"

    @api.model
    def _explain_missing_mapping(self, exc, backend, pending=True):
        """An equipment without SAP equipment number is linked, not mapped: the fix opens the
        equipment (its SAP number releases the waiting messages), or a master data pull links
        it by serial number or name."""
        equipment = self._record_of_key(exc.value) if exc.mapping_type == "equipment" else None
        if not equipment or equipment._name != "maintenance.equipment":
            return super()._explain_missing_mapping(exc, backend, pending=pending)
        human = self.env._(
            "Equipment '%(name)s' has no SAP equipment number — pull it from SAP or link it "
            "(enter its SAP equipment number on the equipment); %(then)s.",
            name=equipment.display_name,
            then=self.env._("the waiting message is sent as soon as it is linked")
            if pending
            else self.env._("the next run uses it"),
        )
        return "missing_link", human, self._fix_open(equipment, "link")
