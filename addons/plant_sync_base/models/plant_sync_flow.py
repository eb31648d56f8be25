# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

import psycopg2
from dateutil.relativedelta import relativedelta
from odoo import api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError

from plant_sync.errors import outcome_of

from ..flow import flow_class
from ..tools import BatchPage, job_attempt, refuse_unlink_with_messages
from .plant_sync_message import PG_CONCURRENCY

_logger = logging.getLogger(__name__)


class PlantSyncFlow(models.Model):
    _name = "plant.sync.flow"
    _description = "Plant Sync Flow"
    _order = "backend_id, sequence, id"
    _check_company_auto = True

    backend_id = fields.Many2one(
        "plant.sync.backend", required=True, ondelete="cascade", index=True, check_company=True
    )
    code = fields.Selection(
        selection=[],
        required=True,
        help="Which flow this is. Addons declare each flow in one file (flows/<code>.py, "
        "registered with plant_sync_base.flow.register) and add its code with "
        "selection_add=selection_of(<addon>).",
    )
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        related="backend_id.company_id", store=True, index=True, precompute=True
    )
    enabled = fields.Boolean(default=False, help="Disabled flows enqueue nothing.")
    plant_codes = fields.Char(
        string="Restrict to Plants",
        help="Phased roll-out: comma-separated plant codes (SAP WERKS, CMMS site) this flow is "
        "enabled for. Empty: every plant.",
    )
    mode = fields.Selection(
        [("realtime", "Real time"), ("batch", "Batch (scheduled)")],
        default="realtime",
        required=True,
    )
    interval_number = fields.Integer(string="Every", default=15)
    interval_type = fields.Selection(
        [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days")],
        default="minutes",
        required=True,
    )
    next_run = fields.Datetime(copy=False)
    last_run = fields.Datetime(readonly=True, copy=False)
    channel_id = fields.Many2one(
        "queue.job.channel",
        string="Job Channel",
        compute="_compute_channel_id",
        store=True,
        readonly=False,
        precompute=True,
        help="queue_job channel the jobs of this flow run in (capacity is set in the Odoo "
        "configuration: [queue_job] channels = root:4,root.plant_sync.sap:2,...).",
    )
    priority = fields.Integer(default=10, help="queue_job priority: lower runs first")
    max_retries = fields.Integer(
        default=10,
        help="Attempts (with the back-off of the error or of the job function) before a "
        "transiently failing message is retried only once a minute (or after the server's "
        "Retry-After, at least 10 s).",
    )
    retry_minutes = fields.Integer(
        string="Keep Retrying For (min)",
        default=30,
        help="After Max Retries, a transiently failing message is tried once a minute (or "
        "after the server's Retry-After) until "
        "this many minutes have passed since its first attempt; then it is failed and raised "
        "to the exception queue. 0: failed right after Max Retries.",
    )
    expected_minutes = fields.Integer(
        string="Expected Within (min)",
        default=30,
        help="A message of this flow still pending this long after it was created (and not "
        "waiting for a human in the exception queue) marks its backend stalled.",
    )
    silent_minutes = fields.Integer(
        string="Alert When Silent (min)",
        default=0,
        help="An expected feed: no message of this flow for this many minutes raises a "
        "'silent feed' alert to the alerting group (Settings). 0: no alert.",
    )
    watermark_date = fields.Datetime(
        string="Delta Watermark", copy=False, help="Changes after this date are pulled next."
    )
    watermark_token = fields.Char(
        string="Delta Token", copy=False, help="Opaque delta/continuation token of the remote."
    )
    message_ids = fields.One2many("plant.sync.message", "flow_id")
    pending_count = fields.Integer(compute="_compute_counts")
    failed_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("backend_code_unique", "UNIQUE (backend_id, code)", "A backend has each flow once."),
        ("max_retries_positive", "CHECK (max_retries > 0)", "Max retries must be positive."),
        ("interval_positive", "CHECK (interval_number > 0)", "The interval must be positive."),
    ]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_messages(self):
        refuse_unlink_with_messages(self, "flow_id")

    @api.depends("backend_id.kind")
    def _compute_channel_id(self):
        """The channel of the backend's kind (``plant.sync.backend._job_channel``, e.g.
        root.plant_sync.sap), else the default channel of the settings (root.plant_sync)."""
        default = self._default_channel()
        for flow in self:
            if not flow.channel_id:
                flow.channel_id = flow.backend_id._job_channel() or default

    @api.model
    def _default_channel(self):
        param = (
            self.env["ir.config_parameter"].sudo().get_param("plant_sync_base.default_channel_id")
        )
        channel = self.env["queue.job.channel"].browse(int(param)).exists() if param else None
        return channel or self.env.ref(
            "plant_sync_base.channel_plant_sync", raise_if_not_found=False
        )

    @api.depends("code", "backend_id")
    def _compute_display_name(self):
        labels = dict(self._fields["code"]._description_selection(self.env))
        for flow in self:
            label = labels.get(flow.code, flow.code or "")
            flow.display_name = (
                f"{flow.backend_id.name} / {label}" if flow.backend_id.name else label
            )

    def _compute_counts(self):
        counts = {}
        if self.ids:
            for flow, state, count in self.env["plant.sync.message"]._read_group(
                [("flow_id", "in", self.ids), ("state", "in", ("pending", "failed"))],
                ["flow_id", "state"],
                ["__count"],
            ):
                counts[(flow.id, state)] = count
        for flow in self:
            flow.pending_count = counts.get((flow.id, "pending"), 0)
            flow.failed_count = counts.get((flow.id, "failed"), 0)

    # ---------------------------------------------------------------------------------------
    # routing helpers
    # ---------------------------------------------------------------------------------------
    def _plant_list(self):
        self.ensure_one()
        return {p.strip().upper() for p in (self.plant_codes or "").split(",") if p.strip()}

    def _allows_plant(self, plant=None):
        """Is the flow enabled for ``plant`` (a plant code)? Without restriction: always.
        With a restriction, a message without plant is not sent."""
        self.ensure_one()
        plants = self._plant_list()
        if not plants:
            return True
        return bool(plant) and str(plant).strip().upper() in plants

    @api.model
    def _find(self, code, company=None, backend=None, plant=None):
        """Enabled flows for ``code`` of active backends for ``company`` (and ``plant``)."""
        domain = [("code", "=", code), ("enabled", "=", True), ("backend_id.active", "=", True)]
        if backend:
            domain.append(("backend_id", "in", backend.ids))
        if company:
            domain += ["|", ("company_id", "=", False), ("company_id", "=", company.id)]
        flows = self.sudo().search(domain)
        return flows.filtered(lambda f: f._allows_plant(plant))

    def _job_options(self, **extra):
        self.ensure_one()
        options = {
            "priority": self.priority,
            "max_retries": self.max_retries + 3,  # the engine fails messages itself first
        }
        if self.channel_id:
            options["channel"] = self.channel_id.complete_name
        options.update({k: v for k, v in extra.items() if v is not None})
        return options

    # ---------------------------------------------------------------------------------------
    # batch flows
    # ---------------------------------------------------------------------------------------
    def _interval(self):
        self.ensure_one()
        return relativedelta(**{self.interval_type: self.interval_number or 1})

    @api.model
    def _cron_dispatch(self):
        """One dispatcher cron for every batch flow: start due pulls (one job per page) and
        send the pending messages of batch push flows."""
        now = fields.Datetime.now()
        flows = self.sudo().search(
            [
                ("enabled", "=", True),
                ("mode", "=", "batch"),
                ("backend_id.active", "=", True),
                "|",
                ("next_run", "=", False),
                ("next_run", "<=", now),
            ]
        )
        for flow in flows:
            flow._run_batch_now()
            flow.write({"last_run": now, "next_run": now + flow._interval()})
        return len(flows)

    def action_run_now(self):
        self.check_access("write")
        for flow in self.sudo():
            flow._run_batch_now()
            flow.last_run = fields.Datetime.now()

    def _run_batch_now(self):
        self.ensure_one()
        if self._has_pull_handler():
            self.with_delay(
                **self._job_options(
                    description=f"Plant Sync pull {self.display_name}",
                    identity_key=f"plant_sync_flow_pull_{self.id}",
                )
            )._job_pull_page()
        if not self.backend_id._circuit_is_open():
            messages = self.env["plant.sync.message"]._stored_without_job(
                self.backend_id, self.backend_id.rate_limit_per_minute, flow=self
            )
            for message in messages:
                message._schedule()

    def _has_pull_handler(self):
        flow_cls = flow_class(self.env, self.code)
        return bool(flow_cls and flow_cls.has_pull())

    def _job_pull_page(self, page_token=None, run_started=None):
        """Job: pull one page of changes since the watermark, enqueue one inbound message per
        item, then enqueue the next page (so that every page commits on its own). The
        watermark moves only after the last page. Inbound messages the handler enqueued itself
        during this job (``plant.sync.message._enqueue(..., direction="inbound")``, e.g. one per
        page of rows) are scheduled like the items: processed right away, not at the next
        dispatcher run."""
        self.ensure_one()
        flow = self.sudo()
        if not flow.enabled:
            return "flow disabled"
        run_started = run_started or fields.Datetime.to_string(fields.Datetime.now())
        flow_cls = flow_class(self.env, flow.code)
        if not (flow_cls and flow_cls.has_pull()):
            return "this flow has no pull"
        Message = self.env["plant.sync.message"]
        # messages the handler enqueues itself (e.g. one per page of rows) are scheduled too
        last_id = Message.sudo().search([], order="id desc", limit=1).id or 0
        try:
            with self.env.cr.savepoint():
                page = flow_cls(flow=flow).pull(
                    since=flow.watermark_date, token=flow.watermark_token, page_token=page_token
                )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a retry or an exception
            return flow._pull_failed(exc)
        if not isinstance(page, BatchPage):
            page = BatchPage(**page)
        messages = Message.sudo().search(
            [
                ("id", ">", last_id),
                ("flow_id", "=", flow.id),
                ("direction", "=", "inbound"),
                ("state", "=", "pending"),
                ("job_uuid", "=", False),
            ]
        )
        for item in page.items:
            messages |= Message._enqueue(
                flow,
                item.get("record"),
                item.get("payload") or {},
                key_parts=tuple(item["key"]),
                direction="inbound",
            )
        # pulled items are applied right away (a redelivered item is its existing message)
        messages.sudo().filtered(lambda m: m.state == "pending" and not m.job_uuid)._schedule()
        if page.next_page_token:
            flow.with_delay(
                **flow._job_options(description=f"Plant Sync pull {flow.display_name}")
            )._job_pull_page(page_token=page.next_page_token, run_started=run_started)
        else:
            flow.write(
                {
                    "watermark_date": page.watermark_date or run_started,
                    "watermark_token": page.watermark_token or flow.watermark_token,
                }
            )
        return f"{len(page.items)} items, next page: {bool(page.next_page_token)}"

    def _pull_failed(self, exc, record=None):
        """A pull (or another job of this flow) that cannot go on. Transient errors retry the
        job until its retries are used up; everything else — and the last retry — becomes an
        exception with its fix (a missing mapping or set-up, refused logon...): the job ends
        without a traceback, the next run tries again."""
        self.ensure_one()
        if isinstance(exc, psycopg2.OperationalError) and exc.pgcode in PG_CONCURRENCY:
            raise exc  # queue_job retries concurrency errors itself
        attempt, last = job_attempt(self.env)
        if isinstance(exc, RetryableJobError):
            if exc.ignore_retry or not last:
                raise exc
            transient = True
        else:
            outcome = outcome_of(exc)
            transient = outcome.transient
            if transient and not last:
                raise RetryableJobError(
                    outcome.human,
                    seconds=int(outcome.retry_after) if outcome.retry_after else None,
                ) from exc
        exception = self.env["plant.sync.exception"]._report_error(
            exc, flow=self, record=record, exhausted=transient, attempts=attempt
        )
        _logger.info("plant_sync: flow %s could not run: %s", self.id, exception.name)
        return f"failed: {exception.name}"

    def action_open_messages(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "plant_sync_base.action_plant_sync_message"
        )
        action["domain"] = [("flow_id", "=", self.id)]
        action["context"] = {}
        return action

    def _related_action_open_flow(self):
        """queue_job related action of pull jobs: open the flow."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
        }
