# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.addons.plant_sync_base.flow import selection_of

FLOWS = selection_of("maintenance_sap_bridge")


class PlantSyncFlow(models.Model):
    _inherit = "plant.sync.flow"

    code = fields.Selection(
        selection_add=FLOWS, ondelete={code: "cascade" for code, _label in FLOWS}
    )
    # --- maintenance settings (shown on the flows of this addon) -----------------------------
    sap_release_stage_id = fields.Many2one(
        "maintenance.stage",
        string="Release Stage",
        help="Order flow: when a corrective request reaches this stage (approval), the SAP "
        "maintenance order is created for its notification and released.",
    )
    sap_notification_type = fields.Char(
        string="Notification Type", default="M1", help="SAP notification type (QMART)."
    )
    sap_order_type = fields.Char(
        string="Order Type", default="PM01", help="SAP order type of corrective orders (AUART)."
    )
    sap_labour_approval = fields.Boolean(
        string="Labour Needs Planner Approval",
        default=True,
        help="Confirmation flow: labour lines submitted by technicians wait for the approval "
        "of a maintenance manager (planner) before they are posted to SAP.",
    )
    sap_plant_filter = fields.Char(
        string="Maintenance Plant",
        help="Master data pull: only equipment/functional locations of this plant (empty: all).",
    )
    is_sap_maintenance_flow = fields.Boolean(compute="_compute_is_sap_maintenance_flow")

    @api.depends("code")
    def _compute_is_sap_maintenance_flow(self):
        codes = {code for code, _label in FLOWS}
        for flow in self:
            flow.is_sap_maintenance_flow = flow.code in codes

    def action_sap_full_resync(self):
        """Forget the watermarks and pull everything again (idempotent: unchanged pages are
        recognised by their content key, unchanged records are not written)."""
        self.check_access("write")
        for flow in self.sudo():
            flow.write({"watermark_date": False, "watermark_token": False})
            flow._run_batch_now()
        return True
