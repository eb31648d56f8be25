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
    "seed",
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
    seed: int | None = None
    stats: dict[str, int] = field(default_factory=dict)


class Faults:
    """Thread-safe fault switchboard shared by the OData app and the RFC connections."""

    def __init__(self, on_csrf_expire=None) -> None:
        self._lock = threading.Lock()
        self._cfg = FaultConfig()
        self._rng = random.Random()
        self._on_csrf_expire = on_csrf_expire

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
            return asdict(self._cfg)

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
