# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""SAP functional locations and equipment → Odoo, pulled page by page."""

import json
import logging

from odoo.addons.plant_sync_base.flow import InboundFlow, register
from odoo.addons.plant_sync_base.tools import BatchPage, HandlerResult

from plant_sync.errors import ConfigurationError

from ..sap_tools import FLOW_MASTER_PULL, jsonable, to_aware, to_naive
from .common import SapMaintenanceFlow

_logger = logging.getLogger(__name__)


@register
class SapPmMasterPull(SapMaintenanceFlow, InboundFlow):
    code = FLOW_MASTER_PULL
    label = "SAP PM: equipment and functional locations (pull)"
    trigger = "the flow's schedule (batch), 'Run now' or 'Full resync'"

    def pull(self, since=None, token=None, page_token=None):
        """Functional locations, then equipment, streamed page by page: one inbound message
        per page of rows."""
        marks = self.marks(token)
        plant = (self.flow.sap_plant_filter or "").strip()
        pages = 0

        def read(client):
            nonlocal pages
            for kind, iterate in (
                ("floc", client.iter_functional_location_changes),
                ("equipment", client.iter_equipment_changes),
            ):
                mark = start = self.since(marks, kind, since)
                try:
                    for page in iterate(start, plant=plant):
                        self.enqueue_page(kind, [jsonable(row) for row in page.rows])
                        pages += 1
                        mark = page.watermark or mark
                except ConfigurationError as exc:
                    if kind != "floc":
                        raise
                    # functional locations are optional: equipment still comes (stubs of
                    # their locations are created), the administrator is told why
                    self.report_floc_failure(exc)
                    continue
                if mark:
                    marks[kind] = mark.isoformat()

        self.with_client(read)
        watermark = min((to_aware(v) for v in marks.values()), default=None)
        _logger.info("plant_sync: SAP master data pull of flow %s: %d pages", self.flow.id, pages)
        return BatchPage(
            items=[],
            watermark_date=to_naive(watermark) or since,
            watermark_token=json.dumps(marks, sort_keys=True),
        )

    def apply(self, payload):
        """One page of rows: functional locations or equipment, imported in one batch."""
        rows = payload.get("rows") or []
        if payload.get("kind") == "floc":
            stats = self.env["maintenance.functional.location"]._sap_import(self.backend, rows)
        else:
            stats = self.env["maintenance.equipment"]._sap_import(self.backend, rows)
        invalid = stats.pop("invalid", [])
        if invalid:
            self.env["plant.sync.exception"]._report(
                self.env._(
                    "%(count)s SAP equipment rows were skipped: %(reasons)s",
                    count=len(invalid),
                    reasons=", ".join(sorted({i["reason"] for i in invalid})),
                ),
                category="validation",
                backend=self.backend,
                technical=str([i["row"] for i in invalid])[:4000],
            )
        stats["invalid"] = len(invalid)
        return HandlerResult(response=stats)

    def report_floc_failure(self, exc):
        flow = self.flow
        _logger.info("plant_sync: functional locations not pulled from %s: %s", flow.id, exc)
        Exception_ = self.env["plant.sync.exception"].sudo()
        human = self.env._(
            "Functional locations could not be read from SAP (equipment is pulled anyway): "
            "%(error)s",
            error=exc.message,
        )
        if not Exception_.search_count(
            [
                ("flow_id", "=", flow.id),
                ("name", "=", human[:200]),
                ("state", "in", ("new", "in_progress")),
            ]
        ):
            exception = Exception_._report(
                human, category="technical", backend=self.backend, technical=exc.technical()
            )
            exception.flow_id = flow
