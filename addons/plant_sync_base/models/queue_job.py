# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

import psycopg2
from odoo import api, models
from odoo.addons.queue_job.job import ENQUEUED, STARTED, Job
from odoo.tools import mute_logger
from psycopg2 import errorcodes

from ..job_lock import job_run_lock_is_free

_logger = logging.getLogger(__name__)

#: seconds a started/enqueued job must be old before its free run lock makes it dead. Keep it
#: at least the backends' read timeout (60 s by default): a worker whose database connection
#: was cut (not the process) may still be waiting for the answer of its last remote call.
#: Covers jobs started without the run lock too (the rolling deploy of this addon).
DEAD_JOB_GRACE_PARAM = "plant_sync_base.dead_job_grace_seconds"
DEAD_JOB_GRACE_DEFAULT = 60


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
                    "The job sending %(message)s stopped: %(error)s — Retry; if it stops again, "
                    "give the technical detail of the message to your integration administrator.",
                    message=message.display_name,
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
                    message,
                    "technical",
                    human,
                    job.exc_name or "",
                    kind="job_failed",
                    fix={"kind": "message", "model": message._name, "res_id": message.id},
                )

    # queue_job's "Related Action" button calls these on the job (queue.job), not on the job's
    # records (see queue_job_function_data.xml): open the business record of the job.
    def _related_action_open_message(self):
        """Related action of message processing jobs: open the message."""
        self.ensure_one()
        message = self.records.exists()
        return message._related_action_open_message() if len(message) == 1 else None

    def _related_action_open_flow(self):
        """Related action of pull jobs: open the flow."""
        self.ensure_one()
        flow = self.records.exists()
        return flow._related_action_open_flow() if len(flow) == 1 else None

    # ---------------------------------------------------------------------------------------
    # dead jobs (see job_lock.py)
    # ---------------------------------------------------------------------------------------
    @api.model
    def _plant_sync_requeue_dead_jobs(self, grace_seconds=None, limit=500):
        """Cron: requeue the ``started``/``enqueued`` jobs whose worker is gone, i.e. whose run
        lock no live connection holds, older than the grace period. A dead started job counts
        as one try; past its max retries it fails (and its message lands in the exception
        queue). A job that is running keeps its lock and is never touched. Returns the jobs."""
        if grace_seconds is None:
            grace_seconds = int(
                self.env["ir.config_parameter"]
                .sudo()
                .get_param(DEAD_JOB_GRACE_PARAM, DEAD_JOB_GRACE_DEFAULT)
                or 0
            )
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            """
            SELECT id, uuid FROM queue_job
             WHERE (state = %(started)s AND date_started
                    < (now() AT TIME ZONE 'UTC') - make_interval(secs => %(grace)s))
                OR (state = %(enqueued)s AND date_enqueued
                    < (now() AT TIME ZONE 'UTC') - make_interval(secs => %(grace)s))
             ORDER BY id
             LIMIT %(limit)s
            """,
            {"started": STARTED, "enqueued": ENQUEUED, "grace": grace_seconds, "limit": limit},
        )
        dead = self.browse()
        for job_id, uuid in cr.fetchall():
            if self._plant_sync_is_dead(job_id, uuid):
                dead |= self.browse(job_id)
        for record in dead:
            record._plant_sync_requeue_dead()
        return dead

    @api.model
    def _plant_sync_is_dead(self, job_id, uuid):
        """Nobody holds the job's run lock (we hold it now, until our commit: the job cannot
        start meanwhile) and the row is still what we read: not locked by a worker that is
        acquiring it, not changed since our snapshot (a run that ended and released the lock
        after our snapshot was taken shows up here as a serialization failure)."""
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                if not job_run_lock_is_free(cr, uuid):
                    return False
                cr.execute(
                    "SELECT id FROM queue_job WHERE id = %s AND state IN %s "
                    "FOR NO KEY UPDATE NOWAIT",
                    (job_id, (STARTED, ENQUEUED)),
                )
                return bool(cr.fetchone())
        except psycopg2.OperationalError as exc:
            if exc.pgcode in (errorcodes.LOCK_NOT_AVAILABLE, errorcodes.SERIALIZATION_FAILURE):
                return False
            raise

    def _plant_sync_requeue_dead(self):
        self.ensure_one()
        job = Job.load(self.env, self.uuid)
        was = job.state
        if was == STARTED:
            job.retry += 1  # a death is a try: a job that always kills its worker ends
        if job.max_retries and job.retry > job.max_retries:
            _logger.warning(
                "plant_sync: job %s found dead %s times, failed (%s)", job.uuid, job.retry, was
            )
            job.set_failed(
                exc_name="JobFoundDead",
                exc_message=self.env._(
                    "The worker running this job died %(count)s times.", count=job.retry
                ),
                exc_info=self.env._(
                    "Its run lock was free while the job was %(state)s: the process running "
                    "it ended (killed, out of memory, time limit, restart).",
                    state=was,
                ),
            )
        else:
            _logger.warning(
                "plant_sync: job %s was %s but its worker is gone: requeued", job.uuid, was
            )
            job.set_pending(
                result=self.env._(
                    "Requeued: the worker running it was gone (job was %(state)s).", state=was
                ),
                reset_retry=False,
            )
        job.store()
