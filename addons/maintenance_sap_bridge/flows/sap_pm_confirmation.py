# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Approved labour line → SAP time confirmation on the order's operation."""

from decimal import Decimal

from odoo import fields
from odoo.addons.plant_sync_base.flow import OutboundFlow, register
from odoo.addons.plant_sync_base.tools import HandlerResult
from odoo.addons.queue_job.exception import RetryableJobError

from plant_sync.errors import BusinessRuleError

from ..sap_tools import (
    FLOW_CONFIRMATION,
    FLOW_NOTIFICATION,
    FLOW_ORDER,
    external_number,
    jsonable,
)
from .common import SapMaintenanceFlow

WAIT_SECONDS = 10


@register
class SapPmConfirmation(SapMaintenanceFlow, OutboundFlow):
    code = FLOW_CONFIRMATION
    label = "SAP PM: time confirmation (push)"
    trigger = "a labour line is approved (or submitted, when approval is off)"

    def payload(self):
        """The confirmation of what was approved (snapshot taken at approval), not what the
        line says now."""
        from plant_sync.sap.ops.confirmation import ConfirmationCreate  # noqa: PLC0415

        line = self.record()
        if not line:
            return HandlerResult(response={"skipped": "labour deleted"})
        if line.state == "posted":
            return HandlerResult(response={"confirmation": line.sap_confirmation})
        if line.state != "approved":
            raise BusinessRuleError(
                self.env._(
                    "Labour %(line)s is not approved: it is not posted to SAP.",
                    line=line.display_name,
                )
            )
        approved = self.message._get_payload().get("approved") or {}
        hours = float(approved.get("hours", line.hours) or 0.0)
        posting_date = fields.Date.to_date(approved.get("date")) or line.date
        technician = line.technician_id
        if approved.get("technician_id"):
            technician = self.env["res.users"].sudo().browse(approved["technician_id"]).exists()
        request = line.request_id
        if not request.sap_order_number:
            self.wait_for_order(request)
        operation = line.operation_id
        if approved.get("operation_id"):
            operation = line.operation_id.browse(approved["operation_id"]).exists()
        operation = operation or request.sap_operation_ids.sorted("number")[:1]
        if not operation:
            raise BusinessRuleError(
                self.env._("SAP order %(order)s has no operation.", order=request.sap_order_number)
            )
        personnel = (
            self.env["plant.sync.mapping"]
            .sudo()
            ._to_external(
                self.backend,
                "technician",
                technician,
                # the zero-hour final confirmation of a completed request books no one's time
                default="" if not hours else None,
            )
        )
        data = ConfirmationCreate(
            order=request.sap_order_number,
            operation=operation.number,
            actual_work=Decimal(str(round(hours, 3))),
            work_unit="H",
            final=line.final,
            personnel_number=personnel,
            posting_date=posting_date,
        )
        return {
            "line": line,
            "request": request,
            "operation": operation,
            "technician": technician,
            "hours": hours,
            "confirmation": data,
        }

    def wait_for_order(self, request):
        waiting = self.env["plant.sync.message"].search_count(
            [
                ("res_model", "=", request._name),
                ("res_id", "=", request.id),
                ("flow_code", "in", (FLOW_NOTIFICATION, FLOW_ORDER)),
                ("state", "=", "pending"),
            ]
        )
        if waiting:
            raise RetryableJobError(
                "Waiting for the SAP order of the request",
                seconds=WAIT_SECONDS,
                ignore_retry=True,  # waiting for another message is not a failed try
            )
        raise BusinessRuleError(
            self.env._(
                "Request %(request)s has no SAP order: the labour cannot be confirmed.",
                request=request.display_name,
            )
        )

    def call(self, client, payload):
        result = client.create_confirmation(
            payload["confirmation"], idempotency_key=self.message.idempotency_key
        )
        order = client.get_maintenance_order(
            payload["request"].sap_order_number, with_operations=False
        )
        return result, order

    def apply(self, payload, answer):
        line, request, operation = payload["line"], payload["request"], payload["operation"]
        result, order = answer
        confirmation = result.document
        line.write(
            {
                "state": "posted",
                "operation_id": operation.id,
                "sap_confirmation": external_number(confirmation.confirmation),
                "sap_confirmation_counter": confirmation.counter,
                "sap_posted_date": fields.Datetime.now(),
            }
        )
        request.write(self.order_values(order))
        self.note(
            request,
            self.env._(
                "%(hours)s h of %(technician)s confirmed on %(order)s/%(op)s "
                "(confirmation %(conf)s/%(counter)s%(final)s)",
                hours=f"{payload['hours']:g}",
                technician=payload["technician"].name,
                order=request.sap_order_number,
                op=operation.number,
                conf=line.sap_confirmation,
                counter=confirmation.counter,
                final=self.env._(", final") if line.final else "",
            ),
        )
        return HandlerResult(
            response=dict(jsonable(confirmation), created=result.created),
            external_id=f"{line.sap_confirmation}/{confirmation.counter}",
            doc_type=None,  # kept on the labour line (sap_confirmation, counter)
        )
