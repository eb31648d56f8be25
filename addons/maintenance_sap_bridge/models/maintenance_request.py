# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import datetime, time, timedelta

import pytz
from odoo import api, fields, models
from odoo.addons.plant_sync_base.tools import check_engine_fields
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression

from ..sap_tools import (
    DOC_NOTIFICATION,
    DOC_ORDER,
    FLOW_CONFIRMATION,
    FLOW_NOTIFICATION,
    FLOW_ORDER,
    FLOW_ORDER_PULL,
    FLOW_STATUS,
    SAP_KINDS,
    SAP_NUMBERS,
    primary_status,
)

_logger = logging.getLogger(__name__)

PLANNER_GROUPS = "maintenance.group_equipment_manager,plant_sync_base.group_plant_sync_user"
SAP_FLOWS = (FLOW_NOTIFICATION, FLOW_ORDER, FLOW_STATUS, FLOW_CONFIRMATION, FLOW_ORDER_PULL)
#: SAP references of a request: written by the flow handlers only (a forged order number would
#: send TECO to somebody else's order)
SAP_REFERENCE_FIELDS = frozenset(
    {
        "sap_backend_id",
        "sap_notification_number",
        "sap_order_number",
        "sap_status",
        "sap_user_status",
        "sap_status_code",
        "sap_order_etag",
        "sap_last_sync",
        "sap_plant",
        "sap_cost_center",
        "sap_planner_group",
        "sap_work_center",
        "sap_maintenance_plan",
    }
)


class MaintenanceRequest(models.Model):
    _name = "maintenance.request"
    _inherit = ["maintenance.request", "plant.sync.bound.mixin", "plant.sync.timeline.mixin"]

    sap_backend_id = fields.Many2one(
        "plant.sync.backend", string="SAP System", readonly=True, copy=False, index=True
    )
    # the SAP numbers are stored once, as bindings of the request on its SAP system
    sap_notification_number = fields.Char(
        string="SAP Notification",
        compute="_compute_sap_numbers",
        inverse="_inverse_sap_numbers",
        search="_search_sap_notification_number",
        readonly=True,
        copy=False,
    )
    sap_order_number = fields.Char(
        string="SAP Order",
        compute="_compute_sap_numbers",
        inverse="_inverse_sap_numbers",
        search="_search_sap_order_number",
        readonly=True,
        copy=False,
    )
    sap_status = fields.Char(
        string="SAP Status", readonly=True, copy=False, help="SAP system status of the order"
    )
    sap_user_status = fields.Char(string="SAP User Status", readonly=True, copy=False)
    sap_status_code = fields.Char(
        string="SAP Lifecycle Status",
        compute="_compute_sap_status_code",
        store=True,
        help="CRTD, REL, TECO or CLSD",
    )
    sap_order_etag = fields.Char(string="SAP Order ETag", readonly=True, copy=False)
    sap_last_sync = fields.Datetime(string="Last SAP Sync", readonly=True, copy=False)
    sap_plant = fields.Char(string="Planning Plant", readonly=True, copy=False)
    sap_cost_center = fields.Char(string="Cost Center", readonly=True, copy=False)
    sap_planner_group = fields.Char(string="Planner Group", readonly=True, copy=False)
    sap_work_center = fields.Char(string="Main Work Center", readonly=True, copy=False)
    sap_maintenance_plan = fields.Char(string="Maintenance Plan", readonly=True, copy=False)
    sap_operation_ids = fields.One2many(
        "maintenance.request.operation", "request_id", string="SAP Operations", copy=False
    )
    sap_labour_ids = fields.One2many(
        "maintenance.request.labour", "request_id", string="Labour", copy=False
    )
    sap_labour_hours = fields.Float(
        string="Logged Hours", compute="_compute_sap_labour_hours", compute_sudo=True
    )
    sap_in_sap = fields.Boolean(
        string="In SAP", compute="_compute_sap_in_sap", search="_search_sap_in_sap"
    )
    sap_sync_error = fields.Boolean(
        string="SAP Sync Error",
        compute="_compute_sap_sync",
        search="_search_sap_sync_error",
        compute_sudo=True,
    )
    sap_sync_state = fields.Selection(
        [
            ("none", "Not synchronised"),
            ("pending", "Pending"),
            ("held", "Held (mapping)"),
            ("error", "Error"),
            ("synced", "Synchronised"),
        ],
        string="SAP Sync",
        compute="_compute_sap_sync",
        compute_sudo=True,
    )
    sap_message_ids = fields.Many2many(
        "plant.sync.message",
        string="SAP Messages",
        compute="_compute_sap_messages",
        compute_sudo=True,
        groups="plant_sync_base.group_plant_sync_user",
    )
    sap_exception_ids = fields.Many2many(
        "plant.sync.exception",
        string="SAP Exceptions",
        compute="_compute_sap_messages",
        compute_sudo=True,
        groups="plant_sync_base.group_plant_sync_user",
    )
    sap_message_count = fields.Integer(compute="_compute_sap_sync", compute_sudo=True)
    # --- the technician's day (mobile): my work today, the labour timer ---------------------
    my_work_today = fields.Boolean(
        string="My Work Today",
        compute="_compute_my_work_today",
        search="_search_my_work_today",
        help="Assigned to me, not done, and scheduled today or already in progress.",
    )
    labour_timer_start = fields.Datetime(
        string="Working Since",
        compute="_compute_labour_timer",
        help="When my running timer on this job started (empty: no timer running).",
    )
    labour_timer_running = fields.Boolean(string="Timer Running", compute="_compute_labour_timer")
    labour_my_hours = fields.Float(string="My Hours", compute="_compute_labour_timer")

    @api.depends("sap_status")
    def _compute_sap_status_code(self):
        for request in self:
            request.sap_status_code = primary_status(request.sap_status) or False

    def _compute_sap_numbers(self):
        numbers = {
            fname: self._plant_sync_numbers(doc_type, SAP_KINDS)
            for fname, doc_type in SAP_NUMBERS.items()
        }
        for request in self:
            for fname in SAP_NUMBERS:
                request[fname] = numbers[fname].get(request.id, False)

    def _inverse_sap_numbers(self):
        """Written by the flows (and tests): bind the numbers on the request's SAP system."""
        values = [(r, {f: r[f] for f in SAP_NUMBERS}) for r in self]
        Binding = self.env["plant.sync.binding"]
        for request, numbers in values:
            backend = request.sap_backend_id
            if not backend:
                raise UserError(
                    self.env._(
                        "Request %(name)s has no SAP system: its SAP numbers cannot be stored.",
                        name=request.display_name,
                    )
                )
            for fname, doc_type in SAP_NUMBERS.items():
                if numbers[fname]:
                    backend._bind(request, numbers[fname], doc_type=doc_type)
                else:
                    Binding._unbind(backend, request, doc_type)

    def _search_sap_notification_number(self, operator, value):
        return self._plant_sync_search_number(DOC_NOTIFICATION, operator, value, SAP_KINDS)

    def _search_sap_order_number(self, operator, value):
        return self._plant_sync_search_number(DOC_ORDER, operator, value, SAP_KINDS)

    @api.depends("sap_labour_ids.hours")
    def _compute_sap_labour_hours(self):
        for request in self:
            request.sap_labour_hours = sum(request.sap_labour_ids.mapped("hours"))

    @api.depends("sap_notification_number", "sap_order_number")
    def _compute_sap_in_sap(self):
        for request in self:
            request.sap_in_sap = bool(request.sap_notification_number or request.sap_order_number)

    def _search_sap_in_sap(self, operator, value):
        positive = (operator == "=") == bool(value)
        if operator not in ("=", "!="):
            raise UserError(self.env._("Unsupported search on 'In SAP'."))
        if positive:
            return [
                "|",
                ("sap_notification_number", "!=", False),
                ("sap_order_number", "!=", False),
            ]
        return [("sap_notification_number", "=", False), ("sap_order_number", "=", False)]

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """Odoo's request form shows Google Slides instructions with the ``embed_viewer``
        widget, which the mrp module provides: without mrp the web client logs "Missing widget:
        embed_viewer" and falls back to a plain field. Show the link as a URL then."""
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type == "form" and "mrp.production" not in self.env:
            for node in arch.xpath("//field[@widget='embed_viewer']"):
                node.set("widget", "url")
        return arch, view

    # --- messages of a request: its own and those of its labour lines ------------------------
    def _sap_message_domain(self):
        return [
            ("flow_code", "in", SAP_FLOWS),
            "|",
            "&",
            ("res_model", "=", self._name),
            ("res_id", "in", self.ids),
            "&",
            ("res_model", "=", "maintenance.request.labour"),
            ("res_id", "in", self.sudo().sap_labour_ids.ids),
        ]

    def _sap_messages_by_request(self):
        Message = self.env["plant.sync.message"].sudo()
        result = {request.id: Message for request in self}
        if not self.ids:
            return result
        labour_request = {line.id: line.request_id.id for line in self.sudo().sap_labour_ids}
        for message in Message.search(self._sap_message_domain()):
            request_id = (
                message.res_id
                if message.res_model == self._name
                else labour_request.get(message.res_id)
            )
            if request_id in result:
                result[request_id] |= message
        return result

    def _compute_sap_messages(self):
        by_request = self._sap_messages_by_request()
        for request in self:
            messages = by_request.get(request.id) or self.env["plant.sync.message"]
            request.sap_message_ids = messages
            request.sap_exception_ids = messages.exception_ids

    def _compute_sap_sync(self):
        by_request = self._sap_messages_by_request()
        for request in self:
            messages = by_request.get(request.id) or self.env["plant.sync.message"].sudo()
            states = set(messages.mapped("state"))
            open_exc = messages.exception_ids.filtered(lambda e: e.state in ("new", "in_progress"))
            if "failed" in states or open_exc.filtered(lambda e: e.message_state != "held"):
                state = "error"
            elif "held" in states:
                state = "held"
            elif "pending" in states:
                state = "pending"
            elif messages or request.sap_in_sap:
                state = "synced"
            else:
                state = "none"
            request.sap_sync_state = state
            request.sap_sync_error = state in ("error", "held")
            request.sap_message_count = len(messages)

    def _search_sap_sync_error(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Unsupported search on 'SAP Sync Error'."))
        Message = self.env["plant.sync.message"].sudo()
        messages = Message.search(
            [
                ("flow_code", "in", SAP_FLOWS),
                ("res_model", "in", (self._name, "maintenance.request.labour")),
                ("state", "in", ("failed", "held")),
            ]
        )
        ids = set(messages.filtered(lambda m: m.res_model == self._name).mapped("res_id"))
        labour_ids = messages.filtered(lambda m: m.res_model != self._name).mapped("res_id")
        if labour_ids:
            ids |= set(
                self.env["maintenance.request.labour"]
                .sudo()
                .browse(labour_ids)
                .exists()
                .mapped("request_id")
                .ids
            )
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", list(ids))]

    # ---------------------------------------------------------------------------------------
    # triggers (Odoo -> SAP); an import from SAP never echoes back (engine context flag)
    # ---------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_engine_fields(self, vals, SAP_REFERENCE_FIELDS)
        requests = super().create(vals_list)
        requests._sap_enqueue_notification()
        return requests

    def write(self, vals):
        check_engine_fields(self, vals, SAP_REFERENCE_FIELDS)
        old_stages = {r.id: r.stage_id for r in self} if "stage_id" in vals else {}
        res = super().write(vals)
        if old_stages:
            changed = self.filtered(lambda r: r.stage_id != old_stages.get(r.id))
            changed._sap_on_stage_change()
        if "equipment_id" in vals or "maintenance_type" in vals:
            self._sap_enqueue_notification()
        return res

    def _sap_wants_notification(self):
        self.ensure_one()
        return (
            self.maintenance_type == "corrective"
            and self.equipment_id
            and not self.sap_notification_number
            and not self.sap_order_number
            and not self.archive
        )

    def _sap_enqueue_notification(self):
        if self._plant_sync_is_import(kinds=SAP_KINDS):
            return
        for request in self.filtered(lambda r: r._sap_wants_notification()):
            request._plant_sync_enqueue(
                FLOW_NOTIFICATION,
                {"request_id": request.id, "equipment_id": request.equipment_id.id},
                ("notification", request.id),
            )

    def _sap_on_stage_change(self):
        if self._plant_sync_is_import(kinds=SAP_KINDS):
            return
        Flow = self.env["plant.sync.flow"].sudo()
        for request in self:
            done = request.stage_id.done
            if done:
                request._sap_prepare_final_labour()
            order_flows = Flow._find(FLOW_ORDER, company=request.company_id)
            release = order_flows.filtered(
                lambda f, stage=request.stage_id: f.sap_release_stage_id == stage
            )
            has_sap_doc = request.sap_notification_number or request.sap_order_number
            notification_planned = bool(
                self.env["plant.sync.message"]
                .sudo()
                .search_count(
                    [
                        ("res_model", "=", self._name),
                        ("res_id", "=", request.id),
                        ("flow_code", "=", FLOW_NOTIFICATION),
                        ("state", "in", ("pending", "held", "done")),
                    ]
                )
            )
            if release and not request.sap_order_number and (has_sap_doc or notification_planned):
                self.env["plant.sync.message"]._enqueue(
                    release, request, {"request_id": request.id}, ("order", request.id)
                )
                continue
            if request.sap_order_number or has_sap_doc or notification_planned:
                request._plant_sync_enqueue(
                    FLOW_STATUS,
                    {"request_id": request.id, "stage_id": request.stage_id.id},
                    (),
                )

    def _sap_prepare_final_labour(self):
        """On completion: the request duration becomes the technician's labour when nothing
        was logged, draft lines are submitted, and every operation gets its final
        confirmation: the last open line of the operation, or a zero-hour final line when all
        its hours were already posted."""
        self.ensure_one()
        request = self.sudo()
        Labour = self.env["maintenance.request.labour"].sudo()
        lines = request.sap_labour_ids
        if not lines and request.duration > 0 and request.sap_in_sap:
            lines = Labour.create(
                {
                    "request_id": request.id,
                    "technician_id": (request.user_id or self.env.user).id,
                    "hours": request.duration,
                    "note": self.env._("Request duration"),
                }
            )
        lines.filtered(lambda line: line.state == "draft")._submit()
        operations = request.sap_operation_ids.sorted("number")
        first = operations[:1]
        groups = {}
        for line in lines:
            groups.setdefault((line.operation_id or first).id, Labour)
            groups[(line.operation_id or first).id] |= line
        for operation in operations:
            groups.setdefault(operation.id, Labour)
        for operation_id, op_lines in groups.items():
            if any(op_lines.mapped("final")):
                continue
            open_lines = op_lines.filtered(lambda line: line.state in ("to_approve", "approved"))
            if open_lines:
                open_lines.sorted(lambda line: (line.date, line.id))[-1].final = True
            elif operation_id and request.sap_order_number:
                final = Labour.create(
                    {
                        "request_id": request.id,
                        "operation_id": operation_id,
                        "technician_id": (request.user_id or self.env.user).id,
                        "hours": 0.0,
                        "final": True,
                        "note": self.env._("Final confirmation on completion"),
                    }
                )
                final.write({"state": "approved", "approved_date": fields.Datetime.now()})
                final._enqueue_confirmation()

    def _sap_retry_waiting_status(self):
        """Status messages that failed because labour awaited approval go again."""
        messages = (
            self.env["plant.sync.message"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("flow_code", "=", FLOW_STATUS),
                    ("state", "=", "failed"),
                    ("error_category", "=", "business"),
                    ("error_technical", "ilike", "LABOUR_APPROVAL"),
                ]
            )
        )
        waiting = self.filtered(
            lambda r: not r.sudo().sap_labour_ids.filtered(lambda line: line.state == "to_approve")
        )
        messages.filtered(lambda m: m.res_id in waiting.ids)._retry()

    # ---------------------------------------------------------------------------------------
    # user actions
    # ---------------------------------------------------------------------------------------
    def action_sap_sync_now(self):
        """Planner: send what is stuck again and refresh the order from SAP."""
        if not (
            self.env.user.has_group("maintenance.group_equipment_manager")
            or self.env.user.has_group("plant_sync_base.group_plant_sync_user")
        ):
            raise AccessError(self.env._("Only planners can synchronise with SAP."))
        self.check_access("read")
        Message = self.env["plant.sync.message"].sudo()
        for request in self:
            messages = Message.search(request._sap_message_domain())
            messages.filtered(lambda m: m.state in ("failed", "held"))._retry()
            request._sap_enqueue_notification()
            if request.sap_order_number:
                flows = (
                    self.env["plant.sync.flow"]
                    .sudo()
                    ._find(FLOW_ORDER_PULL, company=request.company_id)
                )
                refresh = Message._enqueue(
                    flows,
                    request,
                    {"kind": "refresh", "orders": [request.sap_order_number]},
                    direction="inbound",
                )
                refresh.filtered(lambda m: m.state == "pending")._schedule()
        return True

    def action_sap_open_messages(self):
        self.ensure_one()
        self.check_access("read")
        self.env["plant.sync.message"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "plant_sync_base.action_plant_sync_message"
        )
        action["domain"] = self._sap_message_domain()
        action["context"] = {}
        return action

    # ---------------------------------------------------------------------------------------
    # applying SAP data (called by the flow handlers, as superuser)
    # ---------------------------------------------------------------------------------------
    def _sap_timeline(self, body):
        """Note in the chatter: the per-request timeline everybody sees (technicians too)."""
        for request in self:
            request.sudo().message_post(
                body=body,
                subtype_xmlid="mail.mt_note",
                author_id=self.env.ref("base.partner_root").id,
            )

    def _sap_set_operations(self, operations):
        """Upsert the order operations (list of plant_sync.sap OrderOperation or dicts)."""
        self.ensure_one()
        Operation = self.env["maintenance.request.operation"].sudo()
        existing = {op.number: op for op in self.sap_operation_ids}
        for op in operations:
            data = op if isinstance(op, dict) else op.__dict__
            number = data.get("operation") or data.get("number")
            if not number:
                continue
            vals = {
                "name": data.get("description") or False,
                "work_center": data.get("work_center") or False,
                "control_key": data.get("control_key") or False,
            }
            planned = data.get("planned_work")
            if planned is None:
                planned = data.get("planned_hours")
            if planned not in (None, ""):
                try:
                    vals["planned_hours"] = float(planned)
                except (TypeError, ValueError):
                    _logger.debug("unreadable planned work %r", planned)
            if number in existing:
                existing[number].write(vals)
            else:
                existing[number] = Operation.create(dict(vals, request_id=self.id, number=number))
        return existing

    # ---------------------------------------------------------------------------------------
    # the technician's day: my work today, the labour timer, completion
    # ---------------------------------------------------------------------------------------
    def _today_bounds_utc(self):
        """Start and end of the user's today as naive UTC datetimes."""
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        today = fields.Date.context_today(self)
        start = tz.localize(datetime.combine(today, time.min)).astimezone(pytz.utc)
        return start.replace(tzinfo=None), (start + timedelta(days=1)).replace(tzinfo=None)

    def _my_work_today_domain(self):
        start, end = self._today_bounds_utc()
        first_stage = self.env["maintenance.stage"].search([], order="sequence, id", limit=1)
        return [
            ("user_id", "=", self.env.uid),
            ("archive", "=", False),
            ("stage_id.done", "=", False),
            "|",
            "|",
            "&",
            ("schedule_date", ">=", start),
            ("schedule_date", "<", end),
            ("stage_id", "!=", first_stage.id),
            (
                "sap_labour_ids",
                "any",
                [
                    ("technician_id", "=", self.env.uid),
                    ("date_start", "!=", False),
                    ("date_end", "=", False),
                ],
            ),
        ]

    @api.depends_context("uid", "tz")
    def _compute_my_work_today(self):
        mine = (
            self.search([("id", "in", self.ids), *self._my_work_today_domain()])
            if self.ids
            else self
        )
        for request in self:
            request.my_work_today = request in mine

    def _search_my_work_today(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Unsupported search on 'My Work Today'."))
        domain = expression.normalize_domain(self._my_work_today_domain())
        positive = (operator == "=") == bool(value)
        return domain if positive else ["!", *domain]

    def _labour_running(self, user=None):
        """Running timer lines of ``user`` (default: the current user) on these requests."""
        return self.env["maintenance.request.labour"].search(
            [
                ("request_id", "in", self.ids),
                ("technician_id", "=", (user or self.env.user).id),
                ("date_start", "!=", False),
                ("date_end", "=", False),
                ("state", "=", "draft"),
            ]
        )

    @api.depends_context("uid")
    @api.depends("sap_labour_ids.date_start", "sap_labour_ids.date_end", "sap_labour_ids.hours")
    def _compute_labour_timer(self):
        Labour = self.env["maintenance.request.labour"]
        lines = (
            Labour.search([("request_id", "in", self.ids), ("technician_id", "=", self.env.uid)])
            if self.ids
            else Labour
        )
        for request in self:
            mine = lines.filtered(lambda line, r=request: line.request_id == r)
            running = mine.filtered(lambda line: line.date_start and not line.date_end)
            request.labour_timer_start = running[:1].date_start
            request.labour_timer_running = bool(running)
            request.labour_my_hours = sum(mine.mapped("hours"))

    def _check_technician_job(self):
        """A job a technician acts on: one request they may change, not finished."""
        self.ensure_one()
        self.check_access("write")
        if self.archive or self.stage_id.done:
            raise UserError(self.env._("%(job)s is finished.", job=self.display_name))

    def action_labour_timer_start(self):
        """Technician: start working on this job. A timer running on another job of mine is
        paused first (one job at a time); the timer is a draft labour line of mine."""
        self._check_technician_job()
        Labour = self.env["maintenance.request.labour"]
        running = Labour.search(
            [
                ("technician_id", "=", self.env.uid),
                ("date_start", "!=", False),
                ("date_end", "=", False),
                ("state", "=", "draft"),
            ]
        )
        if running.filtered(lambda line: line.request_id == self):
            return True  # already working on this job
        running._timer_stop()
        Labour.create(
            {
                "request_id": self.id,
                "technician_id": self.env.uid,
                "date_start": fields.Datetime.now(),
                "hours": 0.0,
                "note": self.env._("Timer"),
            }
        )
        return True

    def action_labour_timer_pause(self):
        """Technician: stop working for now (the worked time becomes a draft labour line)."""
        self.ensure_one()
        self.check_access("write")
        self._labour_running()._timer_stop()
        return True

    def action_labour_timer_stop(self):
        """Technician: my work on this job is over: the timer stops and my draft hours go to
        approval (or straight to SAP when the confirmation flow needs no approval)."""
        self.ensure_one()
        self.check_access("write")
        self._labour_running()._timer_stop()
        drafts = self.env["maintenance.request.labour"].search(
            [
                ("request_id", "=", self.id),
                ("technician_id", "=", self.env.uid),
                ("state", "=", "draft"),
            ]
        )
        if drafts:
            drafts.action_submit()
        return True

    def action_technician_complete(self):
        """Technician: the job is done. My timer stops and the request moves to the first
        'done' stage: labour is submitted and the SAP order / CMMS work order follow."""
        self._check_technician_job()
        self._labour_running()._timer_stop()
        stage = self.env["maintenance.stage"].search(
            [("done", "=", True)], order="sequence, id", limit=1
        )
        if not stage:
            raise UserError(self.env._("No maintenance stage is marked as done."))
        self.write({"stage_id": stage.id})
        return True

    # ---------------------------------------------------------------------------------------
    # the cross-system timeline (plant.sync.timeline.mixin)
    # ---------------------------------------------------------------------------------------
    def _plant_sync_timeline_messages(self):
        """The request's own exchanges and the time confirmations of its labour."""
        messages = super()._plant_sync_timeline_messages()
        labour = self.sudo().sap_labour_ids
        if labour:
            messages |= (
                self.env["plant.sync.message"]
                .sudo()
                .search(
                    [
                        ("res_model", "=", "maintenance.request.labour"),
                        ("res_id", "in", labour.ids),
                    ],
                    order="id",
                )
            )
        return messages

    def _plant_sync_timeline_message_step(self, message, title=None, number=None):
        request = self.sudo()
        if title is None and message.flow_code == FLOW_NOTIFICATION:
            title = self.env._("SAP notification")
            number = message.external_id or request.sap_notification_number or ""
        elif title is None and message.flow_code == FLOW_ORDER:
            title = self.env._("SAP order created and released")
            number = request.sap_order_number if message.state == "done" else ""
        elif title is None and message.flow_code == FLOW_STATUS:
            response = message._get_response() if message.state == "done" else {}
            response = response if isinstance(response, dict) else {}
            steps = response.get("steps") or []
            target = response.get("target") or ""
            if "TECO" in steps or (not steps and target in ("TECO", "CLSD")):
                title = self.env._("SAP order technically completed (TECO)")
            elif steps:
                title = self.env._("SAP order status → %(steps)s", steps=" → ".join(steps))
            else:
                title = self.env._("SAP order status")
            number = request.sap_order_number or request.sap_notification_number or ""
        elif title is None and message.flow_code == FLOW_ORDER_PULL:
            title = self.env._("SAP order read back")
            number = request.sap_order_number or ""
        elif title is None and message.flow_code == FLOW_CONFIRMATION:
            line = self.env["maintenance.request.labour"].sudo().browse(message.res_id).exists()
            title = self.env._(
                "SAP time confirmation %(hours)s h (%(who)s)",
                hours=f"{line.hours:g}" if line else "?",
                who=line.technician_id.name or "" if line else "",
            )
        return super()._plant_sync_timeline_message_step(message, title=title, number=number)

    def _plant_sync_timeline_steps(self):
        steps = super()._plant_sync_timeline_steps()
        request = self.sudo()
        if request.sap_operation_ids:
            order_step = next((s for s in steps if s.get("flow") == FLOW_ORDER), None)
            steps.append(
                self._plant_sync_timeline_step(
                    date=order_step["date"] if order_step else request.sap_last_sync,
                    system="SAP",
                    title=self.env._(
                        "Operations: %(ops)s",
                        ops=", ".join(request.sap_operation_ids.mapped("display_name")),
                    ),
                    number=request.sap_status or "",
                    state="info",
                    sequence=60,
                )
            )
        for line in request.sap_labour_ids.filtered(lambda line: line.state != "posted"):
            running = line.date_start and not line.date_end
            steps.append(
                self._plant_sync_timeline_step(
                    date=line.date_start or line.create_date,
                    title=self.env._(
                        "Labour %(hours)s h (%(who)s)",
                        hours="…" if running else f"{line.hours:g}",
                        who=line.technician_id.name or "",
                    ),
                    number=dict(line._fields["state"]._description_selection(self.env)).get(
                        line.state
                    ),
                    state="waiting" if line.state == "to_approve" else "info",
                    sequence=70,
                )
            )
        return steps

    def _plant_sync_timeline_waiting(self, steps):
        waiting = super()._plant_sync_timeline_waiting(steps)
        request = self.sudo()
        to_approve = request.sap_labour_ids.filtered(lambda line: line.state == "to_approve")
        if to_approve:
            waiting.append(
                self.env._(
                    "Planner: approve %(count)s labour line(s), %(hours)s h",
                    count=len(to_approve),
                    hours=f"{sum(to_approve.mapped('hours')):g}",
                )
            )
        if request.stage_id.done or request.archive:
            return waiting
        release = (
            self.env["plant.sync.flow"]
            .sudo()
            ._find(FLOW_ORDER, company=request.company_id)
            .filtered("sap_release_stage_id")[:1]
        )
        if request.sap_notification_number and not request.sap_order_number and release:
            waiting.append(
                self.env._(
                    "Planner: release the job (stage %(stage)s) to create the SAP order",
                    stage=release.sap_release_stage_id.name,
                )
            )
        elif request.sap_order_number:
            waiting.append(
                self.env._(
                    "Technician: work on order %(order)s and complete the job",
                    order=request.sap_order_number,
                )
            )
        return waiting
