"""Persistent, thread-safe store of the CMMS simulator (SQLite).

Records are kept as Maximo lean JSON (lowercase attribute names as in ``mxapiwodetail`` /
``mxapiasset``) - the Maximo, SOAP and REST faces of the simulator are three views of the same
rows. Every change bumps a global ``rowstamp`` (Maximo's optimistic-locking counter) and sets
``changedate``. With a file path the data survives a restart; ``db_path=None`` keeps it in memory.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

WO_STATUSES = ("WAPPR", "APPR", "WSCH", "WMATL", "WPCOND", "INPRG", "COMP", "CLOSE", "CAN")
DATE_ATTRS = frozenset(
    {
        "changedate",
        "reportdate",
        "actstart",
        "actfinish",
        "targstartdate",
        "targcompdate",
        "statusdate",
        "startdatetime",
        "finishdatetime",
        "installdate",
    }
)
KEY_ATTRS = {"workorders": ("wonum", "siteid"), "assets": ("assetnum", "siteid")}


class StoreError(Exception):
    """Refusal of the store, carrying a Maximo reason code and HTTP status."""

    status = 400

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class RecordNotFound(StoreError):
    status = 404


class StaleRowstamp(StoreError):
    status = 412


class InvalidValue(StoreError):
    status = 400


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def normalize_date(value: Any) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidValue(
                f"BMXAA4144E - The date {value!r} is not in a valid format.", "BMXAA4144E"
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).replace(microsecond=0).isoformat()


class CmmsStore:
    def __init__(
        self,
        db_path: str | None = None,
        *,
        default_site: str = "BEDFORD",
        default_org: str = "EAGLENA",
    ) -> None:
        self.db_path = db_path or ":memory:"
        self.default_site = default_site
        self.default_org = default_org
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
        self.listeners: list[Callable[[str, str, dict], None]] = []
        with self._lock:
            if self.db_path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS workorders (
                    siteid TEXT NOT NULL, wonum TEXT NOT NULL, data TEXT NOT NULL,
                    PRIMARY KEY (siteid, wonum));
                CREATE TABLE IF NOT EXISTS assets (
                    siteid TEXT NOT NULL, assetnum TEXT NOT NULL, data TEXT NOT NULL,
                    PRIMARY KEY (siteid, assetnum));
                """
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- counters ----------------------------------------------------------------------------
    def _next(self, key: str, start: int) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        value = (row[0] if row else start) + 1
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
        return value

    # --- generic rows ------------------------------------------------------------------------
    def _rows(self, table: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(f"SELECT data FROM {table}").fetchall()  # noqa: S608
        return [json.loads(r[0]) for r in rows]

    def _get(self, table: str, key: str, siteid: str | None) -> dict[str, Any] | None:
        key_attr = KEY_ATTRS[table][0]
        with self._lock:
            if siteid:
                row = self._db.execute(
                    f"SELECT data FROM {table} WHERE {key_attr}=? AND siteid=?",  # noqa: S608
                    (key, siteid),
                ).fetchone()
            else:
                row = self._db.execute(
                    f"SELECT data FROM {table} WHERE {key_attr}=? ORDER BY siteid",  # noqa: S608
                    (key,),
                ).fetchone()
        return json.loads(row[0]) if row else None

    def _save(self, table: str, record: dict[str, Any], *, insert: bool) -> None:
        key_attr = KEY_ATTRS[table][0]
        sql = "INSERT INTO" if insert else "REPLACE INTO"
        self._db.execute(
            f"{sql} {table} (siteid, {key_attr}, data) VALUES (?, ?, ?)",  # noqa: S608
            (record["siteid"], record[key_attr], json.dumps(record, sort_keys=True)),
        )

    def _stamp(self, record: dict[str, Any], changedate: Any = None) -> None:
        record["_rowstamp"] = str(self._next("rowstamp", 1000))
        record["changedate"] = normalize_date(changedate) if changedate else now_iso()

    def _notify(self, kind: str, action: str, record: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            listener(kind, action, record)

    # --- assets ------------------------------------------------------------------------------
    def add_asset(
        self,
        assetnum: str,
        description: str = "",
        *,
        siteid: str | None = None,
        location: str = "",
        status: str = "OPERATING",
        changedate: Any = None,
        **attrs: Any,
    ) -> dict[str, Any]:
        record = {
            "assetnum": str(assetnum),
            "siteid": siteid or self.default_site,
            "orgid": self.default_org,
            "description": description,
            "location": location,
            "status": status,
            **{k.lower(): v for k, v in attrs.items()},
        }
        with self._lock:
            if self._get("assets", record["assetnum"], record["siteid"]):
                raise InvalidValue(
                    f"BMXAA4129E - Record already exists for Site={record['siteid']}, "
                    f"Asset={record['assetnum']}. Ensure that the key value for the given record "
                    "is unique.",
                    "BMXAA4129E",
                )
            record["assetid"] = self._next("assetid", 0)
            self._stamp(record, changedate)
            self._save("assets", record, insert=True)
        return record

    def assets(self) -> list[dict[str, Any]]:
        return sorted(self._rows("assets"), key=lambda r: (r["changedate"], r["assetnum"]))

    def asset(self, assetnum: str, siteid: str | None = None) -> dict[str, Any] | None:
        return self._get("assets", assetnum, siteid)

    # --- work orders -------------------------------------------------------------------------
    def add_workorder(
        self,
        wonum: str | None = None,
        description: str = "",
        *,
        siteid: str | None = None,
        status: str = "WAPPR",
        changedate: Any = None,
        **attrs: Any,
    ) -> dict[str, Any]:
        """Seed or create a work order (lean Maximo attribute names; ``labtrans`` and
        ``failurereport`` lists allowed). ``changedate`` may be given to seed history."""
        values = {k.lower(): v for k, v in attrs.items()}
        values.update(description=description, status=status)
        if wonum:
            values["wonum"] = wonum
        if siteid:
            values["siteid"] = siteid
        return self.create_workorder(values, changedate=changedate)

    def create_workorder(self, values: dict[str, Any], changedate: Any = None) -> dict[str, Any]:
        record = self._clean({k.lower(): v for k, v in values.items()})
        record.setdefault("siteid", self.default_site)
        record.setdefault("orgid", self.default_org)
        record.setdefault("status", "WAPPR")
        record.setdefault("reportdate", now_iso())
        self._validate(record)
        with self._lock:
            if not record.get("wonum"):
                record["wonum"] = str(self._next("wonum", 1000))
            if self._get("workorders", record["wonum"], record["siteid"]):
                raise InvalidValue(
                    f"BMXAA4129E - Record already exists for Site={record['siteid']}, "
                    f"Work Order={record['wonum']}. Ensure that the key value for the given "
                    "record is unique.",
                    "BMXAA4129E",
                )
            record["workorderid"] = self._next("workorderid", 0)
            self._stamp(record, changedate)
            self._save("workorders", record, insert=True)
        self._notify("workorder", "created", record)
        return record

    def update_workorder(
        self,
        wonum: str,
        changes: dict[str, Any],
        *,
        siteid: str | None = None,
        if_rowstamp: str | None = None,
        merge: bool = True,
        changedate: Any = None,
    ) -> dict[str, Any]:
        """Apply ``changes``; child lists are merged (``failurereport`` by ``type``,
        ``labtrans`` appended) when ``merge`` (Maximo ``patchtype: MERGE``), else replaced."""
        changes = self._clean({k.lower(): v for k, v in changes.items()})
        for key in ("wonum", "siteid", "orgid", "workorderid", "_rowstamp", "changedate", "href"):
            changes.pop(key, None)
        with self._lock:
            record = self._get("workorders", wonum, siteid)
            if record is None:
                raise RecordNotFound(f"Work order {wonum} does not exist.")
            if if_rowstamp and if_rowstamp != record["_rowstamp"]:
                raise StaleRowstamp(
                    f"BMXAA8229W - Record WORKORDER : Site={record['siteid']} Work Order="
                    f"{record['wonum']} has been updated by another user. Your changes have not "
                    "been saved. Refresh the record and try again.",
                    "BMXAA8229W",
                )
            for key, value in changes.items():
                if key == "failurereport" and merge:
                    rows = {r.get("type"): r for r in record.get("failurereport", [])}
                    rows.update({r.get("type"): r for r in value})
                    record[key] = list(rows.values())
                elif key == "labtrans" and merge:
                    record[key] = [*record.get("labtrans", []), *value]
                else:
                    record[key] = value
            self._validate(record)
            self._stamp(record, changedate)
            self._save("workorders", record, insert=False)
        self._notify("workorder", "updated", record)
        return record

    def delete_workorder(self, wonum: str, siteid: str | None = None) -> None:
        with self._lock:
            record = self._get("workorders", wonum, siteid)
            if record is None:
                raise RecordNotFound(f"Work order {wonum} does not exist.")
            self._db.execute(
                "DELETE FROM workorders WHERE wonum=? AND siteid=?", (wonum, record["siteid"])
            )

    def workorder(self, wonum: str, siteid: str | None = None) -> dict[str, Any] | None:
        return self._get("workorders", wonum, siteid)

    def workorders(self, predicate: Callable[[dict], bool] | None = None) -> list[dict[str, Any]]:
        rows = sorted(self._rows("workorders"), key=lambda r: (r["changedate"], r["wonum"]))
        return [r for r in rows if predicate is None or predicate(r)]

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM workorders").fetchone()[0]

    # --- validation --------------------------------------------------------------------------
    def _clean(self, values: dict[str, Any]) -> dict[str, Any]:
        for key in list(values):
            if key in DATE_ATTRS:
                values[key] = normalize_date(values[key])
        if values.get("wopriority") not in (None, ""):
            try:
                values["wopriority"] = int(values["wopriority"])
            except (TypeError, ValueError):
                raise InvalidValue(
                    f"BMXAA4144E - Priority {values['wopriority']!r} is not a valid integer.",
                    "BMXAA4144E",
                ) from None
        for child in ("labtrans", "failurereport"):
            if child in values:
                rows = values[child] or []
                if not isinstance(rows, list):
                    raise InvalidValue(f"{child} must be a list")
                values[child] = [self._clean_row(r) for r in rows]
        return values

    @staticmethod
    def _clean_row(row: Any) -> dict[str, Any]:
        if not isinstance(row, dict):
            raise InvalidValue("child rows must be objects")
        row = {k.lower(): v for k, v in row.items()}
        for key in list(row):
            if key in DATE_ATTRS:
                row[key] = normalize_date(row[key])
        if "regularhrs" in row and row["regularhrs"] not in (None, ""):
            row["regularhrs"] = float(row["regularhrs"])
        return row

    def _validate(self, record: dict[str, Any]) -> None:
        if record.get("status") not in WO_STATUSES:
            raise InvalidValue(
                f"BMXAA4190E - Status {record.get('status')!r} is not a valid work order status.",
                "BMXAA4190E",
            )
        assetnum = record.get("assetnum")
        if assetnum and self._get("assets", assetnum, record.get("siteid")) is None:
            raise InvalidValue(
                f"BMXAA2661E - Asset {assetnum} is not a valid asset in site "
                f"{record.get('siteid')}.",
                "BMXAA2661E",
            )

    # --- bulk helpers for demos --------------------------------------------------------------
    def seed_demo(self, workorders: int = 12) -> None:
        for n, (num, desc, loc) in enumerate(
            [
                ("PUMP-100", "Centrifugal pump P-100", "PLANT1-AREA1"),
                ("CONV-200", "Belt conveyor C-200", "PLANT1-AREA2"),
                ("COMP-300", "Air compressor K-300", "PLANT1-UTIL"),
            ]
        ):
            if not self.asset(num):
                self.add_asset(num, desc, location=loc, priority=n + 1)
        assets = ["PUMP-100", "CONV-200", "COMP-300"]
        statuses = ["WAPPR", "APPR", "INPRG", "COMP"]
        for i in range(workorders):
            self.add_workorder(
                description=f"Demo work order {i + 1}",
                assetnum=assets[i % 3],
                status=statuses[i % 4],
                wopriority=1 + i % 3,
                worktype="CM" if i % 2 else "PM",
            )
        # a status the demo configuration of Odoo leaves unmapped: practise the exception queue
        self.add_workorder(
            description="Bearing noise, waiting for material",
            assetnum="CONV-200",
            status="WMATL",
            wopriority=2,
            worktype="CM",
        )

    def export(self) -> dict[str, Iterable[dict]]:
        return {"assets": self.assets(), "workorders": self.workorders()}
