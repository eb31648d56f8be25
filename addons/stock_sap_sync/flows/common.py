# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the SAP stock and purchasing flows share: the document of a message. (A pull's library
errors are the base's: ``plant.sync.flow._pull_failed`` retries transient ones.)"""

from odoo.addons.plant_sync_base.exceptions import PlantSyncBusinessError
from odoo.addons.plant_sync_base.flow import Flow


class StockSapFlow(Flow):
    """Helpers of the stock and purchasing flows."""

    def document(self):
        """The Odoo record of the message (as superuser); a deleted one is an error for the
        administrator."""
        record = self.record()
        if not record:
            raise PlantSyncBusinessError(
                self.env._("The Odoo record of this message no longer exists."),
                owner_group="admin",
            )
        return record
