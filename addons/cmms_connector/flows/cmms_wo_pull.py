# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""CMMS work orders → maintenance requests (delta pull)."""

from odoo.addons.plant_sync_base.flow import InboundFlow, register
from odoo.addons.plant_sync_base.tools import BatchPage

from plant_sync.cmms import WorkOrder
from plant_sync.cmms.workorder import format_datetime, parse_datetime

from .common import CmmsFlow, to_odoo_datetime


@register
class CmmsWoPull(CmmsFlow, InboundFlow):
    code = "cmms_wo_pull"
    label = "CMMS: work orders → maintenance requests (delta pull)"
    trigger = (
        "the flow's schedule (batch) or 'Run now': the work orders changed in the CMMS since "
        "the watermark, one message per work-order version"
    )

    def pull(self, since=None, token=None, page_token=None):
        """One pull job: stream the work orders changed since the watermark (the client reads
        page by page as we iterate) and turn them into inbound messages. After
        ``cmms_pull_chunk`` work orders the job stops at a change-date boundary and the next
        job continues from that change date (``>=``: the records stamped with it are read again
        and deduplicated by their idempotency key)."""
        start = parse_datetime(page_token or since or None)
        chunk = max(self.backend.cmms_pull_chunk or 500, 1)
        items, last_changed = [], None

        def read(client):
            nonlocal last_changed
            for workorder in client.list_changed(start):
                if (
                    len(items) >= chunk
                    and workorder.changed_at
                    and workorder.changed_at != last_changed
                ):
                    return format_datetime(last_changed)
                items.append(self.item(workorder))
                if workorder.changed_at:
                    last_changed = workorder.changed_at
            return None

        next_page = self.with_client(read)
        if next_page:
            return BatchPage(items=items, next_page_token=next_page)
        return BatchPage(
            items=items,
            watermark_date=to_odoo_datetime(last_changed) or self.flow.watermark_date,
        )

    @staticmethod
    def item(workorder):
        """The message of one work-order version (a re-read version is the same message)."""
        version = workorder.version or format_datetime(workorder.changed_at) or ""
        return {
            "key": ("workorder", workorder.external_id, version),
            "payload": {"workorder": workorder.to_dict()},
        }

    def apply(self, payload):
        return self.import_workorder(WorkOrder.from_dict(payload["workorder"]))
