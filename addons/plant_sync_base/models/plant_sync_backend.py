# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import dataclasses
import logging
from datetime import timedelta
from urllib.parse import urlsplit

import psycopg2
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv.expression import OR
from odoo.tools import SQL

from plant_sync.errors import ConfigurationError, outcome_of
from plant_sync.urlguard import check_url

from ..tools import (
    IMPORT_CONTEXT_KEY,
    ImportFlag,
    advisory_lock_key,
    refuse_unlink_with_messages,
    secret_box,
)

_logger = logging.getLogger(__name__)

ADMIN = "plant_sync_base.group_plant_sync_admin"


#: the circuit breaker's columns (written with SQL: invalidated after)
CIRCUIT_FIELDS = [
    "consecutive_failures",
    "circuit_state",
    "degraded_since",
    "degraded_until",
    "last_success_date",
]


class PlantSyncBackend(models.Model):
    _name = "plant.sync.backend"
    _description = "Plant Sync Backend (external system)"
    _order = "sequence, name, id"

    #: write-only secret field -> admin-only stored field holding the ciphertext. An addon
    #: declares its own secrets the same way (``_secret_fields`` of its class, both fields);
    #: :meth:`_secret_field_map` merges them.
    _secret_fields = {
        "password": "password_encrypted",
        "api_key": "api_key_encrypted",
        "hmac_key": "hmac_key_encrypted",
    }

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        selection=[],
        required=True,
        help="Which library client talks to this system. The kinds come from addons "
        "(selection_add), each with its settings and a method _get_client_<kind>().",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    environment = fields.Selection(
        [("dev", "Development"), ("test", "Test / Quality"), ("prod", "Production")],
        required=True,
        default="test",
    )
    # --- endpoint ---------------------------------------------------------------------------
    base_url = fields.Char(string="Base URL", help="scheme://host[:port] of the remote system")
    username = fields.Char()
    connect_timeout = fields.Float(default=5.0, help="Seconds to establish a connection")
    read_timeout = fields.Float(default=60.0, help="Seconds to wait for an answer")
    verify_tls = fields.Boolean(string="Verify TLS", default=True)
    allow_loopback = fields.Boolean(
        groups=ADMIN,
        help="Tests and demos only: accept endpoints on this machine (127.0.0.1/localhost) "
        "and plain http.",
    )
    rate_limit_per_minute = fields.Integer(
        string="Drain Rate (msg/min)",
        default=60,
        help="When the backend recovers from an outage, stored messages are sent at most at "
        "this rate.",
    )
    encrypt_payloads = fields.Boolean(
        help="Store request/response payloads of this backend encrypted in the message log."
    )
    # --- flows ------------------------------------------------------------------------------
    flow_ids = fields.One2many("plant.sync.flow", "backend_id", string="Flows")
    active_flow_count = fields.Integer(compute="_compute_active_flow_count")
    # --- secrets: write-only in the UI, ciphertext readable by administrators only -----------
    password = fields.Char(
        compute="_compute_secret_inputs", inverse="_inverse_password", groups=ADMIN
    )
    api_key = fields.Char(
        string="API Key", compute="_compute_secret_inputs", inverse="_inverse_api_key", groups=ADMIN
    )
    hmac_key = fields.Char(
        string="Webhook HMAC Key",
        compute="_compute_secret_inputs",
        inverse="_inverse_hmac_key",
        groups=ADMIN,
    )
    password_encrypted = fields.Char(groups=ADMIN, copy=False, prefetch=False)
    api_key_encrypted = fields.Char(groups=ADMIN, copy=False, prefetch=False)
    hmac_key_encrypted = fields.Char(groups=ADMIN, copy=False, prefetch=False)
    password_set = fields.Boolean(compute="_compute_secret_status", compute_sudo=True)
    api_key_set = fields.Boolean(compute="_compute_secret_status", compute_sudo=True)
    hmac_key_set = fields.Boolean(compute="_compute_secret_status", compute_sudo=True)
    # --- health / circuit breaker ------------------------------------------------------------
    circuit_state = fields.Selection(
        [("closed", "Healthy"), ("open", "Degraded"), ("half_open", "Probing")],
        default="closed",
        required=True,
        readonly=True,
        copy=False,
    )
    circuit_threshold = fields.Integer(
        string="Failures Before Degraded",
        default=5,
        help="Consecutive transient failures that mark the backend degraded (circuit open), "
        "once no call has succeeded for the time set below.",
    )
    circuit_window = fields.Integer(
        string="Degraded After No Success For (s)",
        default=30,
        help="A backend that still answers some calls is flaky, not down: it stays healthy (its "
        "messages are retried with back-off) as long as a call succeeded within these seconds. "
        "0: the consecutive failures alone mark it degraded.",
    )
    circuit_cooldown = fields.Integer(
        string="Cool-down (s)",
        default=60,
        help="Seconds the backend stays degraded before one probe message is tried.",
    )
    consecutive_failures = fields.Integer(readonly=True, copy=False)
    last_success_date = fields.Datetime(string="Last Successful Call", readonly=True, copy=False)
    degraded_since = fields.Datetime(readonly=True, copy=False)
    degraded_until = fields.Datetime(readonly=True, copy=False)
    last_check_date = fields.Datetime(string="Last Connection Test", readonly=True, copy=False)
    last_check_ok = fields.Boolean(readonly=True, copy=False)
    last_check_result = fields.Text(readonly=True, copy=False)
    # --- stalled work (watched by a cron, see "stalled work" below) --------------------------
    health_state = fields.Selection(
        [
            ("healthy", "Healthy"),
            ("degraded", "Degraded"),
            ("probing", "Probing"),
            ("stalled", "Stalled"),
        ],
        string="Health",
        compute="_compute_health_state",
        store=True,
        help="Degraded/Probing: the remote fails (circuit breaker). Stalled: work does not move "
        "(a job running for too long, messages pending past their flow's expected age, a job "
        "channel without progress); an exception for the integration administrators says what.",
    )
    stall_minutes = fields.Integer(
        string="Stalled After (min)",
        default=15,
        help="A job of this backend running longer than this, or a job channel of its flows "
        "with jobs ready to run and no job started or finished for this long, marks the "
        "backend stalled.",
    )
    stalled_since = fields.Datetime(readonly=True, copy=False)
    stall_reason = fields.Text(readonly=True, copy=False)
    stall_exception_id = fields.Many2one(
        "plant.sync.exception", readonly=True, copy=False, index="btree_not_null"
    )
    # --- dashboard counters -----------------------------------------------------------------
    pending_count = fields.Integer(compute="_compute_counters")
    held_count = fields.Integer(compute="_compute_counters")
    failed_count = fields.Integer(compute="_compute_counters")
    done_today_count = fields.Integer(compute="_compute_counters")
    open_exception_count = fields.Integer(compute="_compute_counters")
    color = fields.Integer(compute="_compute_color")

    _sql_constraints = [
        (
            "rate_limit_positive",
            "CHECK (rate_limit_per_minute > 0)",
            "The drain rate must be positive.",
        ),
        (
            "circuit_threshold_positive",
            "CHECK (circuit_threshold > 0)",
            "The failure threshold must be positive.",
        ),
    ]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_messages(self):
        refuse_unlink_with_messages(self, "backend_id")

    # ---------------------------------------------------------------------------------------
    # computes
    # ---------------------------------------------------------------------------------------
    @api.depends("flow_ids.enabled")
    def _compute_active_flow_count(self):
        for backend in self:
            backend.active_flow_count = len(backend.flow_ids.filtered("enabled"))

    def _compute_secret_inputs(self):
        # write-only: the clear value is never read back
        for backend in self:
            for name in self._secret_field_map():
                backend[name] = False

    def _compute_secret_status(self):
        for backend in self:
            for name, stored in self._secret_field_map().items():
                backend[f"{name}_set"] = bool(backend[stored])

    def _compute_counters(self):
        Message = self.env["plant.sync.message"]
        Exception_ = self.env["plant.sync.exception"]
        counts = {}
        if self.ids:
            for backend, state, count in Message._read_group(
                [("backend_id", "in", self.ids), ("state", "in", ("pending", "held", "failed"))],
                ["backend_id", "state"],
                ["__count"],
            ):
                counts[(backend.id, state)] = count
            today = fields.Datetime.to_datetime(fields.Date.context_today(self))
            for backend, count in Message._read_group(
                [
                    ("backend_id", "in", self.ids),
                    ("state", "=", "done"),
                    ("write_date", ">=", today),
                ],
                ["backend_id"],
                ["__count"],
            ):
                counts[(backend.id, "done_today")] = count
            for backend, count in Exception_._read_group(
                [("backend_id", "in", self.ids), ("state", "in", ("new", "in_progress"))],
                ["backend_id"],
                ["__count"],
            ):
                counts[(backend.id, "exceptions")] = count
        for backend in self:
            backend.pending_count = counts.get((backend.id, "pending"), 0)
            backend.held_count = counts.get((backend.id, "held"), 0)
            backend.failed_count = counts.get((backend.id, "failed"), 0)
            backend.done_today_count = counts.get((backend.id, "done_today"), 0)
            backend.open_exception_count = counts.get((backend.id, "exceptions"), 0)

    @api.depends("circuit_state", "stalled_since")
    def _compute_health_state(self):
        states = {"closed": "healthy", "open": "degraded", "half_open": "probing"}
        for backend in self:
            backend.health_state = (
                "stalled" if backend.stalled_since else states.get(backend.circuit_state)
            )

    @api.depends("health_state")
    def _compute_color(self):
        colors = {"healthy": 10, "degraded": 1, "probing": 2, "stalled": 1}
        for backend in self:
            backend.color = colors.get(backend.health_state, 0)

    @api.depends("name", "environment")
    def _compute_display_name(self):
        labels = dict(self._fields["environment"]._description_selection(self.env))
        for backend in self:
            env_label = labels.get(backend.environment)
            backend.display_name = (
                f"{backend.name} ({env_label})" if backend.name and env_label else backend.name
            )

    # ---------------------------------------------------------------------------------------
    # secrets
    # ---------------------------------------------------------------------------------------
    @api.model
    def _secret_field_map(self):
        """Every secret of the model: the ``_secret_fields`` of all its classes (the base's and
        those of the addons that extend it), merged."""
        merged = {}
        for cls in reversed(type(self).__mro__):
            merged.update(vars(cls).get("_secret_fields", {}))
        return merged

    def _set_secret(self, name):
        stored = self._secret_field_map()[name]
        box = None
        for backend in self:
            value = backend[name]
            if not value:
                continue  # an empty input keeps the stored secret
            box = box or self._secret_box_or_raise()
            backend.sudo()[stored] = box.encrypt(value)

    def _inverse_password(self):
        self._set_secret("password")

    def _inverse_api_key(self):
        self._set_secret("api_key")

    def _inverse_hmac_key(self):
        self._set_secret("hmac_key")

    @api.model
    def _secret_box_or_raise(self):
        try:
            return secret_box()
        except ConfigurationError as exc:
            raise UserError(
                self.env._("Secrets cannot be stored: %(error)s", error=exc.message)
            ) from None

    def _get_secret(self, name):
        """Clear value of secret ``name`` (e.g. 'password') for the library client. Engine use
        only: never log it, never return it to the UI."""
        self.ensure_one()
        stored = self.sudo()[self._secret_field_map()[name]]
        if not stored:
            return ""
        return self._secret_box_or_raise().decrypt(stored)

    def _secret_values(self):
        """All clear secrets of the backend, to scrub them from payloads and error texts."""
        self.ensure_one()
        secrets = self._secret_field_map()
        stored = self.sudo().read(list(secrets.values()))[0]
        if not any(stored.get(name) for name in secrets.values()):
            return []
        values = []
        for name in secrets:
            try:
                values.append(self._get_secret(name))
            except UserError:
                continue
        return [v for v in values if v]

    def action_clear_secrets(self):
        self.check_access("write")
        self.sudo().write(dict.fromkeys(self._secret_field_map().values(), False))

    @api.model
    def _check_admin(self):
        if not self.env.is_superuser() and not self.env.user.has_group(ADMIN):
            raise AccessError(self.env._("Only integration administrators can rotate secrets."))

    @api.model
    def _rotate_secrets(self):
        """Re-encrypt every stored secret (and encrypted payload) with the newest key."""
        self._check_admin()
        box = self._secret_box_or_raise()
        secrets = self._secret_field_map()
        backends = (
            self.sudo()
            .with_context(active_test=False)
            .search(OR([[(stored, "!=", False)] for stored in secrets.values()]))
        )
        count = 0
        for backend in backends:
            vals = {}
            for stored in secrets.values():
                if backend[stored]:
                    vals[stored] = box.rotate(backend[stored])
            if vals:
                backend.write(vals)
                count += len(vals)
        count += self.env["plant.sync.message"].sudo()._rotate_payloads(box)
        _logger.info("plant_sync: re-encrypted %d secrets/payloads with the newest key", count)
        return count

    def action_rotate_secrets(self):
        self._check_admin()
        count = self._rotate_secrets()
        return self._notify(
            self.env._("Secrets re-encrypted"),
            self.env._("%(count)s values re-encrypted with the newest key.", count=count),
            "success",
        )

    # ---------------------------------------------------------------------------------------
    # endpoint validation and clients
    # ---------------------------------------------------------------------------------------
    @api.constrains("base_url")
    def _check_urls(self):
        self._check_url_fields(["base_url"])

    def _check_url_fields(self, names):
        """ValidationError when the endpoint guard refuses the URL of one of the fields
        ``names`` (no DNS look-up on save). Addons check their own URL fields with it."""
        for backend in self.sudo():
            for name in names:
                if not backend[name]:
                    continue
                try:
                    backend._check_endpoint(backend[name], resolve=False)
                except ConfigurationError as exc:
                    raise ValidationError(exc.message) from None

    def _check_endpoint(self, url, resolve=True):
        self.ensure_one()
        backend = self.sudo()
        host = urlsplit(url).hostname or ""
        return check_url(
            url,
            allow_loopback_hosts=(host,) if backend.allow_loopback else (),
            allow_http=backend.allow_loopback,
            resolve=resolve,
        )

    def _job_channel(self):
        """Hook: the queue_job channel of this backend's flows (kind addons return theirs, e.g.
        root.plant_sync.sap); empty: the default channel of the settings."""
        return self.env["queue.job.channel"]

    def _client(self):
        """The ``plant_sync`` library client for this backend (dispatch on ``kind``)."""
        self.ensure_one()
        factory = getattr(self.sudo(), f"_get_client_{self.kind}", None)
        if factory is None:
            raise UserError(
                self.env._("No client is available for backends of kind %(kind)s.", kind=self.kind)
            )
        return factory()

    def _release_client(self, client, error=None, reuse=True):
        """Hook: a flow is done with ``client`` (``error``: what its call raised; ``reuse``
        False: never keep it). Closed by default; a kind may keep it for the next message
        (see plant_sync_sap)."""
        close = getattr(client, "close", None)
        if close:
            close()

    def action_test_connection(self):
        """Ping the remote system and report what was found."""
        self.ensure_one()
        self.check_access("write")
        backend = self.sudo()
        client = None
        try:
            client = backend._client()
            result = backend._connection_probe(client)
        except UserError as exc:
            ok, details = False, str(exc.args[0] if exc.args else exc)
        except Exception as exc:  # noqa: BLE001 - any failure is reported to the admin
            outcome = outcome_of(exc)
            ok = False
            details = f"{outcome.human}\n({outcome.technical})"
        else:
            ok = True
            details = self._format_ping(result)
        finally:
            if client is not None:
                backend._release_client(client, reuse=False)  # a probe starts afresh
        from plant_sync.crypto import redact  # noqa: PLC0415

        details = redact(details, backend._secret_values())
        backend.write(
            {
                "last_check_date": fields.Datetime.now(),
                "last_check_ok": ok,
                "last_check_result": details,
            }
        )
        if ok:
            return self._notify(self.env._("Connection OK"), details, "success")
        return self._notify(self.env._("Connection failed"), details, "danger")

    def _connection_probe(self, client):
        """A cheap call that proves reachability and logon: the client's ``ping()``. Addons
        whose clients have none override it for their kinds."""
        ping = getattr(client, "ping", None)
        if ping is not None:
            return ping() or {"ping": "OK"}
        raise UserError(self.env._("This client offers no connection test."))

    def _system_label(self):
        """How users call the remote system in messages ('SAP', 'CMMS'...): the backend's name
        here; addons answer for their kinds."""
        self.ensure_one()
        return self.name or ""

    @staticmethod
    def _format_ping(result):
        if isinstance(result, dict):
            return "\n".join(f"{key}: {value}" for key, value in result.items()) or "OK"
        if dataclasses.is_dataclass(result):
            return "\n".join(f"{k}: {v}" for k, v in dataclasses.asdict(result).items())
        return str(result or "OK")

    def _notify(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": kind == "danger",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ---------------------------------------------------------------------------------------
    # bindings (thin wrappers: the contract other addons use)
    # ---------------------------------------------------------------------------------------
    def _bind(self, record, external_id, version=None, doc_type="main"):
        self.ensure_one()
        return self.env["plant.sync.binding"]._bind(self, record, external_id, version, doc_type)

    def _bind_many(self, links, doc_type="main"):
        self.ensure_one()
        return self.env["plant.sync.binding"]._bind_many(self, links, doc_type)

    def _external_id_for(self, record, doc_type="main"):
        self.ensure_one()
        return self.env["plant.sync.binding"]._external_id_for(self, record, doc_type)

    def _record_for(self, model, external_id, doc_type="main"):
        self.ensure_one()
        return self.env["plant.sync.binding"]._record_for(self, model, external_id, doc_type)

    def _import_context(self):
        """Context for writing data received from this backend (no echo as an export). Only
        honoured in superuser mode (see ``tools.import_flag``)."""
        self.ensure_one()
        return {IMPORT_CONTEXT_KEY: ImportFlag(self.id)}

    def _lock(self, *parts, wait=True):
        """PostgreSQL advisory transaction lock on (backend, *parts). Returns False when
        ``wait`` is False and the lock is held by another transaction."""
        self.ensure_one()
        key = advisory_lock_key("plant_sync", self.id, *parts)
        if wait:
            self.env.cr.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
            return True
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,))
        return self.env.cr.fetchone()[0]

    # ---------------------------------------------------------------------------------------
    # circuit breaker
    # ---------------------------------------------------------------------------------------
    def _circuit_allows(self):
        """May a message be sent now? Closed: yes. Open: no until the cool-down has passed; then
        the caller becomes the single half-open probe (the cool-down restarts so that no second
        probe runs meanwhile)."""
        self.ensure_one()
        if self.circuit_state == "closed":
            return True
        now = fields.Datetime.now()
        if self.degraded_until and now < self.degraded_until:
            return False
        self.write(
            {
                "circuit_state": "half_open",
                "degraded_until": now + timedelta(seconds=self.circuit_cooldown or 60),
            }
        )
        return True

    def _circuit_is_open(self):
        self.ensure_one()
        if self.circuit_state == "closed":
            return False
        return bool(self.degraded_until and fields.Datetime.now() < self.degraded_until)

    def _circuit_record_failure(self):
        """Count one transient failure in the current transaction and open the circuit at the
        threshold (or when the half-open probe failed). One atomic statement, so jobs failing
        at the same time each count; a job whose snapshot is older than another job's count
        skips it here (no serialization failure for a counter) and returns None: the count it
        owes is made by :meth:`_circuit_count_after_rollback` once queue_job rolled the job
        back, or by :meth:`_circuit_count_after_commit` when the job ends."""
        self.ensure_one()
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False):
                state = self._circuit_count(quiet=True)
        except psycopg2.errors.SerializationFailure:
            state = None
        self.invalidate_recordset(CIRCUIT_FIELDS)
        return state

    def _circuit_count_after_rollback(self):
        """queue_job rolls a retried job back, and the failure count with it: count it again
        right after the rollback, first thing of the next transaction, read committed (the
        counts of concurrent jobs are seen, never a serialization failure)."""
        self.ensure_one()
        cr = self.env.cr

        def count():
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            self._circuit_count()

        return count

    def _circuit_count_after_commit(self, success=False):
        """The count (failure, or ``success``) a job could not make in its transaction, made in
        a transaction of its own once the job's committed (its row locks released)."""
        self.ensure_one()
        registry = self.env.registry
        statement = self._circuit_count_success if success else self._circuit_count

        def count():
            with registry.cursor() as cr:
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                statement(cr)  # uses only the backend's id and the given cursor

        return count

    def _circuit_count(self, cr=None, quiet=False):
        """The counting statement, on ``cr`` (default: the current transaction's); ``quiet``:
        a serialization failure is expected by the caller, not an error to log."""
        cr = cr or self.env.cr
        now = fields.Datetime.now()
        cr.execute(
            SQL(
                """
                UPDATE plant_sync_backend SET
                  consecutive_failures = COALESCE(consecutive_failures, 0) + 1,
                  circuit_state = CASE WHEN %(opens)s THEN 'open' ELSE circuit_state END,
                  degraded_since = CASE WHEN %(opens)s AND circuit_state = 'closed'
                                        THEN %(now)s ELSE degraded_since END,
                  degraded_until = CASE WHEN %(opens)s
                                        THEN %(now)s + make_interval(
                                            secs => COALESCE(NULLIF(circuit_cooldown, 0), 60))
                                        ELSE degraded_until END
                 WHERE id = %(id)s
                RETURNING consecutive_failures, circuit_state, degraded_since = %(now)s
                """,
                opens=SQL(
                    """(circuit_state = 'half_open' OR (
                         COALESCE(consecutive_failures, 0) + 1 >=
                             GREATEST(COALESCE(circuit_threshold, 1), 1)
                         AND (COALESCE(circuit_window, 0) <= 0 OR last_success_date IS NULL
                              OR last_success_date < %(now)s - make_interval(
                                  secs => circuit_window))))""",
                    now=now,
                ),
                now=now,
                id=self.id,
            ),
            log_exceptions=not quiet,
        )
        failures, state, opened = cr.fetchone()
        if opened:
            _logger.warning(
                "plant_sync: backend %s degraded after %d consecutive failures", self.id, failures
            )
        return state

    def _circuit_record_success(self):
        """A call answered. Closed circuit: reset the failure count and stamp the success time
        with one statement, skipped while nothing changes (no contention on the backend row
        for every message); a job whose snapshot is older than another job's count makes it
        in a transaction of its own once committed. Open or probing: close and drain."""
        self.ensure_one()
        if self.circuit_state == "closed":
            now = fields.Datetime.now()
            fresh = self.last_success_date and (now - self.last_success_date) < timedelta(
                seconds=max(self.circuit_window // 3, 1)
            )
            if fresh and not self.consecutive_failures:
                return False
            self.env.flush_all()
            try:
                with self.env.cr.savepoint(flush=False):
                    self._circuit_count_success(self.env.cr, quiet=True)
            except psycopg2.errors.SerializationFailure:
                self.env.cr.postcommit.add(self._circuit_count_after_commit(success=True))
            self.invalidate_recordset(CIRCUIT_FIELDS)
            return False
        self.write(
            {
                "circuit_state": "closed",
                "consecutive_failures": 0,
                "degraded_since": False,
                "degraded_until": False,
                "last_success_date": fields.Datetime.now(),
            }
        )
        _logger.info("plant_sync: backend %s recovered, draining stored messages", self.id)
        self._drain()
        return True

    def _circuit_count_success(self, cr, quiet=False):
        cr.execute(
            SQL(
                "UPDATE plant_sync_backend SET consecutive_failures = 0, last_success_date = %s"
                " WHERE id = %s AND circuit_state = 'closed'",
                fields.Datetime.now(),
                self.id,
            ),
            log_exceptions=not quiet,
        )

    def _circuit_delay(self, message=None):
        """Seconds to postpone a message while the circuit is open: the rest of the cool-down
        plus its place in the backlog at the drain rate (no thundering herd on recovery)."""
        self.ensure_one()
        now = fields.Datetime.now()
        remaining = (
            max((self.degraded_until - now).total_seconds(), 0) if self.degraded_until else 0
        )
        ahead = 0
        if message:
            ahead = self.env["plant.sync.message"].search_count(
                [("backend_id", "=", self.id), ("state", "=", "pending"), ("id", "<", message.id)]
            )
        return int(remaining + 1 + ahead * 60.0 / max(self.rate_limit_per_minute, 1))

    def action_reset_circuit(self):
        self.check_access("write")
        for backend in self.sudo():
            backend._circuit_record_success()

    # ---------------------------------------------------------------------------------------
    # store-and-forward drain
    # ---------------------------------------------------------------------------------------
    def _drain(self, period_minutes=1):
        """Enqueue stored messages (pending, no live job) at the drain rate: at most
        ``rate_limit_per_minute * period_minutes``, spread over the period with ``eta``. While
        degraded only the half-open probe is enqueued once the cool-down is over."""
        total = 0
        for backend in self.sudo():
            if backend._circuit_is_open():
                continue
            limit = backend.rate_limit_per_minute * period_minutes
            if backend.circuit_state != "closed":
                limit = 1
            # jobs already due in this period (postponed by the circuit, drained a moment ago
            # at recovery) use the period's slots: the drain only fills the rest
            scheduled = backend._jobs_due_within(period_minutes)
            messages = self.env["plant.sync.message"]._stored_without_job(
                backend, max(limit - scheduled, 0)
            )
            spacing = 60.0 / backend.rate_limit_per_minute
            for index, message in enumerate(messages, start=scheduled):
                message._schedule(eta=int(index * spacing) or None)
            total += len(messages)
        return total

    def _jobs_due_within(self, minutes):
        """Live jobs of this backend's pending messages due in the next ``minutes``."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT count(*) FROM plant_sync_message m
                  JOIN queue_job j ON j.uuid = m.job_uuid
                 WHERE m.backend_id = %s AND m.state = 'pending'
                   AND j.state IN ('pending', 'enqueued', 'started')
                   AND (j.eta IS NULL OR j.eta < %s)
                """,
                self.id,
                fields.Datetime.now() + timedelta(minutes=minutes),
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _cron_drain(self):
        backends = self.sudo().search([("active", "=", True)])
        return backends._drain()

    # ---------------------------------------------------------------------------------------
    # dashboard actions
    # ---------------------------------------------------------------------------------------
    def _action_messages(self, domain):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "plant_sync_base.action_plant_sync_message"
        )
        action["domain"] = [("backend_id", "=", self.id)] + domain
        action["context"] = {}
        return action

    def action_open_pending(self):
        return self._action_messages([("state", "=", "pending")])

    def action_open_held(self):
        return self._action_messages([("state", "=", "held")])

    def action_open_failed(self):
        return self._action_messages([("state", "=", "failed")])

    def action_open_messages(self):
        return self._action_messages([])

    def action_open_exceptions(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "plant_sync_base.action_plant_sync_exception"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = {"search_default_open": 1}
        return action

    # ---------------------------------------------------------------------------------------
    # stalled work: the backend turns "Stalled" with an exception for the administrators
    # ---------------------------------------------------------------------------------------
    @api.model
    def _cron_watch_stalled(self):
        """Cron: mark the active backends whose work does not move stalled (and back)."""
        backends = self.sudo().search([("active", "=", True)])
        reasons = backends._stall_reasons()
        for backend in backends:
            backend._set_stalled(reasons.get(backend.id, []))
        return reasons

    def _stall_reasons(self):
        """``{backend id: [reason, ...]}``: jobs of the backend started longer ago than its
        ``stall_minutes``; messages pending longer than their flow's ``expected_minutes`` (not
        those waiting for a human in the exception queue); job channels of its enabled flows
        with jobs ready to run and no job started or done for ``stall_minutes``."""
        if not self:
            return {}
        self.env.flush_all()
        cr = self.env.cr
        reasons = {}

        def add(backend_id, text):
            reasons.setdefault(backend_id, []).append(text)

        now = fields.Datetime.now()
        cr.execute(
            """
            WITH started AS (
                SELECT m.backend_id, j.date_started
                  FROM queue_job j JOIN plant_sync_message m ON m.job_uuid = j.uuid
                 WHERE j.state = 'started' AND j.model_name = 'plant.sync.message'
                UNION ALL
                SELECT f.backend_id, j.date_started
                  FROM queue_job j JOIN plant_sync_flow f
                    ON j.records -> 'ids' @> jsonb_build_array(f.id)
                 WHERE j.state = 'started' AND j.model_name = 'plant.sync.flow'
            )
            SELECT s.backend_id, count(*), min(s.date_started)
              FROM started s JOIN plant_sync_backend b ON b.id = s.backend_id
             WHERE b.id IN %(ids)s
               AND s.date_started < %(now)s - make_interval(mins => b.stall_minutes)
             GROUP BY s.backend_id
            """,
            {"ids": tuple(self.ids), "now": now},
        )
        for backend_id, count, since in cr.fetchall():
            add(
                backend_id,
                self.env._(
                    "%(count)s job(s) started at %(since)s UTC still running or left behind by "
                    "a dead worker.",
                    count=count,
                    since=since.replace(microsecond=0),
                ),
            )
        cr.execute(
            """
            SELECT m.backend_id, f.id, count(*), min(m.create_date), f.expected_minutes
              FROM plant_sync_message m JOIN plant_sync_flow f ON f.id = m.flow_id
             WHERE m.backend_id IN %(ids)s AND m.state = 'pending' AND f.expected_minutes > 0
               AND m.create_date < %(now)s - make_interval(mins => f.expected_minutes)
               AND NOT EXISTS (
                    SELECT 1 FROM plant_sync_exception e
                     WHERE e.message_id = m.id AND e.state IN ('new', 'in_progress'))
             GROUP BY m.backend_id, f.id
            """,
            {"ids": tuple(self.ids), "now": now},
        )
        Flow = self.env["plant.sync.flow"].sudo()
        for backend_id, flow_id, count, since, minutes in cr.fetchall():
            add(
                backend_id,
                self.env._(
                    "%(count)s message(s) of %(flow)s pending for more than %(minutes)s minutes "
                    "(oldest created at %(since)s UTC).",
                    count=count,
                    flow=Flow.browse(flow_id).display_name,
                    minutes=minutes,
                    since=since.replace(microsecond=0),
                ),
            )
        for backend in self:
            channels = backend.flow_ids.filtered("enabled").mapped("channel_id.complete_name")
            for channel in sorted(set(channels)):
                cr.execute(
                    """
                    SELECT count(*), min(date_created) FROM queue_job
                     WHERE channel = %(channel)s AND state = 'pending'
                       AND (eta IS NULL OR eta <= %(now)s) AND date_created < %(limit)s
                       AND NOT EXISTS (
                            SELECT 1 FROM queue_job p
                             WHERE p.channel = %(channel)s
                               AND (p.date_started >= %(limit)s OR p.date_done >= %(limit)s))
                    """,
                    {
                        "channel": channel,
                        "now": now,
                        "limit": now - timedelta(minutes=backend.stall_minutes),
                    },
                )
                count, since = cr.fetchone()
                if count:
                    add(
                        backend.id,
                        self.env._(
                            "Job channel %(channel)s: %(count)s job(s) ready to run and no job "
                            "started or finished for %(minutes)s minutes (oldest created at "
                            "%(since)s UTC). Is the job runner running, are its slots filled?",
                            channel=channel,
                            count=count,
                            minutes=backend.stall_minutes,
                            since=since.replace(microsecond=0),
                        ),
                    )
        return reasons

    def _set_stalled(self, reasons):
        """Stalled (with one open exception for the administrators saying why) when there are
        ``reasons``, back to the circuit's health (exception resolved) when there are none."""
        self.ensure_one()
        Exception_ = self.env["plant.sync.exception"].sudo()
        exception = self.stall_exception_id
        if not reasons:
            if self.stalled_since:
                _logger.info("plant_sync: backend %s: work moves again", self.id)
                exception._resolve(self.env._("Resolved: the work of this backend moves again."))
                self.write({"stalled_since": False, "stall_reason": False})
            return False
        text = "\n".join(reasons)
        if self.stalled_since and text == self.stall_reason:
            return True
        human = self.env._(
            "%(backend)s: work does not move\n%(reasons)s",
            backend=self.display_name,
            reasons=text,
        )
        if exception.state in ("new", "in_progress"):
            exception.write({"description": human})
            exception.message_post(body=text, subtype_xmlid="mail.mt_note")
        else:
            _logger.warning("plant_sync: backend %s stalled: %s", self.id, " ".join(reasons))
            exception = Exception_._report(
                human, category="technical", owner_group="admin", backend=self
            )
        self.write(
            {
                "stalled_since": self.stalled_since or fields.Datetime.now(),
                "stall_reason": text,
                "stall_exception_id": exception.id,
            }
        )
        return True
