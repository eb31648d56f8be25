"""Authentication for SAP Gateway: Basic, or OAuth2 client credentials with a cached token."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from ...errors import AuthenticationError, ConfigurationError, ProtocolError
from ...httpbody import parse_json, read_capped
from ..classify import classify_http, classify_transport
from ..config import SapConnectionConfig

TOKEN_SKEW = 30.0  # renew this many seconds before the token expires
MAX_TOKEN_BYTES = 64 * 1024  # a token answer is a few KiB at most (JWTs included)


class OAuth2ClientCredentials(AuthBase):
    """Bearer token from the token endpoint, cached until shortly before ``expires_in``.

    Thread-safe: one token fetch at a time; ``invalidate()`` after a 401 forces a new one.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str = "",
        session: requests.Session,
        timeout: tuple[float, float],
        verify: bool | str = True,
        max_bytes: int = MAX_TOKEN_BYTES,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope
        self._session = session
        self._timeout = timeout
        self._verify = verify
        self._max_bytes = max_bytes
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.fetch_count = 0

    def __repr__(self) -> str:  # never show the secret
        return (
            f"OAuth2ClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r})"
        )

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request

    def invalidate(self) -> None:
        with self._lock:
            self._token = None
            self._expires_at = 0.0

    def token(self) -> str:
        with self._lock:
            if self._token and time.monotonic() < self._expires_at:
                return self._token
            self._token, lifetime = self._fetch()
            self._expires_at = time.monotonic() + max(0.0, lifetime - TOKEN_SKEW)
            return self._token

    def _fetch(self) -> tuple[str, float]:
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        try:
            response = self._session.post(
                self.token_url,
                data=data,
                auth=HTTPBasicAuth(self.client_id, self._secret),
                headers={"Accept": "application/json"},
                timeout=self._timeout,
                verify=self._verify,
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as exc:
            raise classify_transport(exc) from None
        try:
            with response:
                body = self._read_capped(response)
        except requests.RequestException as exc:
            raise classify_transport(exc) from None
        self.fetch_count += 1
        if response.status_code in (400, 401):
            raise AuthenticationError(
                "OAuth2 token request refused (check client id and secret)",
                status=response.status_code,
            )
        if response.status_code != 200:
            raise classify_http(response.status_code, response.headers)
        try:
            doc: Any = parse_json(body, "OAuth2 token answer")
            token = str(doc["access_token"])
            lifetime = float(doc.get("expires_in") or 300)
        except (ProtocolError, ValueError, KeyError, TypeError, AttributeError):
            raise ProtocolError("OAuth2 token endpoint returned no access_token") from None
        if str(doc.get("token_type", "Bearer")).lower() != "bearer":
            raise ProtocolError(f"Unsupported OAuth2 token type {doc.get('token_type')!r}")
        return token, lifetime

    def _read_capped(self, response: requests.Response) -> bytes:
        """The token answer, refused (:class:`ProtocolError`) beyond ``max_bytes``."""
        return read_capped(response, self._max_bytes, "OAuth2 token answer")


def make_auth(
    config: SapConnectionConfig, session: requests.Session
) -> HTTPBasicAuth | OAuth2ClientCredentials:
    if config.auth == "oauth2":
        return OAuth2ClientCredentials(
            config.oauth_token_url,
            config.oauth_client_id,
            config.oauth_client_secret,
            scope=config.oauth_scope,
            session=session,
            timeout=(config.connect_timeout, config.read_timeout),
            verify=config.verify,
            max_bytes=config.max_token_bytes,
        )
    if not config.user:
        raise ConfigurationError("SAP Basic authentication needs a user")
    return HTTPBasicAuth(config.user, config.password)
