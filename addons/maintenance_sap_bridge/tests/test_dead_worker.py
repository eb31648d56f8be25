# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A worker dies after SAP committed and before Odoo committed: the job is requeued by
plant_sync_base's dead-job cron and its second run finds the SAP document by its idempotency
key instead of creating a second one."""

from datetime import datetime, timedelta

from odoo.addons.queue_job.job import Job
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from .common import SapMaintenanceCase


class WorkerKilled(Exception):
    """Stands for the SIGKILL: the worker's transaction never commits."""


@tagged("post_install", "-at_install")
class TestDeadWorkerOData(SapMaintenanceCase):
    transport = "odata"

    def _die_after_remote_commit(self, job):
        """Run the job as the dead worker did: SAP answers, Odoo's transaction is lost."""
        job_ = Job.load(self.env, job.uuid)
        job_.set_enqueued()
        job_.set_started()
        job_.store()
        with self.assertRaises(WorkerKilled), self.env.cr.savepoint():
            job_.perform()
            self.env.flush_all()
            raise WorkerKilled
        self.env.invalidate_all()
        # what the runner and the killed worker left in the database
        job.write({"date_started": datetime.now() - timedelta(minutes=5)})

    def test_requeued_job_of_a_killed_worker_creates_no_second_notification(self):
        equipment = self.make_equipment()
        request = self.env["maintenance.request"].create(
            {"name": "Leak", "equipment_id": equipment.id, "maintenance_team_id": self.team.id}
        )
        message = self.messages(request, "notification")
        job = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        self.assertEqual(len(job), 1)
        self._die_after_remote_commit(job)
        self.assertEqual(self.sim.store.counts()["MaintenanceNotification"], 1, "SAP committed")
        self.assertEqual((message.state, request.sap_notification_number), ("pending", False))
        self.assertEqual(job.state, "started")

        with mute_logger("odoo.addons.plant_sync_base.models.queue_job"):
            self.assertEqual(self.env["queue.job"]._plant_sync_requeue_dead_jobs(), job)
        self.assertEqual(job.state, "pending")
        Job.load(self.env, job.uuid).perform()

        self.assertEqual(message.state, "done")
        self.assertEqual(self.sim.store.counts()["MaintenanceNotification"], 1)
        found = self.sim.store.find(
            "MaintenanceNotification", MaintNotifExtReferenceNumber=message.idempotency_key
        )
        self.assertEqual(len(found), 1)
        self.assertEqual(request.sap_notification_number, found[0]["MaintenanceNotification"])
        self.assertIs(message._get_response()["created"], False, "found, not created again")
