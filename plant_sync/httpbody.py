"""Reading an HTTP answer with a hard size cap (declared or streamed), for every client."""

from __future__ import annotations

import requests

from .errors import ProtocolError


def read_capped(response: requests.Response, limit: int, what: str = "Response") -> bytes:
    """The streamed body, or :class:`ProtocolError` when its declared Content-Length or what
    actually arrives exceeds ``limit`` bytes (checked while streaming, never after)."""
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ProtocolError(f"{what} of {declared} bytes exceeds the {limit} byte limit")
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ProtocolError(f"{what} exceeds the {limit} byte limit")
        chunks.append(chunk)
    return b"".join(chunks)
