"""Fault injection, switchable at run time (Python API and ``/__sim__/faults``).

Decisions are drawn from one seeded ``random.Random`` so a test run is reproducible for a given
seed and request sequence. Faults apply to OData requests and RFC calls alike:

- ``latency``: seconds added to every request/call.
- ``error_rate`` + ``status`` (500/502/503/504/429) + ``retry_after``: the request fails before it
  does anything (RFC: ``CommunicationError``).
- ``lock_rate``: a modifying request meets an SAP enqueue lock
  (OData 423 ``MC/601``; RFC ``E`` row).
- ``drop_after_commit_rate``: a modifying request commits, then the connection is dropped with no
  response (RFC: ``CommunicationError`` after ``BAPI_TRANSACTION_COMMIT`` wrote the data).
- ``csrf_expire``: invalidate all CSRF tokens/sessions now (one-shot).
- ``fail_next``: the next N requests fail with ``status`` (deterministic, no randomness).
- ``hold_next`` + ``hold_after_commit``: the next N modifying OData requests commit, then their
  answer waits ``hold_after_commit`` seconds (chaos tests kill the client meanwhile: "crashed
  after the remote commit"). ``snapshot()["holding"]`` lists the requests being held.
- ``raw_next`` / ``raw_rate`` + ``raw_status``, ``raw_content_type``, ``raw_body``: the next N
  (or that fraction of) OData requests are answered with exactly this status, content type and
  body (garbage, HTML, XML with a DTD...); with ``raw_after_commit`` a modifying request is
  executed (and committed) first and only its answer is replaced.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import asdict, dataclass, field

FAULT_KEYS = (
    "latency",
    "error_rate",
    "status",
    "retry_after",
    "lock_rate",
    "lock_user",
    "drop_after_commit_rate",
    "fail_next",
    "hold_next",
    "hold_after_commit",
    "seed",
    "raw_next",
    "raw_rate",
    "raw_status",
    "raw_content_type",
    "raw_body",
    "raw_after_commit",
)


@dataclass
class FaultConfig:
    latency: float = 0.0
    error_rate: float = 0.0
    status: int = 503
    retry_after: int | None = 1
    lock_rate: float = 0.0
    lock_user: str = "JDOE"
    drop_after_commit_rate: float = 0.0
    fail_next: int = 0
    hold_next: int = 0
    hold_after_commit: float = 0.0
    seed: int | None = None
    raw_next: int = 0
    raw_rate: float = 0.0
    raw_status: int = 200
    raw_content_type: str = "application/json"
    raw_body: str | bytes = ""
    raw_after_commit: bool = False
    stats: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RawAnswer:
    """The answer that replaces the simulator's own (fault ``raw_*``)."""

    status: int
    content_type: str
    body: bytes
    after_commit: bool


class Faults:
    """Thread-safe fault switchboard shared by the OData app and the RFC connections."""

    def __init__(self, on_csrf_expire=None) -> None:
        self._lock = threading.Lock()
        self._cfg = FaultConfig()
        self._rng = random.Random()
        self._on_csrf_expire = on_csrf_expire
        self._holding: dict[int, dict] = {}

    def set(self, csrf_expire: bool = False, **kwargs) -> Faults:
        unknown = set(kwargs) - set(FAULT_KEYS)
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        with self._lock:
            for key, value in kwargs.items():
                setattr(self._cfg, key, value)
            if "seed" in kwargs:
                self._rng = random.Random(kwargs["seed"])
        if csrf_expire and self._on_csrf_expire:
            self._on_csrf_expire()
            self._count("csrf_expired")
        return self

    def clear(self) -> Faults:
        with self._lock:
            self._cfg = FaultConfig(stats=self._cfg.stats)
            self._rng = random.Random()
        return self

    def snapshot(self) -> dict:
        with self._lock:
            return dict(asdict(self._cfg), holding=list(self._holding.values()))

    def _count(self, what: str) -> None:
        with self._lock:
            self._cfg.stats[what] = self._cfg.stats.get(what, 0) + 1

    def _roll(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._rng.random() < rate

    # --- decisions ----------------------------------------------------------------------------
    def delay(self) -> None:
        latency = self._cfg.latency
        if latency > 0:
            time.sleep(latency)

    def error(self) -> tuple[int, int | None] | None:
        """(status, retry_after) when this request must fail up front."""
        with self._lock:
            cfg = self._cfg
            if cfg.fail_next > 0:
                cfg.fail_next -= 1
                hit = True
            else:
                hit = cfg.error_rate > 0 and self._rng.random() < cfg.error_rate
            status, retry = cfg.status, cfg.retry_after
        if hit:
            self._count("errors")
            return status, retry
        return None

    def raw_answer(self) -> RawAnswer | None:
        """The configured raw answer when this request gets one (``raw_next``, ``raw_rate``)."""
        with self._lock:
            cfg = self._cfg
            if cfg.raw_next > 0:
                cfg.raw_next -= 1
                hit = True
            else:
                hit = cfg.raw_rate > 0 and self._rng.random() < cfg.raw_rate
            body = cfg.raw_body.encode() if isinstance(cfg.raw_body, str) else bytes(cfg.raw_body)
            answer = RawAnswer(cfg.raw_status, cfg.raw_content_type, body, cfg.raw_after_commit)
        if not hit:
            return None
        self._count("raw")
        return answer

    def lock_conflict(self) -> str | None:
        """User name holding the lock when this modifying request meets an enqueue conflict."""
        if self._roll(self._cfg.lock_rate):
            self._count("locks")
            return self._cfg.lock_user
        return None

    def drop_after_commit(self) -> bool:
        if self._roll(self._cfg.drop_after_commit_rate):
            self._count("drops")
            return True
        return False

    def hold_after_commit(self, method: str, path: str, body: bytes) -> None:
        """After a committed modifying request: wait before answering when ``hold_next`` says
        so (the request is listed in ``snapshot()["holding"]`` meanwhile)."""
        with self._lock:
            cfg = self._cfg
            if cfg.hold_next <= 0 or cfg.hold_after_commit <= 0:
                return
            cfg.hold_next -= 1
            seconds = cfg.hold_after_commit
            token = id(threading.current_thread())
            self._holding[token] = {
                "method": method,
                "path": path,
                "body": body[:4000].decode("utf-8", "replace"),
                "since": time.time(),
            }
        self._count("holds")
        try:
            time.sleep(seconds)
        finally:
            with self._lock:
                self._holding.pop(token, None)
