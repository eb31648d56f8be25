#!/usr/bin/env python3
"""Step 2 of setup/test: static checks that need no Odoo.

1. every XML file under addons/ is well-formed (parsed without DTDs, entities or network);
2. every manifest is a literal dict with the keys, version format (18.0.x.y.z), licence and data
   files OCA expects, security files first and menus last;
3. pylint-odoo with the OCA mandatory checks (.pylintrc-mandatory);
4. ruff over the library, addons, tests and scripts (pyproject.toml [tool.ruff]);
5. the library never imports odoo;
6. every flow is one file ``addons/<addon>/flows/<code>.py`` declaring ``@register`` and
   ``code = <its file name>`` (directly or through a constant), with no other flow in it, and
   README's flow table links every such file; no method name is built from a flow code.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
ADDONS = sorted(p.parent for p in (ROOT / "addons").glob("*/__manifest__.py"))
VERSION = re.compile(r"^18\.0\.\d+\.\d+\.\d+$")
REQUIRED = {"name", "version", "license", "author", "depends", "data", "installable", "summary"}
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def check_xml() -> list[str]:
    problems = []
    for path in sorted((ROOT / "addons").rglob("*.xml")):
        try:
            tree = etree.parse(str(path), SAFE_PARSER)
        except etree.XMLSyntaxError as exc:
            problems.append(f"{path.relative_to(ROOT)}: not well-formed: {exc}")
            continue
        if tree.docinfo.doctype:
            problems.append(f"{path.relative_to(ROOT)}: has a DOCTYPE")
        if "/views/" in str(path) and tree.xpath("//tree"):
            problems.append(f"{path.relative_to(ROOT)}: <tree> is Odoo 17 syntax, use <list>")
        if tree.xpath("//@attrs|//@states"):
            problems.append(f"{path.relative_to(ROOT)}: attrs/states are gone in Odoo 17+")
    return problems


def check_manifests() -> list[str]:
    problems = []
    for addon in ADDONS:
        rel = addon.relative_to(ROOT)
        try:
            manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
        except (ValueError, SyntaxError) as exc:
            problems.append(f"{rel}: manifest is not a literal dict: {exc}")
            continue
        missing = REQUIRED - manifest.keys()
        if missing:
            problems.append(f"{rel}: manifest misses {sorted(missing)}")
        if not VERSION.match(manifest.get("version", "")):
            problems.append(f"{rel}: version {manifest.get('version')!r} is not 18.0.x.y.z")
        if manifest.get("license") != "LGPL-3":
            problems.append(f"{rel}: license must be LGPL-3")
        data = manifest.get("data", []) + manifest.get("demo", [])
        for name in data:
            if not (addon / name).is_file():
                problems.append(f"{rel}: data file {name} does not exist")
        security = [i for i, n in enumerate(data) if n.startswith("security/")]
        if security and security[0] != 0:
            problems.append(f"{rel}: security files must come first in data")
        menus = [i for i, n in enumerate(manifest.get("data", [])) if n.endswith("menus.xml")]
        if menus and menus[-1] != len(manifest["data"]) - 1:
            problems.append(f"{rel}: menus must come last in data")
        if not (addon / "readme" / "DESCRIPTION.md").is_file():
            problems.append(f"{rel}: readme/DESCRIPTION.md missing")
        if not list((addon / "tests").glob("test_*.py")):
            problems.append(f"{rel}: no tests")
    return problems


def check_no_odoo_in_library() -> list[str]:
    pattern = re.compile(r"^\s*(import odoo|from odoo\b)", re.MULTILINE)
    return [
        f"{p.relative_to(ROOT)}: the library must not import odoo"
        for p in (ROOT / "plant_sync").rglob("*.py")
        if pattern.search(p.read_text())
    ]


def check_flow_files() -> list[str]:
    problems = []
    readme = (ROOT / "README.md").read_text()
    for path in sorted((ROOT / "addons").glob("*/flows/*.py")):
        if path.name in ("__init__.py", "common.py"):
            continue
        rel = path.relative_to(ROOT)
        text = path.read_text()
        if text.count("@register") != 1:
            problems.append(f"{rel}: one @register'ed flow per file")
        code = path.stem
        constants = re.findall(r'^(FLOW_\w+) = "([a-z_0-9]+)"', _flow_constants(path), re.M)
        declared = re.search(r"^    code = (\S+)$", text, re.M)
        value = declared and dict(constants).get(declared.group(1), declared.group(1).strip('"'))
        if value != code:
            problems.append(f"{rel}: declares code {value!r}, the file says {code!r}")
        if f"]({rel})" not in readme:
            problems.append(f"{rel}: not linked from README's flow table")
    for path in sorted((ROOT / "addons").rglob("*.py")):
        if re.search(r"_plant_sync_(run|pull)_", path.read_text()):
            problems.append(f"{path.relative_to(ROOT)}: flows are found in the registry")
    return problems


def _flow_constants(path: Path) -> str:
    addon = path.parent.parent
    helpers = (addon / "sap_tools.py", addon / "tools.py")
    return "".join(p.read_text() for p in helpers if p.exists())


def run(name: str, cmd: list[str]) -> list[str]:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        return [f"{name} failed:\n{proc.stdout}{proc.stderr}"]
    return []


def main() -> int:
    checks = {
        "xml": check_xml(),
        "manifests": check_manifests(),
        "library imports": check_no_odoo_in_library(),
        "flow files": check_flow_files(),
        "pylint-odoo": run(
            "pylint-odoo",
            [
                sys.executable,
                "-m",
                "pylint",
                "--rcfile=.pylintrc-mandatory",
                *[str(a.relative_to(ROOT)) for a in ADDONS],
            ],
        ),
        "ruff": run("ruff", [sys.executable, "-m", "ruff", "check", "--no-cache", "."]),
    }
    failed = 0
    for name, problems in checks.items():
        print(f"  {name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for p in problems:
            print(f"    {p}")
        failed += bool(problems)
    print(f"static: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
