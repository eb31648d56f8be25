"""Configuration dataclasses of the CMMS clients (what an administrator fills in).

One dataclass per client kind plus the HTTP settings they share. The Odoo addon builds them from
its backend record (``config_from_dict``); tests build them directly. Secrets live here only in
memory: ``__repr__`` hides them so a config never leaks into a log line.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigurationError
from ..paging import DEFAULT_MAX_EMPTY_PAGES, DEFAULT_MAX_PAGES, PageGuard
from ..urlguard import LINK_STRIP, AddressPolicy, same_origin

SECRET_FIELDS = frozenset({"api_key", "password", "token", "secret"})


def _safe_repr(obj: Any) -> str:
    parts = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name in SECRET_FIELDS and value:
            value = "***"
        parts.append(f"{f.name}={value!r}")
    return f"{type(obj).__name__}({', '.join(parts)})"


@dataclass(repr=False)
class HttpSettings:
    """Transport rules shared by every client.

    ``allow_loopback_hosts`` exists for tests and the demo (simulators on 127.0.0.1); production
    configurations leave it empty so the SSRF guard refuses this machine.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    verify_tls: bool = True
    ca_bundle: str = ""
    max_response_bytes: int = 10 * 1024 * 1024
    allow_http: bool = False
    allow_private: bool = True
    allow_loopback_hosts: tuple[str, ...] = ()
    user_agent: str = "plant-sync-cmms/18.0"
    max_pages: int = DEFAULT_MAX_PAGES
    max_empty_pages: int = DEFAULT_MAX_EMPTY_PAGES

    __repr__ = _safe_repr

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    @property
    def verify(self) -> bool | str:
        return self.ca_bundle or self.verify_tls

    @property
    def address_policy(self) -> AddressPolicy:
        """The SSRF policy of the connect-time peer check."""
        return AddressPolicy.of(self.allow_loopback_hosts, self.allow_private)

    def page_guard(self, what: str) -> PageGuard:
        return PageGuard(what, self.max_pages, self.max_empty_pages)


# Maximo lean attribute per normalized field (mxapiwodetail). Child data (labour lines,
# failure report rows) is handled by the client itself.
MAXIMO_FIELD_MAP: dict[str, str] = {
    "external_id": "wonum",
    "title": "description",
    "description": "description_longdescription",
    "asset_id": "assetnum",
    "location": "location",
    "site": "siteid",
    "status": "status",
    "priority": "wopriority",
    "work_type": "worktype",
    "failure_class": "failurecode",
    "problem_code": "problemcode",
    "downtime_start": "actstart",
    "downtime_end": "actfinish",
    "reported_at": "reportdate",
    "target_start": "targstartdate",
    "target_finish": "targcompdate",
    "changed_at": "changedate",
}


@dataclass(repr=False)
class MaximoConfig:
    """IBM Maximo JSON API (``/maximo/api/os/<object structure>``).

    ``base_url`` is the Maximo context root, e.g. ``https://host/maximo``. ``auth``: ``apikey``
    (header ``apikey``, Maximo 7.6.0.9+ and MAS), ``maxauth`` (native authentication, header
    ``maxauth: base64(user:password)``) or ``basic`` (LDAP/application-server security).
    ``api_route`` is ``api`` (API-key route) or ``oslc`` (session route of older releases).
    ``delta_operator`` ``>=`` re-reads the records stamped exactly at the watermark (safe,
    imports are idempotent); ``>`` follows the documented example literally and can miss a record
    changed in the same second as the watermark.
    """

    base_url: str
    auth: str = "apikey"
    api_key: str = ""
    username: str = ""
    password: str = ""
    site_id: str = ""
    org_id: str = ""
    api_route: str = "api"
    workorder_os: str = "mxapiwodetail"
    asset_os: str = "mxapiasset"
    page_size: int = 100
    delta_operator: str = ">="
    extra_where: str = ""
    field_map: dict[str, str] = field(default_factory=lambda: dict(MAXIMO_FIELD_MAP))
    http: HttpSettings = field(default_factory=HttpSettings)

    __repr__ = _safe_repr

    def __post_init__(self) -> None:
        if self.auth not in ("apikey", "maxauth", "basic"):
            raise ConfigurationError(f"Unknown Maximo auth mode {self.auth!r}")
        if self.auth == "apikey" and not self.api_key:
            raise ConfigurationError("Maximo API key authentication needs an API key")
        if self.auth in ("maxauth", "basic") and not (self.username and self.password):
            raise ConfigurationError("Maximo maxauth/basic authentication needs user and password")
        if self.delta_operator not in (">", ">="):
            raise ConfigurationError("delta_operator must be '>' or '>='")
        if not 1 <= self.page_size <= 1000:
            raise ConfigurationError("page_size must be between 1 and 1000")


@dataclass(repr=False)
class SoapOperation:
    """One SOAP operation; ``wsdl`` overrides the backend WSDL (HxGN EAM publishes one WSDL per
    operation, e.g. ``MP0024_GetWorkOrder_001``)."""

    name: str
    wsdl: str = ""

    __repr__ = _safe_repr


@dataclass(repr=False)
class SoapConfig:
    """A WSDL-described CMMS service, configured rather than coded per vendor.

    Requests are built from templates: nested dicts whose string leaves may contain the
    placeholders ``{id}``, ``{site}``, ``{since}``, ``{start}`` and ``{page_size}`` (a leaf that
    is exactly one placeholder keeps the value's type). ``record_path``/``create_path``/
    ``update_path`` are dotted paths: where records sit in a query response and where the record
    dict goes in a create/update request. ``fields`` maps normalized field names to element
    paths inside one record (``labour`` and ``failure_report`` paths point at repeated child
    elements whose sub-fields are given by ``labour_fields`` / ``failure_fields``).
    """

    wsdl: str
    query: SoapOperation
    create: SoapOperation
    update: SoapOperation
    record_path: str
    create_path: str
    update_path: str
    fields: dict[str, str]
    query_by_id: dict[str, Any]
    query_changed_since: dict[str, Any]
    query_all: dict[str, Any] = field(default_factory=dict)
    create_id_path: str = ""
    total_path: str = ""
    page_size: int = 100
    endpoint: str = ""
    service_name: str = ""
    port_name: str = ""
    username: str = ""
    password: str = ""
    use_digest: bool = False
    strict: bool = True
    site_id: str = ""
    labour_path: str = ""
    labour_fields: dict[str, str] = field(default_factory=dict)
    failure_path: str = ""
    failure_fields: dict[str, str] = field(default_factory=dict)
    failure_types: dict[str, str] = field(default_factory=dict)
    record_defaults: dict[str, Any] = field(default_factory=dict)
    soap_headers: dict[str, str] = field(default_factory=dict)
    http: HttpSettings = field(default_factory=HttpSettings)

    __repr__ = _safe_repr


@dataclass(repr=False)
class RestAuth:
    """``kind``: ``none``, ``api_key`` (``header: token``), ``bearer`` or ``basic``."""

    kind: str = "none"
    header: str = "X-Api-Key"
    token: str = ""
    username: str = ""
    password: str = ""

    __repr__ = _safe_repr


@dataclass(repr=False)
class SigningConfig:
    """Request signing. ``hmac_body``: HMAC-SHA256 of the raw request body with ``secret``,
    encoded ``base64`` or ``hex``, written to ``header`` after ``prefix`` (Fiix puts the Base64
    digest alone into ``Authorization``). ``include_url`` signs ``<url>\\n<body>`` instead."""

    kind: str = "hmac_body"
    secret: str = ""
    header: str = "Authorization"
    encoding: str = "base64"
    prefix: str = ""
    include_url: bool = False

    __repr__ = _safe_repr


@dataclass(repr=False)
class PaginationConfig:
    """``style``: ``none``, ``page`` (page number + size), ``offset`` (offset + limit),
    ``cursor`` (opaque cursor read from ``cursor_path``) or ``next_link`` (absolute or relative
    URL read from ``next_link_path`` in the body, or the ``Link: <...>; rel="next"`` header when
    ``next_link_path`` is ``header:link``)."""

    style: str = "page"
    page_size: int = 50
    size_param: str = "per_page"
    page_param: str = "page"
    first_page: int = 1
    offset_param: str = "offset"
    limit_param: str = "limit"
    cursor_param: str = "cursor"
    cursor_path: str = "meta.next_cursor"
    next_link_path: str = "links.next"

    __repr__ = _safe_repr


@dataclass(repr=False)
class RestConfig:
    """A JSON REST CMMS API described by configuration only.

    Paths may contain ``{id}``. ``field_map`` maps normalized fields to dotted paths in one
    record (``attributes.status.code``); reading follows the paths, writing builds the nested
    objects. ``items_path``/``item_path`` locate the records in list/single responses (empty =
    the body itself); ``body_wrapper`` wraps outgoing records (``data`` -> ``{"data": {...}}``);
    ``static_fields`` are added to every outgoing record (``{"type": "workorder"}``).
    """

    base_url: str
    list_path: str = "/workorders"
    get_path: str = "/workorders/{id}"
    create_path: str = "/workorders"
    update_path: str = "/workorders/{id}"
    update_method: str = "PATCH"
    ping_path: str = ""
    since_param: str = "updated_since"
    items_path: str = "data"
    item_path: str = "data"
    body_wrapper: str = "data"
    field_map: dict[str, str] = field(default_factory=dict)
    labour_path: str = ""
    labour_fields: dict[str, str] = field(default_factory=dict)
    static_fields: dict[str, Any] = field(default_factory=dict)
    version_header: str = "ETag"
    if_match: bool = True
    auth: RestAuth = field(default_factory=RestAuth)
    signing: SigningConfig | None = None
    pagination: PaginationConfig = field(default_factory=PaginationConfig)
    http: HttpSettings = field(default_factory=HttpSettings)

    __repr__ = _safe_repr

    def __post_init__(self) -> None:
        if self.pagination.style not in ("none", "page", "offset", "cursor", "next_link"):
            raise ConfigurationError(f"Unknown pagination style {self.pagination.style!r}")
        if self.auth.kind not in ("none", "api_key", "bearer", "basic"):
            raise ConfigurationError(f"Unknown REST auth kind {self.auth.kind!r}")
        if not self.field_map.get("external_id"):
            raise ConfigurationError("field_map needs at least 'external_id'")


CmmsConfig = MaximoConfig | SoapConfig | RestConfig

_NESTED = {
    "http": HttpSettings,
    "auth": RestAuth,
    "signing": SigningConfig,
    "pagination": PaginationConfig,
    "query": SoapOperation,
    "create": SoapOperation,
    "update": SoapOperation,
}


def _build(cls: type, data: dict[str, Any]) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ConfigurationError(f"{cls.__name__}: unknown setting(s) {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, value in data.items():
        nested = _NESTED.get(name)
        if nested is not None and isinstance(value, dict):
            value = _build(nested, value)
        elif nested is SoapOperation and isinstance(value, str):
            value = SoapOperation(value)
        if name == "allow_loopback_hosts" and isinstance(value, list):
            value = tuple(value)
        values[name] = value
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigurationError(f"{cls.__name__}: {exc}") from None


#: "advanced settings" an administrator may add per kind (the addon's ``cmms_extra_config``).
#: Never the endpoint (``base_url``, ``wsdl``, ``endpoint``), credentials, the authentication
#: mode, TLS verification / CA bundle, plain http, loopback or private-network allowances: those
#: come from the backend's own fields only.
EXTRA_HTTP_KEYS = frozenset(
    {
        "connect_timeout",
        "read_timeout",
        "max_response_bytes",
        "max_pages",
        "max_empty_pages",
        "user_agent",
    }
)
EXTRA_KEYS: dict[str, frozenset[str]] = {
    "maximo": frozenset(
        {
            "site_id",
            "org_id",
            "api_route",
            "workorder_os",
            "asset_os",
            "page_size",
            "delta_operator",
            "extra_where",
            "field_map",
            "http",
        }
    ),
    "soap": frozenset(
        {
            "query",
            "create",
            "update",
            "record_path",
            "create_path",
            "update_path",
            "fields",
            "query_by_id",
            "query_changed_since",
            "query_all",
            "create_id_path",
            "total_path",
            "page_size",
            "service_name",
            "port_name",
            "use_digest",
            "strict",
            "site_id",
            "labour_path",
            "labour_fields",
            "failure_path",
            "failure_fields",
            "failure_types",
            "record_defaults",
            "soap_headers",
            "http",
        }
    ),
    "rest": frozenset(
        {
            "list_path",
            "get_path",
            "create_path",
            "update_path",
            "update_method",
            "ping_path",
            "since_param",
            "items_path",
            "item_path",
            "body_wrapper",
            "field_map",
            "labour_path",
            "labour_fields",
            "static_fields",
            "version_header",
            "if_match",
            "signing",
            "pagination",
            "http",
        }
    ),
}
_EXTRA_NESTED: dict[str, frozenset[str]] = {
    "http": EXTRA_HTTP_KEYS,
    "signing": frozenset({"kind", "header", "encoding", "prefix", "include_url"}),
    "pagination": frozenset(f.name for f in fields(PaginationConfig)),
    "query": frozenset({"name", "wsdl"}),
    "create": frozenset({"name", "wsdl"}),
    "update": frozenset({"name", "wsdl"}),
}
_REST_PATHS = frozenset({"list_path", "get_path", "create_path", "update_path", "ping_path"})
_OPERATIONS = ("query", "create", "update")


def validate_extra_config(
    kind: str, extra: dict[str, Any], base: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``extra`` if it only holds documented advanced settings of ``kind``, else
    :class:`ConfigurationError`. REST paths must be relative; a per-operation SOAP WSDL must be
    an http(s) URL on the origin of the backend's own WSDL URL (``base["wsdl"]``), never a local
    file."""
    allowed = EXTRA_KEYS.get(kind)
    if allowed is None:
        raise ConfigurationError(f"Unknown CMMS backend kind {kind!r}")
    if not isinstance(extra, dict):
        raise ConfigurationError("Advanced settings must be a JSON object")
    refused = sorted(str(k) for k in extra if k not in allowed)
    if refused:
        raise ConfigurationError(
            f"Advanced settings: unknown or not allowed setting(s) {refused} for a {kind} "
            f"backend (allowed: {', '.join(sorted(allowed))})"
        )
    for key, value in extra.items():
        nested = _EXTRA_NESTED.get(key)
        if key in _OPERATIONS and isinstance(value, str):
            continue  # an operation name
        if nested is not None:
            if not isinstance(value, dict):
                raise ConfigurationError(f"Advanced setting {key!r} must be an object")
            bad = sorted(str(k) for k in value if k not in nested)
            if bad:
                raise ConfigurationError(
                    f"Advanced settings: unknown or not allowed setting(s) {bad} in {key!r} "
                    f"(allowed: {', '.join(sorted(nested))})"
                )
        if kind == "rest" and key in _REST_PATHS:
            _relative_path(key, value)
        if key in _OPERATIONS and value.get("wsdl"):
            _operation_wsdl(key, value["wsdl"], str((base or {}).get("wsdl") or ""))
    return extra


def _relative_path(key: str, value: Any) -> None:
    text = str(value or "").strip(LINK_STRIP)
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or text.startswith("//") or "\\" in text:
        raise ConfigurationError(
            f"Advanced setting {key!r} must be a path on the backend's base URL, not {value!r}"
        )


def _operation_wsdl(key: str, wsdl: Any, backend_wsdl: str) -> None:
    text = str(wsdl).strip(LINK_STRIP)
    scheme = urlsplit(text).scheme.lower()
    if scheme not in ("http", "https") or not same_origin(text, backend_wsdl):
        raise ConfigurationError(
            f"Advanced setting {key}.wsdl must be a URL on the origin of the backend's WSDL URL "
            f"(no local file, no other host): {wsdl!r}"
        )


def merge_extra_config(data: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
    """``data`` (``{"kind": ..., ...}``) with the validated advanced settings ``extra`` merged
    over it (objects are merged key by key)."""
    merged = dict(data)
    if not extra:
        return merged
    validate_extra_config(str(data.get("kind") or ""), extra, data)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def config_from_dict(data: dict[str, Any], extra: dict[str, Any] | None = None) -> CmmsConfig:
    """Build a config from plain data: ``{"kind": "maximo"|"soap"|"rest", ...settings}``, with
    the administrator's advanced settings ``extra`` (validated by
    :func:`validate_extra_config`) merged over it."""
    data = merge_extra_config(data, extra)
    kind = data.pop("kind", "")
    cls = {"maximo": MaximoConfig, "soap": SoapConfig, "rest": RestConfig}.get(kind)
    if cls is None:
        raise ConfigurationError(f"Unknown CMMS backend kind {kind!r}")
    return _build(cls, data)
