"""A pyrfc-compatible connection to the simulated system (same store as OData).

``SimRfcConnection(user=..., passwd=..., client=...)`` behaves like ``pyrfc.Connection``:
``call(name, **params)`` returns a dict of export and table parameters, ``close()``, context
manager, ``alive``, ``ping()``. Errors are the pyrfc-shaped classes of
:mod:`plant_sync.sap.pyrfc_compat`.

LUW semantics: a BAPI validates against the store plus this connection's pending changes (a dry
run that is rolled back) and queues its change. ``BAPI_TRANSACTION_COMMIT`` applies the queue in
one store transaction; ``BAPI_TRANSACTION_ROLLBACK`` and ``close()`` discard it. Document numbers
are drawn when the BAPI runs (SAP's early number assignment), so a discarded LUW leaves a gap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plant_sync.sap.pyrfc_compat import (
    ABAPApplicationError,
    CommunicationError,
    LogonError,
    RFCError,
)

from .errors import SapError
from .store import Tx

Op = Callable[[Tx], Any]


class _DryRun(Exception):
    pass


class SimRfcConnection:
    """pyrfc ``Connection`` look-alike bound to a :class:`~.server.SapSimulator`."""

    def __init__(
        self,
        sim,
        user: str = "",
        passwd: str = "",
        client: str = "100",
        lang: str = "EN",
        **params: Any,
    ) -> None:
        self._sim = sim
        self.store = sim.store
        self.faults = sim.faults
        client = str(client)
        if client not in sim.gateway.clients:
            raise LogonError(
                message=f"Client {client} is not available in this system",
                code=2,
                key="RFC_LOGON_FAILURE",
                msg_class="00",
                msg_type="E",
                msg_number="150",
            )
        if not user or self.store.users().get(user.upper()) != passwd:
            raise LogonError(
                message="Name or password is incorrect (repeat logon)",
                code=2,
                key="RFC_LOGON_FAILURE",
                msg_class="00",
                msg_type="E",
                msg_number="152",
            )
        self.user = user.upper()
        self.client = client
        self.lang = lang
        self.params = params
        self._alive = True
        self._luw: list[Op] = []
        self.pending: dict[str, Any] = {}  # BAPI-specific buffers (e.g. notifications to save)

    # --- pyrfc surface --------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self._alive

    def get_connection_attributes(self) -> dict[str, str]:
        return {
            "user": self.user,
            "client": self.client,
            "sysId": self._sim.gateway.sid,
            "language": self.lang[:1],
        }

    def ping(self) -> None:
        self.call("RFC_PING")

    def close(self) -> None:
        self._luw.clear()
        self.pending.clear()
        self._alive = False

    def __enter__(self) -> SimRfcConnection:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def call(self, func_name: str, options: dict | None = None, **params: Any) -> dict:
        from .bapis import FUNCTIONS

        if not self._alive:
            raise RFCError("Connection is closed")
        self.faults.delay()
        if self.faults.error() is not None:
            self._luw.clear()
            self.pending.clear()
            raise CommunicationError(
                message="partner not reached (simulated network failure)",
                code=1,
                key="RFC_COMMUNICATION_FAILURE",
            )
        impl = FUNCTIONS.get(func_name.upper())
        if impl is None:
            raise ABAPApplicationError(
                message=f"ID:FL Type:E Number:046 {func_name}",
                code=5,
                key="FU_NOT_FOUND",
                msg_class="FL",
                msg_type="E",
                msg_number="046",
                msg_v1=func_name,
            )
        return impl(self, **params)

    # --- LUW machinery used by the BAPIs --------------------------------------------------------
    def dry_run(self, op: Op) -> Any:
        """Run ``op`` after the pending LUW in a transaction that is rolled back; its result."""
        result: list[Any] = []
        try:
            with self.store.transaction() as tx:
                for prev in self._luw:
                    prev(tx)
                result.append(op(tx))
                raise _DryRun
        except _DryRun:
            pass
        return result[0]

    def stage(self, op: Op) -> Any:
        """Validate ``op`` (raises SapError) and queue it for BAPI_TRANSACTION_COMMIT."""
        result = self.dry_run(op)
        self._luw.append(op)
        return result

    def commit(self) -> None:
        ops, self._luw = self._luw, []
        self.pending.clear()
        if not ops:
            return
        with self.store.transaction() as tx:
            for op in ops:
                op(tx)
        if self.faults.drop_after_commit():
            self._alive = False
            raise CommunicationError(
                message="connection to partner broken (simulated, after commit)",
                code=1,
                key="RFC_COMMUNICATION_FAILURE",
            )

    def rollback(self) -> None:
        self._luw.clear()
        self.pending.clear()

    def draw(self, obj: str, start: int, year: str = "") -> int:
        with self.store.transaction() as tx:
            return tx.next_number(obj, start, year)

    def lock_fault(self) -> SapError | None:
        holder = self.faults.lock_conflict()
        if holder:
            from .errors import lock_error

            return lock_error("simulated", holder)
        return None
