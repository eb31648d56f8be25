#!/usr/bin/env python3
"""Break the running product on purpose and count what survives.

Starts the stack as production runs it, on its own database and ports: Odoo with ``--workers=2``
and queue_job's job runner (``server_wide_modules = base,web,queue_job``, channels in the generated
configuration), the SAP and CMMS simulators, PostgreSQL. Runs the scenarios, then counts the
documents in the simulators' stores and the records in Odoo and prints one table::

    scenario | injected | expected | observed | duplicates | lost | time to drain

    setup/chaos                      # short version (CI, a few minutes)
    setup/chaos --full               # the full run (issue sizes: 200 requests, 50 kills, ...)
    setup/chaos --scenarios 2,5      # some of them (order: 2 5 1 3 4 6 7)
    setup/chaos --template ps_template --keep

Scenarios: 2 crash after the remote commit (SIGKILL of the worker running a job that SAP
answered), 5 PostgreSQL connections of the runner and of workers terminated, 1 faulty SAP, 3
duplicate webhook storm over two Odoo processes, 4 SAP down, 6 two Odoo nodes behind one runner,
7 hostile input (malformed, oversized, unsigned, stale, replayed, mistyped webhook deliveries;
SAP answering garbage).

Everything it starts is stopped at the end, also on Ctrl-C or failure; every wait is bounded.
Exit status 1 when a scenario shows duplicates or lost work (or does not drain in time), or a
broken promise of scenario 7 (an HTTP 500, an untyped answer, a record made from hostile input).

Actions go through the public surface, as users and remote systems do: JSON-RPC as the admin
user (create requests, move stages), signed webhooks (``plant_sync.webhooks.sign``), the
simulators' fault API (``/__sim__/faults``). Counting reads the database and the simulators.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import psutil
import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "setup"))

from odoo_tests import OUR_ADDONS as ADDONS  # noqa: E402

from plant_sync.webhooks import sign, signature  # noqa: E402

DEMO_KEY = "bfo07sG1-Mz-q0HnGfW9hQ7_KfTWA9hDrtY9cfbwG1o="  # demo only, like docker/odoo.conf
CHANNELS = "root:4,root.plant_sync:4,root.plant_sync.sap:2,root.plant_sync.cmms:2"
SAP_AUTH = ("PLANT_SYNC", "Secret#1")
CMMS_API_KEY = "maximo-key"
WEBHOOK_SECRET = "demo-webhook-secret"  # noqa: S105 - setup/demo_data.py, demo only
#: queue_job's runner holds this session advisory lock (jobrunner/runner.py)
RUNNER_LOCK_ID = 2293787760715711918
ORDER = ["2", "5", "1", "3", "4", "6", "7"]

SIZES = {
    # scenario: (short, full)
    "kills": (2, 50),
    "s2_requests": (4, 50),
    "s5_requests": (10, 40),
    "s5_rounds": (3, 10),
    "s1_requests": (20, 200),
    "s3_events": (40, 200),
    "s3_deliveries": (200, 1000),
    "s3_parallel": (20, 50),
    "s4_requests": (16, 40),
    "s4_down_seconds": (60, 120),
    "s6_requests": (20, 100),
    "s7_deliveries": (120, 600),
    "s7_unknown": (4, 20),
    "s7_sap_requests": (10, 40),
}


# scenario 7: what hostile senders send the webhook endpoint
HOSTILE_KINDS = {  # kind: (weight in the mix, the expected HTTP answers)
    "bad_json": (3, (400,)),
    "not_object": (1, (400,)),
    "huge": (1, (413,)),
    "bad_signature": (2, (401,)),
    "missing_signature": (1, (401,)),
    "stale": (2, (401,)),
    "bad_id": (1, (401,)),
    "wrong_types": (3, (202,)),  # accepted; the message then fails with an exception
}
#: signed bodies that are no JSON object: garbage, truncated, too deep, not Unicode, XML
BAD_JSON = (
    b"\x00\xff\xfe garbage",
    b'{"type": "workorder.created", "data": {"wonum": "10',
    b"[" * 200_000,
    b'{"type": "\\ud800", "data": {}}',
    b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
    b"",
)
NOT_OBJECTS = (b"[]", b'"workorder.created"', b"42", b"null", b'[{"type": "workorder.created"}]')


def wrong_type_events(ref: str) -> list[dict]:
    """Signed JSON objects with fields of the wrong type or missing: nothing may be imported."""
    wo = f"CHAOS-HOSTILE-{ref}"
    return [
        {"type": "workorder.created", "data": "PUMP-100"},
        {"type": "workorder.created", "data": [wo]},
        {"type": ["workorder.created"], "data": {"wonum": {"nested": wo}}},
        {"type": 5, "data": {"wonum": 1.5e300}},
        {"id": {"x": 1}, "type": "workorder.created", "data": {"workorder": {"external_id": [wo]}}},
        {"type": "x", "data": {"workorder": {"external_id": wo, "downtime_start": "yesterday"}}},
        {"type": "x", "data": {"workorder": {"external_id": wo, "labour": [{"hours": "many"}]}}},
        {"type": "x", "data": {"workorder": {"external_id": wo, "title": {"x": 1}}}},
        {"type": "x", "data": {"workorder": {"external_id": wo, "extra": "x"}}},
        {"type": "asset.changed", "data": {"assetnum": [wo]}},
        {"type": "workorder.created", "data": {}},
        {"type": "workorder.created"},
    ]


#: SAP answers the simulator gives instead of its own (fault ``raw_*``)
SAP_GARBAGE_RATE = 0.35
SAP_GARBAGE = (
    (200, "application/json", '{"d": {"results": [null]}}'),
    (200, "text/html; charset=utf-8", "<html><body>Gateway says hello</body></html>"),
    (
        200,
        "application/xml",
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>',
    ),
    (200, "application/json", "[" * 5000),
    (502, "text/plain", "upstream garbage \x00"),
    (201, "application/json", '{"d": {"MaintenanceNotification": {"nested": true}'),
)


def job_run_lock_key(job_uuid: str) -> int:
    """Key of a job's run lock, as plant_sync_base computes it (``job_lock.job_run_lock_key``
    = ``tools.advisory_lock_key("queue_job.run", uuid)``)."""
    raw = "\x1f".join(("queue_job.run", job_uuid)).encode()
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big", signed=True)


def log(text: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_ports(names: list[str]) -> dict[str, int]:
    """Distinct free loopback ports (the sockets stay bound until all are chosen)."""
    with contextlib.ExitStack() as stack:
        ports = {}
        for name in names:
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports[name] = sock.getsockname()[1]
        return ports


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def wait_for(predicate, timeout: float, interval: float = 1.0, what: str = ""):
    """Poll ``predicate`` until it returns a truthy value or ``timeout`` seconds passed (the
    number of polls is bounded by the timeout). Returns the last value."""
    deadline = time.monotonic() + timeout
    value = None
    for _ in range(int(timeout / interval) + 2):
        value = predicate()
        if value or time.monotonic() >= deadline:
            break
        time.sleep(interval)
    if not value and what:
        log(f"timed out after {timeout:.0f}s waiting for {what}")
    return value


@dataclass
class Row:
    scenario: str
    injected: str
    expected: str
    observed: str = "-"
    duplicates: int = 0
    lost: int = 0
    drain: str = "-"
    notes: list[str] = field(default_factory=list)
    violations: int = 0  # broken promises other than duplicates and losses (scenario 7)

    @property
    def ok(self) -> bool:
        return self.duplicates == 0 and self.lost == 0 and self.violations == 0


# ---------------------------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------------------------
class Processes:
    """Children started in their own process group, stopped (group-wide) at the end."""

    def __init__(self, logdir: Path, env: dict[str, str]):
        self.logdir = logdir
        self.env = env
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        logfile = (self.logdir / f"{name}.log").open("a")
        proc = subprocess.Popen(
            argv,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=ROOT,
            start_new_session=True,
        )
        self.children[name] = proc
        return proc

    def stop(self, name: str, timeout: float = 30) -> None:
        proc = self.children.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # workers left behind by the master
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)

    def stop_all(self) -> None:
        for name in reversed(list(self.children)):
            self.stop(name)

    def descendants(self, name: str) -> set[int]:
        proc = self.children.get(name)
        if proc is None:
            return set()
        try:
            return {p.pid for p in psutil.Process(proc.pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            return set()


class RoundRobinProxy:
    """The load balancer in front of the Odoo nodes: the job runner and the webhook senders
    reach "the site" through it; each connection goes to the next enabled node."""

    def __init__(self, port: int, backends: list[int]):
        self.port = port
        self.backends = list(backends)
        self.enabled = list(backends[:1])
        self._cycle = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server = None

    def start(self) -> RoundRobinProxy:
        self._thread.start()
        wait_for(lambda: self._server is not None, 10, 0.1, "the proxy")
        return self

    def set_nodes(self, ports: list[int]) -> None:
        self.enabled = list(ports)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def pipe(reader, writer):
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    writer.close()

        async def handle(client_reader, client_writer):
            ports = list(self.enabled)
            self._cycle += 1
            for attempt in range(len(ports)):
                port = ports[(self._cycle + attempt) % len(ports)]
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    break
                except OSError:
                    continue
            else:
                client_writer.close()
                return
            await asyncio.gather(pipe(client_reader, writer), pipe(reader, client_writer))

        async def serve():
            self._server = await asyncio.start_server(handle, "127.0.0.1", self.port)
            async with self._server:
                await self._server.serve_forever()

        with contextlib.suppress(Exception, asyncio.CancelledError):
            self._loop.run_until_complete(serve())

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)


# ---------------------------------------------------------------------------------------------
# the stack
# ---------------------------------------------------------------------------------------------
class Stack:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.workdir = Path(args.workdir or tempfile.mkdtemp(prefix="plant-sync-chaos-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db = args.db or f"plant_sync_chaos_{os.getpid()}"
        self.pg = {
            "host": os.environ.get("PGHOST", "127.0.0.1"),
            "port": os.environ.get("PGPORT", "5432"),
            "user": os.environ.get("PGUSER") or None,
            "password": os.environ.get("PGPASSWORD") or None,
        }
        self.ports = free_ports(["sap", "cmms", "a", "a_gevent", "b", "b_gevent", "proxy"])
        env = dict(os.environ, PYTHONUNBUFFERED="1", PLANT_SYNC_ENCRYPTION_KEYS=DEMO_KEY)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["PLANT_SYNC_DEMO_SAP_URL"] = self.sap_url
        env["PLANT_SYNC_DEMO_CMMS_URL"] = self.cmms_url
        self.env = env
        self.procs = Processes(self.workdir, env)
        self.proxy = RoundRobinProxy(self.ports["proxy"], [self.ports["a"], self.ports["b"]])
        self.db_created = False
        self.conn = None
        self.info: dict = {}
        self._rpc = None

    # --- urls ------------------------------------------------------------------------------
    @property
    def sap_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['sap']}"

    @property
    def cmms_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['cmms']}"

    def node_url(self, node: str) -> str:
        return f"http://127.0.0.1:{self.ports[node]}"

    # --- commands ----------------------------------------------------------------------------
    def odoo_cmd(self) -> list[str]:
        if self.args.odoo:
            return [sys.executable, str(Path(self.args.odoo) / "odoo-bin")]
        # a script, not ``-c``: the prefork server re-runs sys.argv[0] for its gevent worker
        launcher = self.workdir / "odoo-bin"
        launcher.write_text("import sys\n\nimport odoo.cli\n\nsys.exit(odoo.cli.main())\n")
        return [sys.executable, str(launcher)]

    def addons_path(self) -> str:
        from odoo_tests import addons_path  # noqa: PLC0415 - setup/odoo_tests.py

        paths = addons_path().split(",")
        if self.args.odoo:
            paths += [str(Path(self.args.odoo) / "addons")]
        return ",".join(dict.fromkeys(p for p in paths if Path(p).is_dir()))

    def pg_args(self) -> list[str]:
        argv = ["-h", self.pg["host"], "-p", str(self.pg["port"])]
        if self.pg["user"]:
            argv += ["-U", self.pg["user"]]
        return argv

    def write_config(self, node: str, runner: bool) -> Path:
        path = self.workdir / f"odoo-{node}.conf"
        lines = [
            "[options]",
            f"addons_path = {self.addons_path()}",
            f"db_host = {self.pg['host']}",
            f"db_port = {self.pg['port']}",
            f"db_name = {self.db}",
            f"dbfilter = ^{self.db}$",
            "list_db = False",
            "http_interface = 127.0.0.1",
            f"http_port = {self.ports[node]}",
            f"gevent_port = {self.ports[node + '_gevent']}",
            "workers = 2",
            "max_cron_threads = 1",
            f"server_wide_modules = {'base,web,queue_job' if runner else 'base,web'}",
            "limit_time_real = 180",
            "limit_time_cpu = 120",
            "without_demo = all",
            f"logfile = {self.workdir / f'odoo-{node}.log'}",
            f"data_dir = {self.workdir / 'data'}",  # the filestore goes with the work dir
            f"plant_sync_encryption_keys = {DEMO_KEY}",
            "",
            "[queue_job]",
            f"channels = {CHANNELS}",
            "host = 127.0.0.1",
            f"port = {self.ports['proxy']}",
        ]
        if self.pg["user"]:
            lines.insert(4, f"db_user = {self.pg['user']}")
        if self.pg["password"]:
            lines.insert(4, f"db_password = {self.pg['password']}")
        path.write_text("\n".join(lines) + "\n")
        return path

    def run_odoo(self, argv: list[str], stdin: str | None = None, timeout: float = 1800) -> None:
        conf = str(self.write_config("a", runner=False))
        if argv[:1] == ["shell"]:
            full = [*self.odoo_cmd(), "shell", "-c", conf, "--workers=0", *argv[1:]]
        else:
            full = [*self.odoo_cmd(), "-c", conf, "--workers=0", *argv]
        with (self.workdir / "setup.log").open("a") as out:
            proc = subprocess.run(
                full,
                input=stdin,
                text=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                timeout=timeout,
                check=False,
            )
        if proc.returncode:
            raise SystemExit(f"chaos: {' '.join(argv[:2])} failed, see {self.workdir}/setup.log")

    # --- life cycle --------------------------------------------------------------------------
    def start(self) -> None:
        log(f"work dir {self.workdir}, database {self.db}, ports {self.ports}")
        for name in ("sap", "cmms"):
            self.start_simulator(name)
        template = ["-T", self.args.template] if self.args.template else []
        subprocess.run(["createdb", *self.pg_args(), *template, self.db], check=True)
        self.db_created = True
        log(f"installing {', '.join(ADDONS)} (first run takes minutes)")
        self.run_odoo(
            ["-i", ",".join(ADDONS), "--stop-after-init", "--no-http", "--log-level=warn"]
        )
        wait_for(lambda: self._answers(self.sap_url + "/__sim__/state"), 60, 0.5, "SAP sim")
        wait_for(lambda: self._answers(self.cmms_url + "/health"), 60, 0.5, "CMMS sim")
        self.run_odoo(
            ["shell", "--no-http", "--log-level=warn"],
            stdin=(ROOT / "setup" / "demo_data.py").read_text(),
        )
        self.env["CHAOS_EQUIPMENT"] = json.dumps(self.sap_equipment(5))
        self.env["CHAOS_INFO"] = str(self.workdir / "info.json")
        self.run_odoo(["shell", "--no-http", "--log-level=warn"], stdin=CHAOS_SETUP)
        self.info = json.loads((self.workdir / "info.json").read_text())
        self.proxy.start()
        self.start_node("a", runner=True)
        self.conn = self.connect()

    def start_simulator(self, name: str) -> None:
        argv = [
            sys.executable,
            "-m",
            f"plant_sync.simulators.{name}",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.ports[name]),
            "--db",
            str(self.workdir / f"{name}.sqlite"),
            "--seed-demo",
        ]
        if name == "sap":
            argv += ["--page-size", "500"]
        self.procs.start(f"{name}-simulator", argv)
        url = self.sap_url + "/__sim__/state" if name == "sap" else self.cmms_url + "/health"
        wait_for(lambda: self._answers(url), 60, 0.3, f"{name} simulator")

    def start_node(self, node: str, runner: bool) -> None:
        conf = self.write_config(node, runner=runner)
        self.procs.start(f"odoo-{node}", [*self.odoo_cmd(), "-c", str(conf)])
        wait_for(
            lambda: self._answers(self.node_url(node) + "/web/login"), 180, 1, f"Odoo node {node}"
        )
        log(f"Odoo node {node} answers on {self.node_url(node)} (workers=2, runner={runner})")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.proxy.stop()
        self.procs.stop_all()
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
        if self.db_created and not self.args.keep:
            subprocess.run(
                ["dropdb", *self.pg_args(), "--if-exists", "--force", self.db], check=False
            )
        if not self.args.keep and not self.args.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        elif self.args.keep:
            log(f"kept database {self.db} and logs in {self.workdir}")

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            requests.get(url, timeout=3)
        except requests.RequestException:
            return False
        return True

    # --- database (observation) ------------------------------------------------------------
    def connect(self):
        conn = psycopg2.connect(
            dbname=self.db,
            host=self.pg["host"],
            port=self.pg["port"],
            user=self.pg["user"],
            password=self.pg["password"],
            application_name="plant-sync-chaos",
        )
        conn.autocommit = True
        return conn

    def sql(self, query: str, params=None) -> list[tuple]:
        for attempt in range(3):
            try:
                with self.conn.cursor() as cr:
                    cr.execute(query, params)
                    return cr.fetchall() if cr.description else []
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                if attempt == 2:
                    raise
                self.conn = self.connect()
        return []

    # --- JSON-RPC as a user ------------------------------------------------------------------
    def rpc(self, model: str, method: str, *args, **kwargs):
        if self._rpc is None:
            session = requests.Session()
            self._rpc = session
            self._rpc_call(
                "/web/session/authenticate",
                {"db": self.db, "login": "admin", "password": "admin"},
            )
        return self._rpc_call(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def _rpc_call(self, path: str, params: dict):
        body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        for attempt in range(5):  # a worker killed by a scenario may drop the call
            try:
                response = self._rpc.post(self.node_url("a") + path, json=body, timeout=300).json()
                break
            except (requests.ConnectionError, ValueError):
                if attempt == 4:
                    raise
                time.sleep(2)
        if response.get("error"):
            raise RuntimeError(f"{path}: {response['error']['data']['message']}")
        return response["result"]

    # --- simulators ----------------------------------------------------------------------------
    def sap_faults(self, **faults) -> None:
        requests.delete(self.sap_url + "/__sim__/faults", timeout=10)
        if faults:
            answer = requests.post(self.sap_url + "/__sim__/faults", json=faults, timeout=10)
            answer.raise_for_status()

    def sap_state(self) -> dict:
        return requests.get(self.sap_url + "/__sim__/state", timeout=10).json()

    def sap_list(self, service: str, entity: str, select: str) -> list[dict]:
        url = f"{self.sap_url}/sap/opu/odata/sap/{service}/{entity}"
        params = {"$select": select, "$format": "json", "sap-client": "100"}
        rows: list[dict] = []
        for _page in range(1000):
            data = requests.get(url, params=params, auth=SAP_AUTH, timeout=60).json()["d"]
            rows += data["results"]
            if not data.get("__next"):
                break
            url, params = data["__next"], None
        return rows

    def sap_equipment(self, count: int) -> list[str]:
        rows = self.sap_list("API_EQUIPMENT", "Equipment", "Equipment")
        return [r["Equipment"] for r in rows[:count]]

    def sap_documents_by_reference(self) -> dict[str, dict[str, int]]:
        """{document kind: {reference: count}} over the whole SAP store."""
        out: dict[str, dict[str, int]] = {}
        for kind, service, entity, field_ in (
            (
                "notification",
                "API_MAINTNOTIFICATION",
                "MaintenanceNotification",
                "MaintNotifExtReferenceNumber",
            ),
            ("order", "API_MAINTENANCEORDER", "MaintenanceOrder", "AdditionalDeviceData"),
            (
                "confirmation",
                "API_MAINTORDERCONFIRMATION",
                "MaintOrderConfirmation",
                "ConfirmationText",
            ),
        ):
            counts: dict[str, int] = {}
            for row in self.sap_list(service, entity, field_):
                counts[row[field_]] = counts.get(row[field_], 0) + 1
            out[kind] = counts
        return out

    # --- Odoo work ---------------------------------------------------------------------------
    def create_requests(self, count: int, label: str) -> list[int]:
        equipment = self.info["equipment"]
        vals = [
            {
                "name": f"{label} {i + 1}",
                "equipment_id": equipment[i % len(equipment)],
                "maintenance_team_id": self.info["team"],
                "maintenance_type": "corrective",
            }
            for i in range(count)
        ]
        ids = []
        for chunk in range(0, count, 25):
            created = self.rpc("maintenance.request", "create", vals[chunk : chunk + 25])
            ids += created if isinstance(created, list) else [created]
        return ids

    def move_stage(self, request_ids: list[int], xmlid: str) -> None:
        stage = self.info["stages"][xmlid]
        for chunk in range(0, len(request_ids), 25):
            self.rpc(
                "maintenance.request", "write", request_ids[chunk : chunk + 25], {"stage_id": stage}
            )

    def messages(self, request_ids: list[int], flow: str | None = None) -> list[tuple]:
        # the request's messages and those of its labour lines (confirmations), by request
        query = (
            "SELECT m.id, COALESCE(l.request_id, m.res_id), m.flow_code, m.state,"
            " m.idempotency_key, m.job_uuid, m.create_date, m.date_done, m.attempts"
            " FROM plant_sync_message m"
            " LEFT JOIN maintenance_request_labour l"
            "   ON m.res_model = 'maintenance.request.labour' AND l.id = m.res_id"
            " WHERE ((m.res_model = 'maintenance.request' AND m.res_id = ANY(%s))"
            "    OR l.request_id = ANY(%s))"
        )
        params: list = [list(request_ids), list(request_ids)]
        if flow:
            query += " AND m.flow_code = %s"
            params.append(flow)
        return self.sql(query + " ORDER BY m.id", params)

    def wait_messages_done(self, request_ids: list[int], timeout: float, flows=None) -> float:
        """Seconds until every message of the requests (of ``flows``) is done or failed."""
        started = time.monotonic()

        def settled():
            rows = self.messages(request_ids)
            rows = [r for r in rows if not flows or r[2] in flows]
            return rows and all(r[3] in ("done", "failed", "cancelled") for r in rows)

        wait_for(settled, timeout, 2, "messages to settle")
        return time.monotonic() - started

    def advisory_holders(self, key: int) -> list[int]:
        """Backend pids holding the advisory lock ``key`` (a signed 64-bit key)."""
        unsigned = key & 0xFFFFFFFFFFFFFFFF
        return [
            pid
            for (pid,) in self.sql(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
                " AND objid = %s AND objsubid = 1 AND granted AND database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())",
                [unsigned >> 32, unsigned & 0xFFFFFFFF],
            )
        ]

    def stuck_jobs(self) -> int:
        return self.sql("SELECT count(*) FROM queue_job WHERE state IN ('started', 'enqueued')")[0][
            0
        ]


# run inside `odoo shell` after setup/demo_data.py: what the scenarios need
CHAOS_SETUP = r"""
# ruff: noqa: F821
import json, os
Backend = env["plant.sync.backend"]
sap = Backend.search([("kind", "=", "sap_odata")], limit=1)
cmms = Backend.search([("kind", "=", "cmms_maximo")], limit=1)
release = env.ref("maintenance.stage_1")
order_flow = sap.flow_ids.filtered(lambda f: f.code == "sap_pm_order")
order_flow.write({"sap_release_stage_id": release.id})
team = env["maintenance.team"].search([], limit=1)
category = env["maintenance.equipment.category"].search([], limit=1) or env[
    "maintenance.equipment.category"].create({"name": "Pumps"})
Equipment = env["maintenance.equipment"]
ids = []
for number in json.loads(os.environ["CHAOS_EQUIPMENT"]):
    equipment = Equipment.search([("sap_equipment_number", "=", number)], limit=1)
    if not equipment:
        equipment = Equipment.create({
            "name": f"Chaos equipment {number}", "category_id": category.id,
            "maintenance_team_id": team.id, "sap_equipment_number": number, "sap_plant": "1010",
        })
    ids.append(equipment.id)
env.cr.commit()
info = {
    "sap_backend": sap.id, "cmms_backend": cmms.id, "equipment": ids, "team": team.id,
    "stages": {x: env.ref(f"maintenance.{x}").id for x in ("stage_0", "stage_1", "stage_3")},
    "grace": env["ir.config_parameter"].sudo().get_param(
        "plant_sync_base.dead_job_grace_seconds", "60"),
    "cron_minutes": env.ref("plant_sync_base.ir_cron_plant_sync_requeue_dead_jobs").interval_number,
}
open(os.environ["CHAOS_INFO"], "w").write(json.dumps(info))
print("chaos setup", info)
"""


# ---------------------------------------------------------------------------------------------
# scenarios
# ---------------------------------------------------------------------------------------------
class Scenarios:
    def __init__(self, stack: Stack, full: bool):
        self.s = stack
        self.full = full
        self.tag = uuid.uuid4().hex[:6]

    def size(self, name: str) -> int:
        return SIZES[name][1 if self.full else 0]

    # shared accounting -----------------------------------------------------------------------
    def account(self, row: Row, request_ids: list[int], kinds=("notification",)) -> None:
        """Duplicates and losses in SAP for the messages of ``request_ids``; messages not done
        count as lost."""
        rows = self.s.messages(request_ids)
        refs = self.s.sap_documents_by_reference()
        flow_kind = {
            "sap_pm_notification": "notification",
            "sap_pm_order": "order",
            "sap_pm_confirmation": "confirmation",
        }
        per_kind = dict.fromkeys(kinds, 0)
        duplicates = lost = 0
        for _id, _res, flow, state, key, *_rest in rows:
            kind = flow_kind.get(flow)
            if kind in kinds:
                found = refs[kind].get(key, 0)
                per_kind[kind] += min(found, 1)
                duplicates += max(found - 1, 0)
                if state == "done" and not found:
                    lost += 1
            if state != "done":
                lost += 1
        done = sum(1 for r in rows if r[3] == "done")
        row.duplicates += duplicates
        row.lost += lost
        parts = [f"{count} {kind}s" for kind, count in per_kind.items()]
        row.observed = ", ".join(parts) + f", {done}/{len(rows)} messages done"
        stuck = self.s.stuck_jobs()
        if stuck:
            row.notes.append(f"{stuck} job(s) still started/enqueued")

    # 2: crash after the remote commit ----------------------------------------------------------
    def scenario_2(self) -> Row:
        kills_wanted = self.size("kills")
        count = max(self.size("s2_requests"), kills_wanted + 2)
        row = Row(
            "2 crash after remote commit",
            f"SIGKILL x{kills_wanted} of the worker whose SAP create committed",
            f"{count} notifications, 0 dup, all done, no job left started",
        )
        budget = 300 + kills_wanted * 90
        deadline = time.monotonic() + budget
        node_pids = lambda: self.s.procs.descendants("odoo-a")  # noqa: E731
        # every create is held until enough workers were killed (re-runs only look up)
        self.s.sap_faults(hold_next=kills_wanted, hold_after_commit=90)
        ids = self.s.create_requests(count, f"Chaos S2 {self.tag}")
        killed_at_utc: dict[int, datetime] = {}  # message id -> when its worker was killed
        first_kill = None
        for _ in range(budget * 5):
            if len(killed_at_utc) >= kills_wanted or time.monotonic() > deadline:
                break
            holding = self.s.sap_state()["faults"].get("holding") or []
            pending = {
                r[4]: r
                for r in self.s.messages(ids, "sap_pm_notification")
                if r[0] not in killed_at_utc and r[3] == "pending"
            }
            if not pending:
                break  # every create went through
            if not holding:
                time.sleep(0.2)
                continue
            for held in holding:
                for key, message in pending.items():
                    if key not in held["body"]:
                        continue
                    job = self.s.sql(
                        "SELECT state, worker_pid FROM queue_job WHERE uuid = %s", [message[5]]
                    )
                    if not job or job[0][0] != "started" or job[0][1] not in node_pids():
                        continue
                    os.kill(job[0][1], signal.SIGKILL)  # a worker of the node we started
                    killed_at_utc[message[0]] = utcnow()
                    first_kill = first_kill or time.monotonic()
                    log(f"S2: killed worker {job[0][1]} running message {message[0]} ({key})")
            time.sleep(0.2)
        self.s.sap_faults()
        if len(killed_at_utc) < kills_wanted:
            row.notes.append(f"only {len(killed_at_utc)} kills in the time budget")
        self.s.wait_messages_done(ids, max(deadline - time.monotonic(), 240))
        row.drain = f"{time.monotonic() - (first_kill or time.monotonic()):.0f}s"
        recoveries = []
        for message_id in killed_at_utc:
            done = self.s.sql(
                "SELECT date_done FROM plant_sync_message WHERE id = %s", [message_id]
            )
            if done and done[0][0]:
                recoveries.append((done[0][0] - killed_at_utc[message_id]).total_seconds())
        if recoveries:
            row.notes.append(
                f"recovery per killed job: max {max(recoveries):.0f}s, "
                f"mean {sum(recoveries) / len(recoveries):.0f}s (grace {self.s.info['grace']}s"
                f" + cron every {self.s.info['cron_minutes']} min)"
            )
        row.injected = f"SIGKILL x{len(killed_at_utc)} of the worker whose SAP create committed"
        wait_for(lambda: self.s.stuck_jobs() == 0, 180, 2, "no job left started")
        self.account(row, ids)
        row.lost += self.s.stuck_jobs()
        return row

    # 5: database connections terminated --------------------------------------------------------
    def scenario_5(self) -> Row:
        count, rounds = self.size("s5_requests"), self.size("s5_rounds")
        row = Row(
            "5 connections terminated",
            f"pg_terminate_backend x{rounds} (runner + a working worker)",
            f"{count} notifications, all done, no job left started",
        )
        ids = self.s.create_requests(count, f"Chaos S5 {self.tag}")
        start = time.monotonic()
        self.s.sap_faults(latency=0.5)  # jobs last long enough to be hit
        hits = {"runner": 0, "worker": 0}
        for _round in range(rounds):
            for pid in self.s.advisory_holders(RUNNER_LOCK_ID):
                self.s.sql("SELECT pg_terminate_backend(%s)", [pid])
                hits["runner"] += 1

            def running_job_backend():
                for (job_uuid,) in self.s.sql("SELECT uuid FROM queue_job WHERE state = 'started'"):
                    # the worker running a job holds its run lock (plant_sync_base/job_lock.py)
                    holders = self.s.advisory_holders(job_run_lock_key(job_uuid))
                    if holders:
                        return job_uuid, holders[0]
                return None

            found = wait_for(running_job_backend, 30, 0.1)
            if found:
                self.s.sql("SELECT pg_terminate_backend(%s)", [found[1]])
                hits["worker"] += 1
                log(f"S5: terminated the connection of the worker running job {found[0]}")
            time.sleep(3)
        self.s.sap_faults()
        row.injected = (
            f"pg_terminate_backend: runner x{hits['runner']}, worker connections x{hits['worker']}"
        )
        self.s.wait_messages_done(ids, 420)
        row.drain = f"{time.monotonic() - start:.0f}s"
        wait_for(lambda: self.s.stuck_jobs() == 0, 180, 2, "no job left started")
        self.account(row, ids)
        row.lost += self.s.stuck_jobs()
        return row

    # 1: faulty SAP -------------------------------------------------------------------------------
    def scenario_1(self) -> Row:
        count = self.size("s1_requests")
        row = Row(
            "1 faulty SAP",
            "30% 503/429, 10% locks, 10% dropped after commit",
            f"{count} notifications, orders (TECO), confirmations; all done",
        )
        faults = {
            "error_rate": 0.3,
            "status": 503,
            "retry_after": 1,
            "lock_rate": 0.1,
            "drop_after_commit_rate": 0.1,
            "seed": 14,
        }
        self.s.sap_faults(**faults)
        flipping = threading.Event()

        def flip():  # 5xx and 429 in turn
            for status in itertools.islice(itertools.cycle([429, 503]), 10000):
                if flipping.wait(5):
                    return
                with contextlib.suppress(requests.RequestException):
                    requests.post(
                        self.s.sap_url + "/__sim__/faults", json={"status": status}, timeout=5
                    )

        flipper = threading.Thread(target=flip, daemon=True)
        flipper.start()
        start = time.monotonic()
        # a breaker that opens under 40 % failures (as it should) paces the drain: the budget
        # bounds a stuck run, the time to drain is what is measured
        budget = 1800 if not self.full else 7200
        try:
            ids = self.s.create_requests(count, f"Chaos S1 {self.tag}")
            self.s.wait_messages_done(ids, budget / 3, flows=("sap_pm_notification",))
            self.s.move_stage(ids, "stage_1")  # release: order created and released
            self.s.wait_messages_done(ids, budget / 3)
            self.s.move_stage(ids, "stage_3")  # done: final confirmation, TECO
            self.s.wait_messages_done(ids, budget / 3)
        finally:
            flipping.set()
            stats = self.s.sap_state()["faults"].get("stats") or {}
            self.s.sap_faults()
        row.drain = f"{time.monotonic() - start:.0f}s"
        row.notes.append(f"SAP faults served: {json.dumps(stats, sort_keys=True)}")
        self.account(row, ids, kinds=("notification", "order", "confirmation"))
        orders = self.s.sql(
            "SELECT count(*) FROM maintenance_request WHERE id = ANY(%s)"
            " AND sap_status LIKE 'TECO%%'",
            [ids],
        )[0][0]
        row.observed += f", {orders} TECO"
        if orders != count:
            row.lost += count - orders
        return row

    # 3: duplicate webhook storm ------------------------------------------------------------------
    def scenario_3(self) -> Row:
        events, deliveries = self.size("s3_events"), self.size("s3_deliveries")
        parallel = self.size("s3_parallel")
        row = Row(
            "3 duplicate webhook storm",
            f"{deliveries} deliveries of {events} events, {parallel} parallel, 2 Odoo processes",
            f"{events} work orders in Odoo",
        )
        self.ensure_node_b()
        backend = self.s.info["cmms_backend"]
        wonums = []
        for i in range(events):
            answer = requests.post(
                self.s.cmms_url + "/maximo/api/os/mxapiwodetail",
                params={"lean": "1"},
                headers={"apikey": CMMS_API_KEY, "properties": "wonum,siteid"},
                json={
                    "description": f"Chaos storm {self.tag} {i}",
                    "worktype": "CM",
                    "wopriority": 2,
                },
                timeout=30,
            )
            answer.raise_for_status()
            created = answer.json()
            wonums.append(created["wonum"])
            site = created.get("siteid") or ""
        plan = [i % events for i in range(deliveries)]
        random.Random(3).shuffle(plan)
        nodes = [self.s.node_url("a"), self.s.node_url("b")]
        statuses: dict[int, int] = {}
        lock = threading.Lock()

        def deliver(index_and_event):
            index, event = index_and_event
            event_id = f"chaos-{self.tag}-{event}"
            body = json.dumps(
                {
                    "id": event_id,
                    "type": "workorder.created",
                    "data": {"wonum": wonums[event], "siteid": site},
                },
                sort_keys=True,
            ).encode()
            headers = {"Content-Type": "application/json", **sign(WEBHOOK_SECRET, body, event_id)}
            url = f"{nodes[index % 2]}/plant_sync/cmms/{backend}/webhook"
            try:
                status = requests.post(url, data=body, headers=headers, timeout=60).status_code
            except requests.RequestException:
                status = 0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            list(pool.map(deliver, enumerate(plan)))
        row.notes.append(f"HTTP answers: {json.dumps(statuses, sort_keys=True)}")

        def imported():
            return self.s.sql(
                "SELECT b.external_id, count(DISTINCT b.res_id) FROM plant_sync_binding b"
                " WHERE b.backend_id = %s AND b.res_model = 'maintenance.request'"
                " AND b.external_id = ANY(%s) GROUP BY b.external_id",
                [backend, wonums],
            )

        def settled():
            pending = self.s.sql(
                "SELECT count(*) FROM plant_sync_message WHERE backend_id = %s"
                " AND flow_code = 'cmms_webhook' AND state IN ('pending', 'held')",
                [backend],
            )[0][0]
            return not pending and len(imported()) >= events

        wait_for(settled, 600, 2, "the webhook events to be imported")
        row.drain = f"{time.monotonic() - start:.0f}s"
        found = dict(imported())
        requests_per_wonum = self.s.sql(
            "SELECT b.external_id, count(r.id) FROM plant_sync_binding b"
            " JOIN maintenance_request r ON r.id = b.res_id"
            " WHERE b.backend_id = %s AND b.res_model = 'maintenance.request'"
            " AND b.external_id = ANY(%s) GROUP BY b.external_id",
            [backend, wonums],
        )
        named = self.s.sql(
            "SELECT count(*) FROM maintenance_request WHERE name LIKE %s",
            [f"%Chaos storm {self.tag}%"],
        )[0][0]
        row.observed = f"{len(found)} work orders bound, {named} requests named after them"
        row.duplicates = sum(max(c - 1, 0) for c in found.values()) + max(named - events, 0)
        row.duplicates += sum(max(c - 1, 0) for _w, c in requests_per_wonum)
        row.lost = events - len(found)
        failed = self.s.sql(
            "SELECT count(*) FROM plant_sync_message WHERE backend_id = %s"
            " AND flow_code = 'cmms_webhook' AND state IN ('failed', 'held')",
            [backend],
        )[0][0]
        if failed:
            row.notes.append(f"{failed} webhook message(s) failed (exception queue)")
        return row

    def ensure_node_b(self) -> None:
        if "odoo-b" not in self.s.procs.children:
            self.s.start_node("b", runner=False)
        self.s.proxy.set_nodes([self.s.ports["a"], self.s.ports["b"]])

    # 4: SAP down ---------------------------------------------------------------------------------
    def scenario_4(self) -> Row:
        count, down = self.size("s4_requests"), self.size("s4_down_seconds")
        row = Row(
            "4 SAP down",
            f"SAP simulator stopped {down}s while {count} requests (+ releases) arrive",
            f"circuit opens, {count} notifications, order after notification per request",
        )
        backend = self.s.info["sap_backend"]
        self.s.procs.stop("sap-simulator", timeout=10)
        down_at = time.monotonic()
        ids: list[int] = []
        states_seen: set[str] = set()
        for batch in range(4):
            size = count // 4 + (1 if batch < count % 4 else 0)
            new = self.s.create_requests(size, f"Chaos S4 {self.tag} b{batch}")
            ids += new
            self.s.move_stage(new[: len(new) // 2], "stage_1")  # order queued behind
            for _ in range(int(down / 4)):
                states_seen |= self.circuit(backend)
                time.sleep(1)
        for _ in range(int(max(down - (time.monotonic() - down_at), 0))):
            states_seen |= self.circuit(backend)
            time.sleep(1)
        stored = self.s.sql(
            "SELECT count(*) FROM plant_sync_message WHERE res_model = 'maintenance.request'"
            " AND res_id = ANY(%s) AND state = 'pending'",
            [ids],
        )[0][0]
        self.s.start_simulator("sap")
        up_at = time.monotonic()
        self.s.wait_messages_done(ids, 900)
        row.drain = f"{time.monotonic() - up_at:.0f}s after SAP is back"
        row.notes.append(
            f"circuit states seen while down: {sorted(states_seen)} (max consecutive failures"
            f" {getattr(self, 'max_failures', 0)}); {stored} messages stored"
        )
        if "open" not in states_seen:
            row.notes.append("the circuit did not open")
        done = [r for r in self.s.messages(ids) if r[7]]
        if len(done) > 1:
            first, last = min(r[7] for r in done), max(r[7] for r in done)
            minutes = max((last - first).total_seconds() / 60, 1 / 60)
            row.notes.append(f"drain rate {len(done) / minutes:.0f} msg/min (configured 60)")
        out_of_order = 0
        by_request: dict[int, dict[str, datetime]] = {}
        for _id, res_id, flow, _state, _key, _job, _created, date_done, _att in self.s.messages(
            ids
        ):
            by_request.setdefault(res_id, {})[flow] = date_done
        for flows in by_request.values():
            notif, order = flows.get("sap_pm_notification"), flows.get("sap_pm_order")
            if notif and order and order < notif:
                out_of_order += 1
        row.notes.append(f"per-record order violations: {out_of_order}")
        self.account(row, ids, kinds=("notification", "order"))
        row.lost += out_of_order
        return row

    def circuit(self, backend: int) -> set[str]:
        state, failures = self.s.sql(
            "SELECT circuit_state, consecutive_failures FROM plant_sync_backend WHERE id = %s",
            [backend],
        )[0]
        self.max_failures = max(getattr(self, "max_failures", 0), failures or 0)
        return {state}

    # 6: two Odoo nodes -------------------------------------------------------------------------
    def scenario_6(self) -> Row:
        count = self.size("s6_requests")
        row = Row(
            "6 two Odoo nodes",
            "2 Odoo processes (2 workers each), one runner behind a round-robin proxy",
            f"2x{count} notifications, each message processed once",
        )
        results = {}
        all_ids = []
        for label, nodes in (("one node", ["a"]), ("two nodes", ["a", "b"])):
            if "b" in nodes:
                self.ensure_node_b()
            else:
                self.s.proxy.set_nodes([self.s.ports["a"]])
            start = time.monotonic()
            ids = self.s.create_requests(count, f"Chaos S6 {self.tag} {label}")
            all_ids += ids
            seconds = self.s.wait_messages_done(ids, 600)
            results[label] = (count / max(time.monotonic() - start, 0.001) * 60, seconds)
            pids_b = self.s.procs.descendants("odoo-b")
            if "b" in nodes:
                uuids = [r[5] for r in self.s.messages(ids)]
                on_b = self.s.sql(
                    "SELECT count(*) FROM queue_job WHERE uuid = ANY(%s) AND worker_pid = ANY(%s)",
                    [uuids, list(pids_b)],
                )[0][0]
                row.notes.append(f"{on_b}/{len(uuids)} jobs of the two-node batch ran on node b")
        self.s.proxy.set_nodes([self.s.ports["a"], self.s.ports["b"]])
        row.notes.append(
            "throughput: "
            + ", ".join(f"{k} {v[0]:.0f} msg/min" for k, v in results.items())
            + " (2 shared CPU cores: more processes do not add CPU)"
        )
        row.drain = " / ".join(f"{v[1]:.0f}s" for v in results.values())
        self.account(row, all_ids)
        return row

    # 7: hostile input at the edges ---------------------------------------------------------------
    def scenario_7(self) -> Row:
        deliveries = self.size("s7_deliveries")
        unknown = self.size("s7_unknown")
        sap_count = self.size("s7_sap_requests")
        row = Row(
            "7 hostile input",
            f"{deliveries} hostile webhook deliveries (bad JSON, over the cap, bad/missing"
            " signature, stale, bad id, wrong types) + replays, 2x"
            f"{unknown} events naming unknown assets / work orders; SAP answers garbage"
            f" ({SAP_GARBAGE_RATE:.0%} of calls) under {sap_count} requests",
            "no 500, every answer a typed 2xx/4xx, nothing imported from hostile input,"
            " unknown data held; SAP messages done or failed with an exception, all done"
            " after a retry, 0 dup",
        )
        webhook_drain = self.hostile_webhooks(row, deliveries, unknown)
        sap_drain = self.sap_garbage(row, sap_count)
        row.drain = f"{webhook_drain:.0f}s webhooks / {sap_drain:.0f}s SAP"
        return row

    def hostile_webhooks(self, row: Row, count: int, unknown: int) -> float:
        """Hostile deliveries to the real webhook endpoint; returns the seconds until the
        accepted ones settled."""
        backend = self.s.info["cmms_backend"]
        cap, create_equipment = self.s.sql(
            "SELECT cmms_webhook_max_body, cmms_create_equipment FROM plant_sync_backend"
            " WHERE id = %s",
            [backend],
        )[0]
        cap = cap or 1024 * 1024
        since = self.s.sql("SELECT now() at time zone 'utc'")[0][0]
        # unknown assets must wait for a mapping instead of becoming new equipment
        self.s.rpc("plant.sync.backend", "write", [backend], {"cmms_create_equipment": False})
        try:
            plan = self.hostile_plan(count, cap) + self.unknown_data_plan(unknown)
            nodes = [self.s.node_url(n) for n in ("a", "b") if f"odoo-{n}" in self.s.procs.children]
            url = f"/plant_sync/cmms/{backend}/webhook"
            start = time.monotonic()
            with ThreadPoolExecutor(max_workers=8) as pool:
                answers = list(pool.map(lambda d: self.deliver(nodes, url, d), enumerate(plan)))
                # replays of accepted deliveries: the same id, signature and body again
                # (200 "replay"; 401 "stale" once the captured timestamp left the window)
                replays = [
                    {**d, "kind": "replay", "expect": (200, 401)}
                    for d, a in zip(plan, answers, strict=True)
                    if d["kind"] == "wrong_types" and a[0] == 202
                ][: max(count // 6, 1)]
                answers += list(pool.map(lambda d: self.deliver(nodes, url, d), enumerate(replays)))
            plan += replays
            settled_in = self.settle_events(row, backend, plan, answers, start)
        finally:
            self.s.rpc(
                "plant.sync.backend",
                "write",
                [backend],
                {"cmms_create_equipment": bool(create_equipment)},
            )
        self.count_hostile_imports(row, backend, since)
        return settled_in

    def hostile_plan(self, count: int, cap: int) -> list[dict]:
        """Seeded hostile deliveries: ``kind``, ``headers``, ``body``, ``expect`` (status)."""
        rng = random.Random(7)
        kinds = [k for k, (weight, _status) in HOSTILE_KINDS.items() for _ in range(weight)]
        plan = []
        for i in range(count):
            kind = rng.choice(kinds)
            event_id = f"chaos-hostile-{self.tag}-{i}"
            body = json.dumps({"type": "workorder.created", "data": {"wonum": "1001"}}).encode()
            ts = int(time.time())
            secret = WEBHOOK_SECRET
            tamper = kind == "bad_signature" and rng.random() < 0.5  # signed, then changed
            if kind == "bad_json":
                body = rng.choice(BAD_JSON)
            elif kind == "not_object":
                body = rng.choice(NOT_OBJECTS)
            elif kind == "huge":
                body = b'{"type": "x", "pad": "' + b"x" * cap + b'"}'
            elif kind == "wrong_types":
                events = wrong_type_events(f"{self.tag}-{i}")
                body = json.dumps(events[i % len(events)]).encode()
            elif kind == "stale":
                ts -= rng.choice([3600, -3600, 10**6])
            elif kind == "bad_signature" and not tamper:
                secret = rng.choice(["not-the-secret", WEBHOOK_SECRET + "x"])
            headers = sign(secret, body, event_id, timestamp=ts)
            if tamper:
                body += b" "
            elif kind == "missing_signature":
                for name in rng.sample(sorted(headers), rng.randint(1, 3)):
                    del headers[name]
            elif kind == "bad_id":
                bad = rng.choice(["has.dot", "has space", "x" * 201, "ümlaut", ""])
                headers["webhook-id"] = bad
                headers["webhook-signature"] = f"v1,{signature(WEBHOOK_SECRET, bad, ts, body)}"
            plan.append(
                {
                    "kind": kind,
                    "headers": headers,
                    "body": body,
                    "expect": HOSTILE_KINDS[kind][1],
                    "chunked": kind == "huge" and i % 2 == 1,
                }
            )
        return plan

    def unknown_data_plan(self, count: int) -> list[dict]:
        """Well-formed, signed events naming data Odoo does not know: work orders on new CMMS
        assets (held until an equipment mapping exists) and work orders the CMMS does not have
        (failed with an exception)."""
        plan = []
        for i in range(count):
            assetnum = f"CHAOS-ASSET-{self.tag}-{i}"
            self.cmms_post(
                "mxapiasset", "assetnum", {"assetnum": assetnum, "description": assetnum}
            )
            created = self.cmms_post(
                "mxapiwodetail",
                "wonum,siteid",
                {"description": f"Chaos unknown asset {self.tag} {i}", "assetnum": assetnum},
            )
            for kind, wonum in (
                ("unknown_asset", created["wonum"]),
                ("unknown_workorder", f"CHAOS-NOWO-{self.tag}-{i}"),
            ):
                event_id = f"chaos-{kind}-{self.tag}-{i}"
                body = json.dumps(
                    {"id": event_id, "type": "workorder.created", "data": {"wonum": wonum}}
                ).encode()
                plan.append(
                    {
                        "kind": kind,
                        "headers": sign(WEBHOOK_SECRET, body, event_id),
                        "body": body,
                        "expect": (202,),
                        "chunked": False,
                    }
                )
        return plan

    def cmms_post(self, object_structure: str, properties: str, values: dict) -> dict:
        answer = requests.post(
            f"{self.s.cmms_url}/maximo/api/os/{object_structure}",
            params={"lean": "1"},
            headers={"apikey": CMMS_API_KEY, "properties": properties},
            json=values,
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()

    @staticmethod
    def deliver(nodes: list[str], path: str, indexed: tuple[int, dict]) -> tuple[int, bool]:
        """POST one delivery; (HTTP status or 0 without an answer, the answer is a JSON
        object naming its status)."""
        index, delivery = indexed
        body = delivery["body"]
        data = iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
        try:
            answer = requests.post(
                nodes[index % len(nodes)] + path,
                data=data if delivery["chunked"] else body,
                headers={"Content-Type": "application/json", **delivery["headers"]},
                timeout=120,
            )
        except requests.RequestException:
            return 0, False
        try:
            typed = isinstance(answer.json().get("status"), str)
        except (ValueError, AttributeError):
            typed = False
        return answer.status_code, typed

    def settle_events(self, row, backend, plan, answers, start) -> float:
        statuses: dict[str, dict[int, int]] = {}
        unclear = wrong = 0
        for delivery, (status, typed) in zip(plan, answers, strict=True):
            by_kind = statuses.setdefault(delivery["kind"], {})
            by_kind[status] = by_kind.get(status, 0) + 1
            if not typed or status == 0 or status >= 500:
                unclear += 1
            elif status not in delivery["expect"]:
                wrong += 1
        errors = sum(n for s in statuses.values() for code, n in s.items() if code >= 500)
        row.notes.append(f"HTTP answers per kind: {json.dumps(statuses, sort_keys=True)}")
        accepted = {
            d["headers"]["webhook-id"]: d["kind"]
            for d, (status, _typed) in zip(plan, answers, strict=True)
            if status == 202 and d["kind"] != "replay"
        }

        def outcomes():
            return self.s.sql(
                "SELECT e.event_id, m.state, EXISTS (SELECT 1 FROM plant_sync_exception x"
                "   WHERE x.message_id = m.id)"
                " FROM cmms_webhook_event e JOIN plant_sync_message m ON m.id = e.message_id"
                " WHERE e.backend_id = %s AND e.event_id = ANY(%s)",
                [backend, list(accepted)],
            )

        wait_for(
            lambda: all(r[1] in ("done", "failed", "held", "cancelled") for r in outcomes()),
            600,
            2,
            "the accepted webhook events to settle",
        )
        settled_in = time.monotonic() - start
        held = imported = without_exception = pending = 0
        states: dict[str, dict[str, int]] = {}
        for event_id, state, has_exception in outcomes():
            kind = accepted[event_id]
            by_state = states.setdefault(kind, {})
            by_state[state] = by_state.get(state, 0) + 1
            if state == "done":
                imported += 1
                row.notes.append(f"{kind} event {event_id} was imported")
            elif state == "held" or (state == "failed" and kind == "unknown_workorder"):
                held += kind.startswith("unknown")
            elif state not in ("failed", "cancelled"):
                pending += 1
            if state == "failed" and not has_exception:
                without_exception += 1
        row.notes.append(f"accepted events by outcome: {json.dumps(states, sort_keys=True)}")
        unknown = sum(1 for k in accepted.values() if k.startswith("unknown"))
        missing = len(accepted) - len(outcomes())
        row.observed = (
            f"{sum(answers_count for s in statuses.values() for answers_count in s.values())}"
            f" answers: {errors} HTTP 5xx, {unclear} not typed, {wrong} unexpected status;"
            f" {held}/{unknown} unknown-data events held (exception or mapping wait),"
            f" {imported} hostile imports"
        )
        row.lost += pending + missing + (unknown - held)
        row.violations += errors + unclear + wrong + imported + without_exception
        if without_exception:
            row.notes.append(f"{without_exception} failed webhook message(s) without exception")
        return settled_in

    def count_hostile_imports(self, row: Row, backend: int, since: datetime) -> None:
        """Requests, equipment or bindings the CMMS backend created during the deliveries."""
        created = self.s.sql(
            "SELECT (SELECT count(*) FROM maintenance_request WHERE create_date >= %(t)s"
            "          AND cmms_backend_id = %(b)s),"
            "       (SELECT count(*) FROM maintenance_equipment WHERE create_date >= %(t)s"
            "          AND name::text LIKE %(name)s),"
            "       (SELECT count(*) FROM plant_sync_binding WHERE create_date >= %(t)s"
            "          AND backend_id = %(b)s)",
            {"t": since, "b": backend, "name": f"%CHAOS-ASSET-{self.tag}-%"},
        )[0]
        row.observed += f"; created: {created[0]} requests, {created[1]} equipment"
        row.violations += sum(created)

    def sap_garbage(self, row: Row, count: int) -> float:
        """Requests whose SAP calls are answered garbage now and then (before or after SAP
        committed); failed messages are retried from their exceptions once SAP is sane."""
        backend = self.s.info["sap_backend"]
        self.s.sap_faults(raw_rate=SAP_GARBAGE_RATE, seed=7)
        flipping = threading.Event()

        def flip():  # another garbage body, before and after the commit in turn
            garbage = itertools.islice(itertools.cycle(SAP_GARBAGE), 10000)
            for n, (status, ctype, body) in enumerate(garbage):
                with contextlib.suppress(requests.RequestException):
                    requests.post(
                        self.s.sap_url + "/__sim__/faults",
                        json={
                            "raw_status": status,
                            "raw_content_type": ctype,
                            "raw_body": body,
                            "raw_after_commit": n % 2 == 1,
                        },
                        timeout=5,
                    )
                if flipping.wait(2):
                    return

        flipper = threading.Thread(target=flip, daemon=True)
        flipper.start()
        start = time.monotonic()
        try:
            ids = self.s.create_requests(count, f"Chaos S7 {self.tag}")
            self.s.wait_messages_done(ids, 600, flows=("sap_pm_notification",))
        finally:
            flipping.set()
            flipper.join(10)
            stats = self.s.sap_state()["faults"].get("stats") or {}
            self.s.sap_faults()
        rows = self.s.messages(ids)
        failed = [r[0] for r in rows if r[3] == "failed"]
        exceptions = self.s.sql(
            "SELECT id, message_id FROM plant_sync_exception WHERE message_id = ANY(%s)"
            " AND state IN ('new', 'in_progress')",
            [failed],
        )
        without = len(set(failed) - {m for _e, m in exceptions})
        done_first = sum(1 for r in rows if r[3] == "done")
        if exceptions:  # what a planner does in the exception queue
            self.s.rpc("plant.sync.exception", "action_retry", [e for e, _m in exceptions])
        self.s.wait_messages_done(ids, 600)
        sap = Row("", "", "")
        self.account(sap, ids)
        row.duplicates += sap.duplicates
        row.lost += sap.lost
        row.violations += without
        row.observed += (
            f"; SAP: {done_first}/{len(rows)} done, {len(failed)} failed with"
            f" {len(exceptions)} exceptions, after retry {sap.observed}"
        )
        row.notes.append(
            f"SAP garbage answers served: {stats.get('raw', 0)} (backend {backend});"
            f" failed without exception: {without}"
        )
        return time.monotonic() - start


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def print_table(rows: list[Row]) -> str:
    header = ["scenario", "injected", "expected", "observed", "duplicates", "lost", "time to drain"]
    data = [
        [r.scenario, r.injected, r.expected, r.observed, str(r.duplicates), str(r.lost), r.drain]
        for r in rows
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in data]
    for r in rows:
        for note in r.notes:
            lines.append(f"- {r.scenario}: {note}")
    text = "\n".join(lines)
    print("\n" + text + "\n", flush=True)
    return text


def add_stack_arguments(parser: argparse.ArgumentParser, run: str) -> None:
    """The options of a run on a stack of its own (``setup/chaos``, ``setup/bench``)."""
    parser.add_argument("--odoo", default=os.environ.get("ODOO_PATH"), help="Odoo 18 checkout")
    parser.add_argument(
        "--template",
        default=os.environ.get(f"PLANT_SYNC_{run.upper()}_TEMPLATE"),
        help="create the database from this template (faster install)",
    )
    parser.add_argument("--db", help=f"database name (default plant_sync_{run}_<pid>)")
    parser.add_argument("--workdir", help="logs and simulator stores (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument("--report", help="also write the table (markdown) to this file")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the full run (issue sizes)")
    parser.add_argument("--scenarios", default=",".join(ORDER), help="e.g. 2,5,1")
    add_stack_arguments(parser, "chaos")
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(wanted) - set(ORDER)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}")

    def terminate(*_):
        raise SystemExit(130)

    signal.signal(signal.SIGTERM, terminate)
    stack = Stack(args)
    rows: list[Row] = []
    started = time.monotonic()
    try:
        stack.start()
        scenarios = Scenarios(stack, args.full)
        for name in [s for s in ORDER if s in wanted]:
            log(f"scenario {name}")
            try:
                row = getattr(scenarios, f"scenario_{name}")()
            except Exception as exc:  # noqa: BLE001 - a broken scenario is a failed row
                row = Row(name, "-", "-", f"scenario crashed: {exc!r}", lost=1)
            rows.append(row)
            log(f"scenario {name}: duplicates {row.duplicates}, lost {row.lost}, {row.drain}")
    except (KeyboardInterrupt, SystemExit):
        log("interrupted")
        rows.append(Row("interrupted", "-", "-", lost=1))
    finally:
        log("stopping everything")
        stack.stop()
    table = print_table(rows)
    wall = time.monotonic() - started
    machine = f"{os.cpu_count()} CPUs, {psutil.virtual_memory().total // 2**30} GiB"
    print(f"chaos: {'full' if args.full else 'short'} run, wall time {wall:.0f}s, {machine}")
    if args.report:
        Path(args.report).write_text(table + f"\n\nwall time {wall:.0f}s, {machine}\n")
    bad = [r.scenario for r in rows if not r.ok]
    if bad:
        print(f"chaos: FAILED (duplicates, losses or violations in: {', '.join(bad)})")
        return 1
    print("chaos: OK (no duplicates, nothing lost, no violations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
