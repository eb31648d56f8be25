# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from contextlib import contextmanager
from datetime import timezone

from odoo import fields, models
from odoo.addons.plant_sync_base.tools import BatchPage
from odoo.addons.queue_job.exception import RetryableJobError

from plant_sync.errors import outcome_of

from ..tools import (
    FLOW_GOODS_MOVEMENT,
    FLOW_MATERIAL,
    FLOW_PURCHASE_ORDER,
    FLOW_RECONCILIATION,
    FLOW_REQUISITION,
    FLOW_SERVICE_CONFIRMATION,
    location_plant_sloc,
    naive_utc,
)

_logger = logging.getLogger(__name__)

FLOW_CODES = [
    (FLOW_MATERIAL, "SAP material master (SAP → Odoo)"),
    (FLOW_GOODS_MOVEMENT, "SAP spare-part goods movements (Odoo → SAP)"),
    (FLOW_RECONCILIATION, "SAP stock reconciliation"),
    (FLOW_REQUISITION, "SAP purchase requisitions (Odoo → SAP)"),
    (FLOW_PURCHASE_ORDER, "SAP purchase orders and goods receipts (SAP → Odoo)"),
    (FLOW_SERVICE_CONFIRMATION, "SAP contractor service confirmations (Odoo → SAP)"),
]


@contextmanager
def library_errors():
    """Batch pulls run outside the message engine: a transient library error becomes a job
    retry, a permanent one fails the job (and lands in the queue_job exception list)."""
    try:
        yield
    except Exception as exc:
        outcome = outcome_of(exc)
        if outcome.transient:
            raise RetryableJobError(
                outcome.human,
                seconds=int(outcome.retry_after) if outcome.retry_after else None,
            ) from exc
        raise


class PlantSyncFlow(models.Model):
    _inherit = "plant.sync.flow"

    code = fields.Selection(
        selection_add=FLOW_CODES,
        ondelete={code: "cascade" for code, _label in FLOW_CODES},
    )
    recon_tolerance_qty = fields.Float(
        string="Tolerance (quantity)",
        digits="Product Unit of Measure",
        help="Stock reconciliation: a difference raises an exception only when its quantity "
        "exceeds this tolerance and its value exceeds the value tolerance.",
    )
    recon_tolerance_value = fields.Float(
        string="Tolerance (value)",
        help="Stock reconciliation: differences worth less than this raise no exception.",
    )
    recon_finance_threshold = fields.Float(
        string="Finance Threshold",
        default=1000.0,
        help="Stock reconciliation: differences worth at least this go to the finance queue; "
        "smaller ones to the planners.",
    )
    recon_max_exceptions = fields.Integer(
        string="Max. Exceptions per Run",
        default=100,
        help="Stock reconciliation: at most this many exceptions per run (the largest values "
        "first); the rest are summed up in one exception.",
    )

    # ---------------------------------------------------------------------------------------
    # material master (batch pull, SAP -> Odoo)
    # ---------------------------------------------------------------------------------------
    def _plant_sync_pull_sap_material(self, since=None, token=None, page_token=None):
        """Batch pull handler of the material flow (see :meth:`_stock_sap_import_materials`)."""
        self.ensure_one()
        watermark, _totals = self._stock_sap_import_materials(since)
        return BatchPage(items=[], watermark_date=naive_utc(watermark) or None)

    def _stock_sap_import_materials(self, since=None):
        """Import the materials changed in SAP since ``since``, streamed page by page (each
        page: one binding query, one batched create). The whole delta runs in one job so that
        the watermark moves only once every page is in.

        :return: (new watermark, counters)
        """
        self.ensure_one()
        backend = self.backend_id
        backend._lock("import", FLOW_MATERIAL)
        plants = self._stock_sap_mapped_plants()
        Product = self.env["product.product"]
        caches = {}
        totals = {"created": 0, "updated": 0, "skipped": 0, "invalid": 0, "out_of_scope": 0}
        watermark = since.replace(tzinfo=timezone.utc) if since else None
        with library_errors():
            client = backend._client()
            # one mapped plant: SAP returns only its materials, valued at that plant; several:
            # every material comes, those of no mapped plant are left out below
            scope = {"plant": next(iter(plants))} if len(plants) == 1 else {}
            try:
                for page in client.iter_material_changes(watermark, **scope):
                    rows = []
                    for material in page.rows:
                        material_plants = getattr(material, "plants", None)
                        if (
                            plants
                            and material_plants is not None
                            and not (set(material_plants) & plants)
                        ):
                            totals["out_of_scope"] += 1
                            continue
                        rows.append(material)
                    stats = Product._stock_sap_import_materials(backend, rows, caches)
                    for key, value in stats.items():
                        totals[key] += value
                    watermark = page.watermark or watermark
            finally:
                client.close()
        _logger.info("SAP material pull on %s: %s", backend.display_name, totals)
        return watermark, totals

    def _stock_sap_mapped_plants(self):
        """Plant codes of the stock locations mapped for this flow's backend."""
        self.ensure_one()
        plants = set()
        for location in self._stock_sap_mapped_locations():
            plant, _sloc = location_plant_sloc(self.backend_id, location, raise_missing=False)
            if plant:
                plants.add(plant)
        return plants

    def _stock_sap_mapped_locations(self):
        """Stock locations with a ``location`` mapping usable outbound on this backend."""
        self.ensure_one()
        mappings = (
            self.env["plant.sync.mapping"]
            .sudo()
            .search(
                [
                    ("mapping_type", "=", "location"),
                    ("direction", "in", ("both", "outbound")),
                    ("backend_id", "in", [self.backend_id.id, False]),
                    ("odoo_key", "=like", "stock.location,%"),
                ]
            )
        )
        locations = self.env["stock.location"].sudo()
        for mapping in mappings:
            locations |= mapping.odoo_ref
        company = self.company_id
        return locations.filtered(lambda loc: not company or loc.company_id in (company, False))

    # ---------------------------------------------------------------------------------------
    # stock reconciliation (batch)
    # ---------------------------------------------------------------------------------------
    def _plant_sync_pull_sap_stock_reconciliation(self, since=None, token=None, page_token=None):
        """Scheduled reconciliation: one result record per run, computed in this job."""
        self.ensure_one()
        reconciliation = self.env["stock.sap.reconciliation"].sudo().create({"flow_id": self.id})
        with library_errors():
            reconciliation._run()
        return BatchPage(items=[])

    def _job_pull_page(self, page_token=None, run_started=None):
        """The inbound messages of a purchase order pull are processed right after the pull
        (the engine would leave them for the next dispatch of a batch flow)."""
        result = super()._job_pull_page(page_token=page_token, run_started=run_started)
        if self.code == FLOW_PURCHASE_ORDER:
            messages = self.env["plant.sync.message"]._stored_without_job(
                self.backend_id, 1000, flow=self
            )
            messages.filtered(lambda m: m.direction == "inbound")._schedule()
        return result

    # ---------------------------------------------------------------------------------------
    # purchase orders created from our requisitions, goods receipts (SAP -> Odoo)
    # ---------------------------------------------------------------------------------------
    def _plant_sync_pull_sap_purchase_order(self, since=None, token=None, page_token=None):
        """Purchase orders changed in SAP since the watermark: every item that comes from one
        of our requisitions becomes an inbound message (key: order, item, change time), so a
        conversion and each later goods receipt are applied once, in order."""
        self.ensure_one()
        backend = self.backend_id
        Requisition = self.env["stock.sap.requisition"].sudo()
        items = []
        watermark = since.replace(tzinfo=timezone.utc) if since else None
        with library_errors():
            client = backend._client()
            try:
                for page in client.iter_purchase_order_changes(watermark):
                    numbers = {
                        item.requisition
                        for order in page.rows
                        for item in order.items
                        if item.requisition
                    }
                    if numbers:
                        requisitions = Requisition.search(
                            [
                                ("backend_id", "=", backend.id),
                                ("sap_pr_number", "in", list(numbers)),
                            ]
                        )
                        by_key = {(r.sap_pr_number, r.sap_pr_item): r for r in requisitions}
                        for order in page.rows:
                            for item in order.items:
                                requisition = by_key.get((item.requisition, item.requisition_item))
                                if not requisition:
                                    continue
                                payload = Requisition._stock_sap_po_payload(order, item)
                                items.append(
                                    {
                                        "key": (
                                            "po",
                                            order.number,
                                            item.item,
                                            payload["changed_at"],
                                            payload["received_quantity"],
                                        ),
                                        "record": requisition,
                                        "payload": payload,
                                    }
                                )
                    watermark = page.watermark or watermark
            finally:
                client.close()
        return BatchPage(items=items, watermark_date=naive_utc(watermark) or None)
