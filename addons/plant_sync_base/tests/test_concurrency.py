# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Two real transactions enqueue the same business effect at the same time.

Like odoo's onboarding concurrency test and queue_job's own tests, this runs on real cursors of
the registry (committed data, cleaned up afterwards), not in the test transaction.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg2
from odoo import SUPERUSER_ID, api
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.modules.registry import Registry
from odoo.tests.common import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger

from plant_sync.errors import ServiceUnavailable

from ..tools import HandlerResult
from .common import (
    TEST_FLOW,
    TEST_KIND,
    FakeRemote,
    TestPushFlow,
    patch_handler,
    register_test_flow,
    register_test_kind,
)


@tagged("post_install", "-at_install")
class TestConcurrentEnqueue(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.remote = FakeRemote().start()
        cls.addClassCleanup(cls.remote.stop)
        register_test_flow(cls, cls.registry)
        register_test_kind(cls, cls.registry)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            backend = env["plant.sync.backend"].create(
                {
                    "name": "Concurrency remote",
                    "kind": TEST_KIND,
                    "base_url": cls.remote.url,
                    "allow_loopback": True,
                }
            )
            env["plant.sync.flow"].create(
                {"backend_id": backend.id, "code": TEST_FLOW, "enabled": True}
            )
            cls.record_id = env["res.partner"].create({"name": "Concurrent order"}).id
            cls.backend_id = backend.id
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            messages = env["plant.sync.message"].search([("backend_id", "=", cls.backend_id)])
            env["queue.job"].search([("uuid", "in", messages.mapped("job_uuid"))]).unlink()
            messages.exception_ids.unlink()
            messages.unlink()
            backend = env["plant.sync.backend"].browse(cls.backend_id)
            backend.flow_ids.unlink()
            backend.unlink()
            env["res.partner"].browse(cls.record_id).unlink()

    @mute_logger("odoo.sql_db")
    def test_concurrent_duplicate_enqueue_creates_one_message_and_one_call(self):
        barrier = threading.Barrier(2)

        def enqueue(env):
            record = env["res.partner"].browse(self.record_id)
            return env["plant.sync.message"]._enqueue(
                TEST_FLOW,
                record,
                {"description": "same effect"},
                ("create", self.record_id),
                backend=env["plant.sync.backend"].browse(self.backend_id),
            )

        def worker():
            retried = 0
            with self.registry.cursor() as cr:
                # the test runner holds Registry._lock: give the cursor its transaction
                # directly instead of letting Environment look the registry up
                cr.transaction = api.Transaction(self.registry)
                env = api.Environment(cr, SUPERUSER_ID, {})
                # take the transaction snapshot before the other transaction commits
                env["plant.sync.message"].search_count([("backend_id", "=", self.backend_id)])
                barrier.wait(timeout=10)
                # what Odoo does for requests and queue_job for jobs: retry the transaction
                # on a serialization failure
                for _try in range(5):
                    try:
                        message = enqueue(env)
                        result = (message.id, message.job_uuid)
                        # a real concurrent transaction must commit for the other to see it
                        cr.commit()  # pylint: disable=invalid-commit
                        return result, retried
                    except psycopg2.errors.SerializationFailure:
                        cr.rollback()
                        retried += 1
            raise AssertionError("enqueue never succeeded")

        with ThreadPoolExecutor(max_workers=2) as executor:
            futures = [executor.submit(worker) for _ in range(2)]
            outcomes = [future.result(timeout=60) for future in futures]
        results = [outcome[0] for outcome in outcomes]
        self.assertEqual(
            sorted(outcome[1] for outcome in outcomes),
            [0, 1],
            "the loser of the race met the unique index and retried once",
        )
        self.assertEqual(results[0][0], results[1][0], "both transactions got the same message")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            messages = env["plant.sync.message"].search([("backend_id", "=", self.backend_id)])
            self.assertEqual(len(messages), 1)
            jobs = env["queue.job"].search([("uuid", "=", messages.job_uuid)])
            self.assertEqual(len(jobs), 1, "one job for the one message")
            job = Job.load(env, messages.job_uuid)
            job.perform()
            self.assertEqual(messages.state, "done")
        self.assertEqual(self.remote.call_count, 1, "one remote call")

    @mute_logger("odoo.addons.plant_sync_base.models.plant_sync_backend")
    def test_transient_failure_bookkeeping_survives_the_job_rollback(self):
        """queue_job's runner rolls the job transaction back on RetryableJobError: attempts,
        last error and circuit breaker counters are replayed after that rollback."""
        self.remote.reset()
        self.remote.script(503)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            message = env["plant.sync.message"]._enqueue(
                TEST_FLOW,
                env["res.partner"].browse(self.record_id),
                {"description": "replayed"},
                ("replay", self.record_id),
                backend=env["plant.sync.backend"].browse(self.backend_id),
            )
            message_id, job_uuid = message.id, message.job_uuid
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            job = Job.load(env, job_uuid)
            try:
                job.perform()
            except RetryableJobError:
                cr.rollback()  # what the job runner does before postponing the job
            else:
                self.fail("the 503 should have been retried")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            message = env["plant.sync.message"].browse(message_id)
            self.assertEqual(message.state, "pending")
            self.assertEqual(message.attempts, 1)
            self.assertIn("Remote unavailable", message.error_human)
            self.assertTrue(message.next_retry_date)
            self.assertEqual(message.backend_id.consecutive_failures, 1)
        self.assertEqual(self.remote.call_count, 1)

    def _drop_message(self, message_id, record_id):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            message = env["plant.sync.message"].browse(message_id)
            env["queue.job"].search([("uuid", "=", message.job_uuid)]).unlink()
            message.unlink()
            env["res.partner"].browse(record_id).unlink()

    @mute_logger("odoo.addons.plant_sync_base.models.plant_sync_backend")
    def test_checkpoint_survives_the_job_rollback_and_the_retry_resumes(self):
        """A remote step a flow marked done (``save_checkpoint``) is kept through queue_job's
        rollback of the failed attempt: the retry skips it (no second create in SAP, one
        request less to a flaky system) and goes on with the step that failed."""
        steps = []

        def handler(message):
            flow = TestPushFlow.current
            if not flow.checkpoint.get("created"):
                steps.append("create")
                flow.save_checkpoint(created="R-1")
            if "release failed" not in steps:
                steps.append("release failed")
                raise ServiceUnavailable("Remote unavailable", status=503)
            steps.append("release")
            return HandlerResult(response={"number": flow.checkpoint["created"]})

        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            record = env["res.partner"].create({"name": "Resumed order"})
            message = env["plant.sync.message"]._enqueue(
                TEST_FLOW,
                record,
                {"description": "resumed"},
                ("resume", record.id),
                backend=env["plant.sync.backend"].browse(self.backend_id),
            )
            message_id, job_uuid = message.id, message.job_uuid
        self.addCleanup(self._drop_message, message_id, record.id)
        with patch_handler(handler):
            for _attempt in range(2):
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    try:
                        Job.load(env, job_uuid).perform()
                    except RetryableJobError:
                        cr.rollback()  # as the job runner does before postponing the job
        self.assertEqual(steps, ["create", "release failed", "release"])
        with self.registry.cursor() as cr:
            message = api.Environment(cr, SUPERUSER_ID, {})["plant.sync.message"].browse(message_id)
            self.assertEqual(message.state, "done")
            self.assertEqual(message.checkpoint, {"created": "R-1"})
            self.assertEqual(message.attempts, 2)

    def test_concurrent_failures_of_one_backend_are_all_counted(self):
        """Two workers whose jobs fail at the same moment each count a failure (a lost
        increment kept the circuit closed through an outage): a job that is retried counts
        after queue_job's rollback; one that ends (last attempt) counts in its transaction,
        or after the rollback when another count made its snapshot stale."""
        barrier = threading.Barrier(2)

        def worker(retried):
            with self.registry.cursor() as cr:
                cr.transaction = api.Transaction(self.registry)
                env = api.Environment(cr, SUPERUSER_ID, {})
                backend = env["plant.sync.backend"].browse(self.backend_id)
                seen = backend.consecutive_failures  # the job's snapshot, before the barrier
                barrier.wait(timeout=10)
                # what the engine does (plant.sync.message._on_error)
                counted = backend._circuit_record_failure()
                if retried:
                    cr.postrollback.add(backend._circuit_count_after_rollback())
                    cr.rollback()  # what the job runner does before postponing the job
                elif counted is None:
                    cr.postcommit.add(backend._circuit_count_after_commit())
                cr.commit()  # pylint: disable=invalid-commit
                return seen

        with ThreadPoolExecutor(max_workers=2) as executor:
            for future in [executor.submit(worker, retried) for retried in (True, False)]:
                future.result(timeout=60)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            backend = env["plant.sync.backend"].browse(self.backend_id)
            self.assertEqual(backend.consecutive_failures, 2)
            backend.write({"consecutive_failures": 0})
