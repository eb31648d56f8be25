#!/usr/bin/env python3
"""Benchmark of the SAP stock reconciliation of ``stock_sap_sync`` (100k positions by default).

What it does, in one Odoo transaction that is rolled back at the end (the database keeps no
trace):

1. seeds a SAP simulator store with N unrestricted stock positions in plant 1010 / sloc 0001
   (every 100th with a different quantity than Odoo will have), and serves it from a separate
   process (``python -m plant_sync.simulators.sap``), so that the simulator's CPU and memory are
   not counted as the reconciliation's;
2. creates N bound products and N quants in Odoo with plain SQL (the fixture, not measured);
3. **baseline**: streams the N SAP positions through the library client without comparing;
4. **reconciliation**: ``stock.sap.reconciliation._run()`` (stream into a temp table, SQL
   aggregation of the quants, FULL OUTER JOIN, INSERT ... SELECT of the differences,
   exceptions above tolerance);
5. measures each step twice: wall time (plain run) and peak Python heap (``tracemalloc`` run),
   and prints the ratio reconciliation / baseline and the process peak RSS.

Usage (needs a database with stock_sap_sync installed, e.g. the developer's ``ps_stock``)::

    python3 setup/bench_reconciliation.py -d ps_stock [--positions 100000] [--page-size 5000]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PLANT, SLOC = "1010", "0001"
USER, PASSWORD = "PLANT_SYNC", "Secret#1"
DIFF_EVERY = 100


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_simulator(path: str, positions: int) -> None:
    from plant_sync.simulators.sap.store import SapStore

    store = SapStore(path)
    store.seed_plant(PLANT, (SLOC,))
    store.seed_user(USER, PASSWORD)
    store.seed_materials(positions, PLANT, SLOC, stock=100.0, prefix="BM", with_master=False)
    with store.transaction() as tx:  # SAP side of the injected differences: 100 -> 95
        tx.conn.execute(
            "UPDATE A_MatlStkInAcctMod SET MatlWrhsStkQtyInMatlBaseUnit = 95 "
            "WHERE CAST(substr(Material, 4) AS INTEGER) % ? = 0",
            (DIFF_EVERY,),
        )
    store.close()


def start_simulator(path: str, port: int, page_size: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plant_sync.simulators.sap",
            "--db",
            path,
            "--port",
            str(port),
            "--page-size",
            str(page_size),
            "--user",
            f"{USER}:{PASSWORD}",
        ],
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the SAP simulator did not start")


def odoo_env(args):
    import odoo
    from odoo.tools import config

    addons = [str(ROOT / "addons"), str(Path(odoo.__file__).parent / "addons")]
    odoo_root = Path(odoo.__file__).parent.parent / "addons"
    if odoo_root.is_dir():
        addons.append(str(odoo_root))
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        qj = Path(distribution("odoo-addon-queue_job").locate_file("odoo/addons"))
    except PackageNotFoundError:
        qj = None  # queue_job is then expected on Odoo's own addons path
    if qj is not None:
        addons.append(str(qj))
    config.parse_config(
        [
            "-d",
            args.database,
            "--db_host",
            os.environ.get("PGHOST", "127.0.0.1"),
            "--addons-path",
            ",".join(dict.fromkeys(addons)),
            "--log-level",
            "warn",
        ]
    )
    return odoo


def odoo_fixture(env, positions: int, url: str):
    """Backend, flow, location mapping, N bound products with N quants (plain SQL)."""
    company = env.ref("base.main_company")
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    location = warehouse.lot_stock_id
    unit = env.ref("uom.product_uom_unit")
    backend = env["plant.sync.backend"].create(
        {
            "name": "SAP bench",
            "kind": "sap_odata",
            "base_url": url,
            "sap_client": "100",
            "allow_loopback": True,
            "company_id": company.id,
            "username": USER,
            "password": PASSWORD,
        }
    )
    backend.action_stock_sap_create_flows()
    flow = backend.flow_ids.filtered(lambda f: f.code == "sap_stock_reconciliation")
    flow.write({"enabled": True, "recon_tolerance_qty": 0.0, "recon_max_exceptions": 100})
    env["plant.sync.mapping"].create(
        [
            {
                "backend_id": backend.id,
                "mapping_type": "location",
                "odoo_ref": f"stock.location,{location.id}",
                "external_value": f"{PLANT}/{SLOC}",
            },
            {
                "backend_id": backend.id,
                "mapping_type": "uom",
                "odoo_ref": f"uom.uom,{unit.id}",
                "external_value": "PC",
            },
        ]
    )
    category = env.ref("product.product_category_all")
    cr = env.cr
    env.flush_all()
    cr.execute(
        """
        CREATE TEMP TABLE bench_products AS
        SELECT g AS n, 'BM-' || lpad(g::text, 6, '0') AS material
          FROM generate_series(1, %s) g
        """,
        (positions,),
    )
    # bindings carry a document type since plant_sync_base has several per record
    doc_type = "doc_type" in env["plant.sync.binding"]._fields
    doc_col, doc_val = (", doc_type", ", 'main'") if doc_type else ("", "")
    cr.execute(
        """
        WITH t AS (
            INSERT INTO product_template (name, type, is_storable, categ_id, uom_id, uom_po_id,
                service_tracking, tracking, purchase_line_warn, active, sale_ok, purchase_ok,
                default_code, create_uid, write_uid, create_date, write_date)
            SELECT jsonb_build_object('en_US', 'Bench ' || material), 'consu', true, %(categ)s,
                   %(uom)s, %(uom)s, 'no', 'none', 'no-message', true, true, true, material,
                   1, 1, now(), now()
              FROM bench_products ORDER BY n
            RETURNING id, default_code
        ), p AS (
            INSERT INTO product_product (product_tmpl_id, default_code, active, standard_price,
                create_uid, write_uid, create_date, write_date)
            SELECT id, default_code, true, jsonb_build_object(%(company)s, 2.5), 1, 1, now(),
                   now()
              FROM t
            RETURNING id, default_code
        ), b AS (
            INSERT INTO plant_sync_binding (backend_id, company_id, res_model, res_id,
                external_id, last_sync, create_uid, write_uid, create_date, write_date{doc_col})
            SELECT %(backend)s, %(company_id)s, 'product.product', id, default_code, now(),
                   1, 1, now(), now(){doc_val}
              FROM p
            RETURNING res_id
        )
        INSERT INTO stock_quant (product_id, location_id, company_id, quantity,
            reserved_quantity, in_date, create_uid, write_uid, create_date, write_date)
        SELECT res_id, %(location)s, %(company_id)s, 100, 0, now(), 1, 1, now(), now() FROM b
        """.replace("{doc_col}", doc_col).replace("{doc_val}", doc_val),
        {
            "categ": category.id,
            "uom": unit.id,
            "company": str(company.id),
            "company_id": company.id,
            "backend": backend.id,
            "location": location.id,
        },
    )
    cr.execute("ANALYZE stock_quant")
    cr.execute("ANALYZE plant_sync_binding")
    env.invalidate_all()
    return backend, flow


def measure(label, func, *, memory):
    """(seconds, result) of a plain run, or (peak bytes, result) of a tracemalloc run."""
    if memory:
        tracemalloc.start()
        result = func()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak, result
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--database", default=os.environ.get("ODOO_DB", "ps_stock"))
    parser.add_argument("--positions", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=5000, help="simulator page size")
    args = parser.parse_args(argv)
    os.environ.setdefault(
        "PLANT_SYNC_ENCRYPTION_KEYS", "bfo07sG1-Mz-q0HnGfW9hQ7_KfTWA9hDrtY9cfbwG1o="
    )
    odoo = odoo_env(args)
    from odoo import SUPERUSER_ID, api

    workdir = tempfile.mkdtemp(prefix="bench-recon-")
    db_path = os.path.join(workdir, "sap.sqlite")
    started = time.perf_counter()
    seed_simulator(db_path, args.positions)
    port = free_port()
    sim = start_simulator(db_path, port, args.page_size)
    expected = args.positions // DIFF_EVERY
    print(
        f"positions: {args.positions}, injected differences: {expected}, "
        f"simulator page size: {args.page_size} (seeded in {time.perf_counter() - started:.1f}s)"
    )
    try:
        registry = odoo.modules.registry.Registry(args.database)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            started = time.perf_counter()
            backend, flow = odoo_fixture(env, args.positions, f"http://127.0.0.1:{port}")
            print(
                f"odoo fixture: {args.positions} bound products and quants "
                f"({time.perf_counter() - started:.1f}s, not measured)"
            )
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

            def baseline():
                client = backend._client()
                count = 0
                try:
                    for page in client.iter_material_stock(PLANT, SLOC):
                        count += len(page)
                finally:
                    client.close()
                return count

            def reconcile():
                rec = env["stock.sap.reconciliation"].create({"flow_id": flow.id})
                rec._run()
                env.flush_all()
                return rec.positions_sap, rec.difference_count, rec.exception_count

            results = {}
            for label, func in (("baseline", baseline), ("reconciliation", reconcile)):
                seconds, result = measure(label, func, memory=False)
                peak, _again = measure(label, func, memory=True)
                results[label] = (seconds, peak, result)
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            cr.rollback()
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    base_s, base_peak, streamed = results["baseline"]
    rec_s, rec_peak, (positions, differences, exceptions) = results["reconciliation"]
    print(
        f"baseline (stream {streamed} SAP positions, no comparison): "
        f"{base_s:.2f}s, peak Python heap {base_peak / 2**20:.1f} MiB"
    )
    print(
        f"reconciliation ({positions} SAP positions vs {args.positions} quants): "
        f"{rec_s:.2f}s, peak Python heap {rec_peak / 2**20:.1f} MiB, "
        f"differences {differences} (expected {expected}), above tolerance {exceptions}"
    )
    print(f"ratio reconciliation / baseline: {rec_s / base_s:.2f}x")
    print(
        f"process peak RSS: {rss_before:.0f} MiB before the runs, {rss_after:.0f} MiB after "
        f"(Odoo registry included)"
    )
    return 0 if differences == expected and streamed == args.positions else 1


if __name__ == "__main__":
    raise SystemExit(main())
