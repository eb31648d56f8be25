#!/usr/bin/env python3
"""Benchmark: plant_sync engine throughput against raw queue_job, in the same run.

    python3 setup/bench_engine.py [-n 500] [--keep-db]

1. creates a database from ``ps_template`` when it exists (else an empty one), installs
   ``plant_sync_base`` into it;
2. in a child process (Odoo registry, no HTTP), measures
   * baseline: N raw queue_job no-op jobs (``queue.job._test_job``) enqueued with ``with_delay``
     and run the way the job runner does (load, started+commit, perform, done+commit);
   * engine: N messages through the full engine path - ``plant.sync.message._enqueue`` (flow
     lookup, idempotency key, redaction, create-or-get, job) then the same job execution
     (row lock, advisory lock per record, ordering check, circuit breaker, handler, binding, done)
     with a no-op remote handler;
3. prints jobs/s, msgs/s and the ratio, drops the database.

Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER, BENCH_DB (database name).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = "ps_template"
sys.path.insert(0, str(ROOT / "setup"))

from odoo_tests import addons_path, db_args, odoo_command  # noqa: E402


def psql_conn(dbname="postgres"):
    import psycopg2  # noqa: PLC0415

    conn = psycopg2.connect(
        dbname=dbname,
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=os.environ.get("PGPORT", "5432"),
        user=os.environ.get("PGUSER") or None,
        password=os.environ.get("PGPASSWORD") or None,
    )
    conn.autocommit = True
    return conn


def create_db(name: str) -> bool:
    """Create ``name`` from the template if there is one. True when the template was used."""
    conn = psql_conn()
    with conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEMPLATE,))
        has_template = bool(cr.fetchone())
        cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if has_template:
            cr.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    conn.close()
    return has_template


def drop_db(name: str) -> None:
    conn = psql_conn()
    with conn.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def install(cmd: list[str], db: str) -> None:
    args = [
        *cmd,
        *db_args(),
        "-d",
        db,
        "--addons-path",
        addons_path(),
        "-i",
        "plant_sync_base",
        "--stop-after-init",
        "--without-demo=all",
        "--no-http",
        "--max-cron-threads=0",
        "--log-level=warn",
    ]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"installing plant_sync_base failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")


# --------------------------------------------------------------------------------------------
# child: runs inside Odoo
# --------------------------------------------------------------------------------------------
def child(db: str, count: int) -> dict:
    from unittest.mock import patch  # noqa: PLC0415

    import odoo  # noqa: PLC0415
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415
    from odoo.modules.registry import Registry  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(
        [*db_args(), "-d", db, "--addons-path", addons_path(), "--no-http", "--log-level=warn"]
    )
    odoo.service.server.load_server_wide_modules()
    registry = Registry(db)
    from odoo.addons.queue_job.job import Job  # noqa: PLC0415

    def run_jobs(uuids):
        """What the job runner does for each job, minus HTTP: load, mark started and commit,
        perform, mark done and commit."""
        for uuid in uuids:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                job = Job.load(env, uuid)
                job.set_started()
                job.store()
                cr.commit()
                job.perform()
                env.flush_all()
                job.set_done()
                job.store()
                env.flush_all()
                cr.commit()

    # ---- baseline: raw queue_job no-op jobs ----------------------------------------------
    t0 = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        uuids = [env["queue.job"].with_delay()._test_job().uuid for _ in range(count)]
    t_enqueue = time.perf_counter()
    run_jobs(uuids)
    t_base = time.perf_counter() - t0
    base_enqueue = t_enqueue - t0

    # ---- engine: full message path with a no-op remote -----------------------------------
    Message = registry["plant.sync.message"]
    Flow = registry["plant.sync.flow"]
    selection = [("bench_noop", "Benchmark no-op")]
    patches = [
        patch.object(field, attr, value)
        for field in (Flow._fields["code"], Message._fields["flow_code"])
        for attr, value in (("selection", selection), ("_selection", dict(selection)))
    ]
    patches.append(
        patch.object(
            Message,
            "_plant_sync_run_bench_noop",
            lambda message: ({"ok": True}, f"EXT-{message.id}", "1"),
            create=True,
        )
    )
    for p in patches:
        p.start()
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            backend = env["plant.sync.backend"].create(
                {"name": "Bench", "kind": "sap_odata", "rate_limit_per_minute": 100000}
            )
            flow = env["plant.sync.flow"].create(
                {"backend_id": backend.id, "code": "bench_noop", "enabled": True}
            )
            partners = env["res.partner"].create(
                [{"name": f"Bench order {i}"} for i in range(count)]
            )
            partner_ids = partners.ids
        t0 = time.perf_counter()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            records = env["res.partner"].browse(partner_ids)
            flow = env["plant.sync.flow"].browse(flow.id)
            Messages = env["plant.sync.message"]
            uuids = [
                Messages._enqueue(
                    "bench_noop",
                    record,
                    {"order": record.id, "description": "bench", "qty": 1},
                    ("bench", record.id),
                    backend=backend.with_env(env),
                ).job_uuid
                for record in records
            ]
        t_enqueue = time.perf_counter()
        run_jobs(uuids)
        t_engine = time.perf_counter() - t0
        engine_enqueue = t_enqueue - t0
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            done = env["plant.sync.message"].search_count(
                [("flow_id", "=", flow.id), ("state", "=", "done")]
            )
            bound = env["plant.sync.binding"].search_count([("backend_id", "=", backend.id)])
    finally:
        for p in patches:
            p.stop()
    if done != count or bound != count:
        raise SystemExit(f"engine run incomplete: {done} done, {bound} bound of {count}")
    return {
        "count": count,
        "baseline_seconds": t_base,
        "baseline_enqueue_seconds": base_enqueue,
        "engine_seconds": t_engine,
        "engine_enqueue_seconds": engine_enqueue,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=500)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--child", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(args.child, args.count)
        sys.stdout.write("BENCH-RESULT " + json.dumps(result) + "\n")
        return 0

    cmd, origin = odoo_command()
    if cmd is None:
        sys.stdout.write(f"bench_engine: skipped - {origin}\n")
        return 0
    db = os.environ.get("BENCH_DB") or f"plant_sync_bench_{os.getpid()}"
    env = dict(os.environ)
    env.setdefault("PLANT_SYNC_ENCRYPTION_KEYS", "bfo07sG1-Mz-q0HnGfW9hQ7_KfTWA9hDrtY9cfbwG1o=")
    try:
        from_template = create_db(db)
        sys.stdout.write(
            f"database {db} ({'from ' + TEMPLATE if from_template else 'fresh install'}), "
            "installing plant_sync_base...\n"
        )
        sys.stdout.flush()
        install(cmd, db)
        proc = subprocess.run(
            [sys.executable, __file__, "--child", db, "-n", str(args.count)],
            capture_output=True,
            text=True,
            env=env,
        )
        line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
        if proc.returncode != 0 or not line:
            sys.stdout.write(proc.stdout[-3000:] + proc.stderr[-5000:])
            return 1
        r = json.loads(line.split(" ", 1)[1])
    finally:
        if not args.keep_db:
            drop_db(db)
    n = r["count"]
    base_rate = n / r["baseline_seconds"]
    engine_rate = n / r["engine_seconds"]
    sys.stdout.write(
        f"N = {n} each, sequential, one process, job runner emulated without HTTP\n"
        f"baseline queue_job no-op: {base_rate:8.1f} jobs/s "
        f"(enqueue {r['baseline_enqueue_seconds']:.2f}s, total {r['baseline_seconds']:.2f}s)\n"
        f"engine (full path):      {engine_rate:8.1f} msgs/s "
        f"(enqueue {r['engine_enqueue_seconds']:.2f}s, total {r['engine_seconds']:.2f}s)\n"
        f"ratio engine/baseline:   {engine_rate / base_rate:8.2f}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
