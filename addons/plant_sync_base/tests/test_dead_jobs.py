# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Jobs whose worker died are requeued; jobs that are running are not.

A worker that runs a job holds the job's run lock (a PostgreSQL advisory lock) on its own
connection. The "workers" here are real second connections: one that took the lock and is
gone (closed, as a killed process's connection is), one that is alive and holds it.
"""

from contextlib import closing
from datetime import datetime, timedelta
from unittest.mock import patch

import psycopg2
from odoo import SUPERUSER_ID, api
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.modules.registry import Registry
from odoo.sql_db import connection_info_for
from odoo.tests.common import BaseCase, HttpCase, get_db_name, tagged
from odoo.tools import mute_logger

from ..controllers.main import PlantSyncRunJobController
from ..job_lock import acquire_job_run_lock, job_run_lock_key, release_job_run_lock
from .common import TEST_FLOW, PlantSyncCase

LOGGER = "odoo.addons.plant_sync_base.models.queue_job"


def other_connection(dbname):
    """A connection of another process (not Odoo's pool, not the test transaction)."""
    _dsn, info = connection_info_for(dbname)
    cnx = psycopg2.connect(**info)
    cnx.autocommit = True
    return cnx


def lock_is_held_elsewhere(dbname, job_uuid):
    """Does some connection other than a fresh one hold the run lock of ``job_uuid``?"""
    with closing(other_connection(dbname)) as cnx, cnx.cursor() as cr:
        cr.execute("SELECT pg_try_advisory_lock(%s)", (job_run_lock_key(job_uuid),))
        free = cr.fetchone()[0]
        if free:
            cr.execute("SELECT pg_advisory_unlock(%s)", (job_run_lock_key(job_uuid),))
        return not free


@tagged("post_install", "-at_install")
class TestDeadJobs(PlantSyncCase):
    def _message_and_job(self, key):
        message = self.env["plant.sync.message"]._enqueue(
            TEST_FLOW,
            self.record,
            {"description": "Pump P-101 leaking"},
            ("dead-job", key),
            backend=self.backend,
        )
        job = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        self.assertEqual(len(job), 1)
        return message, job

    def _as_runner_left_it(self, job, state, seconds_ago=120):
        """The state the job runner and the worker left the job in (dates in the past)."""
        job_ = Job.load(self.env, job.uuid)
        job_.set_enqueued()
        job_.date_enqueued = datetime.now() - timedelta(seconds=seconds_ago)
        if state == "started":
            job_.set_started()
            job_.date_started = datetime.now() - timedelta(seconds=seconds_ago)
        job_.store()
        self.env.flush_all()
        job.invalidate_recordset()

    def _requeue(self, **kwargs):
        return self.env["queue.job"]._plant_sync_requeue_dead_jobs(**kwargs)

    def test_started_job_of_a_dead_worker_is_requeued_and_its_message_completes(self):
        message, job = self._message_and_job(1)
        self._as_runner_left_it(job, "started")
        # the worker took the run lock, then its process died: its connection is gone
        worker = other_connection(self.env.cr.dbname)
        with worker.cursor() as cr:
            cr.execute("SELECT pg_advisory_lock(%s)", (job_run_lock_key(job.uuid),))
        worker.close()
        with self.assertLogs(LOGGER, "WARNING") as logs:
            requeued = self._requeue()
        self.assertEqual(requeued, job)
        self.assertIn("worker is gone", logs.output[0])
        self.assertEqual(job.state, "pending")
        self.assertEqual(job.retry, 1, "the death counts as a try")
        self.assertFalse(job.date_started)
        self.assertEqual(message.state, "pending")
        Job.load(self.env, job.uuid).perform()
        self.assertEqual(message.state, "done")
        self.assertEqual(self.remote.call_count, 1)

    def test_started_job_whose_lock_a_live_connection_holds_is_not_requeued(self):
        _message, job = self._message_and_job(2)
        self._as_runner_left_it(job, "started", seconds_ago=3600)
        worker = other_connection(self.env.cr.dbname)
        try:
            with worker.cursor() as cr:
                cr.execute("SELECT pg_advisory_lock(%s)", (job_run_lock_key(job.uuid),))
            self.assertFalse(self._requeue())
            self.assertEqual(job.state, "started")
            with worker.cursor() as cr:
                cr.execute("SELECT pg_advisory_unlock(%s)", (job_run_lock_key(job.uuid),))
        finally:
            worker.close()
        # the same job once nobody holds the lock any more: requeued
        with self.assertLogs(LOGGER, "WARNING"):
            self.assertEqual(self._requeue(), job)
        self.assertEqual(job.state, "pending")

    def test_lock_held_through_odoo_cursor_helpers_keeps_the_job(self):
        _message, job = self._message_and_job(3)
        self._as_runner_left_it(job, "started")
        with closing(self.registry.cursor()) as cr:
            acquire_job_run_lock(cr, job.uuid)
            self.assertTrue(lock_is_held_elsewhere(self.env.cr.dbname, job.uuid))
            self.assertFalse(self._requeue())
            release_job_run_lock(cr, job.uuid)
        self.assertFalse(lock_is_held_elsewhere(self.env.cr.dbname, job.uuid))
        self.assertEqual(job.state, "started")

    def test_enqueued_job_never_started_is_requeued_after_the_grace_period(self):
        _message, job = self._message_and_job(4)
        self._as_runner_left_it(job, "enqueued", seconds_ago=10)
        self.assertFalse(self._requeue(grace_seconds=30), "a worker may still pick it up")
        self.assertEqual(job.state, "enqueued")
        with self.assertLogs(LOGGER, "WARNING"):
            self.assertEqual(self._requeue(grace_seconds=5), job)
        self.assertEqual(job.state, "pending")
        self.assertEqual(job.retry, 0, "it never ran")

    def test_recently_started_job_is_left_alone_during_the_grace_period(self):
        _message, job = self._message_and_job(5)
        self._as_runner_left_it(job, "started", seconds_ago=5)
        self.assertFalse(self._requeue(grace_seconds=30))
        self.assertEqual(job.state, "started")

    def test_job_found_dead_too_often_fails_into_the_exception_queue(self):
        message, job = self._message_and_job(6)
        job.write({"max_retries": 2, "retry": 2})
        self._as_runner_left_it(job, "started")
        with self.assertLogs(LOGGER, "WARNING") as logs:
            self.assertEqual(self._requeue(), job)
        self.assertIn("found dead", logs.output[0])
        self.assertEqual(job.state, "failed")
        self.assertEqual(job.exc_name, "JobFoundDead")
        self.assertEqual(message.state, "failed")
        self.assertEqual(len(self.open_exceptions(message)), 1)

    def test_cron_is_shipped_every_minute(self):
        cron = self.env.ref("plant_sync_base.ir_cron_plant_sync_requeue_dead_jobs")
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "minutes"))
        with patch.object(type(self.env["queue.job"]), "_plant_sync_requeue_dead_jobs") as run:
            cron.method_direct_trigger()
        run.assert_called_once_with()


@tagged("post_install", "-at_install")
class TestRunJobHoldsTheLock(HttpCase):
    def test_runjob_holds_the_run_lock_while_the_job_performs(self):
        dbname = self.env.cr.dbname
        seen = {}

        def _test_job(records, failure_rate=0):  # queue_job's test job, probing the lock
            seen["held"] = lock_is_held_elsewhere(dbname, seen["uuid"])
            return "probed"

        QueueJob = type(self.env["queue.job"])
        with patch.object(QueueJob, "_test_job", _test_job):
            delayed = self.env["queue.job"].with_delay()._test_job()
            seen["uuid"] = delayed.uuid
            job_ = Job.load(self.env, delayed.uuid)
            job_.set_enqueued()
            job_.store()
            self.env.flush_all()
            response = self.url_open(f"/queue_job/runjob?db={dbname}&job_uuid={delayed.uuid}")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(seen.get("held"), "the run lock is held while the job performs")
        self.assertFalse(lock_is_held_elsewhere(dbname, delayed.uuid), "released after")
        record = self.env["queue.job"].search([("uuid", "=", delayed.uuid)])
        self.assertEqual((record.state, record.result), ("done", "probed"))


@tagged("post_install", "-at_install")
class TestConnectionLostWhileRunning(BaseCase):
    """A job whose database connection is terminated while it runs is retried, not failed."""

    def test_terminated_connection_postpones_the_job(self):
        registry = Registry(get_db_name())
        uuid = None
        try:
            with closing(registry.cursor()) as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                QueueJob = type(env["queue.job"])

                def _test_job(records, failure_rate=0):  # the administrator's pg_terminate
                    records.env.cr.execute("SELECT pg_terminate_backend(pg_backend_pid())")

                with patch.object(QueueJob, "_test_job", _test_job):
                    uuid = env["queue.job"].with_delay()._test_job().uuid
                    job_ = Job.load(env, uuid)
                    with self.assertRaises(RetryableJobError) as caught, mute_logger("odoo.sql_db"):
                        PlantSyncRunJobController()._try_perform_job(env, job_)
                self.assertIn("connection lost", str(caught.exception))
                self.assertTrue(cr._cnx.closed)
        finally:
            with registry.cursor() as cr:  # commits on exit
                cr.execute("DELETE FROM queue_job WHERE uuid = %s", (uuid,))
