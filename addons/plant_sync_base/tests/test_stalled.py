# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Work that does not move turns the backend "Stalled" with an exception for the integration
administrators, and back to "Healthy" once it moves again."""

from datetime import datetime, timedelta

from odoo.addons.queue_job.job import Job
from odoo.tests.common import tagged
from odoo.tools import SQL

from .common import TEST_FLOW, PlantSyncCase

LOGGER = "odoo.addons.plant_sync_base.models.plant_sync_backend"


@tagged("post_install", "-at_install")
class TestStalledBackend(PlantSyncCase):
    def _message(self, key):
        message = self.env["plant.sync.message"]._enqueue(
            TEST_FLOW,
            self.record,
            {"description": "Pump P-101 leaking"},
            ("stalled", key),
            backend=self.backend,
        )
        job = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        self.assertEqual(len(job), 1)
        return message, job

    def _age(self, record, field, minutes):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET %s = %s WHERE id = %s",
                SQL.identifier(record._table),
                SQL.identifier(field),
                datetime.now() - timedelta(minutes=minutes),
                record.id,
            )
        )
        record.invalidate_recordset()

    def _watch(self):
        return self.env["plant.sync.backend"]._cron_watch_stalled()

    def _watch_expect_stalled(self):
        with self.assertLogs(LOGGER, "WARNING") as logs:
            self._watch()
        self.assertIn("stalled", logs.output[0])
        self.assertEqual(self.backend.health_state, "stalled")
        exception = self.backend.stall_exception_id
        self.assertEqual(exception.state, "new")
        self.assertEqual((exception.backend_id, exception.owner_group), (self.backend, "admin"))
        return exception

    def test_message_pending_past_its_flow_expected_age_stalls_until_it_moves(self):
        message, job = self._message(1)
        self._watch()
        self.assertEqual(self.backend.health_state, "healthy", "fresh work is no stall")
        self._age(message, "create_date", 120)
        exception = self._watch_expect_stalled()
        self.assertIn("pending for more than 30 minutes", self.backend.stall_reason)
        self.assertIn("pending for more than 30 minutes", exception.description)
        self.assertEqual(self.backend.color, 1)
        self._watch()  # still stalled: the same exception, no second one
        self.assertEqual(self.backend.stall_exception_id, exception)
        self.assertEqual(
            self.env["plant.sync.exception"].search_count([("backend_id", "=", self.backend.id)]),
            1,
        )

        Job.load(self.env, job.uuid).perform()
        self.assertEqual(message.state, "done")
        self._watch()
        self.assertEqual(self.backend.health_state, "healthy")
        self.assertFalse(self.backend.stalled_since)
        self.assertEqual(exception.state, "resolved")

    def test_job_started_long_ago_stalls_the_backend(self):
        _message, job = self._message(2)
        job_ = Job.load(self.env, job.uuid)
        job_.set_enqueued()
        job_.set_started()
        job_.date_started = datetime.now() - timedelta(minutes=40)
        job_.store()
        self._watch_expect_stalled()
        self.assertIn("1 job(s) started at", self.backend.stall_reason)

    def test_channel_without_progress_stalls_the_backend(self):
        _message, job = self._message(3)
        self._age(job, "date_created", 60)
        exception = self._watch_expect_stalled()
        self.assertIn("Job channel root.plant_sync:", exception.description)
        # a job of the channel finishes: the channel moves again
        other, other_job = self._message(4)
        job_ = Job.load(self.env, other_job.uuid)
        job_.set_done(result="done")
        job_.store()
        self._watch()
        self.assertEqual(self.backend.health_state, "healthy")

    def test_message_waiting_for_a_human_is_no_stall(self):
        message, _job = self._message(5)
        self._age(message, "create_date", 120)
        self.env["plant.sync.exception"]._raise_for_message(
            message, "business", "Planner must decide"
        )
        self._watch()
        self.assertEqual(self.backend.health_state, "healthy")
        self.assertFalse(self.backend.stall_exception_id)

    def test_flow_expected_age_is_per_flow(self):
        message, _job = self._message(6)
        self._age(message, "create_date", 45)
        self.flow.expected_minutes = 60
        self._watch()
        self.assertEqual(self.backend.health_state, "healthy")
        self.flow.expected_minutes = 40
        self._watch_expect_stalled()
