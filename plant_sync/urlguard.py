"""SSRF guard for endpoint URLs configured by administrators.

An endpoint must be http(s) with a host name; it must not resolve to loopback, link-local
(cloud metadata), multicast, reserved or unspecified addresses, nor to a known cloud metadata
address outside those ranges (Alibaba ``100.100.100.200``, AWS IPv6 ``fd00:ec2::254``, Oracle
``192.0.0.192``). Private ranges are allowed (SAP and CMMS usually live on the company network)
unless ``allow_private=False``. Loopback is allowed only for hosts in an explicit allow-list
(tests and the demo run simulators on 127.0.0.1). Plain http is refused unless
``allow_http=True``.

:func:`check_url` validates a URL (resolving its host name). Because a name can resolve to
another address a moment later (DNS rebinding), every library HTTP client also checks the
address it actually connected to: :class:`GuardedAdapter` (a ``requests`` transport adapter
whose urllib3 connections validate ``sock.getpeername()`` right after connecting, before a
byte is sent or a TLS handshake starts) applies the same :class:`AddressPolicy`.
:func:`origin` / :func:`same_origin` compare server-given links with the configured endpoint.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from requests import Session
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .errors import ConfigurationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: cloud metadata services that are not in a range refused anyway (169.254.169.254 is
#: link-local and listed for the message only)
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254", "192.0.0.192")
)
DEFAULT_PORTS = {"http": 80, "https": 443}
#: characters stripped around server-given links (what ``urlsplit`` itself ignores)
LINK_STRIP = "".join(chr(c) for c in range(0x21))


def _host_key(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


@dataclass(frozen=True)
class AddressPolicy:
    """Which IP addresses a connection may reach (the part of :func:`check_url` that is about
    addresses, reused at connect time)."""

    allow_loopback_hosts: frozenset[str] = field(default_factory=frozenset)
    allow_private: bool = True

    @classmethod
    def of(
        cls, allow_loopback_hosts: Iterable[str] = (), allow_private: bool = True
    ) -> AddressPolicy:
        return cls(frozenset(_host_key(h) for h in allow_loopback_hosts if h), allow_private)

    def refusal(self, host: str, address: IPAddress) -> str | None:
        """Why ``host`` may not be reached at ``address``, or ``None`` when it may."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address in METADATA_ADDRESSES:
            return f"a cloud metadata address {address}"
        if address.is_loopback:
            if _host_key(host) in self.allow_loopback_hosts:
                return None
            return f"this machine ({address}); loopback is allowed only for allow-listed hosts"
        if (
            address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        ):
            return f"a forbidden address {address}"
        if address.is_private and not self.allow_private:
            return f"a private address {address}"
        return None


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
    policy = AddressPolicy.of(allow_loopback_hosts, allow_private)
    for address in _addresses(host, _port(parts), resolve):
        reason = policy.refusal(host, address)
        if reason:
            raise ConfigurationError(f"Endpoint {url!r} resolves to {reason}")
    return url


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, normalised: surrounding whitespace/control
    characters stripped, scheme and host lower case, trailing dot of the host dropped, default
    port made explicit. :class:`ConfigurationError` for an invalid port."""
    parts = urlsplit((url or "").strip(LINK_STRIP))
    scheme = parts.scheme.lower()
    return scheme, _host_key(parts.hostname or ""), _port(parts)


def same_origin(url: str, other: str) -> bool:
    """Whether two absolute URLs have the same scheme, host and port (after :func:`origin`),
    and ``url`` carries no user information."""
    parts = urlsplit((url or "").strip(LINK_STRIP))
    if parts.username is not None or parts.password is not None:
        return False
    first = origin(url)
    return bool(first[0] and first[1]) and first == origin(other)


def _port(parts: Any) -> int | None:
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"Invalid port in {parts.geturl()!r}") from None
    return port if port is not None else DEFAULT_PORTS.get(parts.scheme.lower())


def _addresses(host: str, port: int | None, resolve: bool) -> list[IPAddress]:
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
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


# --- connect-time check (DNS rebinding) -----------------------------------------------------
def check_peer(sock: socket.socket, host: str, policy: AddressPolicy) -> None:
    """Refuse (close ``sock``, raise :class:`ConfigurationError`) when the address ``sock`` is
    connected to is not allowed for ``host`` by ``policy``."""
    try:
        peer = str(sock.getpeername()[0])
        address = ipaddress.ip_address(peer.split("%")[0])
    except (OSError, ValueError, IndexError):
        sock.close()
        raise ConfigurationError(f"Cannot tell which address {host!r} connected to") from None
    reason = policy.refusal(host, address)
    if reason:
        sock.close()
        raise ConfigurationError(
            f"Connection to {host!r} refused: it reached {reason} (the name resolved to an "
            "allowed address when it was checked: DNS rebinding?)"
        )


class _PeerCheck:
    """Validates the connected peer address with the connection's policy, right after the
    socket connects and before any byte (or TLS handshake: ``connect`` calls ``_new_conn``)."""

    def __init__(self, *args: Any, peer_policy: AddressPolicy | None = None, **kw: Any) -> None:
        self.peer_policy = peer_policy
        super().__init__(*args, **kw)

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        if self.peer_policy is not None:
            check_peer(sock, self.host, self.peer_policy)
        return sock


class PeerCheckedHTTPConnection(_PeerCheck, HTTPConnection):
    """urllib3 connection that validates the connected peer address with its policy."""


class PeerCheckedHTTPSConnection(_PeerCheck, HTTPSConnection):
    """TLS variant: the peer is checked before the handshake."""


class _PeerCheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = PeerCheckedHTTPConnection


class _PeerCheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = PeerCheckedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """``requests`` transport adapter whose connections check their peer address with
    ``policy`` (see :func:`check_peer`). A refusal raises :class:`ConfigurationError` out of
    ``session.request`` (permanent, never retried)."""

    def __init__(self, policy: AddressPolicy, **kwargs: Any) -> None:
        self.policy = policy  # before super().__init__, which builds the pool manager
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": partial(_PeerCheckedHTTPPool, peer_policy=self.policy),
            "https": partial(_PeerCheckedHTTPSPool, peer_policy=self.policy),
        }


def guard_session(session: Session, policy: AddressPolicy, **adapter_kwargs: Any) -> Session:
    """Mount a :class:`GuardedAdapter` on ``session`` for http and https; returns it."""
    adapter = GuardedAdapter(policy, **adapter_kwargs)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
