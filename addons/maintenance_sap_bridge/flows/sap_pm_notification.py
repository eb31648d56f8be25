# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Corrective request → SAP maintenance notification."""

from odoo import fields
from odoo.addons.plant_sync_base.flow import OutboundFlow, register
from odoo.addons.plant_sync_base.tools import HandlerResult

from ..sap_tools import DOC_NOTIFICATION, FLOW_NOTIFICATION, external_number, jsonable
from .common import SapMaintenanceFlow, plain


@register
class SapPmNotification(SapMaintenanceFlow, OutboundFlow):
    code = FLOW_NOTIFICATION
    label = "SAP PM: maintenance notification (push)"
    trigger = "a corrective maintenance request is created on linked equipment"

    def payload(self):
        from plant_sync.sap.ops.notification import NotificationCreate  # noqa: PLC0415

        request = self.record()
        if not request:
            return HandlerResult(response={"skipped": "request deleted"})
        if request.sap_notification_number:
            return HandlerResult(response={"notification": request.sap_notification_number})
        header = self.sap_header(request)
        data = NotificationCreate(
            notification_type=self.flow.sap_notification_type or "M1",
            text=(request.name or "")[:40],
            equipment=header["equipment"],
            priority=header["priority"],
            planning_plant=header["plant"],
            planner_group=header["planner_group"] or "",
            long_text=plain(request.description),
        )
        return {"request": request, "header": header, "notification": data}

    def call(self, client, payload):
        return client.create_notification(
            payload["notification"], idempotency_key=self.message.idempotency_key
        )

    def apply(self, payload, answer):
        request, header = payload["request"], payload["header"]
        notification = answer.document
        number = external_number(notification.number)
        request.write(
            {
                "sap_backend_id": self.backend.id,
                "sap_plant": header["plant"],
                "sap_cost_center": header["cost_center"],
                "sap_planner_group": header["planner_group"],
                "sap_work_center": header["work_center"],
                "sap_last_sync": fields.Datetime.now(),
            }
        )
        self.note(
            request,
            self.env._(
                "notification %(number)s %(state)s",
                number=number,
                state=self.env._("created") if answer.created else self.env._("found"),
            ),
        )
        response = dict(jsonable(notification), created=answer.created, header=header)
        # the engine binds the number (sap_notification_number reads the binding)
        return HandlerResult(response=response, external_id=number, doc_type=DOC_NOTIFICATION)
