# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""SAP material master → Odoo products (the materials of the mapped plants), pulled as one
delta per job."""

import logging
from datetime import timezone

from odoo.addons.plant_sync_base.flow import Flow, register
from odoo.addons.plant_sync_base.tools import BatchPage

from ..tools import FLOW_MATERIAL, location_plant_sloc, mapped_locations, naive_utc

_logger = logging.getLogger(__name__)


@register
class SapMaterial(Flow):
    code = FLOW_MATERIAL
    label = "SAP material master (SAP → Odoo)"
    trigger = "the flow's schedule (batch, daily by default) or 'Run now'"

    def pull(self, since=None, token=None, page_token=None):
        watermark, _totals = self.import_materials(since)
        return BatchPage(items=[], watermark_date=naive_utc(watermark) or None)

    def import_materials(self, since=None):
        """Import the materials changed in SAP since ``since``, streamed page by page (each
        page: one binding query, one batched create, see
        ``product.product._stock_sap_import_materials``). The whole delta runs in one job so
        that the watermark moves only once every page is in.

        :return: (new watermark, counters)
        """
        backend = self.backend
        backend._lock("import", FLOW_MATERIAL)
        plants = self.mapped_plants()
        Product = self.env["product.product"]
        caches = {}
        totals = {"created": 0, "updated": 0, "skipped": 0, "invalid": 0, "out_of_scope": 0}
        watermark = since.replace(tzinfo=timezone.utc) if since else None
        # one mapped plant: SAP returns only its materials, valued at that plant; several:
        # every material comes, those of no mapped plant are left out below
        scope = {"plant": next(iter(plants))} if len(plants) == 1 else {}

        def read(client):
            nonlocal watermark
            for page in client.iter_material_changes(watermark, **scope):
                rows = []
                for material in page.rows:
                    material_plants = getattr(material, "plants", None)
                    in_scope = material_plants is None or set(material_plants) & plants
                    if plants and not in_scope:
                        totals["out_of_scope"] += 1
                        continue
                    rows.append(material)
                stats = Product._stock_sap_import_materials(backend, rows, caches)
                for key, value in stats.items():
                    totals[key] += value
                watermark = page.watermark or watermark

        self.with_client(read)
        _logger.info("SAP material pull on %s: %s", backend.display_name, totals)
        return watermark, totals

    def mapped_plants(self):
        """Plant codes of the stock locations mapped for this flow's backend."""
        plants = set()
        for location in mapped_locations(self.flow):
            plant, _sloc = location_plant_sloc(self.backend, location, raise_missing=False)
            if plant:
                plants.add(plant)
        return plants
