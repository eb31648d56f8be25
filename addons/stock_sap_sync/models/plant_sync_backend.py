# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from ..tools import (
    FLOW_GOODS_MOVEMENT,
    FLOW_MATERIAL,
    FLOW_PURCHASE_ORDER,
    FLOW_RECONCILIATION,
    FLOW_REQUISITION,
    FLOW_SERVICE_CONFIRMATION,
)

#: flows of this addon with their default set-up (created disabled: an administrator enables
#: them once the mappings are in place)
DEFAULT_FLOWS = {
    FLOW_MATERIAL: {"mode": "batch", "interval_number": 1, "interval_type": "days"},
    FLOW_GOODS_MOVEMENT: {"mode": "realtime"},
    FLOW_RECONCILIATION: {"mode": "batch", "interval_number": 1, "interval_type": "days"},
    FLOW_REQUISITION: {"mode": "batch", "interval_number": 1, "interval_type": "hours"},
    FLOW_PURCHASE_ORDER: {"mode": "batch", "interval_number": 30, "interval_type": "minutes"},
    FLOW_SERVICE_CONFIRMATION: {"mode": "realtime"},
}


class PlantSyncBackend(models.Model):
    _inherit = "plant.sync.backend"

    def action_stock_sap_create_flows(self):
        """Create the missing stock/purchasing flows of SAP backends (disabled)."""
        self.check_access("write")
        Flow = self.env["plant.sync.flow"].sudo()
        for backend in self.filtered(lambda b: (b.kind or "").startswith("sap")):
            existing = set(backend.flow_ids.mapped("code"))
            Flow.create(
                [
                    dict(values, backend_id=backend.id, code=code, enabled=False)
                    for code, values in DEFAULT_FLOWS.items()
                    if code not in existing
                ]
            )
        return True
