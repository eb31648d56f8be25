# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Alerts: a cron compares the message log with the thresholds of the settings and raises one
open alert per rule and backend (flow for a silent feed). A new alert gives every member of the
alerting group (Settings, default *Plant Integration / Administrator*) an activity, which Odoo
also e-mails to them; the alert resolves itself, activities marked done, when the condition
clears. Rules:

* **backlog**: messages waiting (pending or held) of a backend ≥ the threshold;
* **failure rate**: failed / finished messages of a backend in the last hour ≥ the threshold
  (from :data:`MIN_FINISHED` finished messages on);
* **age**: the oldest waiting message of a backend older than the threshold (minutes);
* **silent feed**: no message of a flow for its "Alert When Silent" minutes.
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

ADMIN = "plant_sync_base.group_plant_sync_admin"
#: settings (ir.config_parameter) and their defaults; 0 switches a rule off
PARAMS = {
    "backlog": ("plant_sync_base.alert_backlog", 500),
    "failure_rate": ("plant_sync_base.alert_failure_rate", 20),
    "age": ("plant_sync_base.alert_age_minutes", 60),
}
GROUP_PARAM = "plant_sync_base.alert_group_id"
FAILURE_WINDOW = timedelta(hours=1)
#: fewer finished messages than this in the window: no failure-rate alert (one failure out of
#: one message is not a rate)
MIN_FINISHED = 5
RULES = [
    ("backlog", "Backlog"),
    ("failure_rate", "Failure rate"),
    ("age", "Message age"),
    ("silent", "Silent feed"),
]


class PlantSyncAlert(models.Model):
    _name = "plant.sync.alert"
    _description = "Plant Sync Alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state desc, create_date desc, id desc"
    #: the members of the alerting group read alerts and mark their activities done
    _mail_post_access = "read"

    name = fields.Char(required=True, readonly=True)
    rule = fields.Selection(RULES, required=True, readonly=True, index=True)
    backend_id = fields.Many2one(
        "plant.sync.backend", index=True, ondelete="cascade", readonly=True
    )
    flow_id = fields.Many2one("plant.sync.flow", index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", index=True, readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved")],
        default="open",
        required=True,
        index=True,
        readonly=True,
        tracking=True,
    )
    value = fields.Float(readonly=True, digits=(16, 1), help="Measured when last checked.")
    threshold = fields.Float(readonly=True, digits=(16, 1))
    description = fields.Text(readonly=True)
    date_last_seen = fields.Datetime(string="Last Seen", readonly=True)
    date_resolved = fields.Datetime(string="Resolved On", readonly=True)

    def init(self):
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS plant_sync_alert_open_uniq "
            "ON plant_sync_alert (rule, coalesce(backend_id, 0), coalesce(flow_id, 0)) "
            "WHERE state = 'open'"
        )

    # ---------------------------------------------------------------------------------------
    # evaluation (cron)
    # ---------------------------------------------------------------------------------------
    @api.model
    def _cron_evaluate(self):
        """Cron: raise the alerts whose condition holds, resolve those whose condition
        cleared. Returns the open alerts."""
        now = fields.Datetime.now()
        Alert = self.sudo()
        firing = self._conditions(now)
        open_alerts = {
            (a.rule, a.backend_id.id, a.flow_id.id): a
            for a in Alert.search([("state", "=", "open")])
        }
        todo = Alert
        for key, info in firing.items():
            alert = open_alerts.pop(key, None)
            vals = {
                "name": info["name"],
                "value": info["value"],
                "threshold": info["threshold"],
                "description": info["description"],
                "date_last_seen": now,
            }
            if alert:
                alert.write(vals)
            else:
                rule, backend_id, flow_id = key
                backend = self.env["plant.sync.backend"].sudo().browse(backend_id)
                alert = Alert.with_context(mail_create_nosubscribe=True).create(
                    dict(
                        vals,
                        rule=rule,
                        backend_id=backend_id,
                        flow_id=flow_id or False,
                        company_id=backend.company_id.id,
                    )
                )
                alert._notify_group()
            todo |= alert
        for alert in open_alerts.values():
            alert._resolve(now)
        return todo

    @api.model
    def _threshold(self, rule):
        param, default = PARAMS[rule]
        value = self.env["ir.config_parameter"].sudo().get_param(param, default)
        try:
            return max(int(value or 0), 0)
        except (TypeError, ValueError):
            return default

    @api.model
    def _conditions(self, now):
        """``{(rule, backend id, flow id or 0): {name, value, threshold, description}}`` of the
        conditions that hold now on active backends."""
        self.env.flush_all()
        cr = self.env.cr
        Backend = self.env["plant.sync.backend"].sudo()
        Flow = self.env["plant.sync.flow"].sudo()
        backends = Backend.search([("active", "=", True)])
        firing = {}
        if not backends:
            return firing
        backlog, age, rate = (self._threshold(r) for r in ("backlog", "age", "failure_rate"))
        cr.execute(
            SQL(
                """
                SELECT backend_id, count(*), extract(epoch FROM %(now)s - min(create_date))
                  FROM plant_sync_message
                 WHERE state IN ('pending', 'held') AND backend_id = ANY(%(ids)s)
                 GROUP BY backend_id
                """,
                now=now,
                ids=backends.ids,
            )
        )
        for backend_id, count, seconds in cr.fetchall():
            name = Backend.browse(backend_id).display_name
            minutes = int(float(seconds or 0) // 60)
            if backlog and count >= backlog:
                firing[("backlog", backend_id, 0)] = {
                    "name": self.env._(
                        "Backlog: %(count)s messages waiting on %(backend)s",
                        count=count,
                        backend=name,
                    ),
                    "value": count,
                    "threshold": backlog,
                    "description": self.env._(
                        "%(count)s messages of %(backend)s are waiting (pending or held); the "
                        "alert threshold is %(threshold)s. Check the backend's health, the job "
                        "runner and the held messages.",
                        count=count,
                        backend=name,
                        threshold=backlog,
                    ),
                }
            if age and minutes >= age:
                firing[("age", backend_id, 0)] = {
                    "name": self.env._(
                        "Message age: a message of %(backend)s waits for %(minutes)s min",
                        backend=name,
                        minutes=minutes,
                    ),
                    "value": minutes,
                    "threshold": age,
                    "description": self.env._(
                        "The oldest waiting message of %(backend)s was created %(minutes)s "
                        "minutes ago; the alert threshold is %(threshold)s minutes.",
                        backend=name,
                        minutes=minutes,
                        threshold=age,
                    ),
                }
        if rate:
            cr.execute(
                SQL(
                    """
                    SELECT backend_id, count(*) FILTER (WHERE state = 'failed'), count(*)
                      FROM plant_sync_message
                     WHERE backend_id = ANY(%(ids)s)
                       AND ((state IN ('done', 'sent') AND date_done >= %(since)s)
                            OR (state = 'failed' AND date_last_attempt >= %(since)s))
                     GROUP BY backend_id
                    """,
                    ids=backends.ids,
                    since=now - FAILURE_WINDOW,
                )
            )
            for backend_id, failed, finished in cr.fetchall():
                percent = 100.0 * failed / finished if finished else 0.0
                if finished < MIN_FINISHED or percent < rate:
                    continue
                name = Backend.browse(backend_id).display_name
                firing[("failure_rate", backend_id, 0)] = {
                    "name": self.env._(
                        "Failure rate: %(percent)s%% of %(backend)s's messages failed",
                        percent=round(percent),
                        backend=name,
                    ),
                    "value": percent,
                    "threshold": rate,
                    "description": self.env._(
                        "%(failed)s of the %(finished)s messages %(backend)s finished in the "
                        "last hour failed (%(percent)s%%); the alert threshold is "
                        "%(threshold)s%%. The exception queue says why.",
                        failed=failed,
                        finished=finished,
                        backend=name,
                        percent=round(percent),
                        threshold=rate,
                    ),
                }
        cr.execute(
            SQL(
                """
                SELECT f.id, f.backend_id, f.silent_minutes,
                       extract(epoch FROM %(now)s - greatest(
                           f.create_date,
                           (SELECT m.create_date FROM plant_sync_message m
                             WHERE m.flow_id = f.id ORDER BY m.id DESC LIMIT 1)))
                  FROM plant_sync_flow f
                 WHERE f.enabled AND f.silent_minutes > 0 AND f.backend_id = ANY(%(ids)s)
                """,
                now=now,
                ids=backends.ids,
            )
        )
        for flow_id, backend_id, limit, seconds in cr.fetchall():
            minutes = int(float(seconds or 0) // 60)
            if minutes < limit:
                continue
            name = Flow.browse(flow_id).display_name
            firing[("silent", backend_id, flow_id)] = {
                "name": self.env._(
                    "Silent feed: nothing from %(flow)s for %(minutes)s min",
                    flow=name,
                    minutes=minutes,
                ),
                "value": minutes,
                "threshold": limit,
                "description": self.env._(
                    "%(flow)s has had no message for %(minutes)s minutes; it is expected "
                    "within %(limit)s minutes. Check the remote system's feed (webhooks, "
                    "delta pulls) and the flow's last run.",
                    flow=name,
                    minutes=minutes,
                    limit=limit,
                ),
            }
        return firing

    # ---------------------------------------------------------------------------------------
    # who is told
    # ---------------------------------------------------------------------------------------
    @api.model
    def _alert_group(self):
        param = self.env["ir.config_parameter"].sudo().get_param(GROUP_PARAM)
        group = self.env["res.groups"].sudo().browse(int(param)).exists() if param else None
        return group or self.env.ref(ADMIN)

    def _notify_group(self):
        """An activity for every internal member of the alerting group (Odoo e-mails the
        assignment to those who get their notifications by e-mail)."""
        users = self._alert_group().users.filtered(lambda u: u.active and not u.share)
        for alert in self:
            alert.message_subscribe(partner_ids=users.partner_id.ids)
            for user in users:
                alert.activity_schedule(
                    "mail.mail_activity_data_warning",
                    user_id=user.id,
                    summary=alert.name[:200],
                    note=alert.description,
                )
            _logger.warning("plant_sync: alert raised: %s", alert.name)

    def _resolve(self, now=None):
        now = now or fields.Datetime.now()
        for alert in self:
            alert.write({"state": "resolved", "date_resolved": now})
            alert.activity_ids.action_feedback(
                feedback=self.env._("The condition cleared: resolved automatically.")
            )
            _logger.info("plant_sync: alert resolved: %s", alert.name)
