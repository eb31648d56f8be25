# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""CMMS assets ↔ Odoo equipment: the crosswalk pull (Maximo object structure ``mxapiasset``)."""

from odoo.addons.plant_sync_base.flow import InboundFlow, register
from odoo.addons.plant_sync_base.tools import BatchPage

from plant_sync.cmms.workorder import parse_datetime
from plant_sync.errors import ConfigurationError

from .common import CmmsFlow, to_odoo_datetime


@register
class CmmsAssetPull(CmmsFlow, InboundFlow):
    code = "cmms_asset_pull"
    label = "CMMS: assets ↔ equipment (crosswalk)"
    trigger = (
        "the flow's schedule (batch) or 'Run now' on a Maximo backend: the assets changed "
        "since the watermark, one message per asset version"
    )

    def pull(self, since=None, token=None, page_token=None):
        if self.backend.kind != "cmms_maximo":
            raise ConfigurationError(
                "Reading assets is available for Maximo backends; bind equipment to assets of "
                "other CMMS by hand (External References) or with equipment mappings."
            )
        start = parse_datetime(since or None)
        items, last_changed = [], None

        def read(client):
            nonlocal last_changed
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

        self.with_client(read)
        watermark = to_odoo_datetime(parse_datetime(last_changed)) if last_changed else False
        return BatchPage(items=items, watermark_date=watermark or self.flow.watermark_date)

    def apply(self, payload):
        return self.import_asset(payload["asset"])
