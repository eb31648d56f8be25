"""OData v2 ``$batch``: multipart/mixed requests with changesets.

Each changeset runs in one store transaction: all its operations apply or none (a failing
operation rolls the changeset back and the changeset is answered by that single error response,
as OData v2 prescribes). Retrieve operations outside changesets run on their own. Bodies inside the
parts are JSON.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

from .errors import SapError

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)


def boundary_of(content_type: str) -> str:
    m = _BOUNDARY.search(content_type or "")
    if not m:
        raise SapError("/IWBEP/CM_MGW_RT", "060", "Batch request without multipart boundary")
    return m.group(1)


def split_parts(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    """Parts of a multipart body as (MIME headers, content)."""
    delim = b"--" + boundary.encode()
    chunks = body.split(delim)
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.lstrip(b"\r\n") if chunk.startswith(b"\r\n") else chunk.lstrip(b"\n")
        head, _, content = _split_head(chunk)
        parts.append((_headers(head), _strip_trailing_newline(content)))
    return parts


def _split_head(data: bytes) -> tuple[bytes, bytes, bytes]:
    for sep in (b"\r\n\r\n", b"\n\n"):
        if sep in data:
            head, content = data.split(sep, 1)
            return head, sep, content
    return data, b"", b""


def _strip_trailing_newline(data: bytes) -> bytes:
    if data.endswith(b"\r\n"):
        return data[:-2]
    if data.endswith(b"\n"):
        return data[:-1]
    return data


def _headers(head: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


def parse_http(content: bytes) -> tuple[str, str, dict[str, str], bytes]:
    """An embedded HTTP request -> (method, url, headers, body)."""
    head, _, body = _split_head(content)
    lines = head.decode("utf-8", "replace").splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise SapError("/IWBEP/CM_MGW_RT", "061", "Empty operation in batch request")
    request_line = lines[0].split()
    if len(request_line) < 2:
        raise SapError("/IWBEP/CM_MGW_RT", "061", f"Invalid batch operation '{lines[0]}'")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[_canon(name.strip())] = value.strip()
    return request_line[0].upper(), request_line[1], headers, body.rstrip(b"\r\n")


def _canon(name: str) -> str:
    special = {
        "if-match": "If-Match",
        "x-http-method": "X-HTTP-Method",
        "content-type": "Content-Type",
        "accept": "Accept",
        "content-id": "Content-ID",
    }
    return special.get(name.lower(), "-".join(p.capitalize() for p in name.split("-")))


def http_response(status: int, headers: dict[str, str], body: bytes) -> bytes:
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    lines = [f"HTTP/1.1 {status} {reason}"]
    h = dict(headers)
    h["Content-Length"] = str(len(body))
    lines += [f"{k}: {v}" for k, v in h.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def part(content: bytes, content_id: str | None = None) -> bytes:
    head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if content_id:
        head += f"Content-ID: {content_id}\r\n"
    return (head + "\r\n").encode() + content + b"\r\n"


def multipart(parts: list[tuple[str, bytes]], boundary: str) -> bytes:
    """(content type of the part, part bytes incl. its MIME headers) -> multipart body."""
    out = b""
    for _ctype, data in parts:
        out += f"--{boundary}\r\n".encode() + data
    return out + f"--{boundary}--\r\n".encode()


def split_url(url: str, service_root_path: str) -> tuple[str, dict[str, str], str]:
    """Relative or absolute operation URL -> (resource path, query args, query string)."""
    parsed = urlsplit(url)
    path = parsed.path
    if path.startswith(service_root_path):
        path = path[len(service_root_path) :]
    path = path.lstrip("/")
    from urllib.parse import unquote

    return unquote(path), dict(parse_qsl(parsed.query, keep_blank_values=True)), parsed.query


def run_batch(
    body: bytes,
    content_type: str,
    run_operation: Callable,
    run_changeset: Callable,
) -> tuple[bytes, str, bool]:
    """Execute a batch. ``run_operation(method, url, headers, body, tx=None) -> (status,
    headers, body, modified)``; ``run_changeset(callback)`` runs callback(tx) in a transaction
    and raises to roll back. Returns (response body, response content type, modified)."""
    outer = boundary_of(content_type)
    out_parts: list[tuple[str, bytes]] = []
    modified = False
    for headers, content in split_parts(body, outer):
        ctype = headers.get("content-type", "")
        if ctype.startswith("multipart/mixed"):
            inner = boundary_of(ctype)
            ops = [parse_http(c) + (h.get("content-id"),) for h, c in split_parts(content, inner)]
            result = run_changeset_ops(ops, run_operation, run_changeset)
            if isinstance(result, bytes):  # a single error response for the whole changeset
                out_parts.append(("application/http", part(result)))
                continue
            modified = modified or bool(result)
            cs_boundary = f"changeset_{uuid.uuid4().hex[:12]}"
            payload = multipart([("application/http", p) for p in result], cs_boundary)
            data = (
                (
                    f"Content-Type: multipart/mixed; boundary={cs_boundary}\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n"
                ).encode()
                + payload
                + b"\r\n"
            )
            out_parts.append(("multipart/mixed", data))
        else:
            method, url, op_headers, op_body = parse_http(content)
            if method != "GET":
                err = SapError(
                    "/IWBEP/CM_MGW_RT", "062", "Modifying operations must be inside a changeset"
                )
                status, h, b, _ = run_operation("ERROR", err, {}, b"")
            else:
                status, h, b, _ = run_operation(method, url, op_headers, op_body)
            out_parts.append(("application/http", part(http_response(status, h, b))))
    boundary = f"batch_{uuid.uuid4().hex[:12]}"
    return multipart(out_parts, boundary), f"multipart/mixed; boundary={boundary}", modified


class _Rollback(Exception):
    def __init__(self, response: bytes) -> None:
        super().__init__("changeset failed")
        self.response = response


def run_changeset_ops(ops, run_operation, run_changeset):
    """All operations of one changeset in one transaction. Returns part bytes or error bytes."""
    results: list[bytes] = []

    def callback(tx):
        for method, url, headers, body, content_id in ops:
            if method == "GET":
                err = SapError("/IWBEP/CM_MGW_RT", "063", "GET is not allowed in a changeset")
                status, h, b, _ = run_operation("ERROR", err, {}, b"")
            else:
                status, h, b, _ = run_operation(method, url, headers, body, tx=tx)
            if status >= 400:
                raise _Rollback(http_response(status, h, b))
            results.append(part(http_response(status, h, b), content_id))

    try:
        run_changeset(callback)
    except _Rollback as rb:
        return rb.response
    return results
