#!/usr/bin/env python3
"""Run the Plant Sync demo: both simulators, Odoo 18 with the five addons and queue_job's runner.

    setup/run-demo [--port 8069] [--sap-port 8090] [--cmms-port 8091] [--db plant_sync_demo]
                   [--reset] [--check]

``setup/run-demo`` checks the ports, runs ``setup/bootstrap`` (Odoo 18, queue_job and our
requirements in ``.venv/``) and then this script with the interpreter bootstrap names. It starts
the SAP and CMMS simulators with their demo data on 127.0.0.1, creates the database with the five
addons (first run: a few minutes), loads ``setup/demo_data.py`` (backends on the simulators,
flows, mappings, one user per role, a first import) and serves Odoo with ``workers`` and
queue_job's job runner. It prints the URL and the logins; Ctrl-C stops everything.

``--check`` does the same on a fresh database of its own (``<db>_check``), then proves the main
flow end to end — the planner creates a corrective request over JSON-RPC and the job runner
delivers its notification to the SAP simulator — and stops everything (exit 0 on success).
``--gevent-port`` (default: port + 3) is Odoo's long-polling port, checked like the others.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "setup"))
from odoo_tests import OUR_ADDONS as ADDONS  # noqa: E402

DEMO_KEY = "bfo07sG1-Mz-q0HnGfW9hQ7_KfTWA9hDrtY9cfbwG1o="  # demo only, like docker/odoo.conf
SAP_USER, SAP_PASSWORD, SAP_CLIENT = "PLANT_SYNC", "Secret#1", "100"  # the simulator's defaults
CHANNELS = "root:4,root.plant_sync:4,root.plant_sync.sap:2,root.plant_sync.cmms:2"
NOTIFICATION_SERVICE = "/sap/opu/odata/sap/API_MAINTNOTIFICATION/MaintenanceNotification"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8069, help="Odoo HTTP port")
    parser.add_argument("--gevent-port", type=int, help="Odoo long-polling port (port + 3)")
    parser.add_argument("--sap-port", type=int, default=8090)
    parser.add_argument("--cmms-port", type=int, default=8091)
    parser.add_argument("--db", default="plant_sync_demo")
    parser.add_argument("--odoo", default=os.environ.get("ODOO_PATH"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--data", default=os.environ.get("PLANT_SYNC_DEMO_DATA"), help="logs and simulator data"
    )
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
    parser.add_argument("--check", action="store_true", help="start, prove the flow, stop")
    parser.add_argument("--timeout", type=float, default=180, help="seconds for the check")
    parser.add_argument("--ports-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.gevent_port is None:
        args.gevent_port = args.port + 3
    if args.check and not args.db.endswith("_check"):
        args.db = f"{args.db}_check"  # never the demo database someone works in
    return args


# --- ports ---------------------------------------------------------------------------------------
def port_in_use(port: int) -> str:
    """Why ``port`` cannot be listened on at 127.0.0.1 ('' when it is free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return ""


def check_ports(args: argparse.Namespace) -> None:
    ports = {
        "Odoo HTTP (--port)": args.port,
        "Odoo long-polling (--gevent-port)": args.gevent_port,
        "SAP simulator (--sap-port)": args.sap_port,
        "CMMS simulator (--cmms-port)": args.cmms_port,
    }
    if len(set(ports.values())) != len(ports):
        sys.exit(f"run-demo: two services on one port: {ports}")
    taken = [
        f"{port} ({what}): {why}" for what, port in ports.items() if (why := port_in_use(port))
    ]
    if taken:
        sys.exit(
            "run-demo: port in use, nothing was started:\n  "
            + "\n  ".join(taken)
            + "\nrun-demo: stop what listens there, or choose other ports, e.g. "
            "setup/run-demo --port 18069 --sap-port 18090 --cmms-port 18091"
        )


# --- Odoo ----------------------------------------------------------------------------------------
def odoo_cmd(odoo_path: str | None) -> list[str]:
    if odoo_path:
        odoo_bin = Path(odoo_path) / "odoo-bin"
        if not odoo_bin.is_file():
            sys.exit(f"run-demo: {odoo_bin} not found (give an Odoo 18 source checkout)")
        return [sys.executable, str(odoo_bin)]
    try:
        import odoo.release  # noqa: PLC0415
    except ImportError:
        sys.exit(
            f"run-demo: Odoo 18 is not importable by {sys.executable}: start the demo with "
            "setup/run-demo (it runs setup/bootstrap first)"
        )
    if odoo.release.version_info[:2] != (18, 0):
        sys.exit(f"run-demo: Odoo {odoo.release.version} found, 18.0 needed")
    return [sys.executable, "-c", "import odoo.cli, sys; sys.exit(odoo.cli.main())"]


def addons_path(odoo_path: str | None) -> str:
    paths = [str(ROOT / "addons")]
    try:
        import odoo.addons  # noqa: PLC0415

        paths += [p for p in odoo.addons.__path__ if Path(p).is_dir()]
    except ImportError:
        pass
    if odoo_path:
        paths += [str(Path(odoo_path) / "addons"), str(Path(odoo_path) / "odoo" / "addons")]
    return ",".join(dict.fromkeys(p for p in paths if Path(p).is_dir()))


def write_config(args: argparse.Namespace, data_dir: Path, env: dict) -> Path:
    """The Odoo configuration of the demo: queue_job's runner (server-wide module, prefork
    workers, channels), this database only (the runner must not serve other databases of the
    PostgreSQL server), the demo encryption key."""
    lines = [
        "[options]",
        f"db_host = {env.get('PGHOST', '127.0.0.1')}",
        f"db_port = {env.get('PGPORT', '5432')}",
        f"db_user = {env.get('PGUSER', '')}",
        f"db_password = {env.get('PGPASSWORD', '')}",
        f"db_name = {args.db}",
        f"dbfilter = ^{args.db}$",
        "list_db = False",
        f"addons_path = {addons_path(args.odoo)}",
        "http_interface = 127.0.0.1",
        f"http_port = {args.port}",
        f"gevent_port = {args.gevent_port}",
        "server_wide_modules = base,web,queue_job",
        "workers = 2",
        "max_cron_threads = 1",
        "limit_time_real = 600",
        "without_demo = all",
        f"plant_sync_encryption_keys = {env.get('PLANT_SYNC_ENCRYPTION_KEYS') or DEMO_KEY}",
        "",
        "[queue_job]",
        f"channels = {CHANNELS}",
        "",
    ]
    path = data_dir / "odoo.conf"
    path.write_text("\n".join(lines))
    return path


def wait_http(url: str, timeout: float = 120, proc: subprocess.Popen | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"run-demo: the process serving {url} stopped (see its log)")
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - loopback URL we built
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"run-demo: {url} did not answer within {timeout:.0f}s")


class Session:
    """A JSON-RPC session of one user (the web client's routes)."""

    def __init__(self, base: str, db: str, login: str, password: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.rpc("/web/session/authenticate", {"db": db, "login": login, "password": password})

    def rpc(self, path: str, params: dict):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode()
        req = urllib.request.Request(  # noqa: S310 - loopback URL we built
            self.base + path, data=body, headers={"Content-Type": "application/json"}
        )
        with self.opener.open(req, timeout=60) as resp:
            answer = json.load(resp)
        if answer.get("error"):
            error = answer["error"].get("data", {}).get("message") or answer["error"]
            raise SystemExit(f"run-demo: {path} failed: {error}")
        return answer.get("result")

    def call(self, model: str, method: str, *args, **kwargs):
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


def sap_notification(sap_url: str, number: str) -> dict:
    """The notification as the SAP simulator's OData service returns it (as the integration
    user), or {} while it does not exist."""
    url = f"{sap_url}{NOTIFICATION_SERVICE}('{number}')?sap-client={SAP_CLIENT}&$format=json"
    token = base64.b64encode(f"{SAP_USER}:{SAP_PASSWORD}".encode()).decode()
    req = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback
            return json.load(resp).get("d") or {}
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return {}
        raise


def check_end_to_end(url: str, db: str, sap_url: str, timeout: float) -> None:
    """The planner creates a corrective request; the job runner delivers the notification to
    SAP; the administrator sees the demo's intentionally unmapped value in the exception queue."""
    started = time.monotonic()
    admin = Session(url, db, "admin", "admin")
    menus = admin.call("ir.ui.menu", "load_menus", False)
    roots = [menus[str(i)]["name"] for i in menus["root"]["children"]]
    if "Plant Integration" not in roots:
        raise SystemExit(f"run-demo: check FAILED: no Plant Integration menu in {roots}")
    planner = Session(url, db, "planner", "planner")
    equipment = planner.call(
        "maintenance.equipment",
        "search_read",
        [("serial_no", "=", "COMP-300")],
        fields=["name", "sap_equipment_number"],
        limit=1,
    )
    if not equipment or not equipment[0]["sap_equipment_number"]:
        raise SystemExit(f"run-demo: check FAILED: COMP-300 is not linked to SAP: {equipment}")
    equipment = equipment[0]
    bindings = admin.call(
        "plant.sync.binding",
        "search_read",
        [("res_model", "=", "maintenance.equipment"), ("res_id", "=", equipment["id"])],
        fields=["external_id", "backend_id"],
    )
    print(
        f"run-demo: check: equipment {equipment['name']} is linked to "
        + ", ".join(f"{b['backend_id'][1]} {b['external_id']}" for b in bindings),
        flush=True,
    )
    if len(bindings) < 2:
        raise SystemExit("run-demo: check FAILED: the equipment is not linked to SAP and CMMS")
    request_id = planner.call(
        "maintenance.request",
        "create",
        {
            "name": "run-demo --check: air leak at the compressor",
            "equipment_id": equipment["id"],
            "maintenance_type": "corrective",
        },
    )
    print(f"run-demo: check: the planner created request {request_id}", flush=True)
    deadline = time.monotonic() + timeout
    number = ""
    while time.monotonic() < deadline:
        [request] = planner.call(
            "maintenance.request", "read", [request_id], ["sap_notification_number"]
        )
        number = request["sap_notification_number"]
        if number:
            break
        time.sleep(1)
    if not number:
        held = admin.call(
            "plant.sync.message",
            "search_read",
            [("res_model", "=", "maintenance.request"), ("res_id", "=", request_id)],
            fields=["state", "error_human"],
        )
        raise SystemExit(
            f"run-demo: check FAILED: no SAP notification after {timeout:.0f}s: {held}"
        )
    notification = sap_notification(sap_url, number)
    if not notification:
        raise SystemExit(f"run-demo: check FAILED: SAP does not know notification {number}")
    print(
        f"run-demo: check: SAP notification {number} ({notification.get('NotificationText')!r}, "
        f"equipment {notification.get('TechnicalObject') or notification.get('Equipment')}) "
        f"after {time.monotonic() - started:.1f}s",
        flush=True,
    )
    practice = admin.call(
        "plant.sync.exception",
        "search_read",
        [("state", "in", ("new", "in_progress")), ("kind", "=", "missing_mapping")],
        fields=["name"],
    )
    if not any("WMATL" in e["name"] for e in practice):
        raise SystemExit(f"run-demo: check FAILED: no exception to practise on: {practice}")
    print(f"run-demo: check: exception to practise on: {practice[0]['name']}", flush=True)


def drop_database(env: dict, db: str) -> None:
    cmd = ["dropdb", "-h", env.get("PGHOST", "127.0.0.1"), "--if-exists", "--force", db]
    if env.get("PGPORT"):
        cmd += ["-p", env["PGPORT"]]
    if env.get("PGUSER"):
        cmd += ["-U", env["PGUSER"]]
    if subprocess.call(cmd, env=env):
        raise SystemExit(f"run-demo: could not drop the database {db} ({' '.join(cmd)})")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_ports(args)
    if args.ports_only:
        return 0
    t0 = time.monotonic()
    cmd = odoo_cmd(args.odoo)
    fresh_data = args.check and not args.data
    data_dir = Path(
        args.data
        or (
            tempfile.mkdtemp(prefix="plant-sync-demo-check-")
            if args.check
            else Path(tempfile.gettempdir()) / f"plant-sync-demo-{args.db}"
        )
    )
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.setdefault("PLANT_SYNC_ENCRYPTION_KEYS", DEMO_KEY)
    env.setdefault("PGHOST", "127.0.0.1")
    env["PLANT_SYNC_DEMO_SAP_URL"] = sap_url = f"http://127.0.0.1:{args.sap_port}"
    env["PLANT_SYNC_DEMO_CMMS_URL"] = f"http://127.0.0.1:{args.cmms_port}"
    if args.reset or args.check:
        drop_database(env, args.db)
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    conf = write_config(args, data_dir, env)
    base = [*cmd, "-c", str(conf)]
    children: list[subprocess.Popen] = []

    def start(name: str, argv: list[str]) -> subprocess.Popen:
        log = (data_dir / f"{name}.log").open("w")
        child = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        children.append(child)
        print(f"run-demo: started {name} (log {data_dir / f'{name}.log'})", flush=True)
        return child

    def stop_all(*_: object) -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()  # SIGTERM: SIGINT may be ignored in background jobs
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop_all(), sys.exit(0)))
    ok = False
    try:
        for name, port in (("sap", args.sap_port), ("cmms", args.cmms_port)):
            sim = start(
                f"{name}-simulator",
                [
                    sys.executable,
                    "-m",
                    f"plant_sync.simulators.{name}",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--db",
                    str(data_dir / f"{name}.sqlite"),
                    "--seed-demo",
                ],
            )
            wait_http(f"http://127.0.0.1:{port}/__sim__/state", proc=sim)
        print("run-demo: installing the addons (the first run takes a few minutes)", flush=True)
        install_log = data_dir / "odoo-install.log"
        with install_log.open("w") as log:
            install = subprocess.run(
                [*base, "-i", ",".join(ADDONS), "--stop-after-init", "--no-http"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if install.returncode:
            raise SystemExit(f"run-demo: installing the addons failed (log {install_log})")
        print("run-demo: loading the demo configuration and the first import", flush=True)
        demo = subprocess.run(
            [*cmd, "shell", "-c", str(conf), "--no-http", "--log-level=warn"],
            input=(ROOT / "setup" / "demo_data.py").read_text(),
            text=True,
            env=env,
            capture_output=True,
        )
        (data_dir / "demo-data.log").write_text(demo.stdout + demo.stderr)
        if demo.returncode:
            raise SystemExit(
                f"run-demo: loading the demo configuration failed:\n{demo.stderr[-3000:]}"
            )
        logins = [
            line.split()[1:3] for line in demo.stdout.splitlines() if line.startswith("demo-user:")
        ]
        for line in demo.stdout.splitlines():
            if line.startswith("demo:"):
                print(f"run-demo: {line}", flush=True)
        odoo = start("odoo", base)
        url = f"http://127.0.0.1:{args.port}"
        wait_http(url + "/web/login", proc=odoo)
        print(f"run-demo: Odoo (with queue_job's runner) answers on {url}", flush=True)
        cmms_url = env["PLANT_SYNC_DEMO_CMMS_URL"]
        print(f"run-demo: SAP simulator {sap_url}, CMMS simulator {cmms_url}", flush=True)
        print("run-demo: logins (password = login):", flush=True)
        print("  admin / admin            everything (Odoo's own administrator)")
        for login, password in logins:
            print(f"  {login} / {password}")
        if args.check:
            check_end_to_end(url, args.db, sap_url, args.timeout)
            ok = True
            print(f"run-demo: check passed in {time.monotonic() - t0:.0f}s", flush=True)
            return 0
        print("run-demo: Ctrl-C to stop", flush=True)
        while all(c.poll() is None for c in children):
            time.sleep(1)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all()
        if args.check:
            if ok:
                drop_database(env, args.db)
                if fresh_data:
                    shutil.rmtree(data_dir, ignore_errors=True)
            else:
                print(f"run-demo: logs kept in {data_dir}, database {args.db}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
