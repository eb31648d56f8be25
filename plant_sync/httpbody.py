"""Reading an HTTP answer with a hard size cap (declared or streamed), and parsing a JSON body
received from outside, for every client (and the webhook controller)."""

from __future__ import annotations

import json
import re
from typing import Any

import requests

from .errors import ProtocolError

#: deeper JSON is refused: no protocol we speak nests this deep, and a deeper document would
#: only exhaust the recursion of whatever walks it next (redaction, storage, json.dumps)
MAX_JSON_DEPTH = 64


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


def parse_json(body: bytes | str, what: str = "JSON") -> Any:
    """``body`` parsed as JSON, or :class:`ProtocolError` when it is malformed, not in a JSON
    encoding, nested deeper than :data:`MAX_JSON_DEPTH` (also when that is deep enough to
    exhaust the parser's recursion) or carries text that is no Unicode (a lone surrogate
    escape such as ``"\\ud800"``: it could be neither stored nor encoded again)."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ProtocolError(f"Malformed {what}: {str(exc)[:200]}") from None
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    check_text = _SURROGATE_ESCAPE.search(raw) is not None
    containers = (dict, list)
    stack = [(doc, 1)] if isinstance(doc, containers) else []
    if check_text and not stack:
        _check_text(doc, what)
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ProtocolError(f"{what} nested deeper than {MAX_JSON_DEPTH} levels refused")
        children = list(node.values()) if isinstance(node, dict) else node
        if check_text:
            for text in [*(node if isinstance(node, dict) else ()), *children]:
                _check_text(text, what)
        stack.extend((c, depth + 1) for c in children if isinstance(c, containers))
    return doc


#: a surrogate as an escape, or UTF-8-encoded (json.loads decodes bytes with "surrogatepass")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def _check_text(value: Any, what: str) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ProtocolError(f"{what} with text that is not Unicode refused") from None
