# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from contextlib import contextmanager
from datetime import timezone

from odoo import fields, models
from odoo.addons.plant_sync_base.tools import BatchPage
from odoo.addons.queue_job.exception import RetryableJobError

from plant_sync.cmms.workorder import format_datetime, parse_datetime
from plant_sync.errors import ConfigurationError, IntegrationError, outcome_of

CMMS_FLOWS = [
    ("cmms_wo_pull", "CMMS: work orders → maintenance requests (delta pull)"),
    ("cmms_wo_push", "CMMS: maintenance requests → work orders (status, completion)"),
    ("cmms_asset_pull", "CMMS: assets ↔ equipment (crosswalk)"),
    ("cmms_webhook", "CMMS: webhook events"),
]


def _odoo_datetime(value):
    """Aware datetime -> naive UTC for Odoo Datetime fields."""
    if not value:
        return False
    return value.astimezone(timezone.utc).replace(tzinfo=None)


@contextmanager
def _transient_as_retry():
    """A transient CMMS error in a pull job: retry the job later (queue_job retry pattern, or
    the Retry-After of the CMMS); a permanent one fails the job (visible in the job queue)."""
    try:
        yield
    except IntegrationError as exc:
        outcome = outcome_of(exc)
        if not outcome.transient:
            raise
        seconds = int(outcome.retry_after) if outcome.retry_after else None
        raise RetryableJobError(outcome.human, seconds=seconds) from exc


class PlantSyncFlow(models.Model):
    _inherit = "plant.sync.flow"

    code = fields.Selection(
        selection_add=CMMS_FLOWS, ondelete={code: "cascade" for code, _label in CMMS_FLOWS}
    )

    def _plant_sync_pull_cmms_wo_pull(self, since=None, token=None, page_token=None):
        with _transient_as_retry():
            return self._cmms_pull_workorders(since=since, page_token=page_token)

    def _plant_sync_pull_cmms_asset_pull(self, since=None, token=None, page_token=None):
        with _transient_as_retry():
            return self._cmms_pull_assets(since=since)

    def _cmms_pull_workorders(self, since=None, page_token=None):
        """One pull job: stream the work orders changed since the watermark (the client reads
        page by page as we iterate) and turn them into inbound messages. After
        ``cmms_pull_chunk`` work orders the job stops at a change-date boundary and the next
        job continues from that change date (``>=``: the records stamped with it are read again
        and deduplicated by their idempotency key)."""
        self.ensure_one()
        backend = self.backend_id
        start = parse_datetime(page_token or since or None)
        chunk = max(backend.cmms_pull_chunk or 500, 1)
        client = backend._client()
        items, last_changed = [], None
        try:
            for workorder in client.list_changed(start):
                if (
                    len(items) >= chunk
                    and workorder.changed_at
                    and workorder.changed_at != last_changed
                ):
                    return BatchPage(items=items, next_page_token=format_datetime(last_changed))
                items.append(self._cmms_workorder_item(workorder))
                if workorder.changed_at:
                    last_changed = workorder.changed_at
        finally:
            client.close()
        return BatchPage(
            items=items, watermark_date=_odoo_datetime(last_changed) or self.watermark_date
        )

    def _cmms_workorder_item(self, workorder):
        version = workorder.version or format_datetime(workorder.changed_at) or ""
        return {
            "key": ("workorder", workorder.external_id, version),
            "payload": {"workorder": workorder.to_dict()},
        }

    def _cmms_pull_assets(self, since=None):
        """Asset crosswalk pull (Maximo object structure ``mxapiasset``)."""
        self.ensure_one()
        backend = self.backend_id
        if backend.kind != "cmms_maximo":
            raise ConfigurationError(
                "Reading assets is available for Maximo backends; bind equipment to assets of "
                "other CMMS by hand (External References) or with equipment mappings."
            )
        start = parse_datetime(since or None)
        client = backend._client()
        items, last_changed = [], None
        try:
            for asset in client.iter_assets(start):
                changed = asset.get("changedate") or ""
                items.append(
                    {
                        "key": ("asset", asset.get("assetnum"), asset.get("_rowstamp") or changed),
                        "payload": {"asset": asset},
                    }
                )
                if changed:
                    last_changed = max(last_changed or changed, changed)
        finally:
            client.close()
        watermark = _odoo_datetime(parse_datetime(last_changed)) if last_changed else False
        return BatchPage(items=items, watermark_date=watermark or self.watermark_date)

    def _job_pull_page(self, page_token=None, run_started=None):
        """The engine leaves the inbound messages of a batch flow for the next dispatcher run;
        pulled work orders and assets are imported right away instead (one job each)."""
        result = super()._job_pull_page(page_token=page_token, run_started=run_started)
        flow = self.sudo()
        if flow.code in ("cmms_wo_pull", "cmms_asset_pull") and flow.enabled:
            backend = flow.backend_id
            limit = max(backend.cmms_pull_chunk or 500, 1) * 2
            self.env["plant.sync.message"]._stored_without_job(
                backend, limit, flow=flow
            )._schedule()
        return result
