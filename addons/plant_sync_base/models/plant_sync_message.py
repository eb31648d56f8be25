# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The message log and the sync engine.

Every exchange with an external system is one ``plant.sync.message``. Outbound messages are
created by :meth:`PlantSyncMessage._enqueue` in the caller's transaction and processed by a
queue_job job (visible to the job runner only after commit). The job runs the message's flow
(:mod:`..flow`: one registered class per flow code) and turns its outcome into a message state:

* success → ``done`` (or ``sent``), binding written, open exceptions resolved;
* :class:`~odoo.addons.plant_sync_base.exceptions.MissingMapping` → ``held`` until the mapping
  is saved (which releases it);
* transient error → ``RetryableJobError`` (backoff: the error's ``retry_after`` or the job
  function's retry pattern); after ``max_retries`` attempts it is retried once a minute (or
  after the server's Retry-After, at least 10 s) until
  the flow's ``retry_minutes`` have passed since its first attempt, then → ``failed`` + exception;
* permanent error → ``failed`` + exception (no retry).
"""

import json
import logging
import random
import time
from datetime import timedelta

import psycopg2
import psycopg2.extras
from odoo import api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, mute_logger
from odoo.tools.misc import clean_context
from psycopg2 import errorcodes

from plant_sync.crypto import SecretBox, redact
from plant_sync.errors import ConfigurationError, LockConflict, outcome_of
from plant_sync.idempotency import make_key, new_correlation_id

from ..exceptions import MissingConfiguration, MissingMapping, PlantSyncBusinessError
from ..flow import flow_class
from ..tools import (
    IMPORT_CONTEXT_KEY,
    HandlerResult,
    ImportFlag,
    dumps,
    import_flag,
    secret_box,
)

_logger = logging.getLogger(__name__)

ADMIN = "plant_sync_base.group_plant_sync_admin"
ACTIVE_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")
PG_CONCURRENCY = (
    errorcodes.LOCK_NOT_AVAILABLE,
    errorcodes.SERIALIZATION_FAILURE,
    errorcodes.DEADLOCK_DETECTED,
)
ORDER_WAIT_SECONDS = 10
RECORD_BUSY_SECONDS = 5
#: past ``max_retries``, a transiently failing message is tried once per this many seconds,
#: or after the server's Retry-After when it gives one (at least ``RETRY_AFTER_FLOOR``)
SLOW_RETRY_SECONDS = 60
RETRY_AFTER_FLOOR = 10
#: back-off when the job function declares no retry pattern
DEFAULT_BACKOFF_SECONDS = 10


class ConcurrentEnqueue(psycopg2.errors.SerializationFailure):
    """Another transaction committed a message with the same idempotency key after our snapshot
    was taken: the transaction must be retried (Odoo's request ``retrying`` and queue_job both
    retry serialization failures); the retry finds and returns the existing message."""

    pgcode = errorcodes.SERIALIZATION_FAILURE


class PlantSyncMessage(models.Model):
    _name = "plant.sync.message"
    _description = "Plant Sync Message"
    _order = "id desc"
    _rec_names_search = ["correlation_id", "idempotency_key", "external_id"]

    backend_id = fields.Many2one(
        "plant.sync.backend", required=True, ondelete="cascade", index=True, readonly=True
    )
    # cascade so that uninstalling a flow addon (its flow codes go) can remove its history;
    # deleting a backend or flow that has messages from the UI is refused by their ondelete
    flow_id = fields.Many2one(
        "plant.sync.flow", required=True, ondelete="cascade", index=True, readonly=True
    )
    flow_code = fields.Selection(related="flow_id.code", store=True, string="Flow Code")
    company_id = fields.Many2one("res.company", index=True, readonly=True)
    direction = fields.Selection(
        [("outbound", "Outbound"), ("inbound", "Inbound")], required=True, readonly=True
    )
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("held", "Held (mapping)"),
            ("sent", "Sent"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="pending",
        required=True,
        index=True,
        readonly=True,
    )
    correlation_id = fields.Char(
        index=True,
        readonly=True,
        copy=False,
        help="Carried in outbound headers/fields and back: ties remote logs to this message.",
    )
    idempotency_key = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        help="Names the business effect: every retry or duplicate computes the same key.",
    )
    key_source = fields.Char(string="Key Parts", readonly=True, copy=False)
    plant_code = fields.Char(string="Plant", readonly=True, index="btree_not_null")
    attempts = fields.Integer(readonly=True, copy=False, aggregator="sum")
    max_attempts = fields.Integer(related="flow_id.max_retries", string="Max Attempts")
    date_first_attempt = fields.Datetime(readonly=True, copy=False)
    checkpoint = fields.Json(
        readonly=True,
        copy=False,
        help="Remote steps already done by an earlier attempt (kept across retries).",
    )
    date_last_attempt = fields.Datetime(readonly=True, copy=False)
    next_retry_date = fields.Datetime(readonly=True, copy=False)
    date_done = fields.Datetime(readonly=True, copy=False)
    duration_ms = fields.Integer(
        string="Duration (ms)", readonly=True, copy=False, aggregator="avg"
    )
    error_category = fields.Selection(
        [
            ("technical", "Technical"),
            ("mapping", "Mapping"),
            ("validation", "Validation"),
            ("business", "Business"),
        ],
        readonly=True,
        copy=False,
    )
    error_human = fields.Text(string="Error", readonly=True, copy=False)
    error_technical = fields.Text(string="Technical Detail", readonly=True, copy=False)
    hold_mapping_type = fields.Char(readonly=True, copy=False, index="btree_not_null")
    hold_direction = fields.Char(readonly=True, copy=False)
    hold_value = fields.Char(readonly=True, copy=False)
    hold_reason = fields.Char(readonly=True, copy=False)
    hold_label = fields.Char(
        string="Missing Mapping",
        compute="_compute_hold_label",
        store=True,
        index="btree_not_null",
        help="The mapping a held message waits for: held messages are grouped by it.",
    )
    request_payload = fields.Text(readonly=True, copy=False)
    response_payload = fields.Text(readonly=True, copy=False)
    request_payload_display = fields.Text(string="Request", compute="_compute_payload_display")
    response_payload_display = fields.Text(string="Response", compute="_compute_payload_display")
    res_model = fields.Char(string="Odoo Model", readonly=True, index=True)
    res_id = fields.Many2oneReference(
        string="Odoo Record ID", model_field="res_model", readonly=True, index=True
    )
    res_ref = fields.Reference(
        selection="_selection_res_ref", string="Odoo Record", compute="_compute_res_ref"
    )
    external_id = fields.Char(readonly=True, copy=False, index="btree_not_null")
    job_uuid = fields.Char(string="Job UUID", readonly=True, copy=False, index="btree_not_null")
    job_id = fields.Many2one("queue.job", compute="_compute_job_id", string="Job")
    job_state = fields.Char(compute="_compute_job_id", string="Job State")
    exception_ids = fields.One2many("plant.sync.exception", "message_id", string="Exceptions")

    _sql_constraints = [
        (
            "idempotency_key_unique",
            "UNIQUE (idempotency_key)",
            "A message with this idempotency key already exists.",
        ),
    ]

    def init(self):
        # ordering check: "is there an older unfinished message for the same record?"
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS plant_sync_message_record_order_idx "
            "ON plant_sync_message (backend_id, res_model, res_id, id) "
            "WHERE state IN ('pending', 'held')"
        )

    # ---------------------------------------------------------------------------------------
    # computes
    # ---------------------------------------------------------------------------------------
    @api.depends("flow_code", "direction")
    def _compute_display_name(self):
        labels = dict(self._fields["flow_code"]._description_selection(self.env))
        for message in self:
            label = labels.get(message.flow_code, message.flow_code or "")
            message.display_name = f"{label} #{message.id or ''}".strip()

    @api.model
    def _selection_res_ref(self):
        return [(m.model, m.name) for m in self.env["ir.model"].sudo().search([])]

    @api.depends("res_model", "res_id")
    def _compute_res_ref(self):
        for message in self:
            if message.res_model in self.env and message.res_id:
                message.res_ref = f"{message.res_model},{message.res_id}"
            else:
                message.res_ref = False

    @api.depends("hold_mapping_type", "hold_direction", "hold_value", "backend_id")
    def _compute_hold_label(self):
        Exception_ = self.env["plant.sync.exception"]
        types = dict(
            self.env["plant.sync.mapping"]._fields["mapping_type"]._description_selection(self.env)
        )
        for message in self:
            if not message.hold_mapping_type:
                message.hold_label = False
                continue
            values = {
                "type": types.get(message.hold_mapping_type, message.hold_mapping_type),
                "value": message.hold_value,
                "backend": message.backend_id.sudo().name,
            }
            record = Exception_._record_of_key(message.hold_value)
            if message.hold_direction == "inbound":
                label = self.env._("%(type)s '%(value)s' from %(backend)s", **values)
            elif record:
                values["value"] = Exception_._record_label(record)
                label = self.env._("%(type)s of %(value)s for %(backend)s", **values)
            else:
                label = self.env._("%(type)s of '%(value)s' for %(backend)s", **values)
            message.hold_label = label

    @api.depends("job_uuid")
    def _compute_job_id(self):
        uuids = [u for u in self.mapped("job_uuid") if u]
        jobs = {}
        if uuids:
            jobs = {j.uuid: j for j in self.env["queue.job"].sudo().search([("uuid", "in", uuids)])}
        for message in self:
            job = jobs.get(message.job_uuid)
            message.job_id = job or False
            message.job_state = job.state if job else False

    @api.depends("request_payload", "response_payload")
    @api.depends_context("uid")
    def _compute_payload_display(self):
        is_admin = self.env.user.has_group(ADMIN)
        box = None
        for message in self:
            for stored, display in (
                ("request_payload", "request_payload_display"),
                ("response_payload", "response_payload_display"),
            ):
                value = message[stored]
                if value and SecretBox.is_encrypted(value):
                    if not is_admin:
                        value = self.env._("(encrypted)")
                    else:
                        try:
                            box = box or secret_box()
                            value = box.decrypt(value)
                        except ConfigurationError:
                            value = self.env._("(encrypted with an unknown key)")
                message[display] = _pretty(value)

    # ---------------------------------------------------------------------------------------
    # the message log is written by the engine only (states, payloads, bindings to records)
    # ---------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        self._check_engine_write()
        return super().create(vals_list)

    def write(self, vals):
        self._check_engine_write()
        return super().write(vals)

    def _check_engine_write(self):
        """Messages are created by ``_enqueue`` and changed by the engine and the checked
        buttons, all in superuser mode: nobody creates or edits one directly (an inbound message
        would be processed as superuser)."""
        if not self.env.su:
            raise AccessError(
                self.env._("Sync messages are created and changed by the integration only.")
            )

    # ---------------------------------------------------------------------------------------
    # enqueue (the entry point of every flow)
    # ---------------------------------------------------------------------------------------
    @api.model
    def _enqueue(
        self,
        flow,
        record=None,
        payload=None,
        key_parts=(),
        direction="outbound",
        *,
        backend=None,
        plant=None,
        correlation_id=None,
        eta=None,
    ):
        """Create (or get) the message(s) of ``flow`` for ``record`` and schedule them.

        :param flow: a flow code (every enabled flow with that code for the record's company and
            ``plant``) or a ``plant.sync.flow`` record
        :param record: the Odoo record the message is about (or None)
        :param payload: JSON-serialisable dict (stored redacted of secrets)
        :param key_parts: what identifies the business effect; same parts → same message
            (deduplicated with a unique key in the database). Empty: a new message each time.
        :param direction: 'outbound' (Odoo → remote) or 'inbound' (remote → Odoo)
        :return: the messages (existing ones for duplicates); empty when no flow is enabled or
            when this is the echo of an import of the same backend.
        """
        if direction not in ("outbound", "inbound"):
            raise ValueError(f"Unknown direction {direction!r}")
        if record is not None and record is not False:
            record.ensure_one()
        Flow = self.env["plant.sync.flow"].sudo()
        if isinstance(flow, str):
            company = None
            if record and "company_id" in record._fields and record.company_id:
                company = record.company_id
            flows = Flow._find(
                flow, company=company or self.env.company, backend=backend, plant=plant
            )
        else:
            flows = flow.sudo().filtered(lambda f: f.enabled and f._allows_plant(plant))
        importing = import_flag(self.env)  # only engine code sets it (not a caller's context)
        # no default_* keys of the caller's context leak into messages
        Message = self.with_env(self.env(context=clean_context(self.env.context))).sudo()
        messages = Message.browse()
        for flow_rec in flows:
            backend_rec = flow_rec.backend_id
            if direction == "outbound" and importing and importing in (True, backend_rec.id):
                continue  # data we are importing from this backend is not exported back
            parts = tuple(key_parts) if key_parts else (new_correlation_id(),)
            vals = {
                "backend_id": backend_rec.id,
                "flow_id": flow_rec.id,
                "company_id": (backend_rec.company_id or self.env.company).id,
                "direction": direction,
                "idempotency_key": make_key(backend_rec.id, flow_rec.code, direction, *parts),
                "key_source": " / ".join(str(p) for p in parts)[:255],
                "correlation_id": correlation_id or new_correlation_id(),
                "plant_code": plant or False,
                "request_payload": Message._encode_payload(backend_rec, payload),
            }
            if record:
                vals.update(res_model=record._name, res_id=record.id)
            message, created = Message._create_or_get(vals)
            if created and flow_rec.mode == "realtime":
                message._schedule(eta=eta)
            messages |= message
        return messages.with_env(self.env)

    @api.model
    def _create_or_get(self, vals):
        """One message per idempotency key, also under concurrency (unique index)."""
        key = vals["idempotency_key"]
        existing = self.search([("idempotency_key", "=", key)], limit=1)
        if existing:
            return existing, False
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                message = self.create(vals)
        except psycopg2.errors.UniqueViolation:
            existing = self.search([("idempotency_key", "=", key)], limit=1)
            if existing:
                return existing, False
            raise ConcurrentEnqueue(
                f"plant.sync.message with key {key} was created concurrently; retrying"
            ) from None
        return message, True

    @api.model
    def _encode_payload(self, backend, data):
        if data is None or data is False:
            return False
        if isinstance(data, str):
            text = redact(data, backend._secret_values())
        else:
            text = dumps(redact(data, backend._secret_values()))
        if backend.encrypt_payloads:
            text = secret_box().encrypt(text)
        return text

    def _get_payload(self):
        """The request payload as a dict (decrypted when the backend encrypts payloads)."""
        self.ensure_one()
        return _decode(self.sudo().request_payload)

    def _get_response(self):
        self.ensure_one()
        return _decode(self.sudo().response_payload)

    def _record(self):
        """The Odoo record the message is about (empty recordset when none or deleted)."""
        self.ensure_one()
        if not self.res_model or self.res_model not in self.env:
            return None
        return self.env[self.res_model].browse(self.res_id).exists()

    # ---------------------------------------------------------------------------------------
    # scheduling
    # ---------------------------------------------------------------------------------------
    def _schedule(self, eta=None):
        """Enqueue the processing job of pending messages. While the backend is degraded the
        message is only stored: the drain cron sends it at the configured rate later."""
        for message in self:
            if message.state != "pending" or message.backend_id._circuit_is_open():
                continue
            job = message.with_delay(
                **message.flow_id._job_options(
                    eta=eta,
                    identity_key=f"plant_sync_message_{message.id}",
                    description=f"Plant Sync: {message.display_name}",
                )
            )._job_process()
            if job is not None and message.job_uuid != job.uuid:
                message.job_uuid = job.uuid

    @api.model
    def _stored_without_job(self, backend, limit, flow=None):
        """Pending messages of ``backend`` without a live job and without an open exception
        (a human decides about those), oldest first."""
        query = SQL(
            """
            SELECT m.id FROM plant_sync_message m
              JOIN plant_sync_flow f ON f.id = m.flow_id
             WHERE m.backend_id = %(backend)s AND m.state = 'pending'
               AND (%(flow)s IS NULL OR m.flow_id = %(flow)s)
               AND (f.mode = 'realtime' OR %(flow)s IS NOT NULL)
               AND NOT EXISTS (
                    SELECT 1 FROM queue_job j
                     WHERE j.uuid = m.job_uuid AND j.state IN %(active)s)
               AND NOT EXISTS (
                    SELECT 1 FROM plant_sync_exception e
                     WHERE e.message_id = m.id AND e.state IN ('new', 'in_progress'))
             ORDER BY m.id
             LIMIT %(limit)s
            """,
            backend=backend.id,
            flow=flow.id if flow else None,
            active=ACTIVE_JOB_STATES,
            limit=limit,
        )
        self.env.flush_all()
        self.env.cr.execute(query)
        return self.sudo().browse([row[0] for row in self.env.cr.fetchall()])

    # ---------------------------------------------------------------------------------------
    # the job
    # ---------------------------------------------------------------------------------------
    def _job_process(self):
        """Job: process one message (see the module docstring)."""
        self.ensure_one()
        return self.sudo()._process()

    def _process(self):
        self.ensure_one()
        if self.state != "pending":
            return f"nothing to do: message is {self.state}"
        cr = self.env.cr
        # one job at a time per message (a drained duplicate job waits and then skips)
        cr.execute(
            "SELECT id FROM plant_sync_message WHERE id = %s FOR NO KEY UPDATE NOWAIT", (self.id,)
        )
        backend = self.backend_id
        if self.res_model and self.res_id:
            # per-record serialisation: never two messages of one record at once, never out
            # of order
            if not backend._lock("record", self.res_model, self.res_id, wait=False):
                raise RetryableJobError(
                    "Another message of the same record is being processed",
                    seconds=RECORD_BUSY_SECONDS,
                    ignore_retry=True,
                )
            older = self.search(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "=", self.res_model),
                    ("res_id", "=", self.res_id),
                    ("state", "in", ("pending", "held")),
                    ("id", "<", self.id),
                ],
                limit=1,
                order="id",
            )
            if older:
                raise RetryableJobError(
                    f"Waiting for the older message {older.id} of the same record",
                    seconds=ORDER_WAIT_SECONDS,
                    ignore_retry=True,
                )
        if not backend._circuit_allows():
            raise RetryableJobError(
                "Backend degraded: message stored until it recovers",
                seconds=backend._circuit_delay(self),
                ignore_retry=True,
            )
        target = self
        if self.direction == "inbound":
            target = self.with_context(**{IMPORT_CONTEXT_KEY: ImportFlag(backend.id)})
        flow_cls = flow_class(self.env, self.flow_code)
        now = fields.Datetime.now()
        self.write(
            {
                "attempts": self.attempts + 1,
                "date_first_attempt": self.date_first_attempt or now,
                "date_last_attempt": now,
            }
        )
        if flow_cls is None:
            exc = MissingConfiguration(
                self.env._(
                    "The flow %(flow)s has no implementation in this database — install the "
                    "addon that provides it, or disable the flow.",
                    flow=self.flow_id.display_name,
                ),
                code=f"no flow registered for {self.flow_code}",
                fix={"kind": "flow", "model": self.flow_id._name, "res_id": self.flow_id.id},
            )
            return self._fail(outcome_of(exc), exc=exc)
        started = time.monotonic()
        flow = flow_cls(target)
        try:
            with cr.savepoint():
                result = HandlerResult.coerce(flow.run())
        except MissingMapping as exc:
            return self._hold(exc)
        except psycopg2.OperationalError as exc:
            if exc.pgcode in PG_CONCURRENCY:
                raise  # queue_job retries concurrency errors itself
            return self._on_error(exc, started, flow.checkpoint)
        except RetryableJobError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message outcome
            return self._on_error(exc, started, flow.checkpoint)
        return self._succeed(result, started)

    def _duration(self, started):
        return int((time.monotonic() - started) * 1000)

    def _succeed(self, result, started):
        backend = self.backend_id
        vals = {
            "state": result.state if result.state in ("sent", "done") else "done",
            "duration_ms": self._duration(started),
            "date_done": fields.Datetime.now(),
            "next_retry_date": False,
            "error_category": False,
            "error_human": False,
            "error_technical": False,
        }
        if result.response is not None:
            vals["response_payload"] = self._encode_payload(backend, result.response)
        if result.external_id:
            vals["external_id"] = str(result.external_id)
            record = self._record()
            if record and result.doc_type:
                backend._bind(record, result.external_id, result.version, result.doc_type)
        self.write(vals)
        self.exception_ids.filtered(lambda e: e.state in ("new", "in_progress"))._resolve(
            self.env._("Resolved: the message was processed successfully.")
        )
        backend._circuit_record_success()
        return f"{vals['state']} in {vals['duration_ms']} ms"

    def _on_error(self, exc, started, checkpoint=None):
        if checkpoint and checkpoint != (self.checkpoint or {}):
            self.checkpoint = checkpoint  # kept for the next attempt (also a manual retry)
        outcome = outcome_of(exc)
        secrets = self.backend_id._secret_values()
        outcome.human = redact(outcome.human, secrets)
        outcome.technical = redact(outcome.technical, secrets)
        duration = self._duration(started)
        if not outcome.transient:
            # the remote answered: it is reachable even if it refused this message
            self.backend_id._circuit_record_success()
            return self._fail(outcome, duration=duration, exc=exc)
        # a lock conflict is an answer: the remote is up, only this document is busy
        health = not isinstance(exc, LockConflict)
        counted = self.backend_id._circuit_record_failure() if health else False
        slow = self.attempts >= self.flow_id.max_retries
        if slow and not self._may_keep_retrying():
            if counted is None:
                self.env.cr.postcommit.add(self.backend_id._circuit_count_after_commit())
            return self._fail(outcome, duration=duration, exc=exc, exhausted=True)
        seconds = int(outcome.retry_after) if outcome.retry_after else self._backoff_seconds()
        if slow:
            seconds = (
                max(seconds, RETRY_AFTER_FLOOR)
                if outcome.retry_after
                else max(seconds, SLOW_RETRY_SECONDS)
            )
        vals = {
            "attempts": self.attempts,
            "checkpoint": self.checkpoint or False,
            "date_first_attempt": self.date_first_attempt,
            "date_last_attempt": self.date_last_attempt,
            "duration_ms": duration,
            "error_category": outcome.category,
            "error_human": outcome.human,
            "error_technical": outcome.technical,
            "next_retry_date": fields.Datetime.now() + timedelta(seconds=seconds),
        }
        self.write(vals)
        self._replay_after_rollback(vals, count_failure=health)
        # past max_retries the job's own retry count stays as it is (queue_job would fail it)
        raise RetryableJobError(outcome.human, seconds=seconds, ignore_retry=slow)

    def _backoff_seconds(self):
        """The job function's retry pattern (declared in XML), applied to the message's own
        attempts: the delay is decided here, so the message shows when it is tried next."""
        functions = self.env["queue.job.function"].sudo()
        pattern = functions.job_config(
            functions.job_function_name(self._name, "_job_process")
        ).retry_pattern
        seconds = DEFAULT_BACKOFF_SECONDS
        for count, delay in sorted((pattern or {}).items()):
            if self.attempts >= count:
                seconds = delay
        if isinstance(seconds, list | tuple):
            seconds = random.randint(*seconds)
        return int(seconds)

    def _may_keep_retrying(self):
        """Within the flow's retry time: a flaky system gets more than ``max_retries`` tries,
        once a minute, before the message is failed and raised to the exception queue."""
        minutes = self.flow_id.retry_minutes
        first = self.date_first_attempt or self.date_last_attempt
        return bool(minutes > 0 and first) and (
            fields.Datetime.now() - first < timedelta(minutes=minutes)
        )

    def _replay_after_rollback(self, message_vals, count_failure=True):
        """queue_job rolls the job's transaction back on RetryableJobError; replay the attempt
        bookkeeping (attempts, last error, the circuit breaker's failure count) right after
        that rollback so that it survives. Cleared automatically when the transaction commits
        instead."""
        cr = self.env.cr
        count = self.backend_id._circuit_count_after_rollback() if count_failure else None
        assignments = SQL(", ").join(
            SQL("%s = %s", SQL.identifier(name), _column_value(value))
            for name, value in message_vals.items()
        )

        def replay():
            if count:
                count()  # first: it sets the new transaction's isolation
            cr.execute(
                SQL(
                    "UPDATE %s SET %s WHERE id = %s",
                    SQL.identifier(self._table),
                    assignments,
                    self.id,
                )
            )

        cr.postrollback.add(replay)

    def _fail(self, outcome, duration=None, exc=None, exhausted=False):
        """Failed + the open exception, in the words of whoever fixes it (see
        ``plant.sync.exception._explain``); the library's text is the technical detail."""
        info = self.env["plant.sync.exception"]._explain(
            exc, message=self, outcome=outcome, exhausted=exhausted, attempts=self.attempts
        )
        secrets = self.backend_id._secret_values()
        human = redact(info["human"], secrets)
        technical = redact(info["technical"], secrets)
        vals = {
            "state": "failed",
            "error_category": info["category"],
            "error_human": human,
            "error_technical": technical,
            "next_retry_date": False,
        }
        if duration is not None:
            vals["duration_ms"] = duration
        self.write(vals)
        extra = {"owner_group": info["owner_group"], "kind": info["kind"], "fix": info["fix"]}
        if isinstance(exc, PlantSyncBusinessError):
            extra.update(amount=exc.amount, currency=exc.currency)
        elif exc is not None and getattr(exc, "payload", None) and isinstance(exc.payload, dict):
            vals_payload = exc.payload
            extra.update(
                {k: vals_payload.get(k) for k in ("amount", "currency") if vals_payload.get(k)}
            )
        self.env["plant.sync.exception"]._raise_for_message(
            self,
            category=vals["error_category"],
            human=human,
            technical=technical,
            **extra,
        )
        return f"failed: {human}"

    def _hold(self, exc):
        info = self.env["plant.sync.exception"]._explain(exc, message=self)
        reason = info["human"]
        self.write(
            {
                "state": "held",
                "attempts": max(self.attempts - 1, 0),  # a hold is not a delivery attempt
                "hold_mapping_type": exc.mapping_type,
                "hold_direction": exc.direction,
                "hold_value": exc.value,
                "hold_reason": reason,
                "error_category": "mapping",
                "error_human": reason,
                "error_technical": info["technical"],
            }
        )
        self.env["plant.sync.exception"]._raise_for_message(
            self,
            category="mapping",
            human=reason,
            technical=info["technical"],
            owner_group="admin",
            kind=info["kind"],
            fix=info["fix"],
        )
        return f"held: {reason}"

    def _release(self):
        """Held → pending and scheduled again (called when the missing mapping is saved)."""
        held = self.filtered(lambda m: m.state == "held")
        held.write(
            {
                "state": "pending",
                "hold_mapping_type": False,
                "hold_direction": False,
                "hold_value": False,
                "hold_reason": False,
            }
        )
        held.exception_ids.filtered(lambda e: e.state == "new").write({"state": "in_progress"})
        held._schedule()
        return held

    # ---------------------------------------------------------------------------------------
    # user actions
    # ---------------------------------------------------------------------------------------
    def action_retry(self):
        """Button: send the messages again (integration administrators: write access)."""
        self.check_access("write")
        return self.sudo()._retry()

    def action_cancel(self, reason=None):
        """Button: cancel the messages (integration administrators: write access)."""
        self.check_access("write")
        return self.sudo()._cancel(reason)

    def _retry(self):
        """Send failed / held / cancelled / stuck pending messages again (fresh attempts)."""
        messages = self.sudo().filtered(lambda m: m.state in ("failed", "held", "pending"))
        messages.write(
            {
                "state": "pending",
                "attempts": 0,
                "date_first_attempt": False,
                "next_retry_date": False,
                "hold_mapping_type": False,
                "hold_direction": False,
                "hold_value": False,
                "hold_reason": False,
            }
        )
        messages.exception_ids.filtered(lambda e: e.state in ("new", "in_progress")).write(
            {"state": "in_progress"}
        )
        messages._schedule()
        return True

    def _cancel(self, reason=None):
        messages = self.sudo().filtered(lambda m: m.state in ("pending", "held", "failed"))
        messages.write({"state": "cancelled"})
        messages.exception_ids.filtered(lambda e: e.state in ("new", "in_progress"))._cancel(
            reason or self.env._("Message cancelled")
        )
        return True

    def action_open_record(self):
        self.ensure_one()
        self.check_access("read")
        if not self._record():
            raise UserError(self.env._("This message is not about an existing record."))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def action_open_job(self):
        self.ensure_one()
        self.check_access("read")
        if not self.job_id:
            raise UserError(self.env._("No job is linked to this message any more."))
        return {
            "type": "ir.actions.act_window",
            "res_model": "queue.job",
            "res_id": self.job_id.id,
            "view_mode": "form",
        }

    def action_fix_hold(self):
        """Button of a held message: the mapping form of its open exception, with the missing
        value filled in (``plant.sync.exception.action_fix``); saving it releases every
        message held for that value. Integration administrators (who maintain mappings)."""
        self.ensure_one()
        self.check_access("read")
        if not self.env.user.has_group(ADMIN):
            raise AccessError(self.env._("Only integration administrators maintain mappings."))
        exception = self.exception_ids.filtered(lambda e: e.state in ("new", "in_progress"))[:1]
        if self.state != "held" or not exception:
            raise UserError(self.env._("This message does not wait for a mapping."))
        return exception.action_fix()

    def _related_action_open_message(self):
        """queue_job related action: open the message (from there, its record)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "name": self.display_name,
        }

    # ---------------------------------------------------------------------------------------
    # housekeeping
    # ---------------------------------------------------------------------------------------
    @api.model
    def _cron_payload_retention(self, batch_size=5000):
        """Blank the payloads of done messages older than the retention period (days,
        ``plant_sync_base.payload_retention_days``; 0 keeps them)."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("plant_sync_base.payload_retention_days", "90")
            or 0
        )
        if days <= 0:
            return 0
        self.env.flush_all()
        limit_date = fields.Datetime.now() - timedelta(days=days)
        total = 0
        while True:
            self.env.cr.execute(
                """
                UPDATE plant_sync_message SET request_payload = NULL, response_payload = NULL
                 WHERE id IN (
                    SELECT id FROM plant_sync_message
                     WHERE state = 'done' AND date_done < %s
                       AND (request_payload IS NOT NULL OR response_payload IS NOT NULL)
                     LIMIT %s)
                """,
                (limit_date, batch_size),
            )
            total += self.env.cr.rowcount
            if self.env.cr.rowcount < batch_size:
                break
        self.invalidate_model(["request_payload", "response_payload"])
        return total

    @api.model
    def _rotate_payloads(self, box):
        count = 0
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id, request_payload, response_payload FROM plant_sync_message "
            "WHERE request_payload LIKE 'fernet:%%' OR response_payload LIKE 'fernet:%%'"
        )
        for message_id, request, response in self.env.cr.fetchall():
            self.env.cr.execute(
                "UPDATE plant_sync_message SET request_payload = %s, response_payload = %s "
                "WHERE id = %s",
                (
                    box.rotate(request) if SecretBox.is_encrypted(request) else request,
                    box.rotate(response) if SecretBox.is_encrypted(response) else response,
                    message_id,
                ),
            )
            count += 1
        self.invalidate_model(["request_payload", "response_payload"])
        return count


def _decode(value):
    if not value:
        return {}
    if SecretBox.is_encrypted(value):
        value = secret_box().decrypt(value)
    try:
        return json.loads(value)
    except ValueError:
        return value


def _pretty(value):
    if not value:
        return value
    try:
        return json.dumps(json.loads(value), indent=2, sort_keys=True, ensure_ascii=False)
    except ValueError:
        return value


def _column_value(value):
    """A field value as a query parameter (False is NULL, dicts are JSON)."""
    if value is False:
        return None
    if isinstance(value, dict):
        return psycopg2.extras.Json(value)
    return value
