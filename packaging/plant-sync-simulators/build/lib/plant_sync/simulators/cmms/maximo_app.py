"""Maximo JSON API face of the simulator: ``/maximo/api/os/<os>`` and ``/maximo/oslc/os/<os>``
for ``mxapiwodetail`` and ``mxapiasset``.

Modelled (after IBM's Maximo REST API guide): ``apikey`` header/parameter, ``maxauth`` and Basic
authentication; ``lean=1`` (without it, members use ``spi:`` prefixed names under
``rdfs:member``); ``oslc.select`` (``*``, attribute lists, ``child{...}``); ``oslc.where``
subset (``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``in [..]``, ``%`` like, ``"*"`` not-null,
clauses joined with ``and``); ``oslc.orderBy``; ``oslc.pageSize`` + ``pageno`` with
``responseInfo.nextPage.href``; ``collectioncount``; create with ``properties`` header (else 201
+ ``Location``); update through ``POST <href>`` + ``x-method-override: PATCH`` (``patchtype:
MERGE`` merges child rows); ``If-Match`` against ``_rowstamp`` (412); ``ETag`` on members;
errors as ``{"Error": {"reasonCode", "message", "statusCode"}}``.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from .faults import Faults
from .store import DATE_ATTRS, CmmsStore, StoreError

OBJECT_STRUCTURES = {"mxapiwodetail": "workorders", "mxapiasset": "assets"}
KEYS = {"workorders": "wonum", "assets": "assetnum"}
LOCK_MESSAGE = (
    "BMXAA8229W - Record WORKORDER : Site={site} Work Order={wonum} has been updated by another "
    "user. Your changes have not been saved. Refresh the record and try again."
)
CLAUSE = re.compile(r"^\s*([\w.]+)\s*(>=|<=|!=|=|>|<|\s+in\s+)\s*(.+?)\s*$", re.IGNORECASE | re.S)


def maximo_error(status: int, message: str, code: str = "") -> Response:
    if not code:
        match = re.match(r"(BMXAA\d{4}[EWI])", message)
        code = match.group(1) if match else ""
    body = {"Error": {"reasonCode": code, "message": message, "statusCode": str(status)}}
    return Response(json.dumps(body), status=status, content_type="application/json")


def restid(key: str, site: str) -> str:
    """Maximo-style opaque resource id: ``_`` + base64("KEY/SITE") with ``=`` as ``-``."""
    return "_" + base64.b64encode(f"{key}/{site}".encode()).decode().replace("=", "-")


def parse_restid(value: str) -> tuple[str, str]:
    try:
        raw = base64.b64decode(value[1:].replace("-", "=")).decode()
        key, site = raw.rsplit("/", 1)
        return key, site
    except (ValueError, UnicodeDecodeError):
        return "", ""


class MaximoApp:
    def __init__(
        self,
        store: CmmsStore,
        faults: Faults,
        api_key: str,
        users: dict[str, str],
        page_size: int = 50,
    ) -> None:
        self.store = store
        self.faults = faults
        self.api_key = api_key
        self.users = users
        self.page_size = page_size

    def __call__(self, request: Request, parts: list[str]) -> Response:
        # parts: ["maximo", "api"|"oslc", "os", <os>, <restid>?]
        if not self._authenticated(request):
            return maximo_error(
                401,
                "BMXAA0021E - User name and password combination are not valid. Try again.",
            )
        if len(parts) < 4 or parts[2] != "os" or parts[3].lower() not in OBJECT_STRUCTURES:
            return maximo_error(
                404, f"BMXAA8727E - Object structure {'/'.join(parts[3:4])} not found."
            )
        table = OBJECT_STRUCTURES[parts[3].lower()]
        try:
            method = request.headers.get("x-method-override", request.method).upper()
            if len(parts) == 4:
                if method == "GET":
                    return self.query(request, table, parts)
                if method == "POST":
                    return self.create(request, table)
            elif len(parts) == 5:
                key, site = parse_restid(parts[4])
                if method == "GET":
                    return self.member(request, table, key, site)
                if method == "PATCH" and request.method == "POST":
                    return self.patch(request, table, key, site)
                if method == "DELETE" and table == "workorders":
                    self.store.delete_workorder(key, site)
                    return Response(status=204)
            return maximo_error(405, f"Method {method} not supported here")
        except StoreError as exc:
            return maximo_error(exc.status, exc.message, exc.code)

    # --- auth --------------------------------------------------------------------------------
    def _authenticated(self, request: Request) -> bool:
        key = request.headers.get("apikey") or request.args.get("apikey")
        if key:
            return key == self.api_key
        token = request.headers.get("maxauth")
        if not token:
            auth = request.headers.get("Authorization", "")
            if auth.lower().startswith("basic "):
                token = auth[6:].strip()
        if not token:
            return False
        try:
            user, _, password = base64.b64decode(token).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return bool(user) and self.users.get(user) == password

    # --- reads -------------------------------------------------------------------------------
    def _rows(self, table: str) -> list[dict]:
        return self.store.workorders() if table == "workorders" else self.store.assets()

    def query(self, request: Request, table: str, parts: list[str]) -> Response:
        try:
            predicate = parse_where(request.args.get("oslc.where", ""))
        except ValueError as exc:
            return maximo_error(
                400,
                "BMXAA8744E - The OSLC query was not parsed. Ensure that the query in the HTTP "
                f"request follows the correct syntax of the OSLC query specification. {exc}",
            )
        rows = [r for r in self._rows(table) if predicate(r)]
        rows = order_by(rows, request.args.get("oslc.orderBy", ""))
        size = int(request.args.get("oslc.pageSize") or self.page_size)
        page = max(1, int(request.args.get("pageno") or 1))
        total = len(rows)
        total_pages = max(1, -(-total // size))
        chunk = rows[(page - 1) * size : page * size]
        base = request.base_url
        select = request.args.get("oslc.select", "*")
        lean = request.args.get("lean") in ("1", "true")
        members = [self._shape(r, table, base_href(request, parts), select, lean) for r in chunk]
        info: dict[str, Any] = {"href": request.url, "pagenum": page}
        if request.args.get("collectioncount") in ("1", "true"):
            info.update(totalCount=total, totalPages=total_pages)
        args = request.args.to_dict()
        if page < total_pages:
            info["nextPage"] = {"href": f"{base}?{urlencode({**args, 'pageno': page + 1})}"}
        if page > 1:
            info["previousPage"] = {"href": f"{base}?{urlencode({**args, 'pageno': page - 1})}"}
        body = {"member": members, "href": base, "responseInfo": info}
        if not lean:
            body = {"rdfs:member": members, "oslc:responseInfo": info}
        return Response(json.dumps(body), content_type="application/json")

    def member(self, request: Request, table: str, key: str, site: str) -> Response:
        record = self._get(table, key, site)
        if record is None:
            return maximo_error(404, f"BMXAA8727E - The resource {key}/{site} was not found.")
        select = request.args.get("oslc.select") or request.args.get("oslc.properties") or "*"
        lean = request.args.get("lean") in ("1", "true")
        body = self._shape(record, table, member_collection(request), select, lean)
        response = Response(json.dumps(body), content_type="application/json")
        response.headers["ETag"] = record["_rowstamp"]
        return response

    def _get(self, table: str, key: str, site: str) -> dict | None:
        if table == "workorders":
            return self.store.workorder(key, site)
        return self.store.asset(key, site)

    def _shape(self, record: dict, table: str, collection: str, select: str, lean: bool) -> dict:
        out = apply_select(record, select)
        out["href"] = f"{collection}/{restid(record[KEYS[table]], record['siteid'])}"
        out["_rowstamp"] = record["_rowstamp"]
        if not lean:
            out = {
                ("spi:" + k if not k.startswith("_") and k != "href" else k): v
                for k, v in out.items()
            }
            out["rdf:about"] = out.pop("href")
        return out

    # --- writes ------------------------------------------------------------------------------
    def _body(self, request: Request) -> dict:
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            raise StoreError("BMXAA9549E - The JSON in the request body is not valid.") from None
        if not isinstance(body, dict):
            raise StoreError("BMXAA9549E - The request body must be a JSON object.")
        return {k.split(":", 1)[-1]: v for k, v in body.items()}

    def create(self, request: Request, table: str) -> Response:
        body = self._body(request)
        if table == "workorders":
            if self.faults.lock_now("maximo"):
                return maximo_error(
                    400,
                    LOCK_MESSAGE.format(site=body.get("siteid", ""), wonum=body.get("wonum", "")),
                )
            record = self.store.create_workorder(body)
        else:
            assetnum = body.pop("assetnum", "")
            if not assetnum:
                return maximo_error(400, "BMXAA4195E - A value is required for the Asset field.")
            record = self.store.add_asset(assetnum, **body)
        parts = request.path.strip("/").split("/")
        collection = base_href(request, parts)
        href = f"{collection}/{restid(record[KEYS[table]], record['siteid'])}"
        properties = request.headers.get("properties")
        if properties:
            lean = request.args.get("lean") in ("1", "true")
            response = Response(
                json.dumps(self._shape(record, table, collection, properties, lean)),
                status=201,
                content_type="application/json",
            )
        else:
            response = Response(status=201)
        response.headers["Location"] = href
        response.headers["ETag"] = record["_rowstamp"]
        return response

    def patch(self, request: Request, table: str, key: str, site: str) -> Response:
        if table != "workorders":
            return maximo_error(405, "The simulator updates work orders only.")
        if self.store.workorder(key, site) is None:
            return maximo_error(404, f"BMXAA8727E - The resource {key}/{site} was not found.")
        if self.faults.lock_now("maximo"):
            return maximo_error(400, LOCK_MESSAGE.format(site=site, wonum=key))
        if_match = (request.headers.get("If-Match") or "").strip()
        if_match = if_match.removeprefix("W/").strip('"') or None
        merge = request.headers.get("patchtype", "").upper() == "MERGE"
        record = self.store.update_workorder(
            key, self._body(request), siteid=site, if_rowstamp=if_match, merge=merge
        )
        properties = request.headers.get("properties")
        if not properties:
            response = Response(status=204)
        else:
            lean = request.args.get("lean") in ("1", "true")
            response = Response(
                json.dumps(
                    self._shape(record, table, member_collection(request), properties, lean)
                ),
                content_type="application/json",
            )
        response.headers["ETag"] = record["_rowstamp"]
        return response


def base_href(request: Request, parts: list[str]) -> str:
    return request.host_url + "/".join(parts[:4])


def member_collection(request: Request) -> str:
    return request.base_url.rsplit("/", 1)[0]


# --- oslc.select -------------------------------------------------------------------------------
def split_top(text: str, sep: str = ",") -> list[str]:
    items, depth, current = [], 0, ""
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == sep and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        items.append(current)
    return [i.strip() for i in items if i.strip()]


def apply_select(record: dict, select: str) -> dict:
    select = (select or "*").strip()
    out: dict[str, Any] = {}
    for item in split_top(select):
        if item == "*":
            out.update({k: v for k, v in record.items() if not isinstance(v, list)})
            continue
        if "{" in item:
            name, inner = item.split("{", 1)
            name = name.strip().removeprefix("rel.").lower()
            inner = inner.rsplit("}", 1)[0]
            rows = record.get(name)
            if isinstance(rows, list):
                out[name] = [apply_select(row, inner) for row in rows]
            continue
        name = item.lower()
        if name in record and record[name] is not None:
            out[name] = record[name]
    return {k: v for k, v in out.items() if v is not None}


# --- oslc.where / oslc.orderBy ------------------------------------------------------------------
def split_and(text: str) -> list[str]:
    clauses, current, quoted, depth = [], "", False, 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "[" and not quoted:
            depth += 1
        elif ch == "]" and not quoted:
            depth -= 1
        if not quoted and depth == 0 and text[i : i + 5].lower() == " and ":
            clauses.append(current)
            current, i = "", i + 5
            continue
        current += ch
        i += 1
    if quoted:
        raise ValueError("unbalanced quotes")
    clauses.append(current)
    return [c.strip() for c in clauses if c.strip()]


def _literal(text: str) -> Any:
    text = text.strip()
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        return text[1:-1]
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        raise ValueError(f"bad literal {text!r}") from None


def _comparable(attr: str, value: Any) -> Any:
    if attr in DATE_ATTRS and isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def parse_where(where: str):
    tests = []
    for clause in split_and(where or ""):
        match = CLAUSE.match(clause)
        if not match:
            raise ValueError(f"cannot parse {clause!r}")
        attr, op, raw = match.group(1).lower(), match.group(2).strip().lower(), match.group(3)
        if op == "in":
            inner = raw.strip()
            if not (inner.startswith("[") and inner.endswith("]")):
                raise ValueError("in needs a [list]")
            values = [_literal(v) for v in split_top(inner[1:-1])]
            tests.append(lambda r, a=attr, vs=values: r.get(a) in vs)
            continue
        value = _literal(raw)
        try:
            cmp_value = _comparable(attr, value)
        except ValueError:
            raise ValueError(f"bad date {value!r}") from None
        tests.append(_test(attr, op, value, cmp_value))
    return lambda record: all(t(record) for t in tests)


def _test(attr: str, op: str, value: Any, cmp_value: Any):
    def check(record: dict) -> bool:
        current = record.get(attr)
        if value == "*":
            present = current not in (None, "")
            return present if op == "=" else not present
        if isinstance(value, str) and "%" in value and op in ("=", "!="):
            pattern = "^" + ".*".join(re.escape(p) for p in value.split("%")) + "$"
            hit = current is not None and re.match(pattern, str(current), re.I) is not None
            return hit if op == "=" else not hit
        if current is None:
            return op == "!="
        left = _comparable(attr, current)
        right = cmp_value
        if isinstance(right, (int, float)) and not isinstance(left, (int, float)):
            try:
                left = float(left)
            except (TypeError, ValueError):
                return False
        return {
            "=": left == right,
            "!=": left != right,
            ">": left > right,
            ">=": left >= right,
            "<": left < right,
            "<=": left <= right,
        }[op]

    return check


def order_by(rows: list[dict], spec: str) -> list[dict]:
    for item in reversed([s.strip() for s in spec.split(",") if s.strip()]):
        desc = item.startswith("-")
        attr = item.lstrip("+-").lower()
        rows = sorted(
            rows, key=lambda r, a=attr: (r.get(a) is None, str(r.get(a) or "")), reverse=desc
        )
    return rows
