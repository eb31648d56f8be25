# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

import psycopg2
from odoo import models
from odoo.tools import mute_logger

_logger = logging.getLogger(__name__)


class QueueJob(models.Model):
    _inherit = "queue.job"

    def write(self, vals):
        res = super().write(vals)
        if vals.get("state") == "failed":
            self._plant_sync_job_failed()
        return res

    def _plant_sync_job_failed(self):
        """Safety net: a processing job that failed in queue_job (max retries reached, crash
        outside the handler) puts its message in the exception queue; nothing stays stuck
        silently. Runs in the job runner's separate cursor while the job's own transaction may
        still hold the message row, hence NOWAIT."""
        jobs = self.filtered(
            lambda j: j.model_name == "plant.sync.message" and j.method_name == "_job_process"
        )
        for job in jobs:
            messages = (
                job.records.sudo().exists().filtered(lambda m: m.state in ("pending", "sent"))
            )
            for message in messages:
                human = self.env._(
                    "The processing job failed: %(error)s",
                    error=job.exc_message or job.exc_name or job.result or "",
                )
                try:
                    with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                        self.env.cr.execute(
                            "SELECT id FROM plant_sync_message WHERE id = %s "
                            "FOR NO KEY UPDATE NOWAIT",
                            (message.id,),
                        )
                        message.write(
                            {
                                "state": "failed",
                                "error_category": "technical",
                                "error_human": human,
                                "error_technical": job.exc_name or "",
                            }
                        )
                except psycopg2.errors.LockNotAvailable:
                    _logger.info("plant_sync: message %s locked, exception only", message.id)
                self.env["plant.sync.exception"]._raise_for_message(
                    message, "technical", human, job.exc_name or ""
                )
