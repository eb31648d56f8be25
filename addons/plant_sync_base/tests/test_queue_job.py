# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""queue_job's "Related Action" button on our jobs opens their business record."""

from odoo.tests.common import tagged

from .common import PlantSyncCase, patch_pull


@tagged("post_install", "-at_install")
class TestQueueJobRelatedAction(PlantSyncCase):
    def test_related_action_of_a_message_job_opens_the_message(self):
        message = self.enqueue()
        job = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        self.assertEqual(len(job), 1, "a real job was stored (trap_jobs not used)")
        action = job.open_related_action()
        self.assertEqual(action["type"], "ir.actions.act_window")
        self.assertEqual((action["res_model"], action["res_id"]), (message._name, message.id))
        self.assertEqual(action["view_mode"], "form")

    def test_related_action_of_a_pull_job_opens_the_flow(self):
        def pull(flow, since=None, token=None, page_token=None):
            return {"items": []}

        with patch_pull(pull):
            self.flow._run_batch_now()
        job = self.env["queue.job"].search(
            [("model_name", "=", "plant.sync.flow"), ("method_name", "=", "_job_pull_page")]
        )
        self.assertEqual(len(job), 1)
        action = job.open_related_action()
        self.assertEqual((action["res_model"], action["res_id"]), (self.flow._name, self.flow.id))
