# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""SAP orders → Odoo: preventive orders (maintenance plans) become requests, status changes of
known orders move their requests."""

import json

from odoo import fields
from odoo.addons.plant_sync_base.flow import InboundFlow, register
from odoo.addons.plant_sync_base.tools import BatchPage, HandlerResult

from ..sap_tools import (
    DOC_NOTIFICATION,
    DOC_ORDER,
    FLOW_ORDER_PULL,
    FLOW_STATUS,
    external_number,
    jsonable,
    primary_status,
    to_naive,
)
from .common import SapMaintenanceFlow, order_header


@register
class SapPmOrderPull(SapMaintenanceFlow, InboundFlow):
    code = FLOW_ORDER_PULL
    label = "SAP PM: preventive orders and order status (pull)"
    trigger = "the flow's schedule (batch), 'Run now', or 'Sync now' on a request (refresh)"

    def pull(self, since=None, token=None, page_token=None):
        marks = self.marks(token)
        mark = start = self.since(marks, "orders", since)

        def read(client):
            nonlocal mark
            for page in client.iter_maintenance_order_changes(start):
                self.enqueue_page("orders", [self.pulled_row(order) for order in page.rows])
                mark = page.watermark or mark

        self.with_client(read)
        if mark:
            marks["orders"] = mark.isoformat()
        return BatchPage(
            items=[],
            watermark_date=to_naive(mark) or since,
            watermark_token=json.dumps(marks, sort_keys=True),
        )

    @staticmethod
    def pulled_row(order):
        data = order_header(order)
        data.update(
            maintenance_plan=order.maintenance_plan,
            user_status=order.user_status,
            planner_group=order.planner_group,
            start=order.start,
            changed_at=order.changed_at,
        )
        return jsonable(data)

    def apply(self, payload):
        """A page of order headers (or, for a refresh, the order numbers to read first)."""
        backend = self.backend
        if payload.get("kind") == "refresh":
            rows = self.with_client(
                lambda client: [
                    jsonable(order_header(client.get_maintenance_order(n, with_operations=False)))
                    for n in payload.get("orders") or []
                ]
            )
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
            # as the importer (no echo of the import back to SAP)
            request = Request.browse(
                backend._record_for(Request._name, number, doc_type=DOC_ORDER).ids
            )
            if request:
                stats[self.apply_status(request, row)] += 1
            elif row.get("maintenance_plan"):
                new_rows.append(row)
            else:
                stats["ignored"] += 1
        if new_rows:
            stats["created"] = len(self.create_preventive(Request, new_rows))
        return HandlerResult(response=stats)

    def apply_status(self, request, row):
        backend = self.backend
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
        pending_push = self.env["plant.sync.message"].search_count(
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
            self.note(
                request,
                self.env._(
                    "SAP order %(order)s is now %(status)s",
                    order=request.sap_order_number,
                    status=status,
                ),
            )
        return "updated"

    def create_preventive(self, Request, rows):
        backend = self.backend
        Mapping = self.env["plant.sync.mapping"].sudo()
        Equipment = self.env["maintenance.equipment"].sudo()

        def details(client):
            orders, missing = {}, {}
            for row in rows:
                number = external_number(row["number"])
                orders[number] = client.get_maintenance_order(number, with_operations=True)
                equipment_no = row.get("equipment")
                if equipment_no and not backend._record_for(Equipment._name, equipment_no):
                    missing.setdefault(equipment_no, jsonable(client.get_equipment(equipment_no)))
            return orders, missing

        orders, missing = self.with_client(details)
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
                "company_id": backend.company_id.id,
                "equipment_id": equipment.id or False,
                "schedule_date": to_naive(row.get("start")) or False,
                "duration": planned,
                "sap_backend_id": backend.id,
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
        links = list(zip(requests, numbers, strict=True))
        backend._bind_many(
            [(request, number, orders[number].etag or None) for request, number in links],
            doc_type=DOC_ORDER,
        )
        notified = [
            (request, external_number(row["notification"]))
            for (request, _number), row in zip(links, rows, strict=True)
            if row.get("notification")
        ]
        backend._bind_many(notified, doc_type=DOC_NOTIFICATION)
        for request, number in links:
            request._sap_set_operations(orders[number].operations)
            self.note(
                request,
                self.env._(
                    "preventive order %(order)s of maintenance plan %(plan)s received",
                    order=number,
                    plan=request.sap_maintenance_plan or "?",
                ),
            )
        return requests
