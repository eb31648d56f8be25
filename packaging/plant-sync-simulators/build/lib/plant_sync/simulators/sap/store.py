"""The simulator's SQLite store: one table per OData entity set, shared by OData and RFC.

Thread-safe: one SQLite connection per thread, writes serialised by one lock and run inside
``BEGIN IMMEDIATE`` transactions (nested calls become savepoints), so a request, a ``$batch``
changeset or an RFC LUW commit is atomic. The file survives restarts (schema created if missing,
number ranges stored). With ``path=None`` a temporary file is used and removed on :meth:`close`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import edmx
from .errors import SapError, lock_error
from .seeding import SeedingMixin
from .values import DATETIME_TYPES, datetime_from_us, now_us, sql_type

#: internal columns per entity set (not OData properties)
EXTRA_COLUMNS: dict[str, dict[str, str]] = {
    "MaintenanceOrder": {"_status": "TEXT"},
    "MaintenanceOrderOperation": {"_status": "TEXT"},
    "MaintenanceNotification": {"_status": "TEXT"},
}

#: secondary indexes (lookups by reference, foreign keys, delta pulls)
INDEXES: dict[str, list[str]] = {
    "MaintenanceNotification": ["MaintNotifExtReferenceNumber", "MaintenanceOrder"],
    "MaintenanceOrder": ["AdditionalDeviceData", "MaintenanceNotification"],
    "MaintOrderConfirmation": ["ConfirmationText", "MaintenanceOrder"],
    "A_MaterialDocumentHeader": ["MaterialDocumentHeaderText"],
    "A_MaterialDocumentItem": ["PurchaseOrder", "ManufacturingOrder"],
    "A_PurchaseRequisitionItem": ["PurReqnExternalReference", "PurReqnItemExternalReference"],
    "A_PurchaseOrderItem": ["PurchaseRequisition"],
    "A_MatlStkInAcctMod": ["Plant", "StorageLocation"],
    "Equipment": ["Equipment", "MaintenancePlant"],
    "A_FunctionalLocation": ["MaintenancePlant"],
}

#: entity sets counted as "documents" (wiped by reset, reported by counts())
DOCUMENT_SETS = (
    "MaintenanceNotification",
    "MaintenanceOrder",
    "MaintenanceOrderOperation",
    "MaintOrderConfirmation",
    "A_MaterialDocumentHeader",
    "A_MaterialDocumentItem",
    "A_PurchaseRequisitionHeader",
    "A_PurchaseRequisitionItem",
    "A_PurchaseOrder",
    "A_PurchaseOrderItem",
    "A_PurchaseOrderScheduleLine",
)

MASTER_TABLES = {
    "sim_users": "name TEXT PRIMARY KEY, password TEXT NOT NULL",
    "sim_plants": "plant TEXT, storage_location TEXT, name TEXT, "
    "PRIMARY KEY (plant, storage_location)",
    "sim_cost_centers": "cost_center TEXT PRIMARY KEY, controlling_area TEXT, company_code TEXT, "
    "name TEXT",
    "sim_work_centers": "work_center TEXT, plant TEXT, name TEXT, PRIMARY KEY (work_center, plant)",
    "sim_number_ranges": "obj TEXT, year TEXT, next INTEGER, PRIMARY KEY (obj, year)",
    "sim_locks": "obj TEXT PRIMARY KEY, user TEXT",
    "sim_stock_seed": "material TEXT, plant TEXT, sloc TEXT, batch TEXT, unit TEXT, qty REAL, "
    "PRIMARY KEY (material, plant, sloc, batch)",
}


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Tx:
    """Data access inside one transaction (or a read outside any)."""

    def __init__(self, store: SapStore, conn: sqlite3.Connection) -> None:
        self.store = store
        self.conn = conn

    # --- generic entity access ------------------------------------------------------------
    def es(self, entity_set: str) -> edmx.EntitySet:
        return self.store.sets[entity_set]

    def get(self, entity_set: str, keys: dict[str, Any]) -> dict | None:
        where = " AND ".join(f"{q(k)} = ?" for k in keys)
        cur = self.conn.execute(
            f"SELECT * FROM {q(entity_set)} WHERE {where}",  # noqa: S608 (EDMX identifiers)
            tuple(keys.values()),
        )
        row = cur.fetchone()
        return dict(row) if row else None

    def select(
        self,
        entity_set: str,
        where: str = "",
        params: tuple | list = (),
        order: str = "",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict]:
        sql = f"SELECT * FROM {q(entity_set)}"  # noqa: S608 (identifiers from the EDMX, values bound)
        if where:
            sql += f" WHERE {where}"
        sql += f" ORDER BY {order or self.key_order(entity_set)}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        elif offset:
            sql += f" LIMIT -1 OFFSET {int(offset)}"
        return [dict(r) for r in self.conn.execute(sql, tuple(params))]

    def find(self, entity_set: str, **eq: Any) -> list[dict]:
        where = " AND ".join(f"{q(k)} = ?" for k in eq)
        return self.select(entity_set, where, tuple(eq.values()))

    def count(self, entity_set: str, where: str = "", params: tuple | list = ()) -> int:
        sql = f"SELECT COUNT(*) FROM {q(entity_set)}" + (f" WHERE {where}" if where else "")  # noqa: S608 (identifiers from the EDMX, values bound)
        return self.conn.execute(sql, tuple(params)).fetchone()[0]

    def key_order(self, entity_set: str) -> str:
        return ", ".join(q(k) for k in self.es(entity_set).type.keys)

    def insert(self, entity_set: str, row: dict[str, Any]) -> dict:
        es = self.es(entity_set)
        stamp = self.store.stamp()
        row = dict(row)
        row["_etag"] = stamp
        if "LastChangeDateTime" in es.type.props:
            row["LastChangeDateTime"] = stamp
        keys = [k for k in es.type.keys if row.get(k) is None]
        if keys:
            raise SapError(
                "/IWBEP/CM_MGW_RT", "021", f"Key property {keys[0]} is initial", target=keys[0]
            )
        cols = ", ".join(q(c) for c in row)
        marks = ", ".join("?" for _ in row)
        try:
            self.conn.execute(
                f"INSERT INTO {q(entity_set)} ({cols}) VALUES ({marks})",  # noqa: S608
                tuple(row.values()),
            )
        except sqlite3.IntegrityError:
            key = ",".join(f"{k}={row.get(k)}" for k in es.type.keys)
            raise SapError(
                "/IWBEP/CM_MGW_RT", "025", f"Entity {entity_set}({key}) already exists"
            ) from None
        return row

    def update(self, entity_set: str, keys: dict[str, Any], changes: dict[str, Any]) -> dict:
        es = self.es(entity_set)
        changes = dict(changes)
        stamp = self.store.stamp()
        changes["_etag"] = stamp
        if "LastChangeDateTime" in es.type.props:
            changes["LastChangeDateTime"] = stamp
        sets = ", ".join(f"{q(c)} = ?" for c in changes)
        where = " AND ".join(f"{q(k)} = ?" for k in keys)
        self.conn.execute(
            f"UPDATE {q(entity_set)} SET {sets} WHERE {where}",  # noqa: S608 (identifiers from the EDMX, values bound)
            tuple(changes.values()) + tuple(keys.values()),
        )
        return self.get(entity_set, keys) or {}

    def upsert_stock(
        self, material: str, plant: str, sloc: str, batch: str, delta: float, unit: str
    ) -> float:
        keys = stock_keys(material, plant, sloc, batch)
        row = self.get("A_MatlStkInAcctMod", keys)
        if row is None:
            self.insert(
                "A_MatlStkInAcctMod",
                {**keys, "MaterialBaseUnit": unit, "MatlWrhsStkQtyInMatlBaseUnit": delta},
            )
            return delta
        qty = round((row["MatlWrhsStkQtyInMatlBaseUnit"] or 0.0) + delta, 6)
        self.update("A_MatlStkInAcctMod", keys, {"MatlWrhsStkQtyInMatlBaseUnit": qty})
        return qty

    # --- number ranges ----------------------------------------------------------------------
    def next_number(self, obj: str, start: int, year: str = "") -> int:
        row = self.conn.execute(
            "SELECT next FROM sim_number_ranges WHERE obj = ? AND year = ?", (obj, year)
        ).fetchone()
        number = row[0] if row else start
        self.conn.execute(
            "INSERT OR REPLACE INTO sim_number_ranges (obj, year, next) VALUES (?, ?, ?)",
            (obj, year, number + 1),
        )
        return number

    # --- SAP enqueue locks ------------------------------------------------------------------
    def check_lock(self, obj: str, user: str) -> None:
        row = self.conn.execute("SELECT user FROM sim_locks WHERE obj = ?", (obj,)).fetchone()
        if row and row[0] != user:
            raise lock_error(obj, row[0])

    # --- master data ------------------------------------------------------------------------
    def plant_exists(self, plant: str) -> bool:
        return bool(
            self.conn.execute("SELECT 1 FROM sim_plants WHERE plant = ?", (plant,)).fetchone()
        )

    def sloc_exists(self, plant: str, sloc: str) -> bool:
        return bool(
            self.conn.execute(
                "SELECT 1 FROM sim_plants WHERE plant = ? AND storage_location = ?", (plant, sloc)
            ).fetchone()
        )

    def cost_center(self, cost_center: str) -> dict | None:
        row = self.conn.execute(
            "SELECT * FROM sim_cost_centers WHERE cost_center = ?", (cost_center,)
        ).fetchone()
        return dict(row) if row else None

    def work_center(self, work_center: str, plant: str | None = None) -> dict | None:
        sql, params = "SELECT * FROM sim_work_centers WHERE work_center = ?", [work_center]
        if plant:
            sql += " AND plant = ?"
            params.append(plant)
        row = self.conn.execute(sql, params).fetchone()
        return dict(row) if row else None


def stock_keys(material: str, plant: str, sloc: str, batch: str = "") -> dict[str, str]:
    return {
        "Material": material,
        "Plant": plant,
        "StorageLocation": sloc,
        "Batch": batch or "",
        "Supplier": "",
        "Customer": "",
        "WBSElementInternalID": "",
        "SDDocument": "",
        "SDDocumentItem": "",
        "InventorySpecialStockType": "",
        "InventoryStockType": "01",
    }


class SapStore(SeedingMixin):
    """SQLite-backed data of the simulated SAP system (all clients share one data set)."""

    def __init__(self, path: str | None = None) -> None:
        self._tmpdir = None
        if path is None or path == ":memory:":
            self._tmpdir = tempfile.mkdtemp(prefix="sapsim-")
            path = os.path.join(self._tmpdir, "sap.sqlite")
        self.path = path
        self.sets = edmx.entity_sets()
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._stamp_lock = threading.Lock()
        self._last_stamp = 0
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._closed = False
        self._create_schema()

    # --- connections and transactions ----------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise RuntimeError("store is closed")
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            self._local.depth = 0
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Atomic unit: all changes inside commit together or not at all (nestable)."""
        conn = self._conn()
        depth = self._local.depth
        if depth:
            name = f"sp{depth}"
            conn.execute(f"SAVEPOINT {name}")
            self._local.depth += 1
            try:
                yield Tx(self, conn)
            except BaseException:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
                raise
            else:
                conn.execute(f"RELEASE {name}")
            finally:
                self._local.depth -= 1
            return
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            self._local.depth = 1
            try:
                yield Tx(self, conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")
            finally:
                self._local.depth = 0

    def release(self) -> None:
        """Close this thread's connection (the HTTP server calls it after every request)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.depth:
            return
        self._local.conn = None
        with self._conns_lock:
            if conn in self._conns:
                self._conns.remove(conn)
        conn.close()

    def reader(self) -> Tx:
        """Read access outside a write transaction (sees committed data)."""
        return Tx(self, self._conn())

    def stamp(self) -> int:
        """Strictly increasing change timestamp (µs): every change gets a new ETag."""
        with self._stamp_lock:
            self._last_stamp = max(now_us(), self._last_stamp + 1)
            return self._last_stamp

    def close(self) -> None:
        self._closed = True
        with self._conns_lock:
            for conn in self._conns:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._conns.clear()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    # --- schema -----------------------------------------------------------------------------------
    def _create_schema(self) -> None:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            for name, cols in MASTER_TABLES.items():
                conn.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
            for name, es in self.sets.items():
                cols = ["_rowid INTEGER PRIMARY KEY", "_etag INTEGER"]
                cols += [f"{q(p.name)} {sql_type(p.edm_type)}" for p in es.type.props.values()]
                cols += [f"{q(c)} {t}" for c, t in EXTRA_COLUMNS.get(name, {}).items()]
                conn.execute(f"CREATE TABLE IF NOT EXISTS {q(name)} ({', '.join(cols)})")
                keys = ", ".join(q(k) for k in es.type.keys)
                conn.execute(
                    f"CREATE UNIQUE INDEX IF NOT EXISTS {q('ux_' + name)} ON {q(name)} ({keys})"
                )
                idx = list(INDEXES.get(name, []))
                if "LastChangeDateTime" in es.type.props:
                    idx.append("LastChangeDateTime")
                for col in idx:
                    conn.execute(
                        f"CREATE INDEX IF NOT EXISTS {q('ix_' + name + '_' + col)} "
                        f"ON {q(name)} ({q(col)})"
                    )
            conn.execute("COMMIT")
        row = conn.execute("SELECT MAX(_etag) FROM MaintenanceOrder").fetchone()
        self._last_stamp = row[0] or 0

    # --- helpers for tests and the control API ------------------------------------------------
    def counts(self) -> dict[str, int]:
        tx = self.reader()
        return {name: tx.count(name) for name in DOCUMENT_SETS}

    def count(self, entity_set: str, **eq: Any) -> int:
        tx = self.reader()
        where = " AND ".join(f"{q(k)} = ?" for k in eq)
        return tx.count(entity_set, where, tuple(eq.values()))

    def find(self, entity_set: str, **eq: Any) -> list[dict]:
        """Rows with Python values (datetimes as aware ``datetime``, booleans as ``bool``)."""
        props = self.sets[entity_set].type.props
        out = []
        for row in self.reader().find(entity_set, **eq):
            for name, value in row.items():
                prop = props.get(name)
                if prop is None or value is None:
                    continue
                if prop.edm_type in DATETIME_TYPES:
                    row[name] = datetime_from_us(value)
                elif prop.edm_type == "Edm.Boolean":
                    row[name] = bool(value)
            out.append(row)
        return out

    def get(self, entity_set: str, **keys: Any) -> dict | None:
        rows = self.find(entity_set, **keys)
        return rows[0] if rows else None

    def find_notification_by_reference(self, reference: str) -> list[dict]:
        return self.find("MaintenanceNotification", MaintNotifExtReferenceNumber=reference)

    def find_order_by_reference(self, reference: str) -> list[dict]:
        return self.find("MaintenanceOrder", AdditionalDeviceData=reference)

    def find_confirmation_by_reference(self, reference: str) -> list[dict]:
        return self.find("MaintOrderConfirmation", ConfirmationText=reference)

    def find_material_document_by_reference(self, reference: str) -> list[dict]:
        return self.find("A_MaterialDocumentHeader", MaterialDocumentHeaderText=reference)

    def find_purchase_requisition_by_reference(self, reference: str) -> list[dict]:
        return self.find("A_PurchaseRequisitionItem", PurReqnExternalReference=reference)

    def stock(self, material: str, plant: str, sloc: str, batch: str = "") -> float:
        row = self.reader().get("A_MatlStkInAcctMod", stock_keys(material, plant, sloc, batch))
        return float(row["MatlWrhsStkQtyInMatlBaseUnit"]) if row else 0.0

    def order_status(self, order: str) -> str | None:
        row = self.reader().get("MaintenanceOrder", {"MaintenanceOrder": order})
        return row["_status"] if row else None

    def lock(self, obj: str, user: str) -> None:
        """Simulate another SAP user holding the enqueue lock on ``obj`` (e.g. 'ORDER/4000000')."""
        with self.transaction() as tx:
            tx.conn.execute(
                "INSERT OR REPLACE INTO sim_locks (obj, user) VALUES (?, ?)", (obj, user)
            )

    def unlock(self, obj: str | None = None) -> None:
        with self.transaction() as tx:
            if obj is None:
                tx.conn.execute("DELETE FROM sim_locks")
            else:
                tx.conn.execute("DELETE FROM sim_locks WHERE obj = ?", (obj,))

    def reset(self, everything: bool = False) -> None:
        """Delete all documents (and number ranges); keep master data unless ``everything``."""
        with self.transaction() as tx:
            names = list(self.sets) if everything else list(DOCUMENT_SETS)
            for name in names:
                tx.conn.execute(f"DELETE FROM {q(name)}")  # noqa: S608 (identifiers from the EDMX, values bound)
            tx.conn.execute("DELETE FROM sim_number_ranges")
            tx.conn.execute("DELETE FROM sim_locks")
            if everything:
                for name in ("sim_plants", "sim_cost_centers", "sim_work_centers"):
                    tx.conn.execute(f"DELETE FROM {name}")  # noqa: S608 (identifiers from the EDMX, values bound)
            else:
                # stock returns to its seeded quantities: goods movements are documents
                tx.conn.execute("DELETE FROM A_MatlStkInAcctMod")
                self._insert_stock_rows(
                    tx,
                    tx.conn.execute(
                        "SELECT material, plant, sloc, batch, unit, qty FROM sim_stock_seed"
                    ).fetchall(),
                    remember=False,
                )

    def users(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self.reader().conn.execute("SELECT * FROM sim_users")}
