# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from plant_sync.cmms import WorkOrder
from plant_sync.errors import ValidationError


class PlantSyncMessage(models.Model):
    """Flow handlers of the CMMS flows (called by the engine in the message's job)."""

    _inherit = "plant.sync.message"

    def _cmms_bind_message(self, record):
        if record and (self.res_model != record._name or self.res_id != record.id):
            self.write({"res_model": record._name, "res_id": record.id})

    def _cmms_import(self, workorder):
        request, changed = self.env["maintenance.request"]._cmms_import_workorder(
            self.backend_id, workorder, message=self
        )
        self._cmms_bind_message(request)
        response = {
            "workorder": workorder.external_id,
            "version": workorder.version,
            "request": request.id,
            "changed": changed,
        }
        return response, workorder.external_id, workorder.version or None

    def _plant_sync_run_cmms_wo_pull(self):
        payload = self._get_payload()
        return self._cmms_import(WorkOrder.from_dict(payload["workorder"]))

    def _plant_sync_run_cmms_webhook(self):
        """A verified webhook event: fetch the current work order (the event only names it)
        and import it; asset events update the crosswalk."""
        payload = self._get_payload()
        event_type = str(payload.get("type") or "")
        data = payload.get("data") or {}
        backend = self.backend_id
        if event_type.startswith("asset."):
            assetnum = data.get("assetnum")
            if not assetnum:
                raise ValidationError(self.env._("Asset event without asset number"))
            asset = dict(data)
            if backend.kind == "cmms_maximo":
                client = backend._client()
                try:
                    asset = client.get_asset(assetnum)
                finally:
                    client.close()
            equipment = self.env["maintenance.equipment"]._cmms_import_asset(backend, asset)
            self._cmms_bind_message(equipment)
            return {"asset": assetnum, "equipment": equipment.id}
        if isinstance(data.get("workorder"), dict):
            return self._cmms_import(WorkOrder.from_dict(data["workorder"]))
        wonum = data.get("wonum") or data.get("external_id") or data.get("id")
        if not wonum:
            raise ValidationError(
                self.env._("Event %(type)s names no work order", type=event_type or "?")
            )
        client = backend._client()
        try:
            workorder = client.get(str(wonum))
        finally:
            client.close()
        return self._cmms_import(workorder)

    def _plant_sync_run_cmms_asset_pull(self):
        asset = self._get_payload()["asset"]
        equipment = self.env["maintenance.equipment"]._cmms_import_asset(self.backend_id, asset)
        self._cmms_bind_message(equipment)
        return {"asset": asset.get("assetnum"), "equipment": equipment.id}

    def _plant_sync_run_cmms_wo_push(self):
        """Send status, completion, failure codes, downtime and labour of the request."""
        request = self._record()
        if not request:
            return {"skipped": "the request no longer exists"}
        backend = self.backend_id
        workorder, pushed = request._cmms_workorder_for_push(backend)
        client = backend._client()
        try:
            if workorder.external_id:
                if not pushed:
                    return {"skipped": "nothing to send"}
                stored = client.update(workorder, fields=pushed)
            else:
                stored = client.create(workorder)
        finally:
            client.close()
        if "labour" in pushed:
            request.sudo().with_context(**backend._import_context()).write(
                {"cmms_labour_pushed": True}
            )
        response = {"workorder": stored.external_id, "fields": pushed, "status": stored.status}
        return response, stored.external_id, stored.version or None
