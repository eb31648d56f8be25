"""OData v2 request processing for one service: reads, writes, function imports, paging.

Independent of HTTP plumbing: :func:`execute` takes a parsed :class:`ODataRequest` and returns an
:class:`ODataResponse`; the WSGI app and ``$batch`` both use it. Business rules live in the
``maintenance``, ``inventory`` and ``purchasing`` modules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from . import inventory, maintenance, purchasing
from .edmx import EntitySet, EntityType, Prop, Service
from .errors import SapError, not_found
from .filters import compile_filter, compile_orderby
from .store import SapStore, Tx
from .values import from_json, key_literal, make_etag, parse_literal, to_json

JSON_TYPE = "application/json; charset=utf-8"
MODIFYING = {"POST", "PUT", "PATCH", "MERGE", "DELETE"}

#: navigation joins that do not follow "same property name" (parent column, child column)
NAV_JOINS: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("A_PurchaseOrderItem", "to_ScheduleLine"): [
        ("PurchaseOrder", "PurchasingDocument"),
        ("PurchaseOrderItem", "PurchasingDocumentItem"),
    ],
}

#: ABAP initial values for unset fields (SAP never sends null for these types)
INITIAL_JSON = {
    "Edm.String": "",
    "Edm.Boolean": False,
    "Edm.Time": "PT00H00M00S",
    "Edm.Byte": 0,
    "Edm.Int16": 0,
    "Edm.Int32": 0,
    "Edm.Int64": "0",
}


@dataclass
class ODataRequest:
    method: str
    service: Service
    path: str  # resource path below the service root, no leading slash
    args: dict[str, str]
    headers: dict[str, str]
    body: bytes
    user: str
    root: str  # absolute service root URL ending with '/'
    query_string: str = ""


@dataclass
class ODataResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    modified: bool = False

    @classmethod
    def json(cls, status: int, data: Any, headers: dict | None = None, modified=False):
        h = {"Content-Type": JSON_TYPE, "DataServiceVersion": "2.0"}
        h.update(headers or {})
        return cls(status, json.dumps(data, separators=(",", ":")).encode(), h, modified)


# --- URL parsing ----------------------------------------------------------------------------------
_SEGMENT = re.compile(r"^([A-Za-z_][\w]*)(?:\((.*)\))?$")


def split_path(path: str) -> list[str]:
    parts, depth, cur, in_str = [], 0, "", False
    for ch in path:
        if ch == "'":
            in_str = not in_str
        if ch == "/" and depth == 0 and not in_str:
            parts.append(cur)
            cur = ""
            continue
        if not in_str:
            depth += ch == "("
            depth -= ch == ")"
        cur += ch
    if cur:
        parts.append(cur)
    return parts


def parse_keys(es: EntitySet, text: str) -> dict[str, Any]:
    etype = es.type
    items = _split_key_list(text)
    keys: dict[str, Any] = {}
    for item in items:
        name, eq, lit = item.partition("=")
        if not eq:
            if len(etype.keys) != 1 or len(items) != 1:
                raise _bad_key(es, text)
            name, lit = etype.keys[0], item
        name = name.strip()
        if name not in etype.keys:
            raise _bad_key(es, text)
        try:
            kind, value = parse_literal(lit)
            keys[name] = _coerce_key(etype.props[name], kind, value)
        except ValueError:
            raise _bad_key(es, text) from None
    if set(keys) != set(etype.keys):
        raise _bad_key(es, text)
    return {k: keys[k] for k in etype.keys}


def _coerce_key(prop: Prop, kind: str, value):
    from .values import coerce_literal

    return coerce_literal(prop, kind, value)


def _split_key_list(text: str) -> list[str]:
    out, cur, in_str = [], "", False
    for ch in text:
        if ch == "'":
            in_str = not in_str
        if ch == "," and not in_str:
            out.append(cur)
            cur = ""
            continue
        cur += ch
    out.append(cur)
    return [x for x in (s.strip() for s in out) if x]


def _bad_key(es: EntitySet, text: str) -> SapError:
    return SapError(
        "/IWBEP/CM_MGW_RT",
        "019",
        f"Invalid key predicate '{text}' for entity set {es.name}",
        status=400,
    )


def key_predicate(etype: EntityType, row: dict) -> str:
    if len(etype.keys) == 1:
        k = etype.keys[0]
        return key_literal(etype.props[k], row[k])
    return ",".join(f"{k}={key_literal(etype.props[k], row[k])}" for k in etype.keys)


# --- serialisation --------------------------------------------------------------------------------
def json_value(prop: Prop, value):
    if value is None:
        if prop.edm_type == "Edm.Decimal":
            return f"{0:.{prop.scale if prop.scale is not None else 3}f}"
        if prop.edm_type == "Edm.Double":
            return 0.0
        return INITIAL_JSON.get(prop.edm_type)
    return to_json(prop, value)


def parse_expand(text: str) -> dict[str, dict]:
    tree: dict[str, dict] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        node = tree
        for part in item.split("/"):
            node = node.setdefault(part.strip(), {})
    return tree


class Serializer:
    def __init__(self, store: SapStore, tx: Tx, service: Service, root: str) -> None:
        self.store = store
        self.tx = tx
        self.service = service
        self.root = root

    def entity(self, set_name: str, row: dict, select: set[str] | None, expand: dict) -> dict:
        es = self.store.sets[set_name]
        etype = es.type
        uri = f"{self.root}{set_name}({key_predicate(etype, row)})"
        out: dict[str, Any] = {
            "__metadata": {
                "id": uri,
                "uri": uri,
                "type": etype.name,
                "etag": make_etag(row["_etag"]),
            }
        }
        for name, prop in etype.props.items():
            if select and name not in select and "*" not in select:
                continue
            out[name] = json_value(prop, row.get(name))
        for name in etype.navs:
            if name in expand:
                out[name] = self.navigate(set_name, row, name, None, expand[name])
            elif not select or name in select or "*" in select:
                out[name] = {"__deferred": {"uri": f"{uri}/{name}"}}
        return out

    def nav_rows(self, set_name: str, row: dict, nav_name: str) -> tuple[str, list[dict], bool]:
        etype = self.store.sets[set_name].type
        nav = etype.navs[nav_name]
        target = self.store.sets.get(nav.target_set)
        if target is None or nav.target_set not in self.service.entity_sets:
            return nav.target_set, [], nav.many
        pairs = NAV_JOINS.get((set_name, nav_name))
        if pairs is None:
            if nav.many:
                pairs = [(k, k) for k in etype.keys if k in target.type.props]
            else:
                pairs = [(k, k) for k in target.type.keys if k in etype.props]
        if not pairs:
            return nav.target_set, [], nav.many
        eq = {child: row.get(parent) for parent, child in pairs}
        rows = self.tx.find(nav.target_set, **eq)
        return nav.target_set, rows, nav.many

    def navigate(self, set_name, row, nav_name, select, expand) -> Any:
        target, rows, many = self.nav_rows(set_name, row, nav_name)
        if many:
            return {"results": [self.entity(target, r, select, expand) for r in rows]}
        return self.entity(target, rows[0], select, expand) if rows else None


# --- request execution ----------------------------------------------------------------------------
def execute(store: SapStore, req: ODataRequest, page_size: int, tx: Tx | None = None):
    """Run one OData operation; inside ``tx`` when given (a ``$batch`` changeset)."""
    method = req.method.upper()
    if method == "POST" and req.headers.get("X-HTTP-Method"):
        method = req.headers["X-HTTP-Method"].upper()
    segments = split_path(req.path)
    if not segments:
        raise SapError("/IWBEP/CM_MGW_RT", "050", "Resource path missing", status=404)
    head = _SEGMENT.match(segments[0])
    if not head:
        raise SapError("/IWBEP/CM_MGW_RT", "050", f"Invalid resource '{segments[0]}'", status=404)
    name, keytext = head.group(1), head.group(2)
    svc = req.service
    if name in svc.functions and keytext is None and len(segments) == 1:
        return _run(store, tx, lambda t: _function(store, t, req, method, name))
    if name not in svc.entity_sets:
        raise SapError(
            "/IWBEP/CM_MGW_RT", "021", f"Resource not found for segment '{segments[0]}'", status=404
        )
    es = store.sets[name]
    if method == "GET":
        return _run_read(
            store, tx, lambda t: _read(store, t, req, es, keytext, segments[1:], page_size)
        )
    if method == "POST" and keytext is None and len(segments) == 1:
        return _run(store, tx, lambda t: _create(store, t, req, es))
    if method in ("PUT", "PATCH", "MERGE") and keytext is not None and len(segments) == 1:
        return _run(store, tx, lambda t: _update(store, t, req, es, keytext, method))
    if method == "DELETE" and keytext is not None and len(segments) == 1:
        raise SapError("/IWBEP/CM_MGW_RT", "042", f"Entity set {name} is not deletable", status=405)
    raise SapError(
        "/IWBEP/CM_MGW_RT", "043", f"Method {method} is not allowed for '{req.path}'", status=405
    )


def _run(store: SapStore, tx: Tx | None, fn):
    if tx is not None:
        return fn(tx)
    with store.transaction() as t:
        return fn(t)


def _run_read(store: SapStore, tx: Tx | None, fn):
    return fn(tx if tx is not None else store.reader())


def _read(store, tx, req, es, keytext, rest, page_size):
    ser = Serializer(store, tx, req.service, req.root)
    args = req.args
    select = {s.strip() for s in args.get("$select", "").split(",") if s.strip()} or None
    expand = parse_expand(args.get("$expand", ""))
    for nav in expand:
        if nav not in es.type.navs:
            raise SapError("/IWBEP/CM_MGW_RT", "009", f"Navigation property '{nav}' not found")
    if keytext is None:
        if rest == ["$count"]:
            where, params = _where(args, es.type)
            return ODataResponse(
                200,
                str(tx.count(es.name, where, params)).encode(),
                {"Content-Type": "text/plain;charset=utf-8", "DataServiceVersion": "2.0"},
            )
        if rest:
            raise SapError("/IWBEP/CM_MGW_RT", "021", "Resource not found", status=404)
        return _collection(tx, ser, req, es, select, expand, page_size)
    keys = parse_keys(es, keytext)
    row = tx.get(es.name, keys)
    if row is None:
        raise not_found(es.name, keytext)
    if not rest:
        data = ser.entity(es.name, row, select, expand)
        return ODataResponse.json(200, {"d": data}, {"ETag": make_etag(row["_etag"])})
    nav_name = rest[0]
    if nav_name not in es.type.navs:
        raise SapError(
            "/IWBEP/CM_MGW_RT", "021", f"Resource not found for segment '{nav_name}'", status=404
        )
    target, rows, many = ser.nav_rows(es.name, row, nav_name)
    if rest[1:] == ["$count"]:
        return ODataResponse(200, str(len(rows)).encode(), {"Content-Type": "text/plain"})
    if many:
        results = [ser.entity(target, r, select, expand) for r in rows]
        body: dict[str, Any] = {"results": results}
        if args.get("$inlinecount") == "allpages":
            body["__count"] = str(len(results))
        return ODataResponse.json(200, {"d": body})
    if not rows:
        raise not_found(target, "")
    return ODataResponse.json(
        200,
        {"d": ser.entity(target, rows[0], select, expand)},
        {"ETag": make_etag(rows[0]["_etag"])},
    )


def _where(args, etype) -> tuple[str, list]:
    text = args.get("$filter")
    return compile_filter(text, etype) if text else ("", [])


def _int_arg(args, name: str) -> int | None:
    value = args.get(name)
    if value in (None, ""):
        return None
    if not str(value).isdigit():
        raise SapError("/IWBEP/CM_MGW_RT", "010", f"Invalid value '{value}' for {name}")
    return int(value)


def _collection(tx, ser, req, es, select, expand, page_size):
    args = req.args
    where, params = _where(args, es.type)
    order = compile_orderby(args["$orderby"], es.type) if args.get("$orderby") else ""
    skip = _int_arg(args, "$skip") or 0
    top = _int_arg(args, "$top")
    token = _int_arg(args, "$skiptoken") or 0
    window = page_size if top is None else min(page_size, max(top - token, 0))
    rows = tx.select(es.name, where, params, order, limit=window + 1, offset=skip + token)
    more = len(rows) > window
    rows = rows[:window]
    body: dict[str, Any] = {}
    if args.get("$inlinecount") == "allpages":
        # OData v2: the count of the filtered collection, regardless of $top/$skip
        body["__count"] = str(tx.count(es.name, where, params))
    body["results"] = [ser.entity(es.name, r, select, expand) for r in rows]
    if more and (top is None or token + len(rows) < top):
        query = [(k, v) for k, v in req.args.items() if k != "$skiptoken"]
        query.append(("$skiptoken", str(token + len(rows))))
        body["__next"] = f"{req.root}{es.name}?" + urlencode(query, quote_via=quote, safe="$',()")
    return ODataResponse.json(200, {"d": body})


# --- writes ---------------------------------------------------------------------------------------
def _payload(req: ODataRequest) -> dict:
    try:
        data = json.loads(req.body or b"{}")
    except ValueError:
        raise SapError("/IWBEP/CM_MGW_RT", "011", "Malformed JSON payload") from None
    if isinstance(data, dict) and "d" in data and isinstance(data["d"], dict) and len(data) == 1:
        data = data["d"]
    if not isinstance(data, dict):
        raise SapError("/IWBEP/CM_MGW_RT", "011", "Payload must be a JSON object")
    return data


def convert_values(
    store: SapStore, es: EntitySet, data: dict, mode: str
) -> tuple[dict[str, Any], dict[str, list[dict]]]:
    """JSON payload -> (storage values, deep-insert children by nav property)."""
    values: dict[str, Any] = {}
    navs: dict[str, list[dict]] = {}
    for name, raw in data.items():
        if name == "__metadata":
            continue
        if name in es.type.navs:
            nav = es.type.navs[name]
            items = raw.get("results", raw) if isinstance(raw, dict) and "results" in raw else raw
            if isinstance(items, dict):
                items = [items]
            if mode != "create" or not isinstance(items, list):
                raise SapError(
                    "/IWBEP/CM_MGW_RT",
                    "012",
                    f"Deep update via '{name}' is not supported",
                    target=name,
                )
            child = store.sets[nav.target_set]
            navs[name] = [convert_values(store, child, item, "create")[0] for item in items]
            continue
        prop = es.type.props.get(name)
        if prop is None:
            raise SapError(
                "/IWBEP/CM_MGW_RT",
                "013",
                f"Property '{name}' is invalid for entity type {es.type.name}",
                target=name,
            )
        value = from_json(prop, raw)
        if mode == "create" and not prop.creatable:
            continue  # read-only fields are ignored on create, like SADL does
        if mode == "update" and (not prop.updatable or name in es.type.keys):
            continue
        values[name] = value
    return values, navs


def _create(store, tx, req, es):
    if not es.creatable:
        raise SapError(
            "/IWBEP/CM_MGW_RT", "040", f"Entity set {es.name} is not creatable", status=405
        )
    data = _payload(req)
    values, navs = convert_values(store, es, data, "create")
    user = req.user
    creator = CREATORS.get(es.name)
    if creator is None:
        for k in es.type.keys:
            if k in data and k not in values:
                values[k] = from_json(es.type.props[k], data[k])
        tx.insert(es.name, values)
        keys = {k: values[k] for k in es.type.keys}
    else:
        keys = creator(tx, user, values, navs)
    row = tx.get(es.name, keys)
    ser = Serializer(store, tx, req.service, req.root)
    expand = {n: {} for n in navs}
    entity = ser.entity(es.name, row, None, expand)
    return ODataResponse.json(
        201,
        {"d": entity},
        {"Location": entity["__metadata"]["uri"], "ETag": make_etag(row["_etag"])},
        modified=True,
    )


def check_etag(req: ODataRequest, row: dict, required: bool = True) -> None:
    given = req.headers.get("If-Match")
    if not given:
        if required:
            raise SapError(
                "/IWBEP/CM_MGW_RT",
                "028",
                "Precondition required: send If-Match with the ETag",
                status=428,
            )
        return
    current = make_etag(row["_etag"])
    candidates = [g.strip() for g in given.split(",")]
    if "*" in candidates or current in candidates or current[2:] in candidates:
        return
    raise SapError(
        "/IWBEP/CM_MGW_RT",
        "027",
        "The entity was changed by another user; the ETag does not match (precondition failed)",
        status=412,
    )


def _update(store, tx, req, es, keytext, method):
    if not es.updatable:
        raise SapError(
            "/IWBEP/CM_MGW_RT", "041", f"Entity set {es.name} is not updatable", status=405
        )
    keys = parse_keys(es, keytext)
    row = tx.get(es.name, keys)
    if row is None:
        raise not_found(es.name, keytext)
    check_etag(req, row)
    changes, _ = convert_values(store, es, _payload(req), "update")
    if method == "PUT":
        for name, prop in es.type.props.items():
            if prop.updatable and name not in es.type.keys and name not in changes:
                changes[name] = None
    updater = UPDATERS.get(es.name)
    if updater is not None:
        updater(tx, req.user, keys, changes)
    else:
        tx.update(es.name, keys, changes)
    new = tx.get(es.name, keys)
    return ODataResponse(
        204, b"", {"ETag": make_etag(new["_etag"]), "DataServiceVersion": "2.0"}, modified=True
    )


# --- business hooks -------------------------------------------------------------------------------
def _create_notification(tx, user, values, navs):
    return maintenance.create_notification(tx, user, values)


def _create_order(tx, user, values, navs):
    return maintenance.create_order(tx, user, values, navs.get("to_MaintenanceOrderOperation"))


def _create_confirmation(tx, user, values, navs):
    return maintenance.create_confirmation(tx, user, values)


def _create_material_document(tx, user, values, navs):
    return inventory.post_goods_movement(tx, user, values, navs.get("to_MaterialDocumentItem", []))


def _create_pr(tx, user, values, navs):
    return purchasing.create_purchase_requisition(
        tx, user, values, navs.get("to_PurchaseReqnItem", [])
    )


def _no_create(set_name: str):
    def fn(tx, user, values, navs):
        raise SapError(
            "/IWBEP/CM_MGW_RT",
            "040",
            f"Creating {set_name} is not supported by the simulator",
            status=405,
        )

    return fn


CREATORS = {
    "MaintenanceNotification": _create_notification,
    "MaintenanceOrder": _create_order,
    "MaintOrderConfirmation": _create_confirmation,
    "A_MaterialDocumentHeader": _create_material_document,
    "A_PurchaseRequisitionHeader": _create_pr,
    "A_PurchaseOrder": _no_create("A_PurchaseOrder"),
    "A_PurchaseRequisitionItem": _no_create("A_PurchaseRequisitionItem"),
}


def _update_operation(tx, user, keys, changes):
    order = maintenance.get_order(tx, keys["MaintenanceOrder"])
    tx.check_lock(maintenance.order_lock(order["MaintenanceOrder"]), user)
    if order["_status"] in ("TECO", "CLSD"):
        raise SapError(
            "IW",
            "030",
            f"Order {order['MaintenanceOrder']} has status {order['_status']}; change not possible",
        )
    tx.update("MaintenanceOrderOperation", keys, changes)


def _update_pr_item(tx, user, keys, changes):
    row = tx.get("A_PurchaseRequisitionItem", keys)
    tx.check_lock(f"PR/{keys['PurchaseRequisition']}", user)
    if row["PurchasingDocument"]:
        raise SapError(
            "06",
            "062",
            f"Item {keys['PurchaseRequisitionItem']} is already ordered "
            f"(PO {row['PurchasingDocument']}); change not possible",
        )
    tx.update("A_PurchaseRequisitionItem", keys, changes)


UPDATERS = {
    "MaintenanceNotification": lambda tx, user, keys, ch: maintenance.update_notification(
        tx, user, keys["MaintenanceNotification"], ch
    ),
    "MaintenanceOrder": lambda tx, user, keys, ch: maintenance.update_order(
        tx, user, keys["MaintenanceOrder"], ch
    ),
    "MaintenanceOrderOperation": _update_operation,
    "A_PurchaseRequisitionItem": _update_pr_item,
}


# --- function imports -----------------------------------------------------------------------------
def _function(store, tx, req, method, name):
    fi = req.service.functions[name]
    if method != fi.http_method.upper():
        raise SapError(
            "/IWBEP/CM_MGW_RT",
            "044",
            f"Function import {name} requires HTTP {fi.http_method}",
            status=405,
        )
    params: dict[str, Any] = {}
    for pname, ptype in fi.params.items():
        raw = req.args.get(pname)
        if raw is None:
            continue
        try:
            kind, value = parse_literal(raw)
            from .values import coerce_literal

            params[pname] = coerce_literal(Prop(pname, ptype), kind, value)
        except ValueError:
            raise SapError(
                "/IWBEP/CM_MGW_RT", "014", f"Invalid value for parameter {pname}", target=pname
            ) from None
    impl = FUNCTIONS.get(name)
    if impl is None:
        raise SapError(
            "/IWBEP/CM_MGW_RT",
            "045",
            f"Function import {name} is not implemented by the simulator",
            status=501,
        )
    result = impl(tx, req, params)
    modified = method == "POST"
    if fi.entity_set and result is not None:
        set_name, keys = result
        row = tx.get(set_name, keys)
        ser = Serializer(store, tx, req.service, req.root)
        return ODataResponse.json(
            200,
            {"d": ser.entity(set_name, row, None, {})},
            {"ETag": make_etag(row["_etag"])},
            modified=modified,
        )
    ctype = req.service.complex_types.get(fi.return_type or "", {})
    data: dict[str, Any] = {"__metadata": {"type": fi.return_type}}
    for pname, ptype in ctype.items():
        data[pname] = json_value(Prop(pname, ptype), None)
    return ODataResponse.json(200, {"d": {name: data}}, modified=modified)


def _need(params: dict, name: str) -> Any:
    if params.get(name) in (None, ""):
        raise SapError("/IWBEP/CM_MGW_RT", "015", f"Parameter {name} is missing", target=name)
    return params[name]


def _order_fn(action):
    def fn(tx, req, params):
        order = _need(params, "MaintenanceOrder")
        row = maintenance.get_order(tx, order)
        check_etag(req, row, required=False)
        action(tx, req.user, order, params)
        return

    return fn


def _notif_fn(action):
    def fn(tx, req, params):
        number = _need(params, "MaintenanceNotification")
        row = maintenance.get_notification(tx, number)
        check_etag(req, row, required=False)
        action(tx, req.user, number)
        return "MaintenanceNotification", {"MaintenanceNotification": number}

    return fn


def _cancel_md(tx, req, params):
    key = inventory.cancel_material_document(
        tx,
        req.user,
        _need(params, "MaterialDocumentYear"),
        _need(params, "MaterialDocument"),
        params.get("PostingDate"),
    )
    return "A_MaterialDocumentHeader", key


FUNCTIONS = {
    "ReleaseMaintenanceOrder": _order_fn(lambda tx, u, o, p: maintenance.release_order(tx, u, o)),
    "SetMaintOrdToTechCompleted": _order_fn(
        lambda tx, u, o, p: maintenance.teco_order(
            tx, u, o, bool(p.get("AssignedMaintNotifIsToBeClosed"))
        )
    ),
    "SetMaintOrderStatusToClosed": _order_fn(lambda tx, u, o, p: maintenance.close_order(tx, u, o)),
    "CompleteMaintNotification": _notif_fn(maintenance.complete_notification),
    "SetMaintNotifToInProcess": _notif_fn(maintenance.notification_in_process),
    "Cancel": _cancel_md,
}


def service_document(service: Service) -> dict:
    return {"d": {"EntitySets": sorted(service.entity_sets)}}
