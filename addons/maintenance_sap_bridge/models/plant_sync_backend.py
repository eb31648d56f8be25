# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from ..sap_tools import FLOW_CODES, FLOW_MASTER_PULL, FLOW_ORDER_PULL


class PlantSyncBackend(models.Model):
    _inherit = "plant.sync.backend"

    def action_sap_setup_maintenance_flows(self):
        """Create the (disabled) flows of the SAP maintenance bridge that the backend lacks."""
        self.check_access("write")
        Flow = self.env["plant.sync.flow"]
        for backend in self.filtered(lambda b: b.kind in ("sap_odata", "sap_rfc")):
            existing = set(backend.flow_ids.mapped("code"))
            vals_list = []
            for sequence, code in enumerate(FLOW_CODES, start=50):
                if code in existing:
                    continue
                batch = code in (FLOW_MASTER_PULL, FLOW_ORDER_PULL)
                vals_list.append(
                    {
                        "backend_id": backend.id,
                        "code": code,
                        "sequence": sequence,
                        "enabled": False,
                        "mode": "batch" if batch else "realtime",
                        "interval_number": 1 if code == FLOW_MASTER_PULL else 15,
                        "interval_type": "days" if code == FLOW_MASTER_PULL else "minutes",
                    }
                )
            Flow.create(vals_list)
        return True
