# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Small helpers shared by the models of plant_sync_base (no model here)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from odoo.exceptions import UserError
from odoo.tools import config

from plant_sync.crypto import ENV_VAR, SecretBox, parse_keys

CONFIG_KEY = "plant_sync_encryption_keys"
#: context key set while data coming from a backend is written into Odoo: export triggers
#: (``plant.sync.message.enqueue``) skip outbound messages for that backend (no echo).
IMPORT_CONTEXT_KEY = "plant_sync_import"


def encryption_keys() -> list[str]:
    """Fernet keys, newest first: Odoo configuration option first, then the environment.
    Never from the database."""
    return parse_keys(config.get(CONFIG_KEY) or os.environ.get(ENV_VAR))


def secret_box() -> SecretBox:
    """A :class:`SecretBox` with the configured keys (raises ConfigurationError when none)."""
    return SecretBox(encryption_keys())


def advisory_lock_key(*parts: Any) -> int:
    """Signed 64-bit key for ``pg_advisory_xact_lock`` from arbitrary parts."""
    raw = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big", signed=True)


def dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)


@dataclass
class HandlerResult:
    """What a flow handler (``_plant_sync_run_<flow_code>``) may return.

    A plain ``dict`` (the response) or a tuple ``(response, external_id[, version])`` are accepted
    too. ``state='sent'`` leaves the message waiting for an asynchronous confirmation.
    """

    response: dict | None = None
    external_id: str | None = None
    version: str | None = None
    state: str = "done"

    @classmethod
    def coerce(cls, value: Any) -> HandlerResult:
        if isinstance(value, cls):
            return value
        if value is None:
            return cls()
        if isinstance(value, tuple):
            response, *rest = value
            return cls(
                response=response,
                external_id=rest[0] if rest else None,
                version=rest[1] if len(rest) > 1 else None,
            )
        if isinstance(value, dict):
            return cls(response=value)
        return cls(response={"result": value})


@dataclass
class BatchPage:
    """What a batch pull handler (``_plant_sync_pull_<flow_code>`` on plant.sync.flow) returns
    for one page. ``items`` are dicts ``{"key": tuple, "payload": dict}`` turned into inbound
    messages; ``next_page_token`` asks for another page (a new job, so each page commits);
    ``watermark_date``/``watermark_token`` are stored on the flow after the last page."""

    items: list[dict] = field(default_factory=list)
    next_page_token: str | None = None
    watermark_date: Any = None
    watermark_token: str | None = None


def refuse_unlink_with_messages(records, field_name):
    """``@api.ondelete`` guard for backends and flows: the message log is the audit trail, so
    deleting a record that messages point at is refused (disable or archive it instead)."""
    used = records.env["plant.sync.message"].sudo().search_count([(field_name, "in", records.ids)])
    if used:
        raise UserError(
            records.env._(
                "%(count)s sync messages belong to %(names)s: disable or archive it instead "
                "of deleting it.",
                count=used,
                names=", ".join(records.mapped("display_name")),
            )
        )
