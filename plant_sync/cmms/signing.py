"""Pluggable request signing for the generic REST client.

A signer gets the final method, URL and body bytes and returns headers to add. The built-in
``HmacBodySigner`` covers Fiix-style APIs: ``Authorization: base64(HMAC-SHA256(secret, body))``.
Anything else (AWS SigV4, vendor schemes) can be passed as any object with a ``sign`` method.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Protocol

from ..errors import ConfigurationError
from .config import SigningConfig


class RequestSigner(Protocol):
    def sign(self, method: str, url: str, body: bytes) -> dict[str, str]: ...


class HmacBodySigner:
    def __init__(self, config: SigningConfig) -> None:
        if not config.secret:
            raise ConfigurationError("Request signing needs a secret")
        if config.encoding not in ("base64", "hex"):
            raise ConfigurationError("Signature encoding must be 'base64' or 'hex'")
        self.config = config

    def digest(self, url: str, body: bytes) -> str:
        message = (url.encode() + b"\n" + body) if self.config.include_url else body
        mac = hmac.new(self.config.secret.encode(), message, hashlib.sha256).digest()
        if self.config.encoding == "hex":
            return mac.hex()
        return base64.b64encode(mac).decode()

    def sign(self, method: str, url: str, body: bytes) -> dict[str, str]:
        return {self.config.header: self.config.prefix + self.digest(url, body)}


def make_signer(config: SigningConfig | None) -> RequestSigner | None:
    if config is None:
        return None
    if config.kind == "hmac_body":
        return HmacBodySigner(config)
    raise ConfigurationError(f"Unknown request signing kind {config.kind!r}")
