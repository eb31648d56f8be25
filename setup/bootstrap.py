#!/usr/bin/env python3
"""Set-up shared by ``setup/test`` and ``setup/run-demo``: everything Plant Sync needs, in one go.

    setup/bootstrap [--no-odoo] [--no-browser] [--odoo-only]

1. A project-local virtualenv ``.venv/`` (git-ignored), never the system Python, unless
   ``PLANT_SYNC_PYTHON`` names the Python of an existing Odoo 18 (then everything goes there).
2. Odoo 18 into it when ``import odoo`` does not give 18.0: from ``ODOO_SRC`` (a source directory
   or a ``.tar.gz``/``.zip``, local path or URL); by default the vendored archive
   ``../shared/vendor/odoo-18.0-*.tar.gz`` when it exists, else Odoo's official 18.0 source
   archive. Odoo's own pins are kept (its requirements.txt becomes the constraints of every later
   install; only zeep moves, see requirements.txt).
3. OCA queue_job 18.0.1.7.0, then our requirements (runtime, test).
4. Debian's ``chromium`` for browser tests, when running as root and it is missing.

Idempotent: a second run checks and returns in seconds. The last line printed is
``PYTHON=<path>``, the interpreter to use. Uses only the standard library.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("PLANT_SYNC_VENV", ROOT / ".venv"))
OFFICIAL_SRC = "https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz"
STAMP = "plant-sync-bootstrap.stamp"
# Known build quirks of Odoo 18.0's requirements.txt on current toolchains (shared/vendor/README).
REQUIREMENT_FIXES = {"cbor2==5.4.2": "cbor2==5.4.6"}
# gevent 22.10.2 (Odoo's pin) loads its plugins through pkg_resources, which (setuptools < 70)
# cannot find distributions whose metadata carries the newer normalised name (zope_interface
# 8.x, zope_event 6.x): Odoo's gevent process then dies at import, over and over. Odoo leaves
# both unpinned; these are the newest releases with the old metadata names.
EXTRA_PINS = ["zope.interface==7.2", "zope.event==5.0"]
# Debian packages that Odoo's requirements compile against, by the header that proves them.
BUILD_DEPS = {
    "/usr/include/ldap.h": ["libldap2-dev", "libsasl2-dev"],
    "/usr/bin/pg_config": ["libpq-dev"],
}
T0 = time.time()


class SetupError(SystemExit):
    """A failure with what to do about it."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"bootstrap: FAILED: {what}\nbootstrap: what to do: {fix}")


def step(text: str) -> None:
    print(f"bootstrap [{time.time() - T0:5.1f}s] {text}", flush=True)


def run(cmd: list[str], what: str, fix: str, **kw) -> None:
    if subprocess.call(cmd, **kw) != 0:
        raise SetupError(what, fix)


def out(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else ""


# --- 1. the interpreter ---------------------------------------------------------------------


def target_python() -> Path:
    given = os.environ.get("PLANT_SYNC_PYTHON")
    if given:
        python = Path(shutil.which(given) or given)
        if not python.exists():
            raise SetupError(f"PLANT_SYNC_PYTHON={given} does not exist", "point it at a Python")
        step(f"using the given Python {python} (PLANT_SYNC_PYTHON)")
        # The user chose this interpreter (e.g. a Debian-packaged Odoo's): PEP 668 does not apply.
        os.environ.setdefault("PIP_BREAK_SYSTEM_PACKAGES", "1")
        return python
    python = VENV / "bin" / "python"
    if python.exists() and out([str(python), "-c", "print(1)"]) == "1":
        return python
    if sys.version_info < (3, 10) or sys.version_info >= (3, 13):
        raise SetupError(
            f"Odoo 18 runs on Python 3.10 to 3.12; this is {sys.version.split()[0]}",
            "run setup/bootstrap with a python3 between 3.10 and 3.12 first on PATH",
        )
    step(f"creating the virtualenv {VENV} with {sys.executable}")
    run(
        [sys.executable, "-m", "venv", str(VENV)],
        "could not create the virtualenv",
        "install the venv module (Debian/Ubuntu: apt-get install python3-venv)",
    )
    return python


def pip(python: Path, *args: str, what: str, fix: str, **kw) -> None:
    run(
        [str(python), "-m", "pip", "--disable-pip-version-check", "-q", "install", *args],
        f"pip could not install {what}",
        fix,
        **kw,
    )


# --- 2. Odoo ----------------------------------------------------------------------------------


def odoo_version(python: Path) -> str:
    return out([str(python), "-c", "import odoo.release as r; print(r.version)"])


def odoo_source() -> str:
    if os.environ.get("ODOO_SRC"):
        return os.environ["ODOO_SRC"]
    vendored = sorted((ROOT.parent / "shared" / "vendor").glob("odoo-18.0-*.tar.gz"))
    return str(vendored[-1]) if vendored else OFFICIAL_SRC


def unpack(source: str, into: Path) -> Path:
    """The Odoo source tree of ``source`` (a directory, or an archive path or URL)."""
    if source.startswith(("http://", "https://")):
        archive = into / Path(source).name
        step(f"downloading {source}")
        try:
            urllib.request.urlretrieve(source, archive)  # noqa: S310 - user-given or official URL
        except OSError as exc:
            raise SetupError(
                f"could not download {source} ({exc})",
                "download an Odoo 18.0 source archive yourself and set ODOO_SRC to its path",
            ) from exc
        source = str(archive)
    path = Path(source)
    if path.is_dir():
        tree = path
    elif path.is_file():
        step(f"unpacking {path.name}")
        dest = into / "src"
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                zf.extractall(dest)  # noqa: S202 - a source archive the user chose
        else:
            with tarfile.open(path) as tf:
                tf.extractall(dest)  # noqa: S202 - a source archive the user chose
        entries = list(dest.iterdir())
        tree = entries[0] if len(entries) == 1 and entries[0].is_dir() else dest
    else:
        raise SetupError(f"ODOO_SRC {source} is neither a directory nor an archive", "fix ODOO_SRC")
    if not (tree / "odoo" / "release.py").is_file() or not (tree / "setup.py").is_file():
        raise SetupError(f"{source} is not an Odoo source tree (no odoo/release.py)", "fix it")
    return tree


def build_deps() -> None:
    missing = [p for probe, pkgs in BUILD_DEPS.items() if not Path(probe).exists() for p in pkgs]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        step(f"warning: {' '.join(missing)} missing; Odoo's requirements may not build")
        return
    step(f"installing Debian build dependencies: {' '.join(missing)}")
    apt(missing)


def apt(packages: list[str]) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.call(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
    run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        f"apt-get could not install {' '.join(packages)}",
        f"install them yourself: apt-get install {' '.join(packages)}",
        env=env,
        stdout=subprocess.DEVNULL,
    )


def odoo_requirements(tree: Path, dest: Path) -> Path:
    text = (tree / "requirements.txt").read_text()
    for old, new in REQUIREMENT_FIXES.items():
        text = text.replace(old, new)
    text = text.rstrip("\n") + "\n" + "\n".join(EXTRA_PINS) + "\n"
    if not Path("/usr/include/ldap.h").exists():
        step("note: no LDAP headers; skipping python-ldap (only the auth_ldap addon needs it)")
        text = "\n".join(ln for ln in text.splitlines() if not ln.startswith("python-ldap"))
    req = dest / "odoo-requirements.txt"
    req.write_text(text)
    return req


def install_odoo(python: Path) -> None:
    source = odoo_source()
    step(f"Odoo 18 is not importable by {python}; installing it from {source}")
    build_deps()
    with tempfile.TemporaryDirectory(prefix="plant-sync-odoo-") as tmp:
        tree = unpack(source, Path(tmp))
        req = odoo_requirements(tree, Path(tmp))
        fix = "read the pip output above; shared/vendor/README.md lists the known build quirks"
        step("installing Odoo's requirements (first run: a few minutes)")
        pip(python, "setuptools<70", "wheel", what="setuptools", fix=fix)
        pip(python, "--no-build-isolation", "-r", str(req), what="Odoo's requirements", fix=fix)
        step("installing Odoo 18 itself (no dependencies; copies the tree into the virtualenv)")
        pip(
            python,
            "--no-deps",
            "--no-build-isolation",
            str(tree),
            what="the Odoo tree",
            fix=fix,
        )
        keep_pins(python, req)
        addons_into_package(python, tree)
    version = odoo_version(python)
    if not version.startswith("18.0"):
        raise SetupError(f"after installing, `import odoo` gives {version!r}", "check ODOO_SRC")
    step(f"Odoo {version} installed")


def gevent_plugins(python: Path) -> None:
    """Odoo's gevent process starts only when pkg_resources finds zope.interface and
    zope.event (see EXTRA_PINS); a virtualenv made before the pins gets them now."""
    check = "import pkg_resources; pkg_resources.require('zope.interface', 'zope.event')"
    if subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0:
        return
    step("pinning zope.interface/zope.event for gevent (Odoo's longpolling process)")
    pip(python, *EXTRA_PINS, what="zope.interface/zope.event", fix="see EXTRA_PINS")


def addons_into_package(python: Path, tree: Path) -> None:
    """A git tree keeps the community addons in ``addons/``, outside the ``odoo`` package that
    setup.py installs; Odoo's own release archives put them in ``odoo/addons``. Do the same."""
    if not (tree / "addons").is_dir():
        return
    where = "import odoo, os; print(os.path.dirname(odoo.__file__))"
    package = Path(out([str(python), "-c", where]))
    step(f"copying the community addons into {package / 'addons'}")
    for addon in sorted((tree / "addons").iterdir()):
        if (addon / "__manifest__.py").is_file() and not (package / "addons" / addon.name).exists():
            shutil.copytree(addon, package / "addons" / addon.name)


def constraints_file(python: Path) -> Path:
    return Path(out([str(python), "-c", "import sys; print(sys.prefix)"])) / "odoo-pins.txt"


def keep_pins(python: Path, req: Path) -> None:
    """Odoo's own pins become the constraints of every later install (zeep excepted: we need
    4.3's forbid_* settings, and Odoo's SOAP users accept it)."""
    pins = [ln for ln in req.read_text().splitlines() if "==" in ln and not ln.startswith("zeep")]
    constraints_file(python).write_text("\n".join(pins) + "\n")


# --- 3. queue_job and our requirements ----------------------------------------------------------


def requirements_digest() -> str:
    h = hashlib.sha256()
    for name in ("requirements.txt", "requirements-test.txt", "requirements-odoo.txt"):
        h.update((ROOT / name).read_bytes())
    h.update((ROOT / "pyproject.toml").read_bytes())
    return h.hexdigest()[:16]


def install_ours(python: Path, with_odoo: bool) -> None:
    stamp = Path(out([str(python), "-c", "import sys; print(sys.prefix)"])) / STAMP
    digest = requirements_digest() + (":odoo" if with_odoo else "")
    if stamp.exists() and stamp.read_text() == digest:
        step("requirements up to date")
        return
    cons = constraints_file(python)
    cargs = ["-c", str(cons)] if cons.exists() else []
    fix = "read the pip output above (network to PyPI needed once)"
    if with_odoo:
        step("installing OCA queue_job 18.0.1.7.0 (requirements-odoo.txt)")
        # A Debian-packaged Odoo is invisible to pip: then install queue_job without resolving it.
        nodeps = [] if out([str(python), "-m", "pip", "show", "odoo"]) else ["--no-deps"]
        qj = ["-r", str(ROOT / "requirements-odoo.txt")]
        pip(python, *cargs, *nodeps, *qj, what="queue_job", fix=fix)
    step("installing requirements.txt and requirements-test.txt")
    pip(
        python,
        *cargs,
        "-r",
        str(ROOT / "requirements.txt"),
        "-r",
        str(ROOT / "requirements-test.txt"),
        what="our requirements",
        fix=fix,
        cwd=ROOT,
    )
    stamp.write_text(digest)


# --- 4. a browser for the tours ---------------------------------------------------------------


def chromium() -> None:
    if any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        step("note: no Chromium; browser tests will be skipped by Odoo (install chromium)")
        return
    step("installing Debian's chromium for the browser tests")
    apt(["chromium"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-odoo", action="store_true", help="library and simulators only")
    parser.add_argument("--no-browser", action="store_true", help="do not install chromium")
    parser.add_argument(
        "--odoo-only", action="store_true", help="Odoo 18 and nothing of ours (packaging checks)"
    )
    args = parser.parse_args()
    python = target_python()
    with_odoo = not args.no_odoo
    if with_odoo:
        version = odoo_version(python)
        if version.startswith("18.0"):
            step(f"Odoo {version} is importable by {python}")
        elif version:
            raise SetupError(
                f"{python} has Odoo {version}, these addons need 18.0",
                "unset PLANT_SYNC_PYTHON to use the project's .venv, or point it at Odoo 18",
            )
        else:
            install_odoo(python)
        gevent_plugins(python)
    if not args.odoo_only:
        install_ours(python, with_odoo)
    if with_odoo and not args.no_browser:
        chromium()
    step("ready")
    print(f"PYTHON={python}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
