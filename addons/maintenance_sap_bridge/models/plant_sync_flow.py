# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging

from odoo import api, fields, models
from odoo.addons.plant_sync_base.tools import BatchPage

from plant_sync.errors import ConfigurationError

from .sap_tools import (
    FLOW_CODES,
    content_hash,
    external_number,
    jsonable,
    to_aware,
    to_naive,
)

_logger = logging.getLogger(__name__)


class PlantSyncFlow(models.Model):
    _inherit = "plant.sync.flow"

    code = fields.Selection(
        selection_add=FLOW_CODES,
        ondelete={code: "cascade" for code, _label in FLOW_CODES},
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
        codes = {code for code, _label in FLOW_CODES}
        for flow in self:
            flow.is_sap_maintenance_flow = flow.code in codes

    # ---------------------------------------------------------------------------------------
    # watermarks: precise per-kind watermarks in watermark_token (Odoo Datetime keeps seconds)
    # ---------------------------------------------------------------------------------------
    def _sap_marks(self, token):
        try:
            marks = json.loads(token or "{}")
        except ValueError:
            marks = {}
        return marks if isinstance(marks, dict) else {}

    def _sap_since(self, marks, kind, since):
        value = marks.get(kind)
        return to_aware(value) if value else to_aware(since)

    def action_sap_full_resync(self):
        """Forget the watermarks and pull everything again (idempotent: unchanged pages are
        recognised by their content key, unchanged records are not written)."""
        self.check_access("write")
        for flow in self.sudo():
            flow.write({"watermark_date": False, "watermark_token": False})
            flow._run_batch_now()
        return True

    def _sap_enqueue_page(self, kind, rows, extra=None):
        """One inbound message per page of rows (batch-processed by the handler); the key is the
        page content, so a re-pulled identical page is not processed twice. The base's page job
        schedules the new messages right after the pull."""
        if not rows:
            return self.env["plant.sync.message"]
        payload = dict(extra or {}, kind=kind, rows=rows)
        return self.env["plant.sync.message"]._enqueue(
            self,
            None,
            payload,
            key_parts=(kind, content_hash(rows)),
            direction="inbound",
        )

    # ---------------------------------------------------------------------------------------
    # master data pull: functional locations, then equipment, streamed page by page
    # ---------------------------------------------------------------------------------------
    def _plant_sync_pull_sap_pm_master_pull(self, since=None, token=None, page_token=None):
        self.ensure_one()
        service = self.backend_id._client()
        marks = self._sap_marks(token)
        plant = (self.sap_plant_filter or "").strip()
        pages = 0
        try:
            for kind, iterate in (
                ("floc", service.iter_functional_location_changes),
                ("equipment", service.iter_equipment_changes),
            ):
                start = self._sap_since(marks, kind, since)
                mark = start
                try:
                    for page in iterate(start, plant=plant):
                        rows = [jsonable(row) for row in page.rows]
                        self._sap_enqueue_page(kind, rows)
                        pages += 1
                        mark = page.watermark or mark
                except ConfigurationError as exc:
                    if kind != "floc":
                        raise
                    # functional locations are optional: equipment still comes (stubs of
                    # their locations are created), the administrator is told why
                    self._sap_report_floc_failure(exc)
                    continue
                if mark:
                    marks[kind] = mark.isoformat()
        finally:
            service.close()
        watermark = min((to_aware(v) for v in marks.values()), default=None)
        _logger.info("plant_sync: SAP master data pull of flow %s: %d pages", self.id, pages)
        return BatchPage(
            items=[],
            watermark_date=to_naive(watermark) or since,
            watermark_token=json.dumps(marks, sort_keys=True),
        )

    def _sap_report_floc_failure(self, exc):
        _logger.info("plant_sync: functional locations not pulled from %s: %s", self.id, exc)
        Exception_ = self.env["plant.sync.exception"].sudo()
        human = self.env._(
            "Functional locations could not be read from SAP (equipment is pulled anyway): "
            "%(error)s",
            error=exc.message,
        )
        if not Exception_.search_count(
            [
                ("flow_id", "=", self.id),
                ("name", "=", human[:200]),
                ("state", "in", ("new", "in_progress")),
            ]
        ):
            exception = Exception_._report(
                human, category="technical", backend=self.backend_id, technical=exc.technical()
            )
            exception.flow_id = self

    # ---------------------------------------------------------------------------------------
    # order pull: preventive orders (maintenance plans) and status changes of known orders
    # ---------------------------------------------------------------------------------------
    def _plant_sync_pull_sap_pm_order_pull(self, since=None, token=None, page_token=None):
        self.ensure_one()
        service = self.backend_id._client()
        marks = self._sap_marks(token)
        start = self._sap_since(marks, "orders", since)
        mark = start
        try:
            for rows, page_mark in self._sap_iter_order_changes(service, start):
                self._sap_enqueue_page("orders", rows)
                mark = page_mark or mark
        finally:
            service.close()
        if mark:
            marks["orders"] = mark.isoformat()
        return BatchPage(
            items=[],
            watermark_date=to_naive(mark) or since,
            watermark_token=json.dumps(marks, sort_keys=True),
        )

    def _sap_iter_order_changes(self, service, since):
        """Pages of order headers changed since ``since`` as JSON-safe dicts, with the page
        watermark (``iter_maintenance_order_changes`` of ``plant_sync.sap``, both transports)."""
        for page in service.iter_maintenance_order_changes(since):
            rows = []
            for order in page.rows:
                data = _order_header(order)
                data.update(
                    maintenance_plan=order.maintenance_plan,
                    user_status=order.user_status,
                    planner_group=order.planner_group,
                    start=order.start,
                    changed_at=order.changed_at,
                )
                rows.append(jsonable(data))
            yield rows, page.watermark


def _order_header(order):
    return {
        "number": external_number(order.number),
        "order_type": order.order_type,
        "description": order.description,
        "notification": external_number(order.notification) if order.notification else "",
        "equipment": external_number(order.equipment) if order.equipment else "",
        "functional_location": order.functional_location,
        "planning_plant": order.planning_plant,
        "main_work_center": order.main_work_center,
        "system_status": order.status.system_status if order.status else "",
        "etag": order.etag,
    }
