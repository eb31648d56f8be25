# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Maintenance request → CMMS work order: status, downtime (actual start/finish), failure codes
and the Odoo labour not yet booked in the CMMS; creates the work order of a request made in
Odoo for a CMMS."""

from odoo.addons.plant_sync_base.flow import OutboundFlow, register
from odoo.addons.plant_sync_base.tools import HandlerResult
from odoo.tools import html2plaintext

from plant_sync.cmms.workorder import LabourLine, WorkOrder

from .common import CODE_FIELDS, CmmsFlow, to_aware


@register
class CmmsWoPush(CmmsFlow, OutboundFlow):
    code = "cmms_wo_push"
    label = "CMMS: maintenance requests → work orders (status, completion)"
    trigger = (
        "a request bound to a CMMS work order (or created with a CMMS) changes stage, downtime, "
        "failure codes or duration in Odoo (maintenance.request._cmms_enqueue_push); not the "
        "changes received from that CMMS"
    )

    def payload(self):
        """The work order to send, from the current state of the request and the mappings (a
        missing status, code or technician mapping holds the message)."""
        request = self.record()
        if not request:
            return HandlerResult(response={"skipped": "the request no longer exists"})
        backend = self.backend
        Mapping = self.env["plant.sync.mapping"]
        wo = WorkOrder(external_id=backend._external_id_for(request) or "")
        pushed = []
        if request.stage_id:
            wo.status = Mapping._to_external(backend, "status", request.stage_id)
            pushed.append("status")
        if request.downtime_start:
            wo.downtime_start = to_aware(request.downtime_start)
            pushed.append("downtime_start")
        if request.downtime_end:
            wo.downtime_end = to_aware(request.downtime_end)
            pushed.append("downtime_end")
        for name, (field_name, mapping_type) in CODE_FIELDS.items():
            value = request[field_name]
            if value:
                setattr(wo, name, Mapping._to_external(backend, mapping_type, value, value))
                pushed.append(name)
        labour = request.duration - request.cmms_labour_hours
        if request.stage_id.done and not request.cmms_labour_pushed and labour > 0:
            technician = request.user_id
            code = Mapping._to_external(
                backend, "technician", technician, default=technician.login or ""
            )
            wo.labour = [
                LabourLine(
                    labour_code=(code or "").upper(),
                    hours=round(labour, 2),
                    start=to_aware(request.downtime_start),
                    finish=to_aware(request.downtime_end),
                )
            ]
            pushed.append("labour")
        if not wo.external_id:
            wo.title = request.name
            wo.description = html2plaintext(request.description or "")
            asset = request.equipment_id and backend._external_id_for(request.equipment_id)
            if asset:
                wo.asset_id = asset
            wo.site = backend.cmms_site_id or ""
        elif not pushed:
            return HandlerResult(response={"skipped": "nothing to send"})
        return {"request": request, "workorder": wo, "fields": pushed}

    def call(self, client, payload):
        """Update the fields of a known work order, or create it."""
        workorder = payload["workorder"]
        if workorder.external_id:
            return client.update(workorder, fields=payload["fields"])
        return client.create(workorder)

    def apply(self, payload, answer):
        """Note that the labour was sent; the work order's number and version bind the
        request."""
        pushed = payload["fields"]
        if "labour" in pushed:
            payload["request"].with_context(**self.backend._import_context()).write(
                {"cmms_labour_pushed": True}
            )
        response = {"workorder": answer.external_id, "fields": pushed, "status": answer.status}
        return HandlerResult(
            response=response, external_id=answer.external_id, version=answer.version or None
        )
