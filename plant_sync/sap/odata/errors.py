"""Reading SAP Gateway error bodies (JSON or XML) into typed errors via :mod:`..classify`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import ErrorDetail, IntegrationError, ProtocolError
from ...httpbody import parse_json
from ...safexml import parse_xml
from ..classify import classify_http


def parse_error_body(body: bytes, content_type: str) -> dict[str, Any]:
    """``{"code", "message", "transaction_id", "details"}`` from an SAP error body; empty
    strings when the body is not an SAP error document (HTML page, plain text)."""
    ctype = (content_type or "").lower()
    if "json" in ctype or body.lstrip()[:1] == b"{":
        try:
            doc = parse_json(body)
        except ProtocolError:
            return _plain(body)
        if isinstance(doc, Mapping) and isinstance(doc.get("error"), Mapping):
            return _from_json(doc["error"])
        return _plain(body)
    if "xml" in ctype or body.lstrip()[:1] == b"<" and b"<html" not in body[:200].lower():
        try:
            return _from_xml(body)
        except ProtocolError:
            return _plain(body)
    return _plain(body)


def _plain(body: bytes) -> dict[str, Any]:
    text = body.decode("utf-8", "replace").strip()
    if text.lower().startswith(("<!doctype", "<html")):
        text = "SAP returned an HTML page instead of OData"
    return {"code": "", "message": text[:500], "transaction_id": "", "details": []}


def _from_json(error: Mapping[str, Any]) -> dict[str, Any]:
    message = error.get("message")
    if isinstance(message, Mapping):
        message = message.get("value", "")
    inner = error.get("innererror") if isinstance(error.get("innererror"), Mapping) else {}
    details = []
    rows = inner.get("errordetails")
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, Mapping):
            msg = row.get("message")
            if isinstance(msg, Mapping):
                msg = msg.get("value", "")
            details.append(
                ErrorDetail(
                    code=str(row.get("code") or ""),
                    message=str(msg or ""),
                    severity=str(row.get("severity") or ""),
                    target=str(row.get("target") or ""),
                )
            )
    return {
        "code": str(error.get("code") or ""),
        "message": str(message or ""),
        "transaction_id": str(inner.get("transactionid") or ""),
        "details": details,
    }


def _from_xml(body: bytes) -> dict[str, Any]:
    root = parse_xml(body)

    def find(node: Any, name: str) -> Any:
        return next((el for el in node.iter() if el.tag.rsplit("}", 1)[-1] == name), None)

    code, message, inner = find(root, "code"), find(root, "message"), find(root, "innererror")
    details = []
    tid = ""
    if inner is not None:
        node = find(inner, "transactionid")
        tid = (node.text or "") if node is not None else ""
        for row in inner.iter():
            if row.tag.rsplit("}", 1)[-1] == "errordetail":
                values = {c.tag.rsplit("}", 1)[-1]: (c.text or "") for c in row}
                details.append(
                    ErrorDetail(
                        code=values.get("code", ""),
                        message=values.get("message", ""),
                        severity=values.get("severity", ""),
                        target=values.get("target", ""),
                    )
                )
    return {
        "code": (code.text or "") if code is not None else "",
        "message": (message.text or "") if message is not None else "",
        "transaction_id": tid,
        "details": details,
    }


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes, payload: Any = None
) -> IntegrationError:
    parsed = parse_error_body(body, headers.get("Content-Type", ""))
    return classify_http(
        status,
        headers,
        code=parsed["code"],
        message=parsed["message"],
        details=parsed["details"],
        transaction_id=parsed["transaction_id"],
        payload=payload,
    )
