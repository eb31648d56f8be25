# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from plant_sync.errors import LockConflict

from .common import PlantSyncCase, patch_handler

ENGINE_LOG = "odoo.addons.plant_sync_base.models.plant_sync_backend"


@tagged("post_install", "-at_install")
class TestCircuitBreaker(PlantSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow.max_retries = 10
        cls.records = cls.env["res.partner"].create([{"name": f"Order {i}"} for i in range(6)])

    def test_opens_after_n_transient_failures_stores_and_drains_at_rate(self):
        backend = self.backend  # threshold 3, drain rate 2/min
        self.remote.script(*[503] * 3)
        with trap_jobs() as trap, mute_logger(ENGINE_LOG):
            messages = self.env["plant.sync.message"]
            for index, record in enumerate(self.records[:5]):
                messages |= self.enqueue(record, key=("cb", index))
            jobs = list(trap.enqueued_jobs)
            for job in jobs[:3]:
                self.perform_expect_retry(job)
            self.assertEqual(backend.circuit_state, "open")
            self.assertTrue(backend.degraded_since)
            self.assertEqual(backend.consecutive_failures, 3)
            # while open, messages are stored, not sent; postponed without using a retry
            caught = self.perform_expect_retry(jobs[3])
            self.assertTrue(caught.ignore_retry)
            self.assertGreaterEqual(caught.seconds, 60)
            self.assertEqual(self.remote.call_count, 3)
            # new messages created while degraded get no job: store and forward
            trap.enqueued_jobs.clear()
            stored = self.enqueue(self.records[5], key=("cb", 5))
            trap.assert_jobs_count(0)
            messages |= stored
            # before the cool-down is over, the drain sends nothing
            self.assertEqual(backend._drain(), 0)
        self.assertEqual(set(messages.mapped("state")), {"pending"})

        # cool-down over and remote back: the drain enqueues a single half-open probe
        backend.write({"degraded_until": fields.Datetime.now() - timedelta(seconds=1)})
        with trap_jobs() as trap:
            self.assertEqual(backend._cron_drain(), 1)
            trap.assert_jobs_count(1)
            probe_job = trap.enqueued_jobs[0]
            self.assertEqual(probe_job.recordset, messages[0])
            # the probe succeeds: the circuit closes and stored messages drain at 2 per minute
            probe_job.perform()
            self.assertEqual(backend.circuit_state, "closed")
            self.assertEqual(backend.consecutive_failures, 0)
            self.assertEqual(trap.jobs_count(), 3, "probe + rate (2) messages per minute")
            drained = trap.enqueued_jobs[1:]
            self.assertEqual([j.recordset for j in drained], [messages[1], messages[2]])
            self.assertFalse(drained[0].eta)
            self.assertTrue(drained[1].eta, "spread over the minute")
            for job in drained:
                job.perform()
        with trap_jobs() as trap:
            self.assertEqual(backend._cron_drain(), 2)
            trap.perform_enqueued_jobs()
        with trap_jobs() as trap:
            self.assertEqual(backend._cron_drain(), 1)
            trap.perform_enqueued_jobs()
        self.assertEqual(set(messages.mapped("state")), {"done"})
        self.assertEqual(self.remote.call_count, 3 + 6)

    def test_failed_probe_reopens_the_circuit(self):
        backend = self.backend
        backend.write(
            {
                "circuit_state": "open",
                "consecutive_failures": 3,
                "degraded_since": fields.Datetime.now(),
                "degraded_until": fields.Datetime.now() - timedelta(seconds=1),
            }
        )
        self.remote.script(503)
        with trap_jobs() as trap, mute_logger(ENGINE_LOG):
            # cool-down over: the next message is the half-open probe
            message = self.enqueue(key=("probe",))
            trap.assert_jobs_count(1)
            self.perform_expect_retry(trap.enqueued_jobs[0])
        self.assertEqual(backend.circuit_state, "open")
        self.assertGreater(backend.degraded_until, fields.Datetime.now())
        self.assertEqual(message.state, "pending")
        self.assertEqual(self.remote.call_count, 1)

    def test_permanent_error_resets_failure_counter(self):
        self.remote.script(503, 400)
        with trap_jobs() as trap, mute_logger(ENGINE_LOG):
            message = self.enqueue(key=("reset",))
            job = trap.enqueued_jobs[0]
            caught = self.perform_expect_retry(job)
            self.assertEqual(str(caught), "Remote unavailable")
            self.assertEqual(self.backend.consecutive_failures, 1)
            job.perform()
        self.assertEqual(message.state, "failed")
        self.assertEqual(self.backend.consecutive_failures, 0)

    def test_drain_counts_jobs_already_due_in_the_period(self):
        """Recovery drains and the drain cron share one rate: a second drain in the same minute
        enqueues nothing while the first one's jobs are due (real stored jobs, no trap)."""
        backend = self.backend  # drain rate 2/min
        backend.write(
            {
                "circuit_state": "open",
                "degraded_until": fields.Datetime.now() + timedelta(minutes=5),
            }
        )
        messages = self.env["plant.sync.message"]
        for index, record in enumerate(self.records[:4]):
            messages |= self.enqueue(record, key=("drain", index))
        self.assertFalse(any(messages.mapped("job_uuid")), "stored while degraded")
        backend.write({"circuit_state": "closed", "degraded_until": False})
        self.assertEqual(backend._drain(), 2)
        self.assertEqual(backend._jobs_due_within(1), 2)
        self.assertEqual(backend._drain(), 0, "the minute's slots are taken")
        self.assertEqual(len(messages.filtered("job_uuid")), 2)

    def test_lock_conflict_is_an_answer_not_an_outage(self):
        """SAP answering "document locked" is up: the message retries later, the circuit does
        not count it (a busy record must not stop every other message of the backend)."""

        def locked(message):
            raise LockConflict("Order 4000123 is locked by user PLANNER", code="IWO_BAPI/121")

        with trap_jobs() as trap, patch_handler(locked), mute_logger(ENGINE_LOG):
            self.enqueue(key=("locked",))
            caught = self.perform_expect_retry(trap.enqueued_jobs[0])
        self.assertIn("locked", str(caught))
        self.assertEqual(self.backend.consecutive_failures, 0)
        self.assertEqual(self.backend.circuit_state, "closed")

    def test_flaky_remote_that_still_answers_stays_healthy(self):
        """Failures in a row open the circuit only once no call has succeeded for
        ``circuit_window`` seconds: a flaky system that still answers some calls keeps
        working (retried with back-off); the same failures with no recent success open it."""
        backend = self.backend  # threshold 3
        backend.circuit_window = 30
        self.remote.script(200, *[503] * 4)
        with trap_jobs() as trap, mute_logger(ENGINE_LOG):
            for index, record in enumerate(self.records[:5]):
                self.enqueue(record, key=("flaky", index))
            jobs = list(trap.enqueued_jobs)
            jobs[0].perform()
            self.assertTrue(backend.last_success_date)
            for job in jobs[1:4]:
                self.perform_expect_retry(job)
            self.assertEqual(backend.consecutive_failures, 3)
            self.assertEqual(backend.circuit_state, "closed", "a call succeeded just now")
            # the last success is older than the window: the next failure opens the circuit
            backend.last_success_date = fields.Datetime.now() - timedelta(seconds=31)
            self.perform_expect_retry(jobs[4])
        self.assertEqual(backend.circuit_state, "open")
        self.assertEqual(backend.consecutive_failures, 4)

    def test_success_stamp_is_written_only_when_it_changes_something(self):
        backend = self.backend
        backend.write({"circuit_window": 30, "last_success_date": fields.Datetime.now()})
        stamp = backend.last_success_date
        self.env.flush_all()
        backend.read(["circuit_state", "consecutive_failures", "circuit_window"])
        with self.assertQueryCount(0):
            backend._circuit_record_success()  # recent success, no failure: nothing to write
        backend.write({"consecutive_failures": 2})
        backend._circuit_record_success()
        self.assertEqual(backend.consecutive_failures, 0)
        self.assertGreaterEqual(backend.last_success_date, stamp)
