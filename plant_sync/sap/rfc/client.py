"""RFC transport: connection factory, LUWs, typed errors, RFC_READ_TABLE.

The connection interface is the part of ``pyrfc.Connection`` we use: ``call(name, **params)``
returning a dict of export/table parameters, and ``close()``. Tests inject the simulator's
``sim.rfc_connection(...)`` through ``SapConnectionConfig.connection_factory``; production uses
pyrfc, imported only when the first connection is opened.

One attempt per call: a broken connection is dropped (the next call opens a new one) and the
error raised; retries belong to the ops layer (:mod:`plant_sync.sap.idempotent`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from ...errors import ConfigurationError, ConnectionFailed, IntegrationError, ProtocolError
from ...paging import PageGuard
from ..classify import classify_rfc_exception
from ..config import SapConnectionConfig
from .returns import check_return, return_rows

log = logging.getLogger("plant_sync.sap.rfc")
OPTION_WIDTH = 72  # RFC_READ_TABLE OPTIONS-TEXT is CHAR 72


class RfcConnection(Protocol):
    def call(self, func_name: str, /, **params: Any) -> dict[str, Any]: ...

    def close(self) -> None: ...


def pyrfc_factory(params: Mapping[str, Any]) -> Callable[[], RfcConnection]:
    """Factory opening ``pyrfc.Connection(**params)``; a clear ConfigurationError when the
    SAP NW RFC SDK / pyrfc is not installed."""

    def open_connection() -> RfcConnection:
        try:
            import pyrfc  # noqa: PLC0415 - optional dependency, imported lazily
        except ImportError:
            raise ConfigurationError(
                "The RFC transport needs the 'pyrfc' package and the SAP NW RFC SDK; install "
                "them on the Odoo server or switch the backend to the OData transport."
            ) from None
        try:
            return pyrfc.Connection(**dict(params))
        except Exception as exc:  # pyrfc raises its own classes: map them
            raise classify_rfc_exception(exc) from None

    return open_connection


def _is_rfc_exception(exc: BaseException) -> bool:
    return any(k.__name__ == "RFCError" for k in type(exc).__mro__)


class Luw:
    """One logical unit of work on ONE connection: BAPIs, then commit or rollback."""

    def __init__(self, client: RfcClient, connection: RfcConnection) -> None:
        self._client = client
        self.connection = connection
        self.closed = False

    def call(self, name: str, **params: Any) -> dict[str, Any]:
        return self._client.invoke(self.connection, name, **params)

    def commit(self) -> None:
        result = self.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
        check_return(return_rows(result))
        self.closed = True

    def rollback(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.call("BAPI_TRANSACTION_ROLLBACK")
        except IntegrationError as exc:  # the connection is gone: SAP rolls back by itself
            log.info("Rollback not possible (%s); SAP discards the LUW with the session", exc)


class RfcClient:
    """Thread-safe: one connection per thread, reopened after a communication failure."""

    def __init__(self, config: SapConnectionConfig) -> None:
        self.config = config
        self._factory = config.connection_factory or pyrfc_factory(config.rfc_params)
        self._local = threading.local()
        self._all: list[RfcConnection] = []
        self._lock = threading.Lock()

    def connection(self) -> RfcConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = self._factory()
            except IntegrationError:
                raise
            except Exception as exc:
                if _is_rfc_exception(exc):
                    raise classify_rfc_exception(exc) from None
                raise
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def drop(self, conn: RfcConnection) -> None:
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None
        with contextlib.suppress(Exception):
            conn.close()
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()
        self._local = threading.local()

    def invoke(self, conn: RfcConnection, name: str, **params: Any) -> dict[str, Any]:
        try:
            result = conn.call(name, **params)
        except Exception as exc:
            if not _is_rfc_exception(exc):
                raise
            error = classify_rfc_exception(exc)
            if isinstance(error, ConnectionFailed) or error.code in ("RFC_TIMEOUT",):
                self.drop(conn)  # a broken session cannot carry the next call
            raise error from None
        if not isinstance(result, Mapping):
            raise ProtocolError(f"{name} returned {type(result).__name__}, not a dict")
        return dict(result)

    def call(self, name: str, **params: Any) -> dict[str, Any]:
        """A stateless call (reads) on this thread's connection."""
        return self.invoke(self.connection(), name, **params)

    @contextlib.contextmanager
    def luw(self) -> Iterator[Luw]:
        """BAPIs + BAPI_TRANSACTION_COMMIT/ROLLBACK on the same connection. Leaving the block
        without commit (an exception) rolls back."""
        unit = Luw(self, self.connection())
        try:
            yield unit
        except BaseException:
            unit.rollback()
            raise
        else:
            if not unit.closed:
                unit.rollback()

    # --- RFC_READ_TABLE ----------------------------------------------------------------------
    def iter_table(
        self,
        table: str,
        fields: list[str],
        where: list[str] | None = None,
        *,
        page_size: int | None = None,
    ) -> Iterator[list[dict[str, str]]]:
        """Stream ``table`` rows as dicts, ``page_size`` rows per call (ROWSKIPS/ROWCOUNT)."""
        size = page_size or self.config.rfc_page_size
        skip = 0
        guard = PageGuard(f"RFC_READ_TABLE {table}", self.config.max_pages)
        while True:
            rows = self.read_table(table, fields, where, skip=skip, count=size)
            if rows:
                yield rows
            if len(rows) < size:
                return
            guard.next_page(len(rows))  # a system ignoring ROWSKIPS would never end
            skip += size

    def read_table(
        self,
        table: str,
        fields: list[str],
        where: list[str] | None = None,
        *,
        skip: int = 0,
        count: int = 0,
    ) -> list[dict[str, str]]:
        result = self.call(
            self.config.rfc_read_table,
            QUERY_TABLE=table,
            DELIMITER="|",
            FIELDS=[{"FIELDNAME": f} for f in fields],
            OPTIONS=[{"TEXT": line} for line in option_lines(where or [])],
            ROWSKIPS=skip,
            ROWCOUNT=count,
        )
        return parse_read_table(result, fields)


def option_lines(conditions: list[str]) -> list[str]:
    """WHERE conditions joined with AND and wrapped into CHAR 72 OPTIONS lines (never inside
    a quoted literal)."""
    lines: list[str] = []
    current = ""
    tokens: list[str] = []
    for i, cond in enumerate(conditions):
        tokens += (["AND"] if i else []) + _tokens(cond)
    for token in tokens:
        if len(token) > OPTION_WIDTH:
            raise ConfigurationError(f"RFC_READ_TABLE condition token too long: {token[:40]}...")
        candidate = f"{current} {token}".strip()
        if len(candidate) > OPTION_WIDTH:
            lines.append(current)
            current = token
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _tokens(condition: str) -> list[str]:
    tokens, buf, quoted = [], "", False
    for ch in condition:
        if ch == "'":
            quoted = not quoted
        if ch == " " and not quoted:
            if buf:
                tokens.append(buf)
            buf = ""
        else:
            buf += ch
    if buf:
        tokens.append(buf)
    return tokens


def abap_literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def parse_read_table(result: Mapping[str, Any], fields: list[str]) -> list[dict[str, str]]:
    """RFC_READ_TABLE DATA rows (``WA``) into dicts, using the delimiter, or FIELDS offsets when
    a value contains the delimiter."""
    meta = result.get("FIELDS") or []
    names = [str(f.get("FIELDNAME", "")).strip() for f in meta] or list(fields)
    rows = []
    for line in result.get("DATA") or []:
        wa = str(line.get("WA", "") if isinstance(line, Mapping) else line)
        values = wa.split("|")
        if len(values) != len(names):
            values = _by_offset(wa, meta)
        rows.append({n: v.strip() for n, v in zip(names, values, strict=True)})
    return rows


def _by_offset(wa: str, meta: list[Mapping[str, Any]]) -> list[str]:
    if not meta:
        raise ProtocolError("RFC_READ_TABLE row does not match its field list")
    out = []
    for f in meta:
        start, length = int(f.get("OFFSET", 0)), int(f.get("LENGTH", 0))
        out.append(wa[start : start + length])
    return out
