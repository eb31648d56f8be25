#!/usr/bin/env python3
"""Step 3 of setup/test: the Odoo layer.

When Odoo 18 is importable by this Python (or ODOO_RC / an ``odoo`` executable is found), create a
fresh database on the local PostgreSQL, install our five addons with ``--test-enable``, run their
tests, fail on any failing test or on any ERROR/WARNING log line coming from our addons, check that
they uninstall cleanly, and drop the database. Otherwise say clearly that the layer was skipped.

``--core``: Odoo's own suites of the modules we extend (CORE_MODULES, with demo data as Odoo's CI
runs them) with our five addons installed; ``--core --baseline``: the same without our addons.

Environment: PGHOST (default 127.0.0.1), PGPORT (5432), PGUSER (current user), ODOO_RC (optional
config file), ODOO_TEST_DB (database name; default one per run), ODOO_TEST_TAGS (narrow the tests),
ODOO_KEEP_DB=1 (keep the database for inspection).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS_DIR = ROOT / "addons"
OUR_ADDONS = [
    "plant_sync_base",
    "plant_sync_sap",
    "maintenance_sap_bridge",
    "stock_sap_sync",
    "cmms_connector",
]
# Odoo modules our addons extend, whose own test suites must stay green with our addons installed
CORE_MODULES = ["maintenance", "stock", "purchase", "purchase_stock"]
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    r"\S+ (?P<logger>\S+): (?P<msg>.*)$"
)
RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")
OURS = re.compile(r"\b(" + "|".join(OUR_ADDONS) + r"|plant\.sync\.|plant_sync)")


def say(text: str) -> None:
    print(text, flush=True)


def odoo_command() -> tuple[list[str] | None, str]:
    """The command that runs Odoo 18 with this Python, or None with the reason why not."""
    try:
        import odoo.release  # noqa: PLC0415
    except ImportError as exc:
        return None, f"Odoo 18 is not importable by {sys.executable} ({exc}); run setup/bootstrap"
    if odoo.release.version_info[:2] != (18, 0):
        return None, f"Odoo {odoo.release.version} is importable, but these addons need 18.0"
    return [sys.executable, "-c", "import odoo.cli, sys; sys.exit(odoo.cli.main())"], (
        f"Odoo {odoo.release.version} from {Path(odoo.__file__).parent}"
    )


def addons_path() -> str:
    paths = [str(ADDONS_DIR)]
    try:
        import odoo  # noqa: PLC0415

        odoo_dir = Path(odoo.__file__).parent
        paths += [str(p) for p in (odoo_dir / "addons", odoo_dir.parent / "addons") if p.is_dir()]
    except ImportError:
        pass
    try:
        from importlib.metadata import distribution  # noqa: PLC0415

        qj = Path(distribution("odoo-addon-queue_job").locate_file("odoo/addons"))
        if (qj / "queue_job").is_dir():
            paths.append(str(qj))
    except Exception as exc:  # noqa: BLE001 - queue_job may come from an addons path in ODOO_RC
        say(f"  queue_job not found as a pip package ({exc}); relying on the addons path")
    return ",".join(dict.fromkeys(paths))


def db_args() -> list[str]:
    args = [
        "--db_host",
        os.environ.get("PGHOST", "127.0.0.1"),
        "--db_port",
        os.environ.get("PGPORT", "5432"),
    ]
    if os.environ.get("PGUSER"):
        args += ["--db_user", os.environ["PGUSER"]]
    if os.environ.get("PGPASSWORD"):
        args += ["--db_password", os.environ["PGPASSWORD"]]
    if os.environ.get("ODOO_RC"):
        args = ["-c", os.environ["ODOO_RC"], *args]
    return args


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_logged(cmd: list[str], log_path: Path, stdin: str | None = None) -> int:
    """Run Odoo, stream its output to the log file, echo test progress lines to stdout."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.setdefault("PLANT_SYNC_ENCRYPTION_KEYS", "bfo07sG1-Mz-q0HnGfW9hQ7_KfTWA9hDrtY9cfbwG1o=")
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        )
        if stdin is not None:
            proc.stdin.write(stdin)
            proc.stdin.close()
        for line in proc.stdout:
            log.write(line)
            m = LOG_LINE.match(line)
            if (
                (m and m["level"] in ("ERROR", "CRITICAL"))
                or "odoo.tests.result" in line
                or (
                    m
                    and m["logger"].startswith("odoo.addons.")
                    and ".tests." in m["logger"]
                    and m["level"] != "DEBUG"
                    and not m["logger"].endswith(".browser")  # each click of a browser test
                )
            ):
                sys.stdout.write("  | " + line)
        return proc.wait()


def our_problems(log_path: Path) -> list[str]:
    """WARNING/ERROR/CRITICAL lines logged by our addons or naming them."""
    found = []
    for line in log_path.read_text(errors="replace").splitlines():
        m = LOG_LINE.match(line)
        if not m or m["level"] not in ("WARNING", "ERROR", "CRITICAL"):
            continue
        if OURS.search(m["logger"]) or OURS.search(m["msg"]):
            found.append(line)
    return found


def uninstall_script() -> str:
    names = repr(OUR_ADDONS)
    return f"""
mods = env['ir.module.module'].search([('name', 'in', {names})])
mods.button_immediate_uninstall()
env.invalidate_all()
mods = env['ir.module.module'].search([('name', 'in', {names})])
states = {{m.name: m.state for m in mods}}
left = env['ir.model'].search_count([('model', '=like', 'plant.sync.%')])
print('UNINSTALL-RESULT', states, 'models-left', left)
"""


def install_and_test(
    base: list[str], modules: list[str], tags: str, log: Path, demo: bool = False
) -> tuple:
    """Install ``modules`` with ``--test-enable``: (tests run, tests failed, problems)."""
    rc = run_logged(
        [
            *base,
            "-i",
            ",".join(modules),
            "--test-enable",
            "--test-tags",
            tags,
            "--stop-after-init",
            *([] if demo else ["--without-demo=all"]),
            "--http-port",
            str(free_port()),
            "--log-level=info",
            "--max-cron-threads=0",
        ],
        log,
    )
    text = log.read_text(errors="replace")
    results = RESULT.findall(text)
    failures, errors, total = (int(x) for x in results[-1]) if results else (0, 0, 0)
    problems = [f"odoo exited with status {rc}"] if rc else []
    if not results or total == 0:
        problems.append(f"no Odoo test ran (see {log})")
    problems += our_problems(log)
    return total, failures + errors, problems


def uninstall(cmd: list[str], base: list[str], log: Path) -> list[str]:
    rc = run_logged(
        [*base[: len(cmd)], "shell", *base[len(cmd) :], "--no-http", "--log-level=warn"],
        log,
        stdin=uninstall_script(),
    )
    m = re.search(r"UNINSTALL-RESULT (\{.*\}) models-left (\d+)", log.read_text(errors="replace"))
    if rc or not m or "installed" in m.group(1).replace("uninstalled", "") or m.group(2) != "0":
        return ["uninstall failed: " + (m.group(0) if m else f"see {log}")]
    say(f"  uninstall: all five addons uninstalled, plant.sync models left: {m.group(2)}")
    return our_problems(log)


def main() -> int:
    core = "--core" in sys.argv[1:]
    # --core --baseline: the same suites without our addons, to compare counts and failures
    baseline = core and "--baseline" in sys.argv[1:]
    cmd, origin = odoo_command()
    if cmd is None:
        # Never silent: an untested Odoo layer is a failure (setup/test --library-only exists).
        say(f"Odoo layer: NOT TESTED - {origin}.")
        say("odoo: 0 passed, 1 failed")
        return 1
    say(f"Odoo layer: running on {origin}")
    db = os.environ.get("ODOO_TEST_DB") or f"plant_sync_{'core' if core else 'test'}_{os.getpid()}"
    logs = ROOT / ".odoo-test-logs"
    logs.mkdir(exist_ok=True)
    base = [*cmd, *db_args(), "-d", db, "--addons-path", addons_path()]
    t0 = time.time()
    try:
        if core:
            # Odoo's own suites the way Odoo's CI runs them when several addons are installed
            # together: with demo data (stock's tours need its lot settings), at_install tests at
            # their module's install, post_install tests with everything (our five addons
            # included) loaded.
            tags = os.environ.get("ODOO_CORE_TAGS") or ",".join(f"/{m}" for m in CORE_MODULES)
            modules = CORE_MODULES if baseline else [*CORE_MODULES, *OUR_ADDONS]
            total, failed, problems = install_and_test(
                base,
                modules,
                tags,
                logs / f"core-suites{'-baseline' if baseline else ''}.log",
                demo=True,
            )
            label = f"Odoo's own suites ({', '.join(CORE_MODULES)}) " + (
                "WITHOUT our addons (baseline)" if baseline else "with our addons"
            )
        else:
            tags = os.environ.get("ODOO_TEST_TAGS") or ",".join(f"/{a}" for a in OUR_ADDONS)
            total, failed, problems = install_and_test(
                base, OUR_ADDONS, tags, logs / "install-and-test.log"
            )
            problems += uninstall(cmd, base, logs / "uninstall.log")
            label = "our addons"
    finally:
        if not os.environ.get("ODOO_KEEP_DB"):
            _dropdb(db)
    for p in problems:
        say(f"  problem: {p}")
    state = "FAILED" if problems or failed else "passed"
    say(
        f"Odoo {'core suites' if core else 'layer'}: TESTED {label} on {origin}: {total} tests "
        f"in {time.time() - t0:.0f}s, {failed} failed, {state}; logs in .odoo-test-logs/"
    )
    say(f"odoo: {total - failed} passed, {failed} failed")
    return 1 if state == "FAILED" else 0


def _dropdb(db: str) -> None:
    """Drop the test database (psycopg2 comes with Odoo)."""
    import psycopg2  # noqa: PLC0415

    conn = psycopg2.connect(
        dbname="postgres",
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=os.environ.get("PGPORT", "5432"),
        user=os.environ.get("PGUSER") or None,
        password=os.environ.get("PGPASSWORD") or None,
    )
    conn.autocommit = True
    with conn.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    conn.close()


if __name__ == "__main__":
    sys.exit(main())
