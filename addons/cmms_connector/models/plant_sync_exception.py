# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class PlantSyncException(models.Model):
    _inherit = "plant.sync.exception"

    @api.model
    def _explain_missing_mapping(self, exc, backend, pending=True):
        """A CMMS asset that no Odoo equipment is linked to: the fix is an equipment mapping of
        the asset (the crosswalk also links by serial number on the next asset pull)."""
        if exc.mapping_type != "cmms_equipment":
            return super()._explain_missing_mapping(exc, backend, pending=pending)
        human = self.env._(
            "CMMS asset '%(asset)s' is not linked to an Odoo equipment — link it: map the asset "
            "to its equipment (or give the equipment the serial number %(asset)s and pull the "
            "assets again); %(then)s.",
            asset=exc.value,
            then=self._then_text("inbound", pending),
        )
        fix = self._fix_mapping(backend, "cmms_equipment", "inbound", external=exc.value)
        return "missing_link", human, fix
