# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""queue_job's ``/queue_job/runjob``, made to survive dead workers and lost connections:

* the job's run lock is held while the job runs (see ``job_lock.py``): from before queue_job
  commits the ``started`` state until the request ends, its failure and retry bookkeeping
  included, so the dead-job cron can tell this job from one whose worker died;
* a job whose database connection was lost while it ran (``pg_terminate_backend``, a database
  restart or fail-over) is postponed and retried like a concurrency error, instead of being
  failed by queue_job: nothing the job did was committed.
"""

import psycopg2
from odoo import http
from odoo.addons.queue_job.controllers.main import PG_RETRY, RunJobController
from odoo.addons.queue_job.exception import RetryableJobError

from ..job_lock import acquire_job_run_lock, release_job_run_lock

#: SQLSTATE class 08 (connection exception) and the shutdown codes of class 57
CONNECTION_LOST_CODES = ("57P01", "57P02", "57P03")


def connection_lost(cr, exc):
    if isinstance(exc, psycopg2.InterfaceError) or cr._cnx.closed:
        return True
    code = getattr(exc, "pgcode", None) or ""
    return code.startswith("08") or code in CONNECTION_LOST_CODES


class PlantSyncRunJobController(RunJobController):
    @http.route()
    def runjob(self, db, job_uuid, **kw):
        cr = http.request.env.cr
        acquire_job_run_lock(cr, job_uuid)
        try:
            return super().runjob(db, job_uuid, **kw)
        finally:
            release_job_run_lock(cr, job_uuid)

    def _try_perform_job(self, env, job):
        try:
            return super()._try_perform_job(env, job)
        except (psycopg2.InterfaceError, psycopg2.OperationalError) as exc:
            if not connection_lost(env.cr, exc):
                raise
            raise RetryableJobError(
                f"Database connection lost while the job ran: {exc}", seconds=PG_RETRY
            ) from exc
