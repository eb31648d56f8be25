"""What every operation mixin may use: the transport, the exactly-once helper, value helpers.

The one retry layer (:mod:`plant_sync.sap.idempotent`): transports try each call once; here
every remote read (an OData GET or page, an RFC_READ_TABLE call) goes through ``self.retrier``,
creates through :func:`create_once` and status changes through :func:`reach`, all bounded by
``SapConnectionConfig.max_attempts`` (1: no retry, no sleep).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from ...errors import NotFound, ProtocolError
from ..config import SapConnectionConfig
from ..idempotent import Retrier, check_key, create_once
from ..models import CreateResult, Message
from ..odata.client import HttpResult, ODataService, SapHttp
from ..odata.query import parse_datetime
from ..rfc.client import RfcClient

T = TypeVar("T")


class _RetriedReads(ODataService):
    """A service whose GETs (one entity, one page of a collection) are retried by the ops
    layer; writes stay single attempts, repeated only by create_once / reach after a re-check."""

    def __init__(self, http: SapHttp, name: str, retrier: Retrier) -> None:
        super().__init__(http, name)
        self.retrier = retrier

    def _get(self, url: str, params: Mapping[str, Any] | None = None) -> HttpResult:
        get = super()._get
        return self.retrier.read(lambda: get(url, params))


class _RetriedTableReads(RfcClient):
    """RFC client whose RFC_READ_TABLE calls (one page each) are retried by the ops layer;
    LUW calls (BAPIs + commit) stay single attempts."""

    def __init__(self, config: SapConnectionConfig, retrier: Retrier) -> None:
        super().__init__(config)
        self.retrier = retrier

    def read_table(
        self,
        table: str,
        fields: list[str],
        where: list[str] | None = None,
        *,
        skip: int = 0,
        count: int = 0,
    ) -> list[dict[str, str]]:
        read = super().read_table
        return self.retrier.read(lambda: read(table, fields, where, skip=skip, count=count))


class ServiceBase:
    transport = ""

    def __init__(self, config: SapConnectionConfig) -> None:
        self.config = config.validate()
        self.retrier = Retrier(config.max_attempts, config.backoff, config.max_retry_after)

    def _once(
        self,
        key: str,
        max_length: int,
        *,
        kind: str,
        lookup: Callable[[], T | None],
        create: Callable[[], tuple[T, list[Message]]],
    ) -> CreateResult[T]:
        check_key(key, max_length)
        return create_once(key, lookup=lookup, create=create, retrier=self.retrier, namespace=kind)

    def _once_by_reference(
        self,
        key: str,
        max_length: int,
        kind: str,
        find: Callable[[str], T | None],
        create: Callable[[], tuple[T, list[Message]]],
    ) -> CreateResult[T]:
        """:meth:`_once` for documents found again by ``find(key)`` (key in a reference field)."""
        return self._once(key, max_length, kind=kind, lookup=lambda: find(key), create=create)

    def close(self) -> None:  # pragma: no cover - overridden
        pass

    def __enter__(self) -> ServiceBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ODataBase(ServiceBase):
    transport = "odata"

    def __init__(self, config: SapConnectionConfig) -> None:
        super().__init__(config)
        self.http = SapHttp(config)
        self._services: dict[str, ODataService] = {}

    def _svc(self, name: str) -> ODataService:
        if name not in self._services:
            self._services[name] = _RetriedReads(self.http, name, self.retrier)
        return self._services[name]

    def close(self) -> None:
        self.http.close()


class RfcBase(ServiceBase):
    transport = "rfc"

    def __init__(self, config: SapConnectionConfig) -> None:
        super().__init__(config)
        self.rfc = _RetriedTableReads(config, self.retrier)

    def _read_one(self, table: str, fields: list[str], where: list[str]) -> dict[str, str] | None:
        rows = self.rfc.read_table(table, fields, where, count=1)
        return rows[0] if rows else None

    def _read_all(self, table: str, fields: list[str], where: list[str]) -> list[dict[str, str]]:
        return self.rfc.read_table(table, fields, where)

    def close(self) -> None:
        self.rfc.close()


# --- value helpers ------------------------------------------------------------------------------
def s(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value).strip()


def key_of(row: Mapping[str, Any], name: str) -> str:
    """A document's key property (its number): an SAP answer without it is no document."""
    value = s(row, name)
    if not value:
        raise ProtocolError(f"SAP answered a document without its {name}")
    return value


def dec(value: Any) -> Decimal:
    if value in (None, ""):
        return Decimal(0)
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ProtocolError(f"SAP sent a non-numeric quantity {value!r}") from None


def dt(value: Any) -> datetime | None:
    return parse_datetime(value)


def abap_date(value: date | datetime | None) -> str:
    """YYYYMMDD for RFC DATS fields."""
    value = value or datetime.now(timezone.utc).date()
    return value.strftime("%Y%m%d")


def from_abap_date(value: Any) -> datetime | None:
    text = str(value or "").strip().replace("-", "")
    if not text or text == "00000000":
        return None
    try:
        return datetime.strptime(text[:8], "%Y%m%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ProtocolError(f"SAP sent an invalid date {value!r}") from None


def require(row: dict[str, Any] | None, what: str) -> dict[str, Any]:
    if row is None:
        raise NotFound(f"{what} does not exist in SAP")
    return row


def alpha(number: str, width: int) -> str:
    """SAP ALPHA conversion for numeric keys ('4711' -> '000000004711'); text keys stay."""
    number = str(number).strip()
    return number.zfill(width) if number.isdigit() else number
