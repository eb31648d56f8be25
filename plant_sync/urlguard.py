"""SSRF guard for endpoint URLs configured by administrators.

An endpoint must be http(s) with a host name; it must not resolve to loopback, link-local
(cloud metadata), multicast, reserved or unspecified addresses. Private ranges are allowed
(SAP and CMMS usually live on the company network) unless ``allow_private=False``. Loopback is
allowed only for hosts in an explicit allow-list (tests and the demo run simulators on
127.0.0.1). Plain http is refused unless ``allow_http=True``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from .errors import ConfigurationError


def check_url(
    url: str,
    *,
    allow_loopback_hosts: Iterable[str] = (),
    allow_http: bool = False,
    allow_private: bool = True,
    resolve: bool = True,
) -> str:
    """Return ``url`` if it is acceptable, else raise :class:`ConfigurationError`."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("https", "http"):
        raise ConfigurationError(
            f"Endpoint {url!r}: only https (or allowed http) URLs are accepted"
        )
    if parts.scheme == "http" and not allow_http:
        raise ConfigurationError(f"Endpoint {url!r}: plain http is not allowed for this backend")
    if parts.username or parts.password:
        raise ConfigurationError("Endpoint URLs must not embed credentials")
    host = parts.hostname
    if not host:
        raise ConfigurationError(f"Endpoint {url!r} has no host")
    allowed_loopback = {h.lower() for h in allow_loopback_hosts}
    for address in _addresses(host, parts.port, resolve):
        if address.is_loopback:
            if host.lower() not in allowed_loopback:
                raise ConfigurationError(
                    f"Endpoint {url!r} points at this machine ({address}); loopback is allowed "
                    "only for allow-listed hosts"
                )
            continue
        if (
            address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        ):
            raise ConfigurationError(f"Endpoint {url!r} resolves to a forbidden address {address}")
        if address.is_private and not allow_private:
            raise ConfigurationError(f"Endpoint {url!r} resolves to a private address {address}")
    return url


def _addresses(host: str, port: int | None, resolve: bool) -> list:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return [ipaddress.ip_address("127.0.0.1")]
    if not resolve:
        return []
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise ConfigurationError(f"Endpoint host {host!r} cannot be resolved: {exc}") from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
