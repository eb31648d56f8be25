"""Webhook emitter of the CMMS simulator: POSTs events signed with the
:mod:`plant_sync.webhooks` scheme (Standard Webhooks: ``webhook-id``, ``webhook-timestamp``,
``webhook-signature``), optionally several times and in parallel (to test replay protection
and concurrent delivery)."""

from __future__ import annotations

import json
import select
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from plant_sync.webhooks import sign


def emit(
    url: str,
    secret: str | list[str],
    event: dict[str, Any],
    *,
    repeat: int = 1,
    parallel: int = 1,
    event_id: str | None = None,
    timestamp: int | None = None,
    timeout: float = 10.0,
) -> list[int]:
    """Send ``event`` ``repeat`` times (same event id, same signature: a replay) using
    ``parallel`` threads; a list of secrets sends one signature per secret (rotation). Returns
    the HTTP status of each delivery (0 = connection failed)."""
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


@dataclass(frozen=True)
class ChunkedDelivery:
    """Outcome of :func:`post_chunked`: the HTTP status (0 when none could be read), the body
    bytes sent, and whether the whole body was sent before the answer came."""

    status: int
    sent: int
    finished: bool


def post_chunked(
    url: str,
    headers: dict[str, str],
    *,
    chunk_size: int = 64 * 1024,
    give_up_after: int = 64 * 1024 * 1024,
    timeout: float = 60.0,
) -> ChunkedDelivery:
    """A hostile sender: POST a body with ``Transfer-Encoding: chunked`` (no Content-Length)
    that keeps coming until the server answers, or until ``give_up_after`` bytes were sent (then
    the body is terminated). A server that caps what it reads answers while the upload is still
    going (``finished`` false); one that reads everything answers only after the end."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    head = [
        f"POST {target} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Transfer-Encoding: chunked",
        "Content-Type: application/json",
        "Connection: close",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    frame = b"%x\r\n" % chunk_size + b"x" * chunk_size + b"\r\n"
    sent, finished = 0, False
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout) as sock:
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            while not select.select([sock], [], [], 0)[0]:
                if sent >= give_up_after:
                    sock.sendall(b"0\r\n\r\n")
                    finished = True
                    break
                sock.sendall(frame)
                sent += chunk_size
        except OSError:
            pass  # the server answered and closed the connection while we were sending
        return ChunkedDelivery(_read_status(sock), sent, finished)


def _read_status(sock: socket.socket) -> int:
    data = b""
    try:
        while b"\r\n" not in data:
            piece = sock.recv(4096)
            if not piece:
                break
            data += piece
    except OSError:
        pass
    fields = data.split(b"\r\n", 1)[0].split()
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
