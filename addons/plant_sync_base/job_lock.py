# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The run lock of a queue_job job: tells a dead job from a running one.

queue_job 18.0.1.7.0 marks a job ``started`` and commits before running it. When the worker
process dies (SIGKILL, OOM killer, ``limit_time_real``, a redeploy) the job stays ``started``
for good and keeps its channel slot: enough of them freeze the channel. Requeueing by age
alone re-runs jobs that are still running (OCA/queue issue #306). OCA/queue later fixed it
with a lock row per job held by the running worker (PRs #716/#748, 18.0 #853/#854); that
release needs a newer Odoo 18.0 than ours, so this is the same idea with an advisory lock:

* the worker that runs a job holds a PostgreSQL **session-level** advisory lock on the job's
  uuid from before the ``started`` state is committed until the request ends
  (``controllers/main.py``). Session-level, so the commits of the job do not release it;
  PostgreSQL releases it when the worker's connection ends, however the process ended;
* the cron ``queue.job._plant_sync_requeue_dead_jobs`` requeues a ``started``/``enqueued``
  job only when it can take that lock itself (``pg_try_advisory_xact_lock``), i.e. when no
  live connection holds it.
"""

from __future__ import annotations

import logging

import psycopg2
from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from .tools import advisory_lock_key

_logger = logging.getLogger(__name__)


def job_run_lock_key(job_uuid: str) -> int:
    """Advisory lock key of the run lock of job ``job_uuid``."""
    return advisory_lock_key("queue_job.run", job_uuid)


def acquire_job_run_lock(cr, job_uuid: str) -> None:
    """Take the run lock of ``job_uuid`` on the connection of ``cr`` (session level). Waits
    while another connection holds it (the previous run of the same job finishing its request,
    or the dead-job cron requeueing it); after a wait the transaction starts afresh so that the
    caller sees what the other side committed."""
    key = job_run_lock_key(job_uuid)
    cr.execute("SELECT pg_try_advisory_lock(%s)", (key,))
    if cr.fetchone()[0]:
        return
    cr.execute("SELECT pg_advisory_lock(%s)", (key,))
    cr.rollback()  # nothing done yet; a new snapshot sees the other side's commit


def release_job_run_lock(cr, job_uuid: str) -> None:
    """Release the run lock taken by :func:`acquire_job_run_lock`. A connection that cannot
    release it (broken, or its transaction aborted and cannot be rolled back) is closed rather
    than given back to the pool holding the lock."""
    key = job_run_lock_key(job_uuid)
    cnx = cr._cnx
    if cnx.closed:
        return  # the server ended the session, and with it the lock
    try:
        if cnx.get_transaction_status() == TRANSACTION_STATUS_INERROR:
            cr.rollback()  # the request fails anyway: Odoo would roll back right after
        cr.execute("SELECT pg_advisory_unlock(%s)", (key,))
    except psycopg2.Error:
        _logger.info("plant_sync: closing the connection that held job %s's run lock", job_uuid)
        cnx.close()


def job_run_lock_is_free(cr, job_uuid: str) -> bool:
    """True when no other connection holds the run lock of ``job_uuid``. The lock is then held
    by ``cr``'s transaction until it ends, so that the job cannot start meanwhile."""
    cr.execute("SELECT pg_try_advisory_xact_lock(%s)", (job_run_lock_key(job_uuid),))
    return cr.fetchone()[0]
