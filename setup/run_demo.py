#!/usr/bin/env python3
"""Run the Plant Sync demo without Docker, on a machine that has Odoo 18 and PostgreSQL.

Starts the SAP and CMMS simulators on loopback, creates (or reuses) the demo database with the four
addons, loads the demo configuration (backends pointing at the simulators, flows, mappings) and
serves Odoo with queue_job's runner. Ctrl-C stops everything.

    setup/run-demo [--odoo PATH] [--port 8069] [--db plant_sync_demo] [--reset] [--check]

``--odoo`` (or ODOO_PATH) is an Odoo 18 source checkout (with odoo-bin); without it the Odoo
importable by this Python is used. ``--check`` starts everything, verifies that the web client
answers and shows the *Plant Integration* menu to the admin, then stops (exit 0 on success).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ["plant_sync_base", "maintenance_sap_bridge", "stock_sap_sync", "cmms_connector"]
DEMO_KEY = "bfo07sG1-Mz-q0HnGfW9hQ7_KfTWA9hDrtY9cfbwG1o="  # demo only, like docker/odoo.conf


def odoo_cmd(odoo_path: str | None) -> list[str]:
    if odoo_path:
        odoo_bin = Path(odoo_path) / "odoo-bin"
        if not odoo_bin.is_file():
            sys.exit(f"run-demo: {odoo_bin} not found (give an Odoo 18 source checkout)")
        return [sys.executable, str(odoo_bin)]
    try:
        import odoo.release  # noqa: PLC0415
    except ImportError:
        sys.exit("run-demo: Odoo 18 is not importable; pass --odoo PATH or set ODOO_PATH")
    if odoo.release.version_info[:2] != (18, 0):
        sys.exit(f"run-demo: Odoo {odoo.release.version} found, 18.0 needed")
    return [sys.executable, "-c", "import odoo.cli, sys; sys.exit(odoo.cli.main())"]


def addons_path(odoo_path: str | None) -> str:
    sys.path.insert(0, str(ROOT / "setup"))
    from odoo_tests import addons_path as test_addons_path  # noqa: PLC0415

    paths = test_addons_path().split(",")
    if odoo_path:
        paths += [str(Path(odoo_path) / "addons"), str(Path(odoo_path) / "odoo" / "addons")]
    return ",".join(dict.fromkeys(p for p in paths if Path(p).is_dir()))


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - loopback URL we built
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"run-demo: {url} did not answer within {timeout:.0f}s")


def check_menu(base: str, db: str) -> str:
    """Log in as admin and return the names of the root menus the web client shows."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def rpc(path: str, params: dict) -> dict:
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode()
        req = urllib.request.Request(  # noqa: S310 - loopback URL we built
            base + path, data=body, headers={"Content-Type": "application/json"}
        )
        with opener.open(req, timeout=60) as resp:
            answer = json.load(resp)
        if answer.get("error"):
            raise SystemExit(f"run-demo: {path} failed: {answer['error']}")
        return answer["result"]

    rpc("/web/session/authenticate", {"db": db, "login": "admin", "password": "admin"})
    menus = rpc(
        "/web/dataset/call_kw/ir.ui.menu/load_menus",
        {
            "model": "ir.ui.menu",
            "method": "load_menus",
            "args": [False],
            "kwargs": {},
        },
    )
    roots = [menus[str(i)]["name"] for i in menus["root"]["children"]]
    return ", ".join(roots)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odoo", default=os.environ.get("ODOO_PATH"))
    parser.add_argument("--db", default="plant_sync_demo")
    parser.add_argument("--port", type=int, default=8069)
    parser.add_argument("--sap-port", type=int, default=8090)
    parser.add_argument("--cmms-port", type=int, default=8091)
    parser.add_argument("--data", default=os.environ.get("PLANT_SYNC_DEMO_DATA"))
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
    parser.add_argument("--check", action="store_true", help="start, verify, stop")
    args = parser.parse_args()

    cmd = odoo_cmd(args.odoo)
    data_dir = Path(args.data or tempfile.mkdtemp(prefix="plant-sync-demo-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.setdefault("PLANT_SYNC_ENCRYPTION_KEYS", DEMO_KEY)
    env["PLANT_SYNC_DEMO_SAP_URL"] = f"http://127.0.0.1:{args.sap_port}"
    env["PLANT_SYNC_DEMO_CMMS_URL"] = f"http://127.0.0.1:{args.cmms_port}"
    env["PLANT_SYNC_DEMO_ALLOW_HOSTS"] = "127.0.0.1"
    db_args = ["--db_host", env.get("PGHOST", "127.0.0.1"), "--db_port", env.get("PGPORT", "5432")]
    if env.get("PGUSER"):
        db_args += ["--db_user", env["PGUSER"]]
    base = [*cmd, *db_args, "-d", args.db, "--addons-path", addons_path(args.odoo)]
    children: list[subprocess.Popen] = []

    def start(name: str, argv: list[str]) -> None:
        log = (data_dir / f"{name}.log").open("w")
        children.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env))
        print(f"run-demo: started {name} (log {data_dir / f'{name}.log'})", flush=True)

    def stop_all(*_: object) -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()  # SIGTERM: SIGINT may be ignored in background jobs
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop_all(), sys.exit(0)))
    try:
        for name, port in (("sap", args.sap_port), ("cmms", args.cmms_port)):
            start(
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
        if args.reset:
            subprocess.call(
                ["dropdb", "-h", env.get("PGHOST", "127.0.0.1"), "--if-exists", args.db]
            )
        print("run-demo: installing the addons (first run takes a few minutes)", flush=True)
        install = subprocess.run(
            [
                *base,
                "-i",
                ",".join(ADDONS),
                "--stop-after-init",
                "--no-http",
                "--without-demo=all",
                "--log-level=warn",
            ],
            env=env,
        )
        if install.returncode:
            raise SystemExit("run-demo: installing the addons failed")
        wait_http(env["PLANT_SYNC_DEMO_SAP_URL"] + "/__sim__/state")
        wait_http(env["PLANT_SYNC_DEMO_CMMS_URL"] + "/__sim__/state")
        demo = subprocess.run(
            [*base[: len(cmd)], "shell", *base[len(cmd) :], "--no-http", "--log-level=warn"],
            input=(ROOT / "setup" / "demo_data.py").read_text(),
            text=True,
            env=env,
        )
        if demo.returncode:
            raise SystemExit("run-demo: loading the demo configuration failed")
        start(
            "odoo",
            [
                *base,
                "--http-port",
                str(args.port),
                "--http-interface",
                "127.0.0.1",
                "--load",
                "base,web,queue_job",
                "--workers",
                "0",
            ],
        )
        url = f"http://127.0.0.1:{args.port}"
        wait_http(url + "/web/login")
        roots = check_menu(url, args.db)
        print(f"run-demo: Odoo answers on {url} (admin/admin); root menus: {roots}", flush=True)
        print(
            f"run-demo: SAP simulator {env['PLANT_SYNC_DEMO_SAP_URL']}, "
            f"CMMS simulator {env['PLANT_SYNC_DEMO_CMMS_URL']}",
            flush=True,
        )
        if args.check:
            ok = "Plant Integration" in roots
            print(f"run-demo: check {'passed' if ok else 'FAILED'}", flush=True)
            return 0 if ok else 1
        print("run-demo: Ctrl-C to stop", flush=True)
        while all(c.poll() is None for c in children):
            time.sleep(1)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
