"""Connection settings of one SAP backend: which transport, where, how to log on, limits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError
from ..paging import DEFAULT_MAX_EMPTY_PAGES, DEFAULT_MAX_PAGES

TRANSPORTS = ("odata", "rfc")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass
class SapConnectionConfig:
    """Everything :func:`plant_sync.sap.service.make_sap_service` needs.

    ``transport`` picks the implementation ('odata' or 'rfc'); the business methods are the
    same for both. Secrets (``password``, ``oauth_client_secret``, ``rfc_params['passwd']``) are
    kept out of ``repr`` and never logged.
    """

    transport: str = "odata"
    # --- OData (SAP Gateway) ---
    base_url: str = ""  # scheme://host[:port]; services live under service_path
    client: str = ""  # sap-client (three digits); empty = the system default client
    language: str = ""  # sap-language, e.g. "EN"; empty = the user's default
    user: str = ""
    password: str = field(default="", repr=False)
    auth: str = "basic"  # 'basic' | 'oauth2' (client credentials)
    oauth_token_url: str = ""
    oauth_client_id: str = ""
    oauth_client_secret: str = field(default="", repr=False)
    oauth_scope: str = ""
    service_path: str = "/sap/opu/odata/sap"
    # per-service path overrides, e.g. {"API_MAINTENANCEORDER": "/sap/opu/odata/sap/
    # API_MAINTENANCEORDER;v=0002"}; default: <service_path>/<SERVICE>
    service_paths: Mapping[str, str] = field(default_factory=dict)
    update_method: str = "PATCH"  # 'PATCH' | 'MERGE' (MERGE is tunnelled via X-HTTP-Method)
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    verify: bool | str = True  # TLS verification (or a CA bundle path); on by default
    allow_loopback: bool = False  # tests/demo only: accept 127.0.0.1/localhost endpoints
    allow_http: bool = False  # tests/demo only: accept plain http
    max_response_bytes: int = 64 * 1024 * 1024
    max_token_bytes: int = 64 * 1024  # cap on the OAuth2 token endpoint's answer
    max_pages: int = DEFAULT_MAX_PAGES  # server-driven paging (__next) bounds
    max_empty_pages: int = DEFAULT_MAX_EMPTY_PAGES
    pool_size: int = 10
    correlation_header: str = "X-Correlation-ID"
    # --- retries: in the ops layer only (reads; creates and status changes after a re-check,
    # see sap/idempotent.py); the transports try once. 1 = no retry, no sleep ---
    max_attempts: int = 4
    backoff: float = 0.5  # seconds, doubled per attempt
    max_retry_after: float = 30.0  # cap on a server's Retry-After
    # --- RFC ---
    rfc_params: Mapping[str, str] = field(default_factory=dict, repr=False)
    connection_factory: Callable[[], Any] | None = field(default=None, repr=False)
    rfc_read_table: str = "RFC_READ_TABLE"
    rfc_page_size: int = 1000  # rows per RFC_READ_TABLE call when streaming

    def validate(self) -> SapConnectionConfig:
        if self.transport not in TRANSPORTS:
            raise ConfigurationError(
                f"Unknown SAP transport {self.transport!r}: use one of {TRANSPORTS}"
            )
        if self.transport == "odata":
            if not self.base_url:
                raise ConfigurationError("SAP OData transport needs a base URL")
            if self.auth not in ("basic", "oauth2"):
                raise ConfigurationError(f"Unknown SAP auth method {self.auth!r}")
            if self.auth == "oauth2" and not (
                self.oauth_token_url and self.oauth_client_id and self.oauth_client_secret
            ):
                raise ConfigurationError(
                    "OAuth2 needs a token URL, a client id and a client secret"
                )
            if self.update_method not in ("PATCH", "MERGE"):
                raise ConfigurationError("update_method must be PATCH or MERGE")
        if self.client and not (len(self.client) == 3 and self.client.isdigit()):
            raise ConfigurationError(f"sap-client must be three digits, not {self.client!r}")
        if self.max_attempts < 1:
            raise ConfigurationError("max_attempts must be at least 1")
        return self

    @property
    def loopback_hosts(self) -> tuple[str, ...]:
        return LOOPBACK_HOSTS if self.allow_loopback else ()

    def secrets(self) -> list[str]:
        """Values to scrub from anything logged or stored."""
        values = [self.password, self.oauth_client_secret, str(self.rfc_params.get("passwd", ""))]
        return [v for v in values if v]
