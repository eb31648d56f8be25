# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Approved corrective request → SAP maintenance order for its notification, released."""

from decimal import Decimal

from odoo.addons.plant_sync_base.flow import OutboundFlow, register
from odoo.addons.plant_sync_base.tools import HandlerResult

from plant_sync.errors import BusinessRuleError

from ..sap_tools import DOC_ORDER, FLOW_ORDER, external_number, jsonable
from .common import SapMaintenanceFlow


@register
class SapPmOrder(SapMaintenanceFlow, OutboundFlow):
    code = FLOW_ORDER
    label = "SAP PM: maintenance order create and release (push)"
    trigger = "a corrective request reaches the flow's release stage"

    def payload(self):
        from plant_sync.sap.ops.order import OperationCreate, OrderCreate  # noqa: PLC0415

        request = self.record()
        if not request:
            return HandlerResult(response={"skipped": "request deleted"})
        if request.sap_order_number:
            return HandlerResult(response={"order": request.sap_order_number})
        if not request.sap_notification_number:
            raise BusinessRuleError(
                self.env._(
                    "The SAP notification of request %(name)s does not exist (its message "
                    "failed or was cancelled): send it first, then retry this message.",
                    name=request.display_name,
                )
            )
        header = self.sap_header(request)
        duration = request.duration or 0.0
        data = OrderCreate(
            order_type=self.flow.sap_order_type or "PM01",
            description=(request.name or "")[:40],
            planning_plant=header["plant"],
            notification=request.sap_notification_number,
            equipment=header["equipment"],
            main_work_center=header["work_center"],
            work_center_plant=header["plant"],
            priority=header["priority"],
            cost_center=header["cost_center"] or "",
            planner_group=header["planner_group"] or "",
            start=request.schedule_date.date() if request.schedule_date else None,
            operations=[
                OperationCreate(
                    text=(request.name or "")[:40],
                    work_center=header["work_center"],
                    plant=header["plant"],
                    planned_work=Decimal(str(round(duration, 3))) if duration else None,
                )
            ],
        )
        return {"request": request, "header": header, "order": data}

    def call(self, client, payload):
        # three remote steps; each one done is kept, so a retry resumes after it
        done = self.checkpoint
        if not done.get("order"):
            result = client.create_maintenance_order(
                payload["order"], idempotency_key=self.message.idempotency_key
            )
            number = external_number(result.document.number)
            self.save_checkpoint(order=number, created=result.created)
        number = done["order"]
        if not done.get("released"):
            client.release_maintenance_order(number)
            self.save_checkpoint(released=True)
        return done["created"], client.get_maintenance_order(number, with_operations=True)

    def apply(self, payload, answer):
        request, header = payload["request"], payload["header"]
        created, order = answer
        number = external_number(order.number)
        request.write(
            dict(
                self.order_values(order),
                sap_backend_id=self.backend.id,
                sap_work_center=header["work_center"],
            )
        )
        request._sap_set_operations(order.operations)
        self.note(
            request,
            self.env._(
                "order %(number)s %(state)s and released (%(status)s)",
                number=number,
                state=self.env._("created") if created else self.env._("found"),
                status=request.sap_status,
            ),
        )
        # the engine binds the number (sap_order_number reads the binding)
        return HandlerResult(
            response=dict(jsonable(order), created=created),
            external_id=number,
            version=order.etag or None,
            doc_type=DOC_ORDER,
        )
