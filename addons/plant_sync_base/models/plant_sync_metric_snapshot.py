# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Operations monitoring: what the message log did, per backend and flow, every few minutes.

A cron takes one snapshot per (backend, flow) that had traffic or a backlog in the period since
the previous snapshot: messages delivered, failed and retried, end-to-end latency (creation to
delivery) p50/p95 with PostgreSQL's ``percentile_cont``, and the backlog at the end of the
period. The graph and pivot views of the snapshots are the monitoring dashboard; ``/metrics``
serves the same numbers to Prometheus (see ``controllers/metrics.py``).
"""

import hashlib
import hmac
import logging
from datetime import datetime, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

#: first snapshot, or after a long stop of the cron: at most this much history in one period
MAX_PERIOD = timedelta(hours=24)
FIRST_PERIOD = timedelta(minutes=5)
#: snapshots older than this are deleted by the cron
RETENTION_DAYS = 90
BACKLOG_STATES = ("pending", "held")
_EPOCH = datetime(1970, 1, 1)
DELIVERED_STATES = ("done", "sent")
#: the /metrics bearer token, stored as its SHA-256 (tokens are long random strings)
TOKEN_PARAM = "plant_sync_base.metrics_token_hash"  # noqa: S105 - a parameter name
MIN_TOKEN_LENGTH = 24


class PlantSyncMetricSnapshot(models.Model):
    _name = "plant.sync.metric.snapshot"
    _description = "Plant Sync Metrics Snapshot"
    _order = "date desc, id desc"
    _rec_name = "date"

    date = fields.Datetime(required=True, index=True, readonly=True, help="End of the period.")
    date_start = fields.Datetime(string="Period Start", required=True, readonly=True)
    date_hour = fields.Char(
        string="Hour (UTC)",
        readonly=True,
        index=True,
        help="YYYY-MM-DD HH:00 of the end of the period: the x axis of hourly graphs.",
    )
    backend_id = fields.Many2one(
        "plant.sync.backend", required=True, index=True, ondelete="cascade", readonly=True
    )
    flow_id = fields.Many2one(
        "plant.sync.flow", required=True, index=True, ondelete="cascade", readonly=True
    )
    flow_code = fields.Selection(related="flow_id.code", store=True, string="Flow Code")
    company_id = fields.Many2one("res.company", index=True, readonly=True)
    delivered = fields.Integer(
        string="Throughput", readonly=True, help="Messages delivered (done or sent) in the period."
    )
    failed = fields.Integer(readonly=True, help="Messages that failed in the period.")
    failure_rate = fields.Float(
        string="Failure Rate (%)",
        aggregator="avg",
        readonly=True,
        digits=(5, 1),
        help="Failed / (delivered + failed) in the period.",
    )
    retries = fields.Integer(
        readonly=True,
        help="Extra attempts (attempts beyond the first) of the messages finished in the period.",
    )
    latency_p50 = fields.Float(
        string="Latency p50 (s)",
        aggregator="avg",
        readonly=True,
        digits=(16, 2),
        help="Median seconds from creation to delivery of the messages delivered in the period.",
    )
    latency_p95 = fields.Float(
        string="Latency p95 (s)",
        aggregator="max",
        readonly=True,
        digits=(16, 2),
        help="95th percentile of the seconds from creation to delivery.",
    )
    backlog = fields.Integer(
        aggregator="max",
        readonly=True,
        help="Messages waiting (pending or held) at the end of the period.",
    )
    held = fields.Integer(
        aggregator="max", readonly=True, help="Messages held for a mapping at the end."
    )
    oldest_age = fields.Integer(
        string="Oldest Waiting (min)",
        aggregator="max",
        readonly=True,
        help="Age in minutes of the oldest waiting message at the end of the period.",
    )

    def init(self):
        # the snapshot's range queries on the message log
        cr = self.env.cr
        cr.execute(
            "CREATE INDEX IF NOT EXISTS plant_sync_message_date_done_idx "
            "ON plant_sync_message (date_done) WHERE date_done IS NOT NULL"
        )
        cr.execute(
            "CREATE INDEX IF NOT EXISTS plant_sync_message_failed_attempt_idx "
            "ON plant_sync_message (date_last_attempt) WHERE state = 'failed'"
        )

    # ---------------------------------------------------------------------------------------
    # taking snapshots
    # ---------------------------------------------------------------------------------------
    @api.model
    def _cron_take_snapshot(self):
        """Cron: one snapshot per (backend, flow) with traffic or backlog since the last one;
        snapshots older than the retention are deleted."""
        now = fields.Datetime.now()
        Snapshot = self.sudo()
        last = Snapshot.search([], order="date desc", limit=1).date
        start = max(last or now - FIRST_PERIOD, now - MAX_PERIOD)
        snapshots = Snapshot._take(start, now) if start < now else Snapshot
        Snapshot.search([("date", "<", now - timedelta(days=RETENTION_DAYS))]).unlink()
        return snapshots

    @api.model
    def _take(self, start, end):
        rows = self._measure(start, end)
        flows = self.env["plant.sync.flow"].sudo().browse(list({k[1] for k in rows})).exists()
        companies = {flow.id: flow.backend_id.company_id.id for flow in flows}
        vals_list = []
        for (backend_id, flow_id), values in sorted(rows.items()):
            if flow_id not in companies:
                continue
            finished = values["delivered"] + values["failed"]
            vals_list.append(
                dict(
                    values,
                    date=end,
                    date_start=start,
                    date_hour=end.strftime("%Y-%m-%d %H:00"),
                    backend_id=backend_id,
                    flow_id=flow_id,
                    company_id=companies[flow_id],
                    failure_rate=100.0 * values["failed"] / finished if finished else 0.0,
                )
            )
        return self.sudo().create(vals_list)

    @api.model
    def _measure(self, start, end, backend_ids=None):
        """``{(backend id, flow id): {delivered, failed, retries, latency_p50, latency_p95,
        backlog, held, oldest_age}}`` of the messages finished in the period (``start``
        excluded, ``end`` included: the next period starts where this one ends) and waiting at
        ``end``; only (backend, flow) pairs with something to report."""
        self.env.flush_all()
        cr = self.env.cr
        backends = SQL("TRUE")
        if backend_ids is not None:
            backends = SQL("m.backend_id = ANY(%s)", list(backend_ids) or [0])
        rows = {}

        def row(backend_id, flow_id):
            return rows.setdefault(
                (backend_id, flow_id),
                {
                    "delivered": 0,
                    "failed": 0,
                    "retries": 0,
                    "latency_p50": 0.0,
                    "latency_p95": 0.0,
                    "backlog": 0,
                    "held": 0,
                    "oldest_age": 0,
                },
            )

        cr.execute(
            SQL(
                """
                SELECT m.backend_id, m.flow_id, count(*),
                       sum(greatest(m.attempts - 1, 0)),
                       percentile_cont(0.5) WITHIN GROUP (
                           ORDER BY extract(epoch FROM m.date_done - m.create_date)),
                       percentile_cont(0.95) WITHIN GROUP (
                           ORDER BY extract(epoch FROM m.date_done - m.create_date))
                  FROM plant_sync_message m
                 WHERE m.date_done > %(start)s AND m.date_done <= %(end)s
                   AND m.state IN %(delivered)s AND %(backends)s
                 GROUP BY m.backend_id, m.flow_id
                """,
                start=start,
                end=end,
                delivered=DELIVERED_STATES,
                backends=backends,
            )
        )
        for backend_id, flow_id, count, retries, p50, p95 in cr.fetchall():
            values = row(backend_id, flow_id)
            values.update(
                delivered=count,
                retries=int(retries or 0),
                latency_p50=float(p50 or 0.0),
                latency_p95=float(p95 or 0.0),
            )
        cr.execute(
            SQL(
                """
                SELECT m.backend_id, m.flow_id, count(*), sum(greatest(m.attempts - 1, 0))
                  FROM plant_sync_message m
                 WHERE m.state = 'failed' AND m.date_last_attempt > %(start)s
                   AND m.date_last_attempt <= %(end)s AND %(backends)s
                 GROUP BY m.backend_id, m.flow_id
                """,
                start=start,
                end=end,
                backends=backends,
            )
        )
        for backend_id, flow_id, count, retries in cr.fetchall():
            values = row(backend_id, flow_id)
            values["failed"] = count
            values["retries"] += int(retries or 0)
        cr.execute(
            SQL(
                """
                SELECT m.backend_id, m.flow_id, count(*),
                       count(*) FILTER (WHERE m.state = 'held'),
                       extract(epoch FROM %(end)s - min(m.create_date))
                  FROM plant_sync_message m
                 WHERE m.state IN %(waiting)s AND m.create_date <= %(end)s AND %(backends)s
                 GROUP BY m.backend_id, m.flow_id
                """,
                end=end,
                waiting=BACKLOG_STATES,
                backends=backends,
            )
        )
        for backend_id, flow_id, count, held, age in cr.fetchall():
            row(backend_id, flow_id).update(
                backlog=count, held=held, oldest_age=int(float(age or 0) // 60)
            )
        return rows

    # ---------------------------------------------------------------------------------------
    # /metrics: the bearer token and the Prometheus text
    # ---------------------------------------------------------------------------------------
    @api.model
    def _metrics_token_is_set(self):
        return bool(self.env["ir.config_parameter"].sudo().get_param(TOKEN_PARAM))

    @api.model
    def _set_metrics_token(self, token):
        """Store the hash of a new /metrics token (settings: system administrators)."""
        if not (self.env.is_superuser() or self.env.user.has_group("base.group_system")):
            raise AccessError(self.env._("Only administrators set the metrics token."))
        token = (token or "").strip()
        if len(token) < MIN_TOKEN_LENGTH:
            raise UserError(
                self.env._(
                    "The metrics token needs %(count)s characters or more (e.g. the output of "
                    "`openssl rand -hex 32`).",
                    count=MIN_TOKEN_LENGTH,
                )
            )
        self.env["ir.config_parameter"].sudo().set_param(TOKEN_PARAM, _token_hash(token))

    @api.model
    def _metrics_token_matches(self, token):
        """Constant-time comparison of the hash of ``token`` with the stored one."""
        stored = self.env["ir.config_parameter"].sudo().get_param(TOKEN_PARAM) or ""
        candidate = _token_hash(token or "")
        return bool(stored and token) and hmac.compare_digest(candidate, stored)

    @api.model
    def _prometheus_registry(self):
        """A fresh ``prometheus_client`` registry with the integration's metrics (never the
        library's global registry: it would mix in this process's own metrics and keep
        series of other databases)."""
        from prometheus_client import CollectorRegistry  # noqa: PLC0415

        families = self._prometheus_families()

        class Collector:
            def collect(self):
                return families

        registry = CollectorRegistry(auto_describe=False)
        registry.register(Collector())
        return registry

    @api.model
    def _prometheus_families(self):
        from prometheus_client.core import GaugeMetricFamily  # noqa: PLC0415

        self.env.flush_all()
        cr = self.env.cr
        backends = {
            b.id: b
            for b in self.env["plant.sync.backend"]
            .sudo()
            .with_context(active_test=False)
            .search([])
        }
        flows = {f.id: f.code for f in self.env["plant.sync.flow"].sudo().search([])}

        def labels(backend_id, flow_id=None):
            name = backends[backend_id].name if backend_id in backends else str(backend_id)
            return [name] if flow_id is None else [name, flows.get(flow_id) or str(flow_id)]

        messages = GaugeMetricFamily(
            "plant_sync_messages",
            "Messages not finished, by state (pending, held, sent, failed)",
            labels=["backend", "flow", "state"],
        )
        oldest = GaugeMetricFamily(
            "plant_sync_oldest_waiting_seconds",
            "Age of the oldest waiting (pending or held) message",
            labels=["backend", "flow"],
        )
        cr.execute(
            """
            SELECT backend_id, flow_id, state, count(*),
                   extract(epoch FROM now() at time zone 'UTC' - min(create_date))
              FROM plant_sync_message
             WHERE state IN ('pending', 'held', 'sent', 'failed')
             GROUP BY backend_id, flow_id, state
            """
        )
        ages = {}
        for backend_id, flow_id, state, count, age in cr.fetchall():
            messages.add_metric([*labels(backend_id, flow_id), state], count)
            if state in BACKLOG_STATES:
                key = (backend_id, flow_id)
                ages[key] = max(ages.get(key, 0.0), float(age or 0.0))
        for (backend_id, flow_id), age in sorted(ages.items()):
            oldest.add_metric(labels(backend_id, flow_id), age)

        last = self.sudo().search([], order="date desc", limit=1)
        snapshots = self.sudo().search([("date", "=", last.date)]) if last else self.browse()
        throughput = GaugeMetricFamily(
            "plant_sync_throughput_messages",
            "Messages delivered in the last snapshot period",
            labels=["backend", "flow"],
        )
        failure = GaugeMetricFamily(
            "plant_sync_failure_ratio",
            "Failed / finished messages in the last snapshot period (0-1)",
            labels=["backend", "flow"],
        )
        retries = GaugeMetricFamily(
            "plant_sync_retries",
            "Extra attempts of the messages finished in the last snapshot period",
            labels=["backend", "flow"],
        )
        latency = GaugeMetricFamily(
            "plant_sync_latency_seconds",
            "Creation-to-delivery latency of the last snapshot period",
            labels=["backend", "flow", "quantile"],
        )
        for snap in snapshots:
            key = labels(snap.backend_id.id, snap.flow_id.id)
            throughput.add_metric(key, snap.delivered)
            failure.add_metric(key, snap.failure_rate / 100.0)
            retries.add_metric(key, snap.retries)
            if snap.delivered:
                latency.add_metric([*key, "0.5"], snap.latency_p50)
                latency.add_metric([*key, "0.95"], snap.latency_p95)
        period = GaugeMetricFamily(
            "plant_sync_snapshot_period_seconds", "Length of the last snapshot period"
        )
        snapshot_time = GaugeMetricFamily(
            "plant_sync_snapshot_timestamp_seconds", "End of the last snapshot period (Unix time)"
        )
        if last:
            period.add_metric([], (last.date - last.date_start).total_seconds())
            snapshot_time.add_metric([], (last.date - _EPOCH).total_seconds())

        exceptions = GaugeMetricFamily(
            "plant_sync_open_exceptions",
            "Open exceptions by owner group",
            labels=["backend", "owner_group"],
        )
        cr.execute(
            """
            SELECT coalesce(backend_id, 0), owner_group, count(*) FROM plant_sync_exception
             WHERE state IN ('new', 'in_progress') GROUP BY 1, 2
            """
        )
        for backend_id, owner, count in cr.fetchall():
            backend = labels(backend_id)[0] if backend_id else ""
            exceptions.add_metric([backend, owner], count)

        health = GaugeMetricFamily(
            "plant_sync_backend_health",
            "1 for the backend's current health state",
            labels=["backend", "state"],
        )
        for backend in backends.values():
            if backend.active:
                health.add_metric([backend.name, backend.health_state or "healthy"], 1)

        alerts = GaugeMetricFamily("plant_sync_open_alerts", "Open alerts by rule", labels=["rule"])
        cr.execute("SELECT rule, count(*) FROM plant_sync_alert WHERE state = 'open' GROUP BY rule")
        for rule, count in cr.fetchall():
            alerts.add_metric([rule], count)
        return [
            messages,
            oldest,
            throughput,
            failure,
            retries,
            latency,
            period,
            snapshot_time,
            exceptions,
            health,
            alerts,
        ]


def _token_hash(token):
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()
