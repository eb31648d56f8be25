# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.addons.plant_sync_base.flow import flow_class, selection_of

# importing the flows package registers every flow of the addon before the selection is built
# (whatever imports this module first: the addon, its controllers)
from ..flows.common import CmmsFlow

FLOWS = selection_of("cmms_connector")


class PlantSyncFlow(models.Model):
    _inherit = "plant.sync.flow"

    code = fields.Selection(
        selection_add=FLOWS, ondelete={code: "cascade" for code, _label in FLOWS}
    )

    def _job_pull_page(self, page_token=None, run_started=None):
        """After each page of a CMMS pull, also schedule the flow's older pending messages
        that have no live job (lost or dead jobs, messages stored while the circuit was open;
        not those with an open exception), up to twice the pull chunk. The engine schedules
        the messages of the page itself; without this, the backlog would wait for the next
        dispatcher run (``_run_batch_now``, which takes ``rate_limit_per_minute`` of them)."""
        result = super()._job_pull_page(page_token=page_token, run_started=run_started)
        flow = self.sudo()
        flow_cls = flow_class(self.env, flow.code)
        if flow.enabled and flow_cls and issubclass(flow_cls, CmmsFlow) and flow_cls.has_pull():
            backend = flow.backend_id
            limit = max(backend.cmms_pull_chunk or 500, 1) * 2
            self.env["plant.sync.message"]._stored_without_job(
                backend, limit, flow=flow
            )._schedule()
        return result
