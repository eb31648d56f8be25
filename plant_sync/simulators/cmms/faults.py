"""Run-time fault injection for the CMMS simulator.

``sim.faults.set(error_rate=.3, status=503, latency=.01, lock_rate=.1, poison="xxe")`` changes the
behaviour of the running server; ``sim.faults.clear()`` restores it. ``scope`` limits faults to one
face (``"maximo"``, ``"soap"``, ``"rest"``); ``count`` limits how many requests are affected
(each injected error or poisoned body uses one). ``raw_body`` (with ``raw_status`` and
``raw_content_type``) answers requests with exactly that body instead (any garbage).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field, replace

POISONS = ("xxe", "billion_laughs", "html", "malformed")


@dataclass
class FaultSettings:
    error_rate: float = 0.0
    status: int = 503
    latency: float = 0.0
    lock_rate: float = 0.0
    poison: str = ""
    poison_file: str = "/etc/passwd"
    poison_url: str = "http://127.0.0.1:9/xxe"
    raw_body: bytes | None = None
    raw_status: int = 200
    raw_content_type: str = "application/json"
    retry_after: int = 1
    scope: str = ""
    count: int | None = None
    seed: int | None = None
    injected: dict[str, int] = field(default_factory=dict)


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._random = random.Random()

    def set(
        self,
        *,
        error_rate: float | None = None,
        status: int | None = None,
        latency: float | None = None,
        lock_rate: float | None = None,
        poison: str | None = None,
        poison_file: str | None = None,
        poison_url: str | None = None,
        raw_body: bytes | str | None = None,
        raw_status: int | None = None,
        raw_content_type: str | None = None,
        retry_after: int | None = None,
        scope: str | None = None,
        count: int | None = None,
        seed: int | None = None,
    ) -> Faults:
        if poison and poison not in POISONS:
            raise ValueError(f"poison must be one of {POISONS}")
        with self._lock:
            s = self._settings
            for name, value in (
                ("error_rate", error_rate),
                ("status", status),
                ("latency", latency),
                ("lock_rate", lock_rate),
                ("poison", poison),
                ("poison_file", poison_file),
                ("poison_url", poison_url),
                ("raw_body", raw_body.encode() if isinstance(raw_body, str) else raw_body),
                ("raw_status", raw_status),
                ("raw_content_type", raw_content_type),
                ("retry_after", retry_after),
                ("scope", scope),
            ):
                if value is not None:
                    setattr(s, name, value)
            s.count = count
            if seed is not None:
                self._random.seed(seed)
        return self

    def clear(self) -> Faults:
        with self._lock:
            self._settings = FaultSettings(injected=self._settings.injected)
        return self

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def injected(self, kind: str) -> int:
        return self._settings.injected.get(kind, 0)

    # --- decisions (called by the apps) -----------------------------------------------------
    def _applies(self, scope: str) -> bool:
        s = self._settings
        return (not s.scope or s.scope == scope) and (s.count is None or s.count > 0)

    def _use(self, kind: str) -> None:
        s = self._settings
        if s.count is not None:
            s.count -= 1
        s.injected[kind] = s.injected.get(kind, 0) + 1

    def delay(self, scope: str) -> None:
        latency = self._settings.latency
        if latency and (not self._settings.scope or self._settings.scope == scope):
            time.sleep(latency)

    def raw_for(self, scope: str) -> FaultSettings | None:
        with self._lock:
            if self._settings.raw_body is not None and self._applies(scope):
                self._use("raw")
                return replace(self._settings, injected={})
        return None

    def poison_for(self, scope: str) -> FaultSettings | None:
        with self._lock:
            if self._settings.poison and self._applies(scope):
                self._use("poison")
                return replace(self._settings, injected={})
        return None

    def error_for(self, scope: str) -> FaultSettings | None:
        with self._lock:
            s = self._settings
            if s.error_rate and self._applies(scope) and self._random.random() < s.error_rate:
                self._use("error")
                return replace(s, injected={})
        return None

    def lock_now(self, scope: str) -> bool:
        with self._lock:
            s = self._settings
            if s.lock_rate and self._applies(scope) and self._random.random() < s.lock_rate:
                self._use("lock")
                return True
        return False


def poisoned_xml(kind: str, settings: FaultSettings) -> bytes:
    """A SOAP-looking answer carrying an attack or a broken document."""
    body = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        "<soapenv:Body>"
        '<QueryMXWODETAILResponse xmlns="http://www.ibm.com/maximo" rsStart="0" rsCount="1" '
        'rsTotal="1"><MXWODETAILSet><WORKORDER><WONUM>1</WONUM>'
        "<DESCRIPTION>{payload}</DESCRIPTION></WORKORDER></MXWODETAILSet>"
        "</QueryMXWODETAILResponse></soapenv:Body></soapenv:Envelope>"
    )
    if kind == "xxe":
        dtd = (
            "<!DOCTYPE soapenv:Envelope [\n"
            f'  <!ENTITY file SYSTEM "file://{settings.poison_file}">\n'
            f'  <!ENTITY net SYSTEM "{settings.poison_url}">\n'
            f'  <!ENTITY % ext SYSTEM "{settings.poison_url}?param">\n'
            "  %ext;\n]>"
        )
        return ('<?xml version="1.0"?>\n' + dtd + body.format(payload="&file;&net;")).encode()
    if kind == "billion_laughs":
        lines = ['<!ENTITY lol "lol">']
        for i in range(1, 10):
            prev = "lol" if i == 1 else f"lol{i - 1}"
            lines.append(f'<!ENTITY lol{i} "{("&" + prev + ";") * 10}">')
        dtd = "<!DOCTYPE soapenv:Envelope [\n" + "\n".join(lines) + "\n]>"
        return ('<?xml version="1.0"?>\n' + dtd + body.format(payload="&lol9;")).encode()
    if kind == "html":
        return b"<html><head><title>Error</title></head><body><h1>Proxy error</h1></body></html>"
    return body.format(payload="truncated").encode()[:180]


def poisoned_json(kind: str, settings: FaultSettings) -> tuple[bytes, str]:
    """Body and content type for a poisoned JSON answer."""
    if kind in ("xxe", "billion_laughs"):
        return poisoned_xml(kind, settings), "application/xml"
    if kind == "html":
        return poisoned_xml("html", settings), "text/html"
    return b'{"member": [{"wonum": "10', "application/json"
