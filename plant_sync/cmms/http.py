"""Guarded HTTP for the JSON clients: SSRF check, timeouts, TLS verification, a response size
cap, content-type and JSON checks, typed errors, and logs without secrets."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import requests

from ..crypto import redact
from ..errors import ProtocolError
from ..httpbody import parse_json, read_capped
from ..urlguard import LINK_STRIP, check_url, guard_session, same_origin
from . import errors as classify
from .config import HttpSettings

_logger = logging.getLogger(__name__)


@dataclass
class HttpResponse:
    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: bytes
    url: str

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def guard_url(url: str, settings: HttpSettings) -> str:
    """``url`` checked by the SSRF guard with the loopback/http/private allowances of
    ``settings``."""
    return check_url(
        url,
        allow_loopback_hosts=settings.allow_loopback_hosts,
        allow_http=settings.allow_http,
        allow_private=settings.allow_private,
    )


def guarded_requests_session(settings: HttpSettings) -> requests.Session:
    """A ``requests.Session`` whose connections check the address they reached against the
    SSRF policy of ``settings`` (DNS rebinding), without proxies or netrc from the
    environment."""
    session = guard_session(requests.Session(), settings.address_policy, max_retries=0)
    session.trust_env = False  # no proxy/netrc surprises from the environment
    session.headers["User-Agent"] = settings.user_agent
    return session


class GuardedSession:
    """A ``requests.Session`` that only talks to URLs on its configured origin."""

    def __init__(self, base_url: str, settings: HttpSettings, secrets: tuple[str, ...] = ()):
        self.settings = settings
        self.base_url = self.check(base_url).rstrip("/")
        self.secrets = tuple(s for s in secrets if s)
        self.session = guarded_requests_session(settings)

    def check(self, url: str) -> str:
        return guard_url(url, self.settings)

    def url(self, path_or_url: str) -> str:
        """Absolute URL for a configured path, or for a server-given link (next page, record
        href, ``Location``) that must stay on our origin: scheme, host and port compared after
        normalisation (case, default port, surrounding whitespace), then the SSRF check again."""
        target = (path_or_url or "").strip(LINK_STRIP)
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or target.startswith("//"):
            absolute = urljoin(self.base_url + "/", target)
            if not same_origin(absolute, self.base_url):
                shown = urlsplit(absolute)
                raise ProtocolError(
                    f"The server sent a link to another origin ({shown.scheme}://"
                    f"{shown.hostname or ''}); refused"
                )
            return self.check(absolute)
        return urljoin(self.base_url + "/", target.lstrip("/"))

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> HttpResponse:
        url = self.url(path_or_url)
        if params:
            # encode ourselves: requests leaves "+" as is, which servers read as a space (Maximo
            # documents that "+" in oslc.orderBy and ISO offsets must be sent as %2B)
            url += ("&" if "?" in url else "?") + urlencode(params, quote_via=quote, safe="")
        _logger.debug(
            "%s %s params=%s headers=%s",
            method,
            url,
            redact(params or {}, self.secrets),
            redact(headers or {}, self.secrets),
        )
        try:
            response = self.session.request(
                method,
                url,
                headers=headers,
                data=data,
                timeout=self.settings.timeout,
                verify=self.settings.verify,
                allow_redirects=False,
                stream=True,
            )
            with response:
                body = self._read_capped(response)
        except requests.RequestException as exc:
            raise classify.from_exception(exc, f"{method} {urlsplit(url).path}") from None
        if 300 <= response.status_code < 400:
            raise ProtocolError(
                f"Unexpected redirect (HTTP {response.status_code}) from {urlsplit(url).path}",
                status=response.status_code,
            )
        return HttpResponse(response.status_code, response.headers, body, response.url)

    def _read_capped(self, response: requests.Response) -> bytes:
        return read_capped(response, self.settings.max_response_bytes)

    def close(self) -> None:
        self.session.close()


def json_headers(
    auth: dict[str, str], extra: dict[str, str] | None, *, with_body: bool
) -> dict[str, str]:
    """Request headers of the JSON clients: ``Accept``, auth, the caller's, ``Content-Type``."""
    headers = {"Accept": "application/json", **auth, **(extra or {})}
    if with_body:
        headers["Content-Type"] = "application/json"
    return headers


def error_json(response: HttpResponse) -> Any:
    """An error answer's body as JSON, or ``None`` when it is not JSON."""
    try:
        return parse_json(response.body)
    except ProtocolError:
        return None


def decode_json(response: HttpResponse, *, allow_empty: bool = False) -> Any:
    """Body as JSON or :class:`ProtocolError` (HTML error pages, XML, truncated JSON)."""
    if not response.body.strip():
        if allow_empty:
            return None
        raise ProtocolError(f"Empty response body (HTTP {response.status})", status=response.status)
    ctype = response.content_type
    if ctype and "json" not in ctype:
        raise ProtocolError(
            f"Expected JSON but got {ctype or 'no content type'} (HTTP {response.status})",
            status=response.status,
        )
    try:
        return parse_json(response.body)
    except ProtocolError as exc:
        exc.status = response.status
        raise
