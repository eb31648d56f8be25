#!/usr/bin/env python3
"""Measure the running product, every figure against its baseline in the same run.

Starts the stack as production runs it (``setup/chaos.py``'s :class:`Stack`: Odoo with
``--workers=2`` and queue_job's job runner, the SAP and CMMS simulators, PostgreSQL, its own
database and ports; channel ``root.plant_sync.sap`` with capacity 4), measures, stops everything
and prints one table::

    figure | measures | engine | baseline | ratio | goal | result

    setup/bench                          # full sizes (about 15 minutes on 2 cores)
    setup/bench --quick                  # small sizes, a smoke run (about 3 minutes)
    setup/bench --size 0.2               # full sizes scaled down
    setup/bench --phases p1,p4 --template ps_template --report bench.md

Figures (jobs go through the runner and the HTTP workers, never in-process):

P1   engine messages/s (``sap_pm_notification`` to the SAP simulator, zero latency) / raw
     queue_job no-op jobs/s (``queue.job._test_job``), both enqueued in one transaction;
P1b  rows/s of the batched master-data pull (one message per page of rows) / P1's raw jobs/s;
P2   messages/s with 200 ms SAP latency, channel capacity 4 / (4 / 0.2 s); again with more
     HTTP workers (``--p2-workers``) to show what bounds it;
P3   equipment/s of a ``sap_pm_master_pull`` of 50,000 SAP equipment / equipment/s of Odoo's
     own batched ``create`` (tracking off) of the same records; peak worker RSS of a 10,000 pull
     against the 50,000 pull;
P4   signed webhook deliveries/s (verify, de-duplicate, enqueue) / a trivial JSON route/s
     (``/web/webclient/version_info``), same server and client concurrency;
P5   ``setup/bench_reconciliation.py`` (100,000 stock positions) on the same database.

Exit status 0 when the bench ran (a missed goal says MISS in the table), 1 when it failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "setup"))

from chaos import (  # noqa: E402
    RUNNER_LOCK_ID,
    WEBHOOK_SECRET,
    Stack,
    add_stack_arguments,
    wait_for,
)

from plant_sync.webhooks import sign  # noqa: E402

CHANNELS = "root:4,root.plant_sync:4,root.plant_sync.sap:4,root.plant_sync.cmms:2"
SAP_CAPACITY = 4
LATENCY = 0.2
PHASES = ["p1", "p2", "p3", "p4", "p5"]
PHASE_FIGURES = {
    "p1": ["P1"],
    "p2": ["P2"],
    "p2w": ["P2w"],
    "p3": ["P3", "P3m", "P1b"],
    "p4": ["P4"],
    "p5": ["P5"],
}
SIZES = {
    # name: (quick, full)
    "p1_messages": (60, 300),
    "p2_messages": (24, 100),
    "p3_small": (300, 10_000),
    "p3_large": (1500, 50_000),
    "p4_deliveries": (200, 1000),
    "p5_positions": (5000, 100_000),
}
WEBHOOK_CLIENTS = 8
WARMUP = 4
PERF_LINE = re.compile(
    r'"(?P<method>GET|POST) (?P<path>\S+) HTTP/1\.[01]" (?P<status>\d{3}) - '
    r"(?P<queries>\d+) (?P<qtime>[\d.]+) (?P<rest>[\d.]+)"
)


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


@dataclass
class Figure:
    key: str
    measures: str
    goal: str
    engine: str = "-"
    baseline: str = "-"
    shown: str = "not run"
    ok: bool | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def result(self) -> str:
        return {True: "PASS", False: "MISS", None: "-"}[self.ok]


class BenchStack(Stack):
    """chaos' stack with the bench's channel capacities and a settable number of workers."""

    workers = 2

    def write_config(self, node: str, runner: bool) -> Path:
        path = super().write_config(node, runner)
        lines = []
        for line in path.read_text().splitlines():
            if line.startswith("channels = "):
                line = f"channels = {CHANNELS}"
            elif line.startswith("workers = "):
                line = f"workers = {self.workers}"
            lines.append(line)
        path.write_text("\n".join(lines) + "\n")
        return path

    def restart_node(self, workers: int) -> None:
        self.procs.stop("odoo-a")
        self.workers = workers
        self.start_node("a", runner=True)


# ---------------------------------------------------------------------------------------------
# run inside `odoo shell` (P3 baseline): Odoo's own batched create of the records the pull made
# (without the SAP equipment number: set outside an import, it binds each record one at a time)
# ---------------------------------------------------------------------------------------------
CREATE_BASELINE = r"""
# ruff: noqa: F821
import json, os, resource, time
prefix, batch = os.environ["BENCH_PREFIX"], 1000
backend = env["plant.sync.backend"].browse(int(os.environ["BENCH_SAP_BACKEND"]))
fields_ = ["name", "serial_no", "model", "sap_manufacturer",
           "sap_object_type", "sap_plant", "sap_work_center", "category_id",
           "maintenance_team_id", "company_id"]
rows = env["maintenance.equipment"].with_context(active_test=False).search_read(
    [("name", "=like", prefix + " %")], fields_, order="id")
vals_list = []
for row in rows:
    vals = {k: (v[0] if isinstance(v, (list, tuple)) else v) for k, v in row.items() if k != "id"}
    serial = vals["serial_no"] and "B" + vals["serial_no"]
    vals.update(name="Base " + vals["name"], serial_no=serial)
    vals_list.append(vals)
Equipment = env["maintenance.equipment"].sudo().with_company(backend.company_id).with_context(
    tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True)
env.cr.commit()
started = time.perf_counter()
for start in range(0, len(vals_list), batch):
    Equipment.create(vals_list[start:start + batch])
    env.cr.commit()
    env.invalidate_all()
seconds = time.perf_counter() - started
with open(os.environ["BENCH_OUT"], "w") as out:
    json.dump({"count": len(vals_list), "seconds": seconds,
               "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}, out)
"""


class Bench:
    def __init__(self, stack: BenchStack, args: argparse.Namespace):
        self.s = stack
        self.args = args
        self.tag = uuid.uuid4().hex[:6]
        self.figures = {
            "P1": Figure(
                "P1",
                "engine msg/s ÷ raw queue_job no-op jobs/s (one message per job, SAP at 0 ms)",
                "≥ 0.8",
            ),
            "P1b": Figure(
                "P1b", "batched flow: master-data rows/s ÷ raw queue_job jobs/s (P1)", "≥ 3"
            ),
            "P2": Figure(
                "P2",
                f"msg/s at {LATENCY * 1000:.0f} ms SAP latency, capacity {SAP_CAPACITY}"
                f" ÷ ({SAP_CAPACITY} / {LATENCY} s)",
                "≥ 0.9",
            ),
            "P2w": Figure(
                "P2w",
                f"P2 with --workers={args.p2_workers} (what bounds P2)",
                "≥ 0.9",
            ),
            "P3": Figure(
                "P3",
                "equipment/s of the SAP master pull ÷ Odoo's batched create (tracking off)",
                "≥ 0.8",
            ),
            "P3m": Figure("P3m", "peak RSS of an Odoo worker: 50k pull ÷ 10k pull", "≈ 1 (≤ 1.2)"),
            "P4": Figure(
                "P4",
                f"signed webhooks/s (verify, de-duplicate, enqueue) ÷ trivial JSON route/s,"
                f" {WEBHOOK_CLIENTS} clients",
                "≥ 0.5",
            ),
            "P5": Figure("P5", "stock reconciliation of N positions (seconds)", "< 60 s"),
        }
        if not args.p2_workers:
            del self.figures["P2w"]
        self.failed: list[str] = []
        self.flows: dict[str, int] = {}
        self.raw_rate: float | None = None
        self.requests: list[int] = []
        self.odoo_version = self.pg_version = "?"
        self.last_enqueue_seconds = 0.0

    # --- sizes -----------------------------------------------------------------------------------
    def size(self, name: str) -> int:
        quick, full = SIZES[name]
        if self.args.quick:
            return quick
        return max(int(full * self.args.size), 1)

    # --- helpers ---------------------------------------------------------------------------------
    def sql(self, query: str, params=None) -> list[tuple]:
        return self.s.sql(query, params)

    def rpc(self, model: str, method: str, *args, **kwargs):
        return self.s.rpc(model, method, *args, **kwargs)

    def poll(self, predicate, timeout: float, what: str, interval: float = 0.25) -> bool:
        return bool(wait_for(predicate, timeout, interval, what))

    def db_stats(self) -> dict[str, int]:
        """Cumulative counters of the database (pg_stat_database, flushed by the backends)."""
        time.sleep(1.5)
        self.sql("SELECT pg_stat_clear_snapshot()")
        names = ["xact_commit", "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted"]
        row = self.sql(
            "SELECT xact_commit, tup_fetched, tup_inserted, tup_updated, tup_deleted"
            " FROM pg_stat_database WHERE datname = current_database()"
        )[0]
        return dict(zip(names, row, strict=True))

    @staticmethod
    def stats_delta(before: dict, after: dict, count: int) -> str:
        delta = {k: after[k] - before[k] for k in before}
        written = delta["tup_inserted"] + delta["tup_updated"] + delta["tup_deleted"]
        return (
            f"{delta['xact_commit'] / count:.1f} commits, {delta['tup_fetched'] / count:.0f} rows"
            f" read, {written / count:.1f} rows written per item (pg_stat_database, whole DB)"
        )

    def log_offset(self) -> int:
        path = self.s.workdir / "odoo-a.log"
        return path.stat().st_size if path.exists() else 0

    def perf_lines(self, offset: int) -> list[re.Match]:
        """The HTTP request lines Odoo logged since ``offset``, with their query counts."""
        path = self.s.workdir / "odoo-a.log"
        with path.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace")
        return [m for m in map(PERF_LINE.search, text.splitlines()) if m]

    def job_perf(self, offset: int, uuids: set[str]) -> str:
        """SQL queries and time per job from Odoo's request log: its /queue_job/runjob call
        that ran it (a job can be dispatched more than once, e.g. after the runner's 1 s HTTP
        timeout: the other calls only find it started)."""
        runs: dict[str, tuple[int, float, float]] = {}
        calls = 0
        for match in self.perf_lines(offset):
            path = match["path"]
            job = path.rsplit("job_uuid=", 1)[-1]
            if "/queue_job/runjob" not in path or job not in uuids:
                continue
            calls += 1
            perf = (int(match["queries"]), float(match["qtime"]), float(match["rest"]))
            if perf[0] >= runs.get(job, (-1,))[0]:
                runs[job] = perf
        if not runs:
            return "per job: not in the log"
        count = len(runs)
        queries, sql, other = (sum(r[i] for r in runs.values()) / count for i in range(3))
        return (
            f"per job {queries:.0f} SQL queries, {sql * 1000:.0f} ms in SQL + {other * 1000:.0f}"
            f" ms other ({calls} runjob calls for {count} jobs; Odoo's request log)"
        )

    def worker_pids(self) -> list[int]:
        pids = []
        for pid in self.s.procs.descendants("odoo-a"):
            with contextlib.suppress(psutil.Error):
                if "--gevent" not in " ".join(psutil.Process(pid).cmdline()):
                    pids.append(pid)
        return pids

    def runner_pid(self) -> int | None:
        for backend_pid in self.s.advisory_holders(RUNNER_LOCK_ID):
            rows = self.sql(
                "SELECT application_name FROM pg_stat_activity WHERE pid = %s", [backend_pid]
            )
            if rows and rows[0][0].startswith("odoo-"):
                pid = int(rows[0][0].split("-", 1)[1])
                if pid in self.s.procs.descendants("odoo-a"):
                    return pid
        return None

    def flow_channel(self, flow_id: int) -> str:
        rows = self.sql(
            "SELECT c.complete_name FROM plant_sync_flow f"
            " JOIN queue_job_channel c ON c.id = f.channel_id WHERE f.id = %s",
            [flow_id],
        )
        return rows[0][0] if rows else "root"

    # --- set-up ----------------------------------------------------------------------------------
    def prepare(self) -> None:
        info = self.s.info
        for backend in (info["sap_backend"], info["cmms_backend"]):
            for flow_id, code in self.sql(
                "SELECT id, code FROM plant_sync_flow WHERE backend_id = %s", [backend]
            ):
                self.flows[code] = flow_id
        # no scheduled pull during the measurements (the bench starts the ones it measures)
        batch = self.rpc("plant.sync.flow", "search", [["mode", "=", "batch"]])
        self.rpc("plant.sync.flow", "write", batch, {"next_run": "2099-01-01 00:00:00"})
        answer = requests.post(
            self.s.node_url("a") + "/web/webclient/version_info",
            json={"jsonrpc": "2.0", "method": "call", "params": {}},
            timeout=30,
        ).json()
        self.odoo_version = answer["result"]["server_version"]
        self.pg_version = self.sql("SHOW server_version")[0][0].split()[0]
        if {"p1", "p2"} & set(self.args.phases):
            self.create_requests()

    def create_requests(self) -> None:
        """Corrective requests on SAP equipment, created while the notification flow is off:
        each phase then enqueues the notifications of its requests in one transaction
        (``action_sap_sync_now``), so that creating requests is not what is measured."""
        count = WARMUP + self.size("p1_messages") + 1 + self.size("p2_messages")
        if self.args.p2_workers:
            count += self.size("p2_messages")
        flow = self.flows["sap_pm_notification"]
        self.rpc("plant.sync.flow", "write", [flow], {"enabled": False})
        started = time.monotonic()
        info = self.s.info
        vals = [
            {
                "name": f"Bench {self.tag} {i + 1}",
                "equipment_id": info["equipment"][i % len(info["equipment"])],
                "maintenance_team_id": info["team"],
                "maintenance_type": "corrective",
            }
            for i in range(count)
        ]
        for chunk in range(0, count, 100):
            created = self.rpc("maintenance.request", "create", vals[chunk : chunk + 100])
            self.requests += created if isinstance(created, list) else [created]
        self.rpc("plant.sync.flow", "write", [flow], {"enabled": True})
        log(f"{count} corrective requests created in {time.monotonic() - started:.0f}s")

    def take_requests(self, count: int) -> list[int]:
        taken, self.requests = self.requests[:count], self.requests[count:]
        return taken

    # --- engine messages -------------------------------------------------------------------------
    def notification_states(self, request_ids: list[int]) -> tuple[int, int, int]:
        """(messages, settled, failed) of the notifications of ``request_ids``."""
        return self.sql(
            "SELECT count(*), count(*) FILTER (WHERE state IN ('done', 'failed', 'cancelled')),"
            " count(*) FILTER (WHERE state = 'failed') FROM plant_sync_message"
            " WHERE flow_id = %s AND res_model = 'maintenance.request' AND res_id = ANY(%s)",
            [self.flows["sap_pm_notification"], request_ids],
        )[0]

    def send_notifications(self, request_ids: list[int], timeout: float) -> float:
        """Seconds from the enqueue call (one transaction) until every notification settled."""
        started = time.monotonic()
        self.rpc("maintenance.request", "action_sap_sync_now", request_ids)
        enqueued = time.monotonic() - started
        count = len(request_ids)

        def settled():
            total, done, _failed = self.notification_states(request_ids)
            return total >= count and done >= total

        if not self.poll(settled, timeout, "the notifications to settle"):
            raise RuntimeError(f"notifications not settled after {timeout:.0f}s")
        seconds = time.monotonic() - started
        total, _done, failed = self.notification_states(request_ids)
        if failed or total != count:
            raise RuntimeError(f"{failed} of {total} notifications failed ({count} expected)")
        self.last_enqueue_seconds = enqueued
        return seconds

    def notification_breakdown(self, request_ids: list[int]) -> tuple[float, float, set[str]]:
        """(mean job exec_time s, mean handler duration s, job uuids) of the notifications."""
        rows = self.sql(
            "SELECT avg(j.exec_time), avg(m.duration_ms) / 1000.0, array_agg(m.job_uuid)"
            " FROM plant_sync_message m JOIN queue_job j ON j.uuid = m.job_uuid"
            " WHERE m.flow_id = %s AND m.res_model = 'maintenance.request'"
            " AND m.res_id = ANY(%s)",
            [self.flows["sap_pm_notification"], request_ids],
        )[0]
        return float(rows[0] or 0), float(rows[1] or 0), set(rows[2] or [])

    # --- raw queue_job jobs ----------------------------------------------------------------------
    def raw_jobs(self, count: int, channel: str, timeout: float) -> tuple[float, str]:
        """Seconds from the enqueue call (one transaction, a server action run over JSON-RPC)
        until ``count`` ``queue.job._test_job`` jobs are done."""
        name = f"bench-raw-{self.tag}-{uuid.uuid4().hex[:6]}"
        model = self.rpc("ir.model", "search", [["model", "=", "queue.job"]])[0]
        action = self.rpc(
            "ir.actions.server",
            "create",
            {
                "name": name,
                "model_id": model,
                "state": "code",
                "code": (
                    f"for _i in range({count}):\n"
                    f"    model.with_delay(channel={channel!r}, description={name!r})._test_job()\n"
                ),
            },
        )
        action = action[0] if isinstance(action, list) else action
        started = time.monotonic()
        self.rpc("ir.actions.server", "run", [action])
        self.last_enqueue_seconds = time.monotonic() - started

        def states():
            return self.sql(
                "SELECT count(*), count(*) FILTER (WHERE state = 'done'),"
                " count(*) FILTER (WHERE state = 'failed') FROM queue_job WHERE name = %s",
                [name],
            )[0]

        if not self.poll(lambda: states()[1] >= count or states()[2], timeout, "raw jobs"):
            raise RuntimeError(f"raw jobs not done after {timeout:.0f}s")
        seconds = time.monotonic() - started
        total, done, failed = states()
        if failed or done != count:
            raise RuntimeError(f"raw jobs: {done} done, {failed} failed of {total}")
        self.rpc("ir.actions.server", "unlink", [action])
        self.last_raw = name
        return seconds, name

    def raw_breakdown(self, name: str) -> tuple[float, set[str]]:
        row = self.sql(
            "SELECT avg(exec_time), array_agg(uuid) FROM queue_job WHERE name = %s", [name]
        )[0]
        return float(row[0] or 0), set(row[1] or [])

    # --- P1 --------------------------------------------------------------------------------------
    def phase_p1(self) -> None:
        figure = self.figures["P1"]
        count = self.size("p1_messages")
        channel = self.flow_channel(self.flows["sap_pm_notification"])
        log(f"P1: warm-up (raw jobs and {WARMUP} notifications)")
        self.raw_jobs(20, channel, 120)
        self.send_notifications(self.take_requests(WARMUP), 120)
        budget = 60 + count * 2
        log(f"P1: {count} raw queue_job no-op jobs in channel {channel}")
        offset, before = self.log_offset(), self.db_stats()
        raw_seconds, raw_name = self.raw_jobs(count, channel, budget)
        raw_enqueue = self.last_enqueue_seconds
        raw_stats = self.stats_delta(before, self.db_stats(), count)
        raw_exec, raw_uuids = self.raw_breakdown(raw_name)
        raw_queries = self.job_perf(offset, raw_uuids)
        self.raw_rate = count / raw_seconds
        log(f"P1: raw {self.raw_rate:.1f} jobs/s; now {count} SAP notifications")
        ids = self.take_requests(count)
        offset, before = self.log_offset(), self.db_stats()
        engine_seconds = self.send_notifications(ids, budget * 4)
        engine_enqueue = self.last_enqueue_seconds
        engine_stats = self.stats_delta(before, self.db_stats(), count)
        job_exec, handler, uuids = self.notification_breakdown(ids)
        engine_queries = self.job_perf(offset, uuids)
        engine_rate = count / engine_seconds
        ratio = engine_rate / self.raw_rate
        figure.baseline = f"{self.raw_rate:.1f} jobs/s ({count} in {raw_seconds:.1f}s)"
        figure.engine = f"{engine_rate:.1f} msg/s ({count} in {engine_seconds:.1f}s)"
        figure.shown = f"{ratio:.2f}"
        figure.ok = ratio >= 0.8
        figure.notes += [
            f"raw: enqueue {raw_enqueue:.1f}s, mean job {raw_exec * 1000:.0f} ms, {raw_queries};"
            f" {raw_stats}",
            f"engine: enqueue {engine_enqueue:.1f}s (action_sap_sync_now), mean job"
            f" {job_exec * 1000:.0f} ms of which the handler (SAP calls, request update,"
            f" chatter note) {handler * 1000:.0f} ms, {engine_queries}; {engine_stats}",
        ]

    # --- P2 --------------------------------------------------------------------------------------
    def phase_p2(self, key: str = "P2") -> None:
        figure = self.figures[key]
        count = self.size("p2_messages")
        workers = self.s.workers
        self.s.sap_faults(latency=LATENCY)
        try:
            if key == "P2":
                probe = self.take_requests(1)
                self.send_notifications(probe, 120)
                _exec, alone, _uuids = self.notification_breakdown(probe)
                figure.notes.append(
                    f"one message alone: handler {alone * 1000:.0f} ms ="
                    f" {alone / LATENCY:.1f} x the {LATENCY * 1000:.0f} ms latency"
                )
            log(f"{key}: {count} notifications at {LATENCY * 1000:.0f} ms, workers={workers}")
            ids = self.take_requests(count)
            seconds = self.send_notifications(ids, 120 + count * 5)
        finally:
            self.s.sap_faults()
        job_exec, handler, _uuids = self.notification_breakdown(ids)
        rate = count / seconds
        ideal = SAP_CAPACITY / LATENCY
        ratio = rate / ideal
        figure.engine = f"{rate:.1f} msg/s ({count} in {seconds:.1f}s)"
        figure.baseline = f"{ideal:.0f} msg/s (capacity {SAP_CAPACITY} / {LATENCY}s)"
        figure.shown = f"{ratio:.2f}"
        figure.ok = ratio >= 0.9
        bound = min(SAP_CAPACITY, workers) / max(job_exec, 0.001)
        figure.notes.append(
            f"--workers={workers}: mean job {job_exec * 1000:.0f} ms, handler"
            f" {handler * 1000:.0f} ms; at most min(capacity {SAP_CAPACITY}, workers {workers})"
            f" jobs at once -> bound {bound:.1f} msg/s"
        )

    # --- P3 --------------------------------------------------------------------------------------
    def seed_equipment(self, count: int, plant: str, prefix: str) -> None:
        from plant_sync.simulators.sap.store import SapStore  # noqa: PLC0415

        self.s.procs.stop("sap-simulator", timeout=10)
        store = SapStore(str(self.s.workdir / "sap.sqlite"))
        try:
            store.seed_equipment(count, plant, name_prefix=prefix)
        finally:
            store.close()
        self.s.start_simulator("sap")

    def bound_equipment(self) -> int:
        return self.sql(
            "SELECT count(*) FROM plant_sync_binding WHERE backend_id = %s"
            " AND res_model = 'maintenance.equipment'",
            [self.s.info["sap_backend"]],
        )[0][0]

    def pull(self, count: int, plant: str, timeout: float) -> dict:
        """A full master-data pull of the SAP equipment of ``plant`` through the runner: seconds
        until ``count`` more equipment are bound and no page message is pending, peak RSS."""
        flow = self.flows["sap_pm_master_pull"]
        self.rpc("plant.sync.flow", "write", [flow], {"sap_plant_filter": plant})
        before = self.bound_equipment()
        rss_before = max((self.rss(p) for p in self.worker_pids()), default=0)
        peak = {"rss": 0}
        stop = threading.Event()

        def sample():
            while not stop.wait(0.5):
                for pid in self.worker_pids():
                    peak["rss"] = max(peak["rss"], self.rss(pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        first_message = self.sql("SELECT COALESCE(max(id), 0) FROM plant_sync_message")[0][0]
        db_start = self.sql("SELECT now() at time zone 'UTC'")[0][0]
        offset = self.log_offset()
        started = time.monotonic()
        try:
            self.rpc("plant.sync.flow", "action_sap_full_resync", [flow])

            def settled():
                if self.bound_equipment() < before + count:
                    return False
                return not self.sql(
                    "SELECT count(*) FROM plant_sync_message WHERE flow_id = %s AND id > %s"
                    " AND state IN ('pending', 'held')",
                    [flow, first_message],
                )[0][0]

            if not self.poll(settled, timeout, "the master-data pull", interval=0.5):
                raise RuntimeError(
                    f"pull of {count}: {self.bound_equipment() - before} bound after {timeout:.0f}s"
                )
            seconds = time.monotonic() - started
        finally:
            stop.set()
            sampler.join(5)
        pages, failed, page_exec, page_jobs = self.sql(
            "SELECT count(*), count(*) FILTER (WHERE m.state = 'failed'), avg(j.exec_time),"
            " array_agg(m.job_uuid) FROM plant_sync_message m"
            " LEFT JOIN queue_job j ON j.uuid = m.job_uuid"
            " WHERE m.flow_id = %s AND m.id > %s",
            [flow, first_message],
        )[0]
        pull_exec = self.sql(  # the pull job(s) of the flow: jobs on plant.sync.flow
            "SELECT sum(exec_time) FROM queue_job WHERE model_name = 'plant.sync.flow'"
            " AND date_created >= %s",
            [db_start],
        )[0][0]
        return {
            "seconds": seconds,
            "bound": self.bound_equipment() - before,
            "pages": pages,
            "failed": failed,
            "page_exec": float(page_exec or 0),
            "page_perf": self.job_perf(offset, set(filter(None, page_jobs or []))),
            "pull_exec": float(pull_exec or 0),
            "rss_before": rss_before,
            "rss_peak": peak["rss"],
        }

    @staticmethod
    def rss(pid: int) -> int:
        try:
            return psutil.Process(pid).memory_info().rss
        except psutil.Error:
            return 0

    def phase_p3(self) -> None:
        figure, memory = self.figures["P3"], self.figures["P3m"]
        small, large = self.size("p3_small"), self.size("p3_large")
        results = {}
        for count, plant in ((small, "BK1"), (large, "BK2")):
            prefix = f"Bench{plant}{self.tag}"
            log(f"P3: seeding {count} SAP equipment in plant {plant}")
            self.seed_equipment(count, plant, prefix)
            log(f"P3: pulling {count} equipment through the runner")
            results[count] = self.pull(count, plant, 300 + count * 0.1)
            results[count]["prefix"] = prefix
            result = results[count]
            log(
                f"P3: {count} pulled in {result['seconds']:.1f}s"
                f" ({result['pages']} page messages, peak worker RSS"
                f" {result['rss_peak'] / 2**20:.0f} MiB)"
            )
        self.rpc(
            "plant.sync.flow",
            "write",
            [self.flows["sap_pm_master_pull"]],
            {"sap_plant_filter": False},
        )
        out = self.s.workdir / "create_baseline.json"
        self.s.env.update(
            BENCH_OUT=str(out),
            BENCH_PREFIX=results[large]["prefix"],
            BENCH_SAP_BACKEND=str(self.s.info["sap_backend"]),
        )
        log(f"P3: baseline, Odoo's create of the same {large} equipment in batches of 1000")
        self.s.run_odoo(["shell", "--no-http", "--log-level=warn"], stdin=CREATE_BASELINE)
        base = json.loads(out.read_text())
        pulled = results[large]
        if pulled["bound"] != large or pulled["failed"] or base["count"] != large:
            raise RuntimeError(
                f"pull bound {pulled['bound']}/{large}, {pulled['failed']} failed pages,"
                f" baseline created {base['count']}"
            )
        pull_rate = large / pulled["seconds"]
        base_rate = large / base["seconds"]
        ratio = pull_rate / base_rate
        figure.engine = f"{pull_rate:.0f} equipment/s ({large} in {pulled['seconds']:.1f}s)"
        figure.baseline = f"{base_rate:.0f} equipment/s ({large} in {base['seconds']:.1f}s)"
        figure.shown = f"{ratio:.2f}"
        figure.ok = ratio >= 0.8
        figure.notes.append(
            f"pull of {large}: {pulled['pages']} page messages (simulator pages of 500 rows),"
            f" the pull job {pulled['pull_exec']:.1f}s (reads every page, enqueues one message"
            f" per page), mean page job {pulled['page_exec']:.1f}s ({pulled['page_perf']});"
            f" pull of {small}: {results[small]['seconds']:.1f}s"
            f" ({small / results[small]['seconds']:.0f}/s, mean page job"
            f" {results[small]['page_exec']:.1f}s)"
        )
        figure.notes.append(
            f"baseline: one `odoo shell` process, create() of 1000 records + commit per batch"
            f" (same values but the SAP number and its binding), peak RSS"
            f" {base['maxrss_mb']:.0f} MiB"
        )
        rss_small, rss_large = results[small]["rss_peak"], results[large]["rss_peak"]
        growth = rss_large / max(rss_small, 1)
        memory.engine = f"{rss_large / 2**20:.0f} MiB at {large}"
        memory.baseline = f"{rss_small / 2**20:.0f} MiB at {small}"
        memory.shown = f"{growth:.2f}"
        memory.ok = growth <= 1.2
        memory.notes.append(
            f"largest Odoo process (HTTP workers and runner) sampled every 0.5 s; before the"
            f" pulls {results[small]['rss_before'] / 2**20:.0f} MiB"
        )
        if self.raw_rate:
            p1b = self.figures["P1b"]
            p1b.engine = f"{pull_rate:.0f} rows/s ({pulled['pages']} messages)"
            p1b.baseline = f"{self.raw_rate:.1f} jobs/s (P1 raw)"
            p1b.shown = f"{pull_rate / self.raw_rate:.1f}"
            p1b.ok = pull_rate / self.raw_rate >= 3
            p1b.notes.append(
                "no outbound flow batches several messages in one SAP $batch; measured is the"
                " batched inbound flow that exists: sap_pm_master_pull, one message per page"
                " of rows (P3's large pull)"
            )

    # --- P4 --------------------------------------------------------------------------------------
    def phase_p4(self) -> None:
        figure = self.figures["P4"]
        count = self.size("p4_deliveries")
        backend = self.s.info["cmms_backend"]
        node = self.s.node_url("a")
        webhook_url = f"{node}/plant_sync/cmms/{backend}/webhook"
        version_url = f"{node}/web/webclient/version_info"
        local = threading.local()

        def session() -> requests.Session:
            if not hasattr(local, "session"):
                local.session = requests.Session()
            return local.session

        def deliver(index: int) -> int:
            event_id = f"bench-{self.tag}-{index}"
            body = json.dumps(
                {
                    "id": event_id,
                    "type": "workorder.created",
                    "data": {"wonum": f"BENCH{index}", "siteid": "BEDFORD"},
                },
                sort_keys=True,
            ).encode()
            headers = {"Content-Type": "application/json", **sign(WEBHOOK_SECRET, body, event_id)}
            return session().post(webhook_url, data=body, headers=headers, timeout=120).status_code

        def trivial(_index: int) -> int:
            body = {"jsonrpc": "2.0", "method": "call", "params": {}}
            return session().post(version_url, json=body, timeout=120).status_code

        def run(func, indexes) -> tuple[float, dict[int, int], int]:
            offset = self.log_offset()
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=WEBHOOK_CLIENTS) as pool:
                statuses = list(pool.map(func, indexes))
            seconds = time.monotonic() - started
            answers: dict[int, int] = {}
            for status in statuses:
                answers[status] = answers.get(status, 0) + 1
            queries = [int(m["queries"]) for m in self.perf_lines(offset) if m["method"] == "POST"]
            return seconds, answers, sum(queries) / max(len(queries), 1)

        runner = self.runner_pid()
        if runner is None:
            raise RuntimeError("the job runner's process was not found")
        # the runner is paused: the jobs of the deliveries are created (the enqueue is measured)
        # but not run meanwhile, on the same two workers
        os.kill(runner, signal.SIGSTOP)
        try:
            run(trivial, range(40))  # warm-up of both routes
            run(deliver, range(10**6, 10**6 + 40))
            log(f"P4: {count} trivial JSON-RPC calls, {WEBHOOK_CLIENTS} clients")
            base_seconds, base_answers, base_queries = run(trivial, range(count))
            log(f"P4: {count} signed webhook deliveries, {WEBHOOK_CLIENTS} clients")
            hook_seconds, hook_answers, hook_queries = run(deliver, range(count))
            self.cancel_webhook_messages()
        finally:
            os.kill(runner, signal.SIGCONT)
        if hook_answers.get(202, 0) != count:
            raise RuntimeError(f"webhook answers {hook_answers} ({count} expected 202)")
        hook_rate, base_rate = count / hook_seconds, count / base_seconds
        ratio = hook_rate / base_rate
        figure.engine = f"{hook_rate:.0f} deliveries/s ({count} in {hook_seconds:.1f}s)"
        figure.baseline = f"{base_rate:.0f} calls/s ({count} in {base_seconds:.1f}s)"
        figure.shown = f"{ratio:.2f}"
        figure.ok = ratio >= 0.5
        figure.notes.append(
            f"SQL queries per request: webhook {hook_queries:.1f}, trivial route"
            f" {base_queries:.1f} (Odoo's request log); answers {hook_answers} / {base_answers};"
            " the job runner paused meanwhile (the deliveries' jobs are created, not run)"
        )

    def cancel_webhook_messages(self) -> None:
        """The bench's webhook events name no real work order: cancel their messages and jobs."""
        rows = self.sql(
            "SELECT m.id, j.id FROM plant_sync_message m"
            " LEFT JOIN queue_job j ON j.uuid = m.job_uuid"
            " WHERE m.flow_id = %s AND m.key_source LIKE %s",
            [self.flows["cmms_webhook"], f"%bench-{self.tag}-%"],
        )
        messages = [r[0] for r in rows]
        jobs = [r[1] for r in rows if r[1]]
        for chunk in range(0, len(messages), 500):
            self.rpc("plant.sync.message", "action_cancel", messages[chunk : chunk + 500])
        for chunk in range(0, len(jobs), 500):
            self.rpc("queue.job", "button_cancelled", jobs[chunk : chunk + 500])

    # --- P5 --------------------------------------------------------------------------------------
    def phase_p5(self) -> None:
        figure = self.figures["P5"]
        positions = self.size("p5_positions")
        figure.measures = f"stock reconciliation of {positions:,} positions (seconds)"
        log(f"P5: setup/bench_reconciliation.py -d {self.s.db} --positions {positions}")
        proc = subprocess.run(
            [
                sys.executable,
                str(ROOT / "setup" / "bench_reconciliation.py"),
                "-d",
                self.s.db,
                "--positions",
                str(positions),
            ],
            capture_output=True,
            text=True,
            env=self.s.env,
            cwd=ROOT,
            timeout=1800,
            check=False,
        )
        (self.s.workdir / "bench_reconciliation.log").write_text(proc.stdout + proc.stderr)
        recon = re.search(
            r"reconciliation \((\d+) SAP positions vs (\d+) quants\): ([\d.]+)s.*"
            r"differences (\d+) \(expected (\d+)\)",
            proc.stdout,
        )
        base = re.search(
            r"baseline \(stream (\d+) SAP positions, no comparison\): ([\d.]+)s", proc.stdout
        )
        rss = re.search(r"process peak RSS: .*", proc.stdout)
        if proc.returncode or not recon or not base:
            last = (proc.stdout + proc.stderr).strip().splitlines()[-1:]
            raise RuntimeError(f"bench_reconciliation failed (exit {proc.returncode}): {last}")
        seconds = float(recon[3])
        figure.engine = f"{seconds:.1f}s ({recon[1]} SAP positions vs {recon[2]} quants)"
        figure.baseline = f"{float(base[2]):.1f}s (streaming the positions alone)"
        figure.shown = f"{seconds:.1f}s"
        figure.ok = seconds < 60
        figure.notes.append(
            f"differences found {recon[4]} (expected {recon[5]}); ratio to streaming"
            f" {seconds / float(base[2]):.2f}; {rss[0] if rss else ''}; in one transaction,"
            " rolled back (setup/bench_reconciliation.py, its own SAP simulator process)"
        )

    # --- driver ----------------------------------------------------------------------------------
    def run_phase(self, name: str, func) -> None:
        started = time.monotonic()
        try:
            func()
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - a broken phase is reported
            self.failed.append(name)
            log(f"{name} failed: {exc!r}")
            for key in PHASE_FIGURES.get(name, ()):
                figure = self.figures.get(key)
                if figure is not None and figure.ok is None:
                    figure.shown = "error"
                    figure.notes.append(f"bench error: {exc!r}"[:400])
        log(f"{name} took {time.monotonic() - started:.0f}s")

    def run(self) -> None:
        phases = self.args.phases
        self.run_phase("setup", self.prepare)
        if "setup" in self.failed:
            return
        if "p1" in phases:
            self.run_phase("p1", self.phase_p1)
        if "p2" in phases:
            self.run_phase("p2", self.phase_p2)
        if "p3" in phases:
            self.run_phase("p3", self.phase_p3)
        if "p4" in phases:
            self.run_phase("p4", self.phase_p4)
        if "p2" in phases and self.args.p2_workers:

            def with_more_workers():
                log(f"P2w: restarting Odoo with --workers={self.args.p2_workers}")
                self.s.restart_node(self.args.p2_workers)
                log(f"P2w: Odoo runs with --workers={self.s.workers}")
                self.phase_p2("P2w")

            self.run_phase("p2w", with_more_workers)
        if "p5" in phases:
            self.run_phase("p5", self.phase_p5)


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = psutil.virtual_memory().total / 2**30
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} CPUs ({model}), {ram:.0f} GiB RAM, {system}"


def table(bench: Bench) -> str:
    header = ["figure", "measures", "engine", "baseline", "ratio", "goal", "result"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for f in bench.figures.values():
        cells = [f.key, f.measures, f.engine, f.baseline, f.shown, f.goal, f.result]
        lines.append("| " + " | ".join(cells) + " |")
    for f in bench.figures.values():
        lines += [f"- {f.key}: {note}" for note in f.notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--size", type=float, default=1.0, help="scale the full sizes (0.2 ...)")
    parser.add_argument("--phases", default=",".join(PHASES), help="e.g. p1,p4")
    parser.add_argument(
        "--p2-workers", type=int, default=4, help="P2 again with this many workers (0: skip)"
    )
    add_stack_arguments(parser, "bench")
    args = parser.parse_args(argv)
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(args.phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases {sorted(unknown)}")
    if not 0 < args.size <= 1 and not args.quick:
        parser.error("--size is a factor in (0, 1]")
    args.db = args.db or f"plant_sync_bench_{os.getpid()}"

    def terminate(*_):
        raise SystemExit(130)

    signal.signal(signal.SIGTERM, terminate)
    stack = BenchStack(args)
    bench = Bench(stack, args)
    started = time.monotonic()
    try:
        stack.start()
        bench.run()
    except (KeyboardInterrupt, SystemExit, Exception) as exc:  # noqa: BLE001
        log(f"stopped: {exc!r}")
        bench.failed.append("stack")
    finally:
        log("stopping everything")
        stack.stop()
    wall = time.monotonic() - started
    text = table(bench)
    sizes = "quick" if args.quick else f"full x {args.size:g}" if args.size != 1 else "full"
    rerun = "setup/bench " + " ".join(sys.argv[1:] if argv is None else argv)
    footer = (
        f"\n\nSizes: {sizes}. Machine: {machine()}; PostgreSQL {bench.pg_version};"
        f" Odoo {bench.odoo_version}, Odoo --workers="
        f"{BenchStack.workers}, queue_job channels {CHANNELS}. Wall time {wall / 60:.1f} min."
        f" Rerun: `{rerun.strip()}`"
    )
    print("\n" + text + footer + "\n", flush=True)
    if args.report:
        Path(args.report).write_text(text + footer + "\n")
    if bench.failed:
        print(f"bench: FAILED ({', '.join(bench.failed)})")
        return 1
    missed = [f.key for f in bench.figures.values() if f.ok is False]
    skipped = [f.key for f in bench.figures.values() if f.ok is None]
    print(
        "bench: done"
        + (f", goals missed: {', '.join(missed)}" if missed else ", goals met")
        + (f" (not run: {', '.join(skipped)})" if skipped else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
