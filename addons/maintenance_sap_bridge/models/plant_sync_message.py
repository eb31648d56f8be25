# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Flow handlers of the SAP maintenance bridge (called by the plant_sync_base engine as
superuser inside a savepoint: any exception rolls back what the handler wrote in Odoo, the
SAP side is exactly-once through the message's idempotency key)."""

import logging
from decimal import Decimal

from odoo import fields, models
from odoo.addons.plant_sync_base.exceptions import MissingMapping, PlantSyncBusinessError
from odoo.addons.plant_sync_base.tools import HandlerResult
from odoo.addons.queue_job.exception import RetryableJobError

from plant_sync.errors import BusinessRuleError, ConcurrentModification, ValidationError

from .plant_sync_flow import _order_header
from .sap_tools import (
    DEFAULT_PRIORITY,
    FLOW_NOTIFICATION,
    FLOW_ORDER,
    FLOW_STATUS,
    ORDER_STATUSES,
    external_number,
    jsonable,
    primary_status,
    status_rank,
    to_naive,
)

_logger = logging.getLogger(__name__)
WAIT_SECONDS = 10


class PlantSyncMessage(models.Model):
    _inherit = "plant.sync.message"

    # ---------------------------------------------------------------------------------------
    # helpers
    # ---------------------------------------------------------------------------------------
    def _sap_call(self, fn):
        """Run ``fn(service)`` with a fresh library service of the backend, closed after."""
        service = self.backend_id._client()
        try:
            return fn(service)
        finally:
            service.close()

    def _sap_request(self):
        record = self._record()
        return record.sudo() if record else None

    def _sap_header(self, request):
        """SAP values of a request from its equipment and the mappings. A missing equipment
        link or mapping raises MissingMapping: the engine holds the message until it exists."""
        backend = self.backend_id
        Mapping = self.env["plant.sync.mapping"].sudo()
        equipment = request.equipment_id
        number = backend._external_id_for(equipment) or equipment.sap_equipment_number
        if not number:
            raise MissingMapping("equipment", equipment, "outbound", backend.id)
        plant = equipment.sap_plant or Mapping._to_external(backend, "plant", request.company_id)
        cost_key = equipment.category_id or request.company_id
        team = request.maintenance_team_id
        return {
            "equipment": number,
            "plant": plant,
            "cost_center": Mapping._to_external(backend, "cost_center", cost_key),
            "planner_group": Mapping._to_external(backend, "planner_group", team),
            "work_center": Mapping._to_external(
                backend, "work_center", team, default=equipment.sap_work_center or None
            ),
            "priority": Mapping._to_external(
                backend,
                "priority",
                request.priority or "2",
                default=DEFAULT_PRIORITY.get(request.priority or "2", ""),
            ),
        }

    def _sap_note(self, request, text):
        request._sap_timeline(
            self.env._(
                "SAP (%(flow)s, message %(id)s): %(text)s",
                flow=self.flow_id.display_name,
                id=self.id,
                text=text,
            )
        )

    def _sap_order_values(self, order):
        return {
            "sap_status": order.status.system_status if order.status else False,
            "sap_order_etag": order.etag or False,
            "sap_last_sync": fields.Datetime.now(),
        }

    # ---------------------------------------------------------------------------------------
    # master data pull: one page of functional locations or equipment
    # ---------------------------------------------------------------------------------------
    def _plant_sync_run_sap_pm_master_pull(self):
        payload = self._get_payload()
        rows = payload.get("rows") or []
        backend = self.backend_id
        if payload.get("kind") == "floc":
            stats = self.env["maintenance.functional.location"]._sap_import(backend, rows)
        else:
            stats = self.env["maintenance.equipment"]._sap_import(backend, rows)
        invalid = stats.pop("invalid", [])
        if invalid:
            self.env["plant.sync.exception"]._report(
                self.env._(
                    "%(count)s SAP equipment rows were skipped: %(reasons)s",
                    count=len(invalid),
                    reasons=", ".join(sorted({i["reason"] for i in invalid})),
                ),
                category="validation",
                backend=backend,
                technical=str([i["row"] for i in invalid])[:4000],
            )
        stats["invalid"] = len(invalid)
        return HandlerResult(response=stats)

    # ---------------------------------------------------------------------------------------
    # corrective work: notification, then order + release
    # ---------------------------------------------------------------------------------------
    def _plant_sync_run_sap_pm_notification(self):
        from plant_sync.sap.ops.notification import NotificationCreate  # noqa: PLC0415

        request = self._sap_request()
        if not request:
            return HandlerResult(response={"skipped": "request deleted"})
        if request.sap_notification_number:
            return HandlerResult(response={"notification": request.sap_notification_number})
        header = self._sap_header(request)
        data = NotificationCreate(
            notification_type=self.flow_id.sap_notification_type or "M1",
            text=(request.name or "")[:40],
            equipment=header["equipment"],
            priority=header["priority"],
            planning_plant=header["plant"],
            planner_group=header["planner_group"] or "",
            long_text=_plain(request.description),
        )
        result = self._sap_call(
            lambda s: s.create_notification(data, idempotency_key=self.idempotency_key)
        )
        notification = result.document
        number = external_number(notification.number)
        request.write(
            {
                "sap_backend_id": self.backend_id.id,
                "sap_notification_number": number,
                "sap_plant": header["plant"],
                "sap_cost_center": header["cost_center"],
                "sap_planner_group": header["planner_group"],
                "sap_work_center": header["work_center"],
                "sap_last_sync": fields.Datetime.now(),
            }
        )
        self._sap_note(
            request,
            self.env._(
                "notification %(number)s %(state)s",
                number=number,
                state=self.env._("created") if result.created else self.env._("found"),
            ),
        )
        response = dict(jsonable(notification), created=result.created, header=header)
        return HandlerResult(response=response, external_id=number)

    def _plant_sync_run_sap_pm_order(self):
        from plant_sync.sap.ops.order import OperationCreate, OrderCreate  # noqa: PLC0415

        request = self._sap_request()
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
        header = self._sap_header(request)
        duration = request.duration or 0.0
        data = OrderCreate(
            order_type=self.flow_id.sap_order_type or "PM01",
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

        def create_and_release(service):
            result = service.create_maintenance_order(data, idempotency_key=self.idempotency_key)
            number = external_number(result.document.number)
            service.release_maintenance_order(number)
            return result, service.get_maintenance_order(number, with_operations=True)

        result, order = self._sap_call(create_and_release)
        number = external_number(order.number)
        request.write(
            dict(
                self._sap_order_values(order),
                sap_order_number=number,
                sap_backend_id=self.backend_id.id,
                sap_work_center=header["work_center"],
            )
        )
        request._sap_set_operations(order.operations)
        self._sap_note(
            request,
            self.env._(
                "order %(number)s %(state)s and released (%(status)s)",
                number=number,
                state=self.env._("created") if result.created else self.env._("found"),
                status=request.sap_status,
            ),
        )
        return HandlerResult(
            response=dict(jsonable(order), created=result.created), version=order.etag or None
        )

    # ---------------------------------------------------------------------------------------
    # status Odoo -> SAP, with conflict detection
    # ---------------------------------------------------------------------------------------
    def _plant_sync_run_sap_pm_status(self):
        request = self._sap_request()
        if not request:
            return HandlerResult(response={"skipped": "request deleted"})
        backend = self.backend_id
        # the stage of the request itself, never one named by a payload
        stage = request.stage_id
        if not stage:
            return HandlerResult(response={"skipped": "the request has no stage"})
        target = self.env["plant.sync.mapping"].sudo()._to_external(backend, "status", stage)
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
                notification = self._sap_call(
                    lambda s: s.complete_notification(request.sap_notification_number)
                )
                request.write({"sap_last_sync": fields.Datetime.now()})
                self._sap_note(
                    request,
                    self.env._("notification %(n)s completed", n=request.sap_notification_number),
                )
                return HandlerResult(response=jsonable(notification))
            return HandlerResult(response={"skipped": "no SAP order", "target": target})
        if target in ("TECO", "CLSD"):
            self._sap_check_labour_before_completion(request)
        number = request.sap_order_number

        def transition(service):
            order = service.get_maintenance_order(number, with_operations=False)
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
                service.release_maintenance_order(number)
                steps.append("REL")
            teco_now = status_rank(current) < status_rank("TECO")
            if status_rank(target) >= status_rank("TECO") and (
                teco_now or request.sap_notification_number
            ):
                # idempotent: an order already TECO still gets its notification completed
                service.technically_complete_maintenance_order(
                    number, complete_notification=bool(request.sap_notification_number)
                )
                if teco_now:
                    steps.append("TECO")
            if target == "CLSD":
                service.close_maintenance_order(number)
                steps.append("CLSD")
            return service.get_maintenance_order(number, with_operations=False), steps

        order, steps = self._sap_call(transition)
        request.write(self._sap_order_values(order))
        if steps:
            self._sap_note(
                request,
                self.env._(
                    "order %(order)s set to %(steps)s (now %(status)s)",
                    order=number,
                    steps=" → ".join(steps),
                    status=request.sap_status,
                ),
            )
        return HandlerResult(
            response={
                "order": number,
                "target": target,
                "steps": steps,
                "status": request.sap_status,
            },
            version=order.etag or None,
        )

    def _sap_check_labour_before_completion(self, request):
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
        stuck = self.search(
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
            )

    # ---------------------------------------------------------------------------------------
    # labour -> SAP time confirmation
    # ---------------------------------------------------------------------------------------
    def _plant_sync_run_sap_pm_confirmation(self):
        from plant_sync.sap.ops.confirmation import ConfirmationCreate  # noqa: PLC0415

        line = self._record()
        if not line:
            return HandlerResult(response={"skipped": "labour deleted"})
        line = line.sudo()
        if line.state == "posted":
            return HandlerResult(response={"confirmation": line.sap_confirmation})
        if line.state != "approved":
            raise BusinessRuleError(
                self.env._(
                    "Labour %(line)s is not approved: it is not posted to SAP.",
                    line=line.display_name,
                )
            )
        # what was approved (snapshot taken at approval), not what the line says now
        approved = self._get_payload().get("approved") or {}
        hours = float(approved.get("hours", line.hours) or 0.0)
        posting_date = fields.Date.to_date(approved.get("date")) or line.date
        technician = line.technician_id
        if approved.get("technician_id"):
            technician = self.env["res.users"].sudo().browse(approved["technician_id"]).exists()
        request = line.request_id
        if not request.sap_order_number:
            waiting = self.search_count(
                [
                    ("res_model", "=", request._name),
                    ("res_id", "=", request.id),
                    ("flow_code", "in", (FLOW_NOTIFICATION, FLOW_ORDER)),
                    ("state", "=", "pending"),
                ]
            )
            if waiting:
                raise RetryableJobError(
                    "Waiting for the SAP order of the request", seconds=WAIT_SECONDS
                )
            raise BusinessRuleError(
                self.env._(
                    "Request %(request)s has no SAP order: the labour cannot be confirmed.",
                    request=request.display_name,
                )
            )
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
                self.backend_id,
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

        def confirm(service):
            result = service.create_confirmation(data, idempotency_key=self.idempotency_key)
            order = service.get_maintenance_order(request.sap_order_number, with_operations=False)
            return result, order

        result, order = self._sap_call(confirm)
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
        request.write(self._sap_order_values(order))
        self._sap_note(
            request,
            self.env._(
                "%(hours)s h of %(technician)s confirmed on %(order)s/%(op)s "
                "(confirmation %(conf)s/%(counter)s%(final)s)",
                hours=f"{hours:g}",
                technician=technician.name,
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
        )

    # ---------------------------------------------------------------------------------------
    # orders SAP -> Odoo: preventive orders and status changes
    # ---------------------------------------------------------------------------------------
    def _plant_sync_run_sap_pm_order_pull(self):
        payload = self._get_payload()
        backend = self.backend_id
        if payload.get("kind") == "refresh":

            def read(service):
                rows = []
                for number in payload.get("orders") or []:
                    order = service.get_maintenance_order(number, with_operations=False)
                    rows.append(jsonable(_order_header(order)))
                return rows

            rows = self._sap_call(read)
        else:
            rows = payload.get("rows") or []
        Request = (
            self.env["maintenance.request"]
            .sudo()
            .with_context(
                tracking_disable=True, mail_create_nolog=True, **backend._import_context()
            )
        )
        stats = {"created": 0, "updated": 0, "unchanged": 0, "conflicts": 0, "ignored": 0}
        new_rows = []
        for row in rows:
            number = external_number(row.get("number"))
            backend._lock("order", number)
            request = Request.search(
                [("sap_order_number", "=", number), ("company_id", "=", backend.company_id.id)],
                limit=1,
            )
            if request:
                stats[self._sap_apply_order_status(request, row)] += 1
            elif row.get("maintenance_plan"):
                new_rows.append(row)
            else:
                stats["ignored"] += 1
        if new_rows:
            stats["created"] = len(self._sap_create_preventive(Request, new_rows))
        return HandlerResult(response=stats)

    def _sap_apply_order_status(self, request, row):
        backend = self.backend_id
        status = row.get("system_status") or ""
        etag = row.get("etag") or False
        if status == (request.sap_status or "") and (not etag or etag == request.sap_order_etag):
            return "unchanged"
        current = primary_status(status)
        Mapping = self.env["plant.sync.mapping"].sudo()
        stage = False
        if row.get("user_status"):
            stage = Mapping._to_odoo(backend, "status", row["user_status"], default=False)
        stage = stage or Mapping._to_odoo(backend, "status", current, default=False)
        if stage and stage._name != "maintenance.stage":
            stage = False
        pending_push = self.search_count(
            [
                ("res_model", "=", request._name),
                ("res_id", "=", request.id),
                ("flow_code", "=", FLOW_STATUS),
                ("state", "in", ("pending", "held", "failed")),
            ]
        )
        status_changed = current != (request.sap_status_code or "")
        if status_changed and pending_push and stage and stage != request.stage_id:
            self.env["plant.sync.exception"]._report(
                self.env._(
                    "Conflict on %(request)s: SAP set order %(order)s to %(sap)s while a "
                    "change of the Odoo stage to %(stage)s is not yet in SAP. Nothing was "
                    "overwritten: decide which side is right.",
                    request=request.display_name,
                    order=request.sap_order_number,
                    sap=current,
                    stage=request.stage_id.name,
                ),
                category="business",
                owner_group="planner",
                record=request,
                backend=backend,
                technical=f"SAP status {status!r}, ETag {etag!r}",
            )
            return "conflicts"
        vals = {
            "sap_status": status or False,
            "sap_user_status": row.get("user_status") or False,
            "sap_order_etag": etag,
            "sap_last_sync": fields.Datetime.now(),
        }
        if stage and stage != request.stage_id and status_changed:
            vals["stage_id"] = stage.id
        request.write(vals)
        if status_changed:
            self._sap_note(
                request,
                self.env._(
                    "SAP order %(order)s is now %(status)s",
                    order=request.sap_order_number,
                    status=status,
                ),
            )
        return "updated"

    def _sap_create_preventive(self, Request, rows):
        backend = self.backend_id
        company = backend.company_id
        Mapping = self.env["plant.sync.mapping"].sudo()
        Equipment = self.env["maintenance.equipment"].sudo()

        def details(service):
            orders, missing = {}, {}
            for row in rows:
                number = external_number(row["number"])
                orders[number] = service.get_maintenance_order(number, with_operations=True)
                equipment_no = row.get("equipment")
                if equipment_no and not backend._record_for(Equipment._name, equipment_no):
                    missing.setdefault(equipment_no, jsonable(service.get_equipment(equipment_no)))
            return orders, missing

        orders, missing = self._sap_call(details)
        if missing:
            Equipment._sap_import(backend, list(missing.values()))
        vals_list, numbers = [], []
        for row in rows:
            number = external_number(row["number"])
            order = orders[number]
            equipment = (
                backend._record_for(Equipment._name, row["equipment"])
                if row.get("equipment")
                else Equipment
            )
            team = Mapping._to_odoo(
                backend, "work_center", row.get("main_work_center") or "", default=False
            )
            if not team or team._name != "maintenance.team":
                team = equipment.maintenance_team_id
            stage = Mapping._to_odoo(
                backend, "status", primary_status(row.get("system_status") or ""), default=False
            )
            planned = sum(float(op.planned_work or 0) for op in order.operations)
            vals = {
                "name": row.get("description") or self.env._("SAP order %(n)s", n=number),
                "maintenance_type": "preventive",
                "company_id": company.id,
                "equipment_id": equipment.id or False,
                "schedule_date": to_naive(row.get("start")) or False,
                "duration": planned,
                "sap_backend_id": backend.id,
                "sap_order_number": number,
                "sap_notification_number": row.get("notification") or False,
                "sap_maintenance_plan": row.get("maintenance_plan") or False,
                "sap_status": row.get("system_status") or False,
                "sap_user_status": row.get("user_status") or False,
                "sap_order_etag": order.etag or row.get("etag") or False,
                "sap_plant": row.get("planning_plant") or False,
                "sap_work_center": row.get("main_work_center") or order.main_work_center or False,
                "sap_last_sync": fields.Datetime.now(),
            }
            if team:
                vals["maintenance_team_id"] = team.id
            if stage and stage._name == "maintenance.stage":
                vals["stage_id"] = stage.id
            vals_list.append(vals)
            numbers.append(number)
        requests = Request.create(vals_list)
        for request, number in zip(requests, numbers, strict=True):
            request._sap_set_operations(orders[number].operations)
            backend._bind(request, number, orders[number].etag or None)
            self._sap_note(
                request,
                self.env._(
                    "preventive order %(order)s of maintenance plan %(plan)s received",
                    order=number,
                    plan=request.sap_maintenance_plan or "?",
                ),
            )
        return requests


def _plain(html):
    if not html:
        return ""
    from odoo.tools import html2plaintext  # noqa: PLC0415

    return html2plaintext(html).strip()
