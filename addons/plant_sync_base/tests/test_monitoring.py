# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Operations monitoring: metric snapshots of the message log and the alert rules (each rule
fires in a test that creates its condition, and resolves when the condition clears)."""

from datetime import timedelta

from odoo import fields
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests.common import new_test_user, tagged

from .common import PlantSyncCase

ALERT_LOGGER = "odoo.addons.plant_sync_base.models.plant_sync_alert"


class MonitoringCase(PlantSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Snapshot = cls.env["plant.sync.metric.snapshot"]
        cls.Alert = cls.env["plant.sync.alert"]
        cls.params = cls.env["ir.config_parameter"].sudo()
        # every rule off unless a test switches it on
        for name in ("alert_backlog", "alert_failure_rate", "alert_age_minutes"):
            cls.params.set_param(f"plant_sync_base.{name}", 0)
        cls.records = cls.env["res.partner"].create([{"name": f"WO {n}"} for n in range(12)])

    def messages(self, count, statuses=(), run=True, offset=0):
        """``count`` messages of the test flow, each about its own record; processed by the
        engine against the loopback remote when ``run`` (answers: ``statuses``, then 200)."""
        self.remote.script(*statuses)
        Message = self.env["plant.sync.message"]
        with trap_jobs() as trap:
            for index in range(offset, offset + count):
                Message |= self.enqueue(record=self.records[index], key=("m", index))
            if run:
                trap.perform_enqueued_jobs()
        return Message

    def set_times(self, message, created, finished=None, attempts=None):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE plant_sync_message SET create_date = %s,"
            " date_done = CASE WHEN date_done IS NULL THEN NULL ELSE %s::timestamp END,"
            " date_last_attempt = coalesce(%s::timestamp, date_last_attempt),"
            " attempts = coalesce(%s, attempts) WHERE id = %s",
            (created, finished, finished, attempts, message.id),
        )
        self.env.invalidate_all()

    def evaluate(self, expect_new=True):
        if not expect_new:
            return self.Alert._cron_evaluate()
        with self.assertLogs(ALERT_LOGGER, "WARNING") as logs:
            alerts = self.Alert._cron_evaluate()
        self.assertTrue(any("alert raised" in line for line in logs.output))
        return alerts


@tagged("post_install", "-at_install")
class TestMetricSnapshot(MonitoringCase):
    def test_snapshot_measures_throughput_latency_failures_retries_and_backlog(self):
        now = fields.Datetime.now().replace(microsecond=0)
        start = now - timedelta(minutes=5)
        delivered = self.messages(4)
        self.assertEqual(set(delivered.mapped("state")), {"done"})
        for message, seconds in zip(delivered.sorted("id"), (10, 20, 30, 40), strict=True):
            self.set_times(message, start, start + timedelta(seconds=seconds), attempts=1)
        self.set_times(delivered.sorted("id")[-1], start, start + timedelta(seconds=40), attempts=3)
        failed = self.messages(1, statuses=(400,), offset=4)
        self.assertEqual(failed.state, "failed")
        self.set_times(failed, start, start + timedelta(seconds=50))
        waiting = self.messages(2, run=False, offset=5)
        self.set_times(waiting[0], now - timedelta(minutes=42))
        # created "now" by the transaction's clock, which may be after `now` (truncated)
        self.set_times(waiting[1], now - timedelta(minutes=1))
        outside = self.messages(1, offset=7)  # finished before the period: not counted
        self.set_times(outside, start - timedelta(hours=1), start - timedelta(minutes=50))

        snapshot = self.Snapshot._take(start, now)
        self.assertEqual(len(snapshot), 1)
        self.assertEqual((snapshot.backend_id, snapshot.flow_id), (self.backend, self.flow))
        self.assertEqual((snapshot.delivered, snapshot.failed, snapshot.retries), (4, 1, 2))
        self.assertAlmostEqual(snapshot.failure_rate, 20.0)
        # percentile_cont interpolates: p50 of 10/20/30/40 s is 25 s, p95 is 38.5 s
        self.assertAlmostEqual(snapshot.latency_p50, 25.0)
        self.assertAlmostEqual(snapshot.latency_p95, 38.5)
        self.assertEqual((snapshot.backlog, snapshot.held, snapshot.oldest_age), (2, 0, 42))
        self.assertEqual(snapshot.date_hour, now.strftime("%Y-%m-%d %H:00"))

    def test_cron_continues_from_the_last_snapshot_and_skips_idle_flows(self):
        self.assertFalse(self.Snapshot._cron_take_snapshot(), "no traffic, no snapshot")
        first_batch = self.messages(2)
        first = self.Snapshot._cron_take_snapshot()
        self.assertEqual(first.delivered, 2)
        # five minutes pass
        five = timedelta(minutes=5)
        for message in first_batch:
            self.set_times(message, message.create_date - five, message.date_done - five)
        self.env.cr.execute(
            "UPDATE plant_sync_metric_snapshot SET date = date - interval '5 minutes',"
            " date_start = date_start - interval '5 minutes'"
        )
        self.env.invalidate_all()
        self.Snapshot.create(
            {
                "date": first.date - timedelta(days=91),
                "date_start": first.date - timedelta(days=91, minutes=5),
                "backend_id": self.backend.id,
                "flow_id": self.flow.id,
            }
        )
        self.messages(1, offset=2)
        second = self.Snapshot._cron_take_snapshot()
        self.assertEqual(second.date_start, first.date)
        self.assertEqual(second.delivered, 1)
        self.assertEqual(self.Snapshot.search_count([]), 2, "snapshots past retention deleted")

    def test_dashboard_is_for_integration_administrators(self):
        self.messages(1)
        self.Snapshot._cron_take_snapshot()
        self.assertEqual(self.Snapshot.with_user(self.admin).search_count([]), 1)
        self.assertFalse(self.Snapshot.with_user(self.planner).has_access("read"))
        self.assertFalse(self.Snapshot.with_user(self.finance).has_access("read"))


@tagged("post_install", "-at_install")
class TestAlerts(MonitoringCase):
    def open_alert(self, rule):
        return self.Alert.search([("rule", "=", rule), ("state", "=", "open")])

    def test_backlog_alert_gives_the_administrators_an_activity_and_an_email(self):
        self.params.set_param("plant_sync_base.alert_backlog", 3)
        self.messages(2, run=False)
        self.assertFalse(self.evaluate(expect_new=False), "2 waiting: below the threshold")
        waiting = self.messages(1, run=False, offset=2)
        self.evaluate()
        alert = self.open_alert("backlog")
        self.assertEqual((alert.backend_id, alert.value, alert.threshold), (self.backend, 3, 3))
        self.assertIn(self.admin, alert.activity_ids.user_id)
        self.assertNotIn(self.planner, alert.activity_ids.user_id)
        self.assertNotIn(self.finance, alert.activity_ids.user_id)
        mails = self.env["mail.notification"].search(
            [
                ("res_partner_id", "=", self.admin.partner_id.id),
                ("notification_type", "=", "email"),
                ("mail_message_id.model", "=", alert._name),
                ("mail_message_id.res_id", "=", alert.id),
            ]
        )
        self.assertTrue(mails, "the activity is e-mailed to the administrator")
        # still firing: the same alert, no second round of activities
        activities = alert.activity_ids
        self.assertEqual(self.evaluate(expect_new=False), alert)
        self.assertEqual(alert.activity_ids, activities)
        # the backlog drains: resolved, activities done
        waiting.sudo()._cancel("test")
        self.evaluate(expect_new=False)
        self.assertEqual(alert.state, "resolved")
        self.assertFalse(alert.activity_ids)

    def test_failure_rate_alert_needs_enough_messages(self):
        self.params.set_param("plant_sync_base.alert_failure_rate", 50)
        self.messages(4, statuses=(400, 400, 400))  # 3 of 4 failed: too few to be a rate
        self.assertFalse(self.evaluate(expect_new=False))
        self.messages(1, offset=4)  # 3 of 5 failed: 60 %
        self.evaluate()
        alert = self.open_alert("failure_rate")
        self.assertAlmostEqual(alert.value, 60.0)
        self.assertIn("60%", alert.name)
        self.messages(2, offset=5)  # 3 of 7: 43 %
        self.evaluate(expect_new=False)
        self.assertEqual(alert.state, "resolved")

    def test_message_age_alert(self):
        self.params.set_param("plant_sync_base.alert_age_minutes", 30)
        waiting = self.messages(1, run=False)
        self.set_times(waiting, fields.Datetime.now() - timedelta(minutes=20))
        self.assertFalse(self.evaluate(expect_new=False))
        self.set_times(waiting, fields.Datetime.now() - timedelta(minutes=95))
        self.evaluate()
        alert = self.open_alert("age")
        self.assertEqual((alert.backend_id, alert.value), (self.backend, 95))

    def test_silent_feed_alert_per_flow(self):
        self.flow.silent_minutes = 60
        self.env.cr.execute(
            "UPDATE plant_sync_flow SET create_date = %s WHERE id = %s",
            (fields.Datetime.now() - timedelta(days=1), self.flow.id),
        )
        last = self.messages(1)
        self.set_times(last, fields.Datetime.now() - timedelta(minutes=30))
        self.assertFalse(self.evaluate(expect_new=False), "heard from 30 minutes ago")
        self.set_times(last, fields.Datetime.now() - timedelta(minutes=75))
        self.evaluate()
        alert = self.open_alert("silent")
        self.assertEqual((alert.flow_id, alert.value, alert.threshold), (self.flow, 75, 60))
        again = self.messages(1, offset=1)  # the feed speaks again
        self.assertFalse(self.evaluate(expect_new=False))
        self.assertEqual(alert.state, "resolved")
        self.set_times(again, fields.Datetime.now() - timedelta(days=2))
        self.flow.silent_minutes = 0
        self.assertFalse(self.evaluate(expect_new=False), "0 switches the rule off")

    def test_alerted_group_is_a_setting(self):
        self.params.set_param("plant_sync_base.alert_backlog", 1)
        self.params.set_param(
            "plant_sync_base.alert_group_id",
            self.env.ref("plant_sync_base.group_plant_sync_finance").id,
        )
        reader = new_test_user(
            self.env, login="ps_ops_reader", groups="plant_sync_base.group_plant_sync_finance"
        )
        self.messages(1, run=False)
        self.evaluate()
        alert = self.open_alert("backlog")
        self.assertIn(reader, alert.activity_ids.user_id)
        self.assertIn(self.finance, alert.activity_ids.user_id)
        # the alerted users can open the alert their activity is about
        self.assertEqual(self.Alert.with_user(reader).search([]), alert)
        self.assertFalse(self.Alert.with_user(self.technician).has_access("read"))
