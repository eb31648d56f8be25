# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stage of a request → SAP order status (release, TECO, close), with conflict detection."""

from odoo import fields
from odoo.addons.plant_sync_base.exceptions import PlantSyncBusinessError
from odoo.addons.plant_sync_base.flow import OutboundFlow, register
from odoo.addons.plant_sync_base.tools import HandlerResult
from odoo.addons.queue_job.exception import RetryableJobError

from plant_sync.errors import BusinessRuleError, ConcurrentModification, ValidationError

from ..sap_tools import (
    FLOW_STATUS,
    ORDER_STATUSES,
    jsonable,
    primary_status,
    status_rank,
)
from .common import SapMaintenanceFlow

WAIT_SECONDS = 10


@register
class SapPmStatus(SapMaintenanceFlow, OutboundFlow):
    code = FLOW_STATUS
    label = "SAP PM: order status (push)"
    trigger = "the stage of a request with an SAP order (or notification) changes"

    def payload(self):
        request = self.record()
        if not request:
            return HandlerResult(response={"skipped": "request deleted"})
        # the stage of the request itself, never one named by a payload
        stage = request.stage_id
        if not stage:
            return HandlerResult(response={"skipped": "the request has no stage"})
        target = self.env["plant.sync.mapping"].sudo()._to_external(self.backend, "status", stage)
        if target not in ORDER_STATUSES:
            raise ValidationError(
                self.env._(
                    "Stage %(stage)s maps to SAP status %(status)s: only %(allowed)s can be "
                    "set on an order.",
                    stage=stage.name,
                    status=target,
                    allowed=", ".join(ORDER_STATUSES),
                )
            )
        if not request.sap_order_number:
            if target in ("TECO", "CLSD") and request.sap_notification_number:
                return {"request": request, "target": target, "complete_notification": True}
            return HandlerResult(response={"skipped": "no SAP order", "target": target})
        if target in ("TECO", "CLSD"):
            self.check_labour_before_completion(request)
        return {"request": request, "target": target, "complete_notification": False}

    def call(self, client, payload):
        request = payload["request"]
        if payload["complete_notification"]:
            return client.complete_notification(request.sap_notification_number)
        return self.transition(client, request, payload["target"])

    def apply(self, payload, answer):
        request, target = payload["request"], payload["target"]
        if payload["complete_notification"]:
            request.write({"sap_last_sync": fields.Datetime.now()})
            self.note(
                request,
                self.env._("notification %(n)s completed", n=request.sap_notification_number),
            )
            return HandlerResult(response=jsonable(answer))
        order, steps = answer
        request.write(self.order_values(order))
        if steps:
            self.note(
                request,
                self.env._(
                    "order %(order)s set to %(steps)s (now %(status)s)",
                    order=request.sap_order_number,
                    steps=" → ".join(steps),
                    status=request.sap_status,
                ),
            )
        return HandlerResult(
            response={
                "order": request.sap_order_number,
                "target": target,
                "steps": steps,
                "status": request.sap_status,
            },
            version=order.etag or None,
        )

    def transition(self, client, request, target):
        """Move the SAP order to ``target`` unless SAP changed it since the last sync."""
        number = request.sap_order_number
        order = client.get_maintenance_order(number, with_operations=False)
        current = primary_status(order.status.system_status if order.status else "")
        known = request.sap_status_code or ""
        changed_in_sap = bool(
            request.sap_order_etag and order.etag and order.etag != request.sap_order_etag
        ) or (known and current != known)
        if current == target:
            return order, []
        if changed_in_sap and current != known:
            raise ConcurrentModification(
                self.env._(
                    "SAP order %(order)s was changed in SAP since the last sync: its status "
                    "is %(current)s (Odoo last saw %(known)s) while Odoo asks for "
                    "%(target)s. Nothing was overwritten: decide which status is right "
                    "(refresh the request from SAP with 'Sync now', or cancel this "
                    "message).",
                    order=number,
                    current=current or "?",
                    known=known or "?",
                    target=target,
                ),
                code="CONFLICT",
            )
        if status_rank(target) < status_rank(current):
            raise BusinessRuleError(
                self.env._(
                    "SAP order %(order)s is %(current)s: it cannot go back to %(target)s.",
                    order=number,
                    current=current,
                    target=target,
                )
            )
        steps = []
        if status_rank(current) < status_rank("REL"):
            client.release_maintenance_order(number)
            steps.append("REL")
        teco_now = status_rank(current) < status_rank("TECO")
        if status_rank(target) >= status_rank("TECO") and (
            teco_now or request.sap_notification_number
        ):
            # idempotent: an order already TECO still gets its notification completed
            client.technically_complete_maintenance_order(
                number, complete_notification=bool(request.sap_notification_number)
            )
            if teco_now:
                steps.append("TECO")
        if target == "CLSD":
            client.close_maintenance_order(number)
            steps.append("CLSD")
        return client.get_maintenance_order(number, with_operations=False), steps

    def check_labour_before_completion(self, request):
        """No TECO while labour of the request is unapproved, blocked or not yet in SAP."""
        lines = request.sap_labour_ids
        waiting = lines.filtered(lambda line: line.state in ("draft", "to_approve"))
        if waiting:
            raise PlantSyncBusinessError(
                self.env._(
                    "%(count)s labour lines of %(request)s await planner approval: approve "
                    "them (this message is sent again automatically).",
                    count=len(waiting),
                    request=request.display_name,
                ),
                owner_group="planner",
                code="LABOUR_APPROVAL",
            )
        approved = lines.filtered(lambda line: line.state == "approved")
        stuck = self.env["plant.sync.message"].search(
            [
                ("res_model", "=", approved._name),
                ("res_id", "in", approved.ids),
                ("state", "in", ("held", "failed", "cancelled")),
            ]
        )
        if stuck:
            raise PlantSyncBusinessError(
                self.env._(
                    "%(count)s labour confirmations of %(request)s cannot be posted (%(why)s): "
                    "solve them first, then retry this message.",
                    count=len(stuck),
                    request=request.display_name,
                    why="; ".join(sorted(set(stuck.mapped(lambda m: m.error_human or m.state)))),
                ),
                owner_group="planner",
                code="LABOUR_BLOCKED",
            )
        if approved:
            raise RetryableJobError(
                "Waiting for the approved labour of the request to be confirmed in SAP",
                seconds=WAIT_SECONDS,
                ignore_retry=True,  # waiting for another message is not a failed try
            )
