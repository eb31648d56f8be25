# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime, timedelta

from odoo import fields
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests.common import tagged

from ..tools import BatchPage, import_flag
from .common import PlantSyncCase, patch_handler, patch_pull

PAGES = {
    None: BatchPage(
        items=[{"key": ("eq", "E1", 1), "payload": {"equipment": "E1"}}],
        next_page_token="page-2",
    ),
    "page-2": BatchPage(
        items=[
            {"key": ("eq", "E2", 1), "payload": {"equipment": "E2"}},
            {"key": ("eq", "E1", 1), "payload": {"equipment": "E1"}},  # duplicate delivery
        ],
        watermark_date=datetime(2030, 1, 2, 3, 4, 5),
        watermark_token="delta-42",
    ),
}


@tagged("post_install", "-at_install")
class TestBatchFlows(PlantSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow.write({"mode": "batch", "interval_number": 1, "interval_type": "hours"})
        cls.pulls = []

        def pull(flow, since, token, page_token):
            cls.pulls.append((since, token, page_token))
            return PAGES[page_token]

        def run_inbound(message):
            cls.inbound_contexts.append(import_flag(message.env))
            return {"applied": message._get_payload()["equipment"]}

        cls.inbound_contexts = []
        cls.startClassPatcher(patch_pull(pull))
        cls.run_inbound = staticmethod(run_inbound)

    @staticmethod
    def count(trap, method_name):
        return len([j for j in trap.enqueued_jobs if j.method_name == method_name])

    def test_dispatcher_pulls_pages_as_jobs_and_moves_watermark_after_last_page(self):
        with (
            patch_handler(self.run_inbound),
            trap_jobs() as trap,
        ):
            self.assertEqual(self.env["plant.sync.flow"]._cron_dispatch(), 1)
            self.assertEqual(self.count(trap, "_job_pull_page"), 1)
            self.assertTrue(self.flow.next_run > fields.Datetime.now() + timedelta(minutes=50))
            # not due any more: the cron does nothing until the next run
            self.assertEqual(self.env["plant.sync.flow"]._cron_dispatch(), 0)
            trap.perform_enqueued_jobs()  # page 1: one item, enqueues page 2 and the item
            self.assertFalse(self.flow.watermark_date, "watermark moves after the last page")
            self.assertEqual(self.count(trap, "_job_pull_page"), 1)
            self.assertEqual(self.count(trap, "_job_process"), 1)
            trap.perform_enqueued_jobs()  # page 2 (and item E1)
            self.assertEqual(trap.jobs_count(), 1, "E2 only: the redelivered E1 is not re-run")
            trap.perform_enqueued_jobs()  # item E2
        self.assertEqual([p[2] for p in self.pulls], [None, "page-2"])
        self.assertEqual(self.flow.watermark_date, datetime(2030, 1, 2, 3, 4, 5))
        self.assertEqual(self.flow.watermark_token, "delta-42")
        messages = self.env["plant.sync.message"].search([("flow_id", "=", self.flow.id)])
        self.assertEqual(len(messages), 2, "the duplicate delivery is one message")
        self.assertEqual(set(messages.mapped("direction")), {"inbound"})
        self.assertEqual(set(messages.mapped("state")), {"done"})
        # inbound handlers run in import context: what they write is not exported back
        self.assertEqual(self.inbound_contexts, [self.backend.id, self.backend.id])
        self.assertEqual(sorted(m._get_response()["applied"] for m in messages), ["E1", "E2"])
        self.assertEqual(self.remote.call_count, 0)


@tagged("post_install", "-at_install")
class TestBatchPullEnqueuingItself(PlantSyncCase):
    """A pull handler may enqueue its inbound messages itself (one per page of rows): the page
    job schedules them like its items, they do not wait for the next dispatcher run."""

    def test_messages_enqueued_by_the_handler_are_scheduled(self):
        self.flow.write({"mode": "batch", "interval_number": 1, "interval_type": "hours"})
        applied = []

        def pull(flow, since, token, page_token):
            for page in ("rows-1", "rows-2"):
                self.env["plant.sync.message"]._enqueue(
                    flow, None, {"equipment": page}, key_parts=(page,), direction="inbound"
                )
            return BatchPage(watermark_token="done")

        def run_inbound(message):
            applied.append(message._get_payload()["equipment"])
            return {"applied": applied[-1]}

        with (
            patch_pull(pull),
            patch_handler(run_inbound),
            trap_jobs() as trap,
        ):
            self.flow._run_batch_now()
            trap.perform_enqueued_jobs()  # the page job
            processing = [j for j in trap.enqueued_jobs if j.method_name == "_job_process"]
            self.assertEqual(len(processing), 2, "scheduled by the page job")
            trap.perform_enqueued_jobs()
        self.assertEqual(sorted(applied), ["rows-1", "rows-2"])
        messages = self.env["plant.sync.message"].search([("flow_id", "=", self.flow.id)])
        self.assertEqual(set(messages.mapped("state")), {"done"})
        self.assertEqual(self.flow.watermark_token, "done")


@tagged("post_install", "-at_install")
class TestRetention(PlantSyncCase):
    def test_retention_blanks_old_done_payloads_only(self):
        with trap_jobs() as trap:
            old = self.enqueue(key=("old",))
            recent = self.enqueue(self.other_record, key=("recent",))
            trap.perform_enqueued_jobs()
        failed = self.enqueue(key=("failed",))
        failed.sudo().write({"state": "failed"})
        self.env["ir.config_parameter"].set_param("plant_sync_base.payload_retention_days", 30)
        old.write({"date_done": fields.Datetime.now() - timedelta(days=31)})
        failed.write({"date_done": fields.Datetime.now() - timedelta(days=31)})
        self.assertEqual(self.env["plant.sync.message"]._cron_payload_retention(), 1)
        self.assertFalse(old.request_payload)
        self.assertFalse(old.response_payload)
        self.assertTrue(recent.request_payload)
        self.assertTrue(failed.request_payload, "a failed message keeps its payload")

    def test_encrypted_payloads(self):
        self.backend.encrypt_payloads = True
        with trap_jobs() as trap:
            message = self.enqueue(payload={"description": "confidential"})
            trap.perform_enqueued_jobs()
        self.assertTrue(message.request_payload.startswith("fernet:"))
        self.assertNotIn("confidential", message.request_payload)
        self.assertEqual(message._get_payload()["description"], "confidential")
        self.assertIn("confidential", message.with_user(self.admin).request_payload_display)
        self.assertNotIn("confidential", message.with_user(self.planner).request_payload_display)
