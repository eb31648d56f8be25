# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
from odoo.addons.plant_sync_base.exceptions import PlantSyncBusinessError


class PlantSyncMessage(models.Model):
    _inherit = "plant.sync.message"

    def _stock_sap_record(self):
        record = self._record()
        if not record:
            raise PlantSyncBusinessError(
                self.env._("The Odoo record of this message no longer exists."),
                owner_group="admin",
            )
        return record

    # flow handlers (called by the engine, see plant_sync_base readme/USAGE.md) ---------------
    def _plant_sync_run_sap_goods_movement(self):
        return self._stock_sap_record()._stock_sap_post(self)

    def _plant_sync_run_sap_purchase_requisition(self):
        return self._stock_sap_record()._stock_sap_post(self)

    def _plant_sync_run_sap_purchase_order(self):
        return self._stock_sap_record()._stock_sap_apply_po(self._get_payload())

    def _plant_sync_run_sap_service_confirmation(self):
        return self._stock_sap_record()._stock_sap_post(self)
