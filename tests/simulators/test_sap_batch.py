"""$batch with changesets against the SAP simulator (multipart/mixed over real HTTP)."""

from __future__ import annotations

import json
import re


def _op(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> str:
    lines = [
        f"{method} {url} HTTP/1.1",
        "Content-Type: application/json",
        "Accept: application/json",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    payload = json.dumps(body) if body is not None else ""
    return (
        "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        + "\r\n".join(lines)
        + "\r\n\r\n"
        + payload
        + "\r\n"
    )


def _changeset(boundary: str, ops: list[str]) -> str:
    inner = "".join(f"--{boundary}\r\n{op}" for op in ops) + f"--{boundary}--\r\n"
    return f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n{inner}"


def _batch(parts: list[str]) -> tuple[str, str]:
    body = "".join(f"--batch_1\r\n{p}" for p in parts) + "--batch_1--\r\n"
    return body, "multipart/mixed; boundary=batch_1"


def _statuses(text: str) -> list[int]:
    return [int(s) for s in re.findall(r"HTTP/1\.1 (\d{3})", text)]


def test_changesets_are_atomic_and_independent(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    good = _changeset(
        "cs_a",
        [
            _op(
                "POST",
                "MaintenanceNotification",
                {"NotificationType": "M1", "NotificationText": "a"},
            ),
            _op(
                "POST",
                "MaintenanceNotification",
                {"NotificationType": "M1", "NotificationText": "b"},
            ),
        ],
    )
    bad = _changeset(
        "cs_b",
        [
            _op(
                "POST",
                "MaintenanceNotification",
                {"NotificationType": "M1", "NotificationText": "c"},
            ),
            _op("POST", "MaintenanceNotification", {"NotificationText": "no type -> 400"}),
        ],
    )
    read = _op("GET", "MaintenanceNotification?$inlinecount=allpages&$top=1")
    body, ctype = _batch([good, bad, read])
    r = api.post("$batch", data=body, headers={"Content-Type": ctype})
    assert r.status_code == 202, r.text
    assert r.headers["Content-Type"].startswith("multipart/mixed")
    assert _statuses(r.text) == [201, 201, 400, 200]
    texts = [
        n["NotificationText"] for n in api.get("MaintenanceNotification").json()["d"]["results"]
    ]
    assert sorted(texts) == ["a", "b"]  # 'c' rolled back with its changeset
    assert '"__count":"2"' in r.text


def test_batch_needs_csrf_and_merge_inside_changeset(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    created = api.post("MaintenanceNotification", json={"NotificationType": "M1"})
    number = created.json()["d"]["MaintenanceNotification"]
    etag = created.headers["ETag"]
    cs = _changeset(
        "cs_1",
        [
            _op(
                "MERGE",
                f"MaintenanceNotification('{number}')",
                {"NotificationText": "via batch"},
                {"If-Match": etag},
            )
        ],
    )
    body, ctype = _batch([cs])
    no_token = api.session.post(api.root + "$batch", data=body, headers={"Content-Type": ctype})
    assert no_token.status_code == 403
    r = api.post("$batch", data=body, headers={"Content-Type": ctype})
    assert _statuses(r.text) == [204]
    d = api.get(f"MaintenanceNotification('{number}')").json()["d"]
    assert d["NotificationText"] == "via batch"
    stale = _changeset(
        "cs_2",
        [
            _op(
                "MERGE",
                f"MaintenanceNotification('{number}')",
                {"NotificationText": "stale"},
                {"If-Match": etag},
            )
        ],
    )
    body, ctype = _batch([stale])
    assert _statuses(api.post("$batch", data=body, headers={"Content-Type": ctype}).text) == [412]
