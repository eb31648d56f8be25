#!/usr/bin/env python3
"""Packaging check: the addons install from their wheels, without this repository's addons/.

Builds the wheels the way OCA does (whool for each addon, setuptools for the ``plant-sync``
library), creates a throw-away virtualenv with Odoo 18 (``setup/bootstrap --odoo-only``), installs
the addon wheels there with pip (dependencies resolved: ``plant-sync`` from the built wheel,
queue_job from PyPI), then installs the five addons into a fresh database with Odoo's default
addons path only. Also checks that the production install carries no simulator.

    setup/check_wheels [--keep]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "setup"))
from odoo_tests import OUR_ADDONS, _dropdb, db_args, run_logged, say  # noqa: E402


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="plant-sync-wheels-"))
    dist, venv = tmp / "dist", tmp / "venv"
    projects = [".", "packaging/plant-sync-simulators", *(f"addons/{a}" for a in OUR_ADDONS)]
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    say(f"wheels: building {len(projects)} wheels into {dist}")
    if subprocess.call([*pip, "wheel", "--no-deps", "-w", str(dist), *projects], cwd=ROOT):
        say("wheels: FAILED - pip wheel")
        return 1
    say("wheels: " + ", ".join(sorted(w.name for w in dist.glob("*.whl"))))
    env = dict(os.environ, PLANT_SYNC_VENV=str(venv))
    env.pop("PLANT_SYNC_PYTHON", None)
    boot = [sys.executable, str(ROOT / "setup/bootstrap.py"), "--odoo-only", "--no-browser"]
    if subprocess.call(boot, env=env, stdout=subprocess.DEVNULL):
        say("wheels: FAILED - could not set up a virtualenv with Odoo 18")
        return 1
    python = venv / "bin" / "python"
    addon_wheels = [str(w) for w in dist.glob("odoo_addon_*.whl")]
    constraints = ["-c", str(venv / "odoo-pins.txt")]
    vpip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q", "install"]
    if subprocess.call([*vpip, *constraints, "--find-links", str(dist), *addon_wheels]):
        say("wheels: FAILED - pip could not install the addon wheels into Odoo's Python")
        return 1
    probe = (
        "import importlib.util as u, odoo.addons as a; "
        "print(u.find_spec('plant_sync.sap') is not None, u.find_spec('plant_sync.simulators'),"
        " all(u.find_spec('odoo.addons.' + n) for n in %r))" % OUR_ADDONS
    )
    found = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, cwd=tmp)
    if found.stdout.split() != ["True", "None", "True"]:
        say(f"wheels: FAILED - after install: {found.stdout.strip()} {found.stderr.strip()}")
        return 1
    db = f"plant_sync_wheels_{os.getpid()}"
    odoo = [str(python), "-c", "import odoo.cli, sys; sys.exit(odoo.cli.main())"]
    log = ROOT / ".odoo-test-logs" / "wheels.log"
    log.parent.mkdir(exist_ok=True)
    try:
        # no --addons-path: Odoo's default, i.e. odoo/addons of the virtualenv, where wheels go
        rc = run_logged(
            [
                *odoo,
                *db_args(),
                "-d",
                db,
                "-i",
                ",".join(OUR_ADDONS),
                "--stop-after-init",
                "--without-demo=all",
                "--no-http",
                "--log-level=warn",
            ],
            log,
        )
        check = subprocess.run(
            [
                "psql",
                "-h",
                os.environ.get("PGHOST", "127.0.0.1"),
                "-d",
                db,
                "-tAc",
                "SELECT count(*) FROM ir_module_module WHERE state='installed' AND name IN (%s)"  # noqa: S608
                % ",".join(f"'{a}'" for a in OUR_ADDONS),
            ],
            capture_output=True,
            text=True,
        ).stdout.strip()
    finally:
        _dropdb(db)
        if "--keep" not in sys.argv:
            subprocess.call(["rm", "-rf", str(tmp)])
    ok = rc == 0 and check == str(len(OUR_ADDONS))
    say(
        f"wheels: {check}/{len(OUR_ADDONS)} addons installed from wheels "
        f"(no repository addons path), simulators absent: {'passed' if ok else 'FAILED'}"
    )
    say(f"wheels: {1 if ok else 0} passed, {0 if ok else 1} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
