"""Secrets at rest: Fernet/MultiFernet encryption with rotatable keys, and log redaction.

Keys never come from the database. They come from the environment variable
``PLANT_SYNC_ENCRYPTION_KEYS`` or from the Odoo configuration option ``plant_sync_encryption_keys``
(the addon passes it in): a comma-separated list of Fernet keys, newest first. Encrypting always
uses the first key; decrypting tries all, so a key can be rotated by prepending a new one,
re-encrypting (:meth:`SecretBox.rotate`) and later dropping the old key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import ConfigurationError

ENV_VAR = "PLANT_SYNC_ENCRYPTION_KEYS"
PREFIX = "fernet:"  # marks stored ciphertext so plaintext can never be mistaken for it
REDACTED = "***"
SECRET_NAMES = re.compile(
    r"(pass(word|wd)?|secret|token|api[-_]?key|apikey|maxauth|authorization|cookie|credential|"
    r"hmac|private[-_]?key|x-csrf-token|sap-passport)",
    re.IGNORECASE,
)


def generate_key() -> str:
    return Fernet.generate_key().decode()


def parse_keys(raw: str | Iterable[str] | None) -> list[str]:
    if raw is None:
        return []
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    return [k.strip() for k in items if k and k.strip()]


class SecretBox:
    """Encrypts and decrypts secrets with the configured keys."""

    def __init__(self, keys: str | Iterable[str] | None = None) -> None:
        key_list = parse_keys(keys if keys is not None else os.environ.get(ENV_VAR))
        if not key_list:
            raise ConfigurationError(
                "No encryption key configured: set plant_sync_encryption_keys in the Odoo "
                f"configuration file or the {ENV_VAR} environment variable "
                "(generate one with: python -m plant_sync.crypto)."
            )
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in key_list])
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"Invalid encryption key: {exc}") from None

    @staticmethod
    def is_encrypted(value: str | None) -> bool:
        return bool(value) and value.startswith(PREFIX)

    def encrypt(self, plaintext: str) -> str:
        return PREFIX + self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, stored: str) -> str:
        if not self.is_encrypted(stored):
            raise ConfigurationError("Stored secret is not encrypted with a plant_sync key.")
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise ConfigurationError(
                "A stored secret cannot be decrypted with the configured keys "
                "(was a key removed before rotation?)."
            ) from None

    def rotate(self, stored: str) -> str:
        """Re-encrypt with the newest key."""
        return PREFIX + self._fernet.rotate(stored[len(PREFIX) :].encode()).decode()


def redact(data: Any, extra_secrets: Iterable[str] = ()) -> Any:
    """Return a copy of ``data`` with secret-looking keys masked and known secret values
    replaced wherever they appear in strings (headers, payloads, error texts)."""
    secrets = [s for s in extra_secrets if s and len(s) >= 4]

    def scrub_text(text: str) -> str:
        for s in secrets:
            text = text.replace(s, REDACTED)
        return text

    def walk(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                k: (REDACTED if isinstance(k, str) and SECRET_NAMES.search(k) else walk(v))
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return type(value)(walk(v) for v in value)
        if isinstance(value, str):
            return scrub_text(value)
        return value

    return walk(data)


if __name__ == "__main__":  # pragma: no cover - helper for administrators
    print(generate_key())
