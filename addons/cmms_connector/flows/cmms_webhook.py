# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A verified CMMS webhook event → the request (work-order events) or equipment (asset events)."""

from odoo.addons.plant_sync_base.flow import InboundFlow, register

from plant_sync.cmms import WorkOrder
from plant_sync.errors import ValidationError

from .common import CmmsFlow


@register
class CmmsWebhook(CmmsFlow, InboundFlow):
    code = "cmms_webhook"
    label = "CMMS: webhook events"
    trigger = (
        "a signed event POSTed to /plant_sync/cmms/<backend id>/webhook (controllers/webhook.py "
        "verifies it and enqueues one message per event id)"
    )

    def apply(self, payload):
        """The event only names the work order: fetch its current state and import it (a
        normalized work order sent inline is imported as sent); asset events update the
        crosswalk."""
        event_type = str(payload.get("type") or "")
        data = payload.get("data") or {}
        if not isinstance(data, dict):
            raise ValidationError(
                self.env._(
                    "Event %(type)s carries %(kind)s data where the CMMS sends an object: "
                    "check the webhook configuration of the CMMS.",
                    type=event_type or "?",
                    kind=type(data).__name__,
                )
            )
        if event_type.startswith("asset."):
            assetnum = data.get("assetnum")
            if not assetnum:
                raise ValidationError(self.env._("Asset event without asset number"))
            asset = dict(data)
            if self.backend.kind == "cmms_maximo":
                asset = self.with_client(lambda client: client.get_asset(assetnum))
            return self.import_asset(asset)
        if isinstance(data.get("workorder"), dict):
            return self.import_workorder(WorkOrder.from_dict(data["workorder"]))
        wonum = data.get("wonum") or data.get("external_id") or data.get("id")
        if not wonum:
            raise ValidationError(
                self.env._("Event %(type)s names no work order", type=event_type or "?")
            )
        return self.import_workorder(self.with_client(lambda client: client.get(str(wonum))))
