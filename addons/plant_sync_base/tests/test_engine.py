# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta
from unittest.mock import patch

from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from plant_sync.errors import ServiceUnavailable

from .. import flow as flow_registry
from ..exceptions import PlantSyncBusinessError
from .common import TEST_FLOW, PlantSyncCase, patch_handler

ENGINE_LOG = "odoo.addons.plant_sync_base.models.plant_sync_backend"


@tagged("post_install", "-at_install")
class TestEngine(PlantSyncCase):
    def test_enqueue_creates_message_and_job_then_delivers_and_binds(self):
        with trap_jobs() as trap:
            message = self.enqueue(payload={"description": "Leak", "password": "hunter22"})
            self.assertEqual(message.state, "pending")
            trap.assert_jobs_count(1, only=message._job_process)
            trap.assert_enqueued_job(
                message._job_process,
                properties={"channel": "root.plant_sync", "priority": 10},
            )
            self.assertEqual(self.remote.call_count, 0, "nothing is sent before the job runs")
            trap.perform_enqueued_jobs()
        self.assertEqual(message.state, "done")
        self.assertEqual(message.attempts, 1)
        self.assertEqual(message.external_id, "EXT-1")
        call = self.remote.calls[0]
        self.assertEqual(call["headers"]["X-Correlation-ID"], message.correlation_id)
        self.assertEqual(call["headers"]["Idempotency-Key"], message.idempotency_key)
        # secrets never stored in the payload log
        self.assertNotIn("hunter22", message.request_payload)
        self.assertEqual(message._get_payload()["password"], "***")
        self.assertEqual(message._get_response()["id"], "EXT-1")
        # the record is bound to the external document
        self.assertEqual(self.backend._external_id_for(self.record), "EXT-1")
        self.assertEqual(self.backend._record_for("res.partner", "EXT-1"), self.record)
        binding = self.env["plant.sync.binding"]._binding_for(self.backend, self.record)
        self.assertEqual(binding.external_version, 'W/"1"')

    def test_duplicate_enqueue_same_key_creates_one_message_one_call(self):
        with trap_jobs() as trap:
            first = self.enqueue(key=("create", 42))
            second = self.enqueue(key=("create", 42))
            self.assertEqual(first, second)
            trap.assert_jobs_count(1)
            trap.perform_enqueued_jobs()
        # a third enqueue after processing still returns the done message, sends nothing
        with trap_jobs() as trap:
            third = self.enqueue(key=("create", 42))
            trap.assert_jobs_count(0)
        self.assertEqual(third, first)
        self.assertEqual(
            self.env["plant.sync.message"].search_count(
                [("idempotency_key", "=", first.idempotency_key)]
            ),
            1,
        )
        self.assertEqual(self.remote.call_count, 1)

    def test_job_of_processed_message_runs_again_without_remote_call(self):
        with trap_jobs() as trap:
            message = self.enqueue()
            job = trap.enqueued_jobs[0]
            job.perform()
            self.assertEqual(message.state, "done")
            job.perform()  # e.g. a drained duplicate job
        self.assertEqual(self.remote.call_count, 1)

    def test_transient_failure_is_retried_then_succeeds(self):
        self.remote.script(503)
        with trap_jobs() as trap, mute_logger(ENGINE_LOG):
            message = self.enqueue()
            job = trap.enqueued_jobs[0]
            caught = self.perform_expect_retry(job)
            self.assertEqual(caught.seconds, 7, "Retry-After of the remote is used")
            self.assertEqual(message.state, "pending")
            self.assertEqual(message.attempts, 1)
            self.assertEqual(message.error_category, "technical")
            self.assertIn("Remote unavailable", message.error_human)
            self.assertFalse(message.exception_ids, "a transient failure is not an exception")
            job.perform()
        self.assertEqual(message.state, "done")
        self.assertEqual(message.attempts, 2)
        self.assertFalse(message.error_human)
        self.assertEqual(self.remote.call_count, 2)

    def test_permanent_failure_fails_message_and_raises_exception(self):
        self.remote.script(400)
        with trap_jobs() as trap:
            message = self.enqueue()
            trap.perform_enqueued_jobs()  # no RetryableJobError: the job ends
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.attempts, 1)
        self.assertEqual(message.error_category, "validation")
        self.assertIn("Remote says 400", message.error_human)
        self.assertIn("status=400", message.error_technical)
        exception = self.open_exceptions(message)
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.category, "validation")
        self.assertEqual(exception.owner_group, "planner")
        self.assertEqual(exception.res_ref, self.record)
        self.assertEqual(self.remote.call_count, 1, "a permanent error is not retried")

    def test_exhausted_retries_land_in_exception_queue(self):
        self.remote.script(503, 503, 503, 503)
        with trap_jobs() as trap, mute_logger(ENGINE_LOG):
            message = self.enqueue()
            job = trap.enqueued_jobs[0]
            for _attempt in range(self.flow.max_retries - 1):
                self.perform_expect_retry(job)
            job.perform()  # last attempt: the engine gives up without raising
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.attempts, 3)
        self.assertIn("could not be reached after 3 attempts", message.error_human)
        exception = self.open_exceptions(message)
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.category, "technical")
        self.assertEqual(exception.owner_group, "admin")
        self.assertEqual(self.remote.call_count, 3)

    def test_past_max_retries_a_message_is_retried_once_a_minute_for_the_retry_time(self):
        """A flaky system gets more than ``max_retries`` tries: past them the message is
        retried once a minute, or after the server's Retry-After (at least 10 s), not counted
        by queue_job, until the flow's ``retry_minutes`` have passed since its first attempt;
        then it is failed into the exception queue."""
        self.flow.retry_minutes = 30
        self.backend.circuit_threshold = 100  # this test is about the message, not the circuit
        hints = [None, None, None, 3, None]  # the Retry-After of each attempt's answer
        calls = []

        def busy(message):
            calls.append(message.attempts)
            raise ServiceUnavailable("Remote busy", status=503, retry_after=hints[len(calls) - 1])

        with trap_jobs() as trap, patch_handler(busy), mute_logger(ENGINE_LOG):
            message = self.enqueue()
            job = trap.enqueued_jobs[0]
            for attempt in range(1, self.flow.max_retries):
                caught = self.perform_expect_retry(job)
                self.assertFalse(caught.ignore_retry)
                self.assertEqual(caught.seconds, {1: 10, 2: 30}[attempt], "the retry pattern")
            first = message.date_first_attempt
            self.assertTrue(first)
            caught = self.perform_expect_retry(job)  # attempt 3 = max_retries: slow lane
            self.assertTrue(caught.ignore_retry, "queue_job's own retry count is not used")
            self.assertEqual(caught.seconds, 60)
            self.assertEqual(
                message.next_retry_date,
                message.date_last_attempt + timedelta(seconds=60),
                "the message shows when it is tried next",
            )
            caught = self.perform_expect_retry(job)  # Retry-After 3: honoured, at least 10 s
            self.assertEqual((caught.seconds, caught.ignore_retry), (10, True))
            self.assertEqual(message.state, "pending")
            self.assertEqual(message.date_first_attempt, first, "kept across retries")
            message.date_first_attempt = first - timedelta(minutes=31)
            job.perform()  # retry time over: the engine gives up without raising
        self.assertEqual(message.state, "failed")
        self.assertEqual(calls, [1, 2, 3, 4, 5])
        self.assertEqual(len(self.open_exceptions(message)), 1)

    def test_retry_from_exception_queue_succeeds_and_resolves_it(self):
        self.remote.script(400)
        with trap_jobs() as trap:
            message = self.enqueue()
            trap.perform_enqueued_jobs()
        exception = self.open_exceptions(message)
        self.assertEqual(exception.state, "new")
        # a planner works the queue: Retry
        with trap_jobs() as trap:
            exception.with_user(self.planner).action_retry()
            self.assertEqual(exception.state, "in_progress")
            self.assertEqual(message.state, "pending")
            trap.assert_jobs_count(1)
            trap.perform_enqueued_jobs()
        self.assertEqual(message.state, "done")
        self.assertEqual(exception.state, "resolved")
        self.assertTrue(exception.resolution_note)
        self.assertFalse(self.open_exceptions(message))

    def test_second_failure_updates_the_open_exception(self):
        self.remote.script(400, 400)
        with trap_jobs() as trap:
            message = self.enqueue()
            trap.perform_enqueued_jobs()
            self.open_exceptions(message).action_retry()
            trap.perform_enqueued_jobs()
        self.assertEqual(message.state, "failed")
        self.assertEqual(len(message.exception_ids), 1, "one exception per message")
        self.assertEqual(message.exception_ids.occurrences, 2)
        self.assertEqual(message.exception_ids.state, "new")

    def test_retry_all_selected_server_action(self):
        self.remote.script(400, 400)
        with trap_jobs() as trap:
            messages = self.enqueue(key=("a",)) | self.enqueue(self.other_record, key=("b",))
            trap.perform_enqueued_jobs()
        exceptions = messages.exception_ids
        self.assertEqual(len(exceptions), 2)
        action = self.env.ref("plant_sync_base.action_server_exception_retry")
        with trap_jobs() as trap:
            action.with_user(self.admin).with_context(
                active_model="plant.sync.exception", active_ids=exceptions.ids
            ).run()
            trap.perform_enqueued_jobs()
        self.assertEqual(set(messages.mapped("state")), {"done"})
        self.assertEqual(set(exceptions.mapped("state")), {"resolved"})

    def test_cancel_with_reason_wizard(self):
        self.remote.script(400)
        with trap_jobs() as trap:
            message = self.enqueue()
            trap.perform_enqueued_jobs()
        exception = self.open_exceptions(message)
        wizard = (
            self.env["plant.sync.exception.cancel"]
            .with_user(self.planner)
            .with_context(active_model="plant.sync.exception", active_ids=exception.ids)
            .create({"reason": "Order was deleted in SAP"})
        )
        wizard.action_confirm()
        self.assertEqual(exception.state, "cancelled")
        self.assertIn("Order was deleted in SAP", exception.resolution_note)
        self.assertEqual(message.state, "cancelled")

    def test_import_context_does_not_echo_as_export(self):
        with trap_jobs() as trap:
            messages = (
                self.env["plant.sync.message"]
                .with_context(**self.backend._import_context())
                ._enqueue("test_push", self.record, {"x": 1}, ("echo",), backend=self.backend)
            )
            trap.assert_jobs_count(0)
        self.assertFalse(messages)

    def test_disabled_flow_and_plant_restriction(self):
        self.flow.plant_codes = "1000"
        with trap_jobs() as trap:
            self.assertFalse(self.enqueue(key=("p", 1), plant="2000"))
            self.assertFalse(self.enqueue(key=("p", 2)))
            self.assertTrue(self.enqueue(key=("p", 3), plant="1000"))
            self.flow.enabled = False
            self.assertFalse(self.enqueue(key=("p", 4), plant="1000"))
            trap.assert_jobs_count(1)

    def test_technician_edit_triggers_export_without_integration_rights(self):
        with trap_jobs() as trap:
            message = (
                self.env["plant.sync.message"]
                .with_user(self.technician)
                ._enqueue(
                    "test_push",
                    self.record.with_user(self.technician),
                    {"d": 1},
                    ("t",),
                    backend=self.backend,
                )
            )
            self.assertEqual(len(message), 1)
            trap.perform_enqueued_jobs()
        self.assertEqual(message.sudo().state, "done")

    def test_messages_of_one_record_are_processed_in_order(self):
        with trap_jobs() as trap:
            older = self.enqueue(key=("update", 1))
            newer = self.enqueue(key=("update", 2))
            older_job, newer_job = trap.enqueued_jobs
            caught = self.perform_expect_retry(newer_job)
            self.assertTrue(caught.ignore_retry, "waiting does not consume retries")
            self.assertEqual(newer.state, "pending")
            self.assertEqual(self.remote.call_count, 0)
            older_job.perform()
            newer_job.perform()
        self.assertEqual(older.state, "done")
        self.assertEqual(newer.state, "done")
        self.assertEqual([c["body"] for c in self.remote.calls], [older._get_payload()] * 2)

    def test_missing_handler_fails_with_exception(self):
        with trap_jobs() as trap, patch.dict(flow_registry._REGISTRY, {TEST_FLOW: None}):
            message = self.enqueue()
            trap.perform_enqueued_jobs()
        self.assertEqual(message.state, "failed")
        self.assertIn("has no implementation in this database", message.error_human)
        self.assertEqual(len(self.open_exceptions(message)), 1)
        self.assertEqual(self.remote.call_count, 0)

    def test_failed_job_in_queue_job_lands_in_exception_queue(self):
        """Safety net: a processing job that fails in queue_job itself (max retries reached,
        crash) raises an exception for its message."""
        message = self.enqueue()
        job_record = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        self.assertEqual(len(job_record), 1, "a real job was stored (trap_jobs not used)")
        job = Job.load(self.env, message.job_uuid)
        job.set_failed(exc_name="FailedJobError", exc_message="Max. retries (8) reached")
        job.store()
        self.assertEqual(message.state, "failed")
        exception = self.open_exceptions(message)
        self.assertEqual(len(exception), 1)
        self.assertIn("Max. retries", exception.description)

    def test_business_error_with_amount_goes_to_finance(self):
        def handler(message):
            raise PlantSyncBusinessError(
                "Confirmation not posted: period closed",
                amount=1234.5,
                currency="EUR",
                owner_group="finance",
            )

        with trap_jobs() as trap, patch_handler(handler):
            message = self.enqueue()
            trap.perform_enqueued_jobs()
        exception = self.open_exceptions(message)
        self.assertEqual(exception.category, "business")
        self.assertEqual(exception.owner_group, "finance")
        self.assertEqual(exception.amount, 1234.5)
        self.assertEqual(exception.currency_id.name, "EUR")
        self.assertTrue(exception.with_user(self.finance).has_access("read"))
        self.assertFalse(exception.with_user(self.planner).has_access("read"))
