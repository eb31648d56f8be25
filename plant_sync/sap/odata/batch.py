"""OData v2 ``$batch`` (multipart/mixed): retrieve parts and atomic changesets.

Each top-level operation is either a :class:`BatchRequest` (a GET, outside any changeset) or a
:class:`ChangeSet` of modifying requests that SAP applies all-or-nothing. A failing changeset
comes back as one error response; every operation of it then carries that error and nothing of
it was written. Results are returned per operation, in order.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import IntegrationError, ProtocolError
from ...httpbody import parse_json
from .errors import error_from_response

if TYPE_CHECKING:  # pragma: no cover
    from .client import ODataService

CRLF = "\r\n"


@dataclass
class BatchRequest:
    method: str
    path: str  # relative to the service root, e.g. "MaintenanceNotification('1')"
    body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ChangeSet:
    requests: list[BatchRequest]


@dataclass
class BatchResponse:
    status: int
    headers: dict[str, str]
    data: Any = None
    error: IntegrationError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status < 400


def _http_part(req: BatchRequest, content_id: int | None) -> str:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id is not None:
        lines.append(f"Content-ID: {content_id}")
    lines += ["", f"{req.method.upper()} {req.path} HTTP/1.1", "Accept: application/json"]
    lines += [f"{k}: {v}" for k, v in req.headers.items()]
    payload = ""
    if req.body is not None:
        payload = json.dumps(req.body, default=str)
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload.encode())}"]
    lines += ["", payload]
    return CRLF.join(lines)


def build_batch(operations: list[BatchRequest | ChangeSet]) -> tuple[str, bytes]:
    """``(content_type, body)`` of a $batch request."""
    boundary = f"batch_{uuid.uuid4().hex}"
    parts = []
    for op in operations:
        if isinstance(op, ChangeSet):
            cs = f"changeset_{uuid.uuid4().hex}"
            inner = "".join(
                f"--{cs}{CRLF}{_http_part(r, i + 1)}{CRLF}" for i, r in enumerate(op.requests)
            )
            parts.append(
                f"Content-Type: multipart/mixed; boundary={cs}{CRLF}{CRLF}{inner}--{cs}--{CRLF}"
            )
        else:
            if op.method.upper() != "GET":
                raise ValueError("modifying $batch requests must be inside a ChangeSet")
            parts.append(_http_part(op, None) + CRLF)
    body = "".join(f"--{boundary}{CRLF}{p}" for p in parts) + f"--{boundary}--{CRLF}"
    return f"multipart/mixed; boundary={boundary}", body.encode()


def _boundary(content_type: str) -> str:
    for piece in content_type.split(";"):
        name, _, value = piece.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip('"')
    raise ProtocolError(f"multipart answer without boundary: {content_type!r}")


def _split(body: bytes, boundary: str) -> list[bytes]:
    delimiter = b"--" + boundary.encode()
    chunks = body.split(delimiter)
    if len(chunks) < 2:
        raise ProtocolError("$batch answer does not contain its boundary")
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        parts.append(chunk.strip(b"\r\n"))
    return parts


def _head(block: bytes) -> tuple[dict[str, str], bytes]:
    text = block.replace(b"\r\n", b"\n")
    head, _, rest = text.partition(b"\n\n")
    headers = {}
    for line in head.decode("latin-1").split("\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip()] = value.strip()
    return headers, rest


def _parse_http(block: bytes) -> BatchResponse:
    _mime, http = _head(block)
    status_line, _, rest = http.partition(b"\n")
    try:
        status = int(status_line.split()[1])
    except (IndexError, ValueError):
        raise ProtocolError(f"bad $batch status line {status_line[:80]!r}") from None
    headers, payload = _head(rest)
    payload = payload.strip()
    if status >= 400:
        return BatchResponse(status, headers, error=error_from_response(status, headers, payload))
    data = None
    if payload:
        doc = parse_json(payload, "JSON inside a $batch answer")
        data = doc.get("d") if isinstance(doc, dict) else doc
    return BatchResponse(status, headers, data)


def parse_batch(
    content_type: str, body: bytes, operations: list[BatchRequest | ChangeSet]
) -> list[BatchResponse | list[BatchResponse]]:
    parts = _split(body, _boundary(content_type))
    if len(parts) != len(operations):
        raise ProtocolError(f"$batch answered {len(parts)} parts for {len(operations)} operations")
    results: list[BatchResponse | list[BatchResponse]] = []
    for op, part in zip(operations, parts, strict=True):
        mime, content = _head(part)
        ctype = mime.get("Content-Type", "")
        if isinstance(op, ChangeSet):
            if ctype.lower().startswith("multipart/mixed"):
                inner = [_parse_http(p) for p in _split(content, _boundary(ctype))]
                if len(inner) != len(op.requests):
                    raise ProtocolError("changeset answer does not match its requests")
                results.append(inner)
            else:  # the whole changeset failed: one error answer, nothing written
                failed = _parse_http(part)
                results.append([failed for _ in op.requests])
        else:
            results.append(_parse_http(part))
    return results


def run_batch(
    service: ODataService, operations: list[BatchRequest | ChangeSet]
) -> list[BatchResponse | list[BatchResponse]]:
    """Send the operations as one $batch; per operation a :class:`BatchResponse` (a list of
    them for a changeset). Transport-level failures raise typed errors."""
    content_type, body = build_batch(operations)
    result = service.http.request(
        "POST",
        service.url("$batch"),
        root=service.root,
        raw_body=body,
        headers={"Content-Type": content_type},
    )
    return parse_batch(result.headers.get("Content-Type", ""), result.body, operations)
