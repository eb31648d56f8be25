"""Webhook emitter of the CMMS simulator: POSTs events signed with the
:mod:`plant_sync.webhooks` scheme, optionally several times and in parallel (to test replay
protection and concurrent delivery)."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from plant_sync.webhooks import sign


def emit(
    url: str,
    secret: str,
    event: dict[str, Any],
    *,
    repeat: int = 1,
    parallel: int = 1,
    event_id: str | None = None,
    timestamp: int | None = None,
    timeout: float = 10.0,
) -> list[int]:
    """Send ``event`` ``repeat`` times (same event id, same signature: a replay) using
    ``parallel`` threads. Returns the HTTP status of each delivery (0 = connection failed)."""
    event_id = event_id or str(event.get("id") or uuid.uuid4())
    body = json.dumps({"id": event_id, **event}, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", **sign(secret, body, event_id, timestamp)}

    def deliver(_: int) -> int:
        try:
            response = requests.post(url, data=body, headers=headers, timeout=timeout)
        except requests.RequestException:
            return 0
        response.close()
        return response.status_code

    if parallel <= 1:
        return [deliver(i) for i in range(repeat)]
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(deliver, range(repeat)))


def change_event(kind: str, action: str, record: dict[str, Any]) -> dict[str, Any]:
    """The event the simulator sends for a store change."""
    key = "wonum" if kind == "workorder" else "assetnum"
    return {
        "type": f"{kind}.{action}",
        "data": {
            key: record.get(key),
            "siteid": record.get("siteid"),
            "status": record.get("status"),
            "changedate": record.get("changedate"),
            "rowstamp": record.get("_rowstamp"),
        },
    }
