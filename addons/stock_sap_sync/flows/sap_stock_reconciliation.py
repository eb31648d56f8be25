# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""SAP unrestricted stock vs Odoo quants on the mapped locations: one reconciliation per
scheduled run (the comparison itself is ``stock.sap.reconciliation._run``, also run by its
Run button)."""

from odoo.addons.plant_sync_base.flow import Flow, register
from odoo.addons.plant_sync_base.tools import BatchPage

from ..tools import FLOW_RECONCILIATION


@register
class SapStockReconciliation(Flow):
    code = FLOW_RECONCILIATION
    label = "SAP stock reconciliation"
    trigger = (
        "the flow's schedule (batch, daily by default) or 'Run now'; a reconciliation's own "
        "Run button compares without the flow's schedule"
    )

    def pull(self, since=None, token=None, page_token=None):
        """Scheduled reconciliation: one result record per run, computed in this job."""
        reconciliation = (
            self.env["stock.sap.reconciliation"].sudo().create({"flow_id": self.flow.id})
        )
        reconciliation._run()
        return BatchPage(items=[])
