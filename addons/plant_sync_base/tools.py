# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Small helpers shared by the models of plant_sync_base (no model here)."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from odoo.exceptions import AccessError, UserError
from odoo.tools import config

from plant_sync.crypto import ENV_VAR, SecretBox, parse_keys

CONFIG_KEY = "plant_sync_encryption_keys"
#: context key set while data coming from a backend is written into Odoo: export triggers
#: (``plant.sync.message._enqueue``) skip outbound messages for that backend (no echo). Its value
#: is an :class:`ImportFlag` (``backend._import_context()``): see :func:`import_flag`.
IMPORT_CONTEXT_KEY = "plant_sync_import"


@dataclass(frozen=True)
class ImportFlag:
    """Value of the import context keys. The context is chosen by the caller (an RPC call can
    pass any JSON value), so a flag counts only when it is this Python object, which JSON
    cannot produce, in a superuser environment, which RPC cannot open: only engine code sets
    it. ``backend_id`` None means "an import from any backend"."""

    backend_id: int | None = None


def import_flag(env, key=IMPORT_CONTEXT_KEY):
    """The backend id of the import being written (True: any backend), or None when the
    context carries no flag set by engine code. A plain value under ``key`` (what an RPC
    caller can send) is ignored: no context key suppresses an export."""
    flag = env.context.get(key)
    if not env.su or not isinstance(flag, ImportFlag):
        return None
    return flag.backend_id if flag.backend_id is not None else True


def check_engine_fields(records, vals, field_names, what=None):
    """Workflow and reference fields are written by the engine and the approval actions only
    (both in superuser mode, after their own checks): refuse them from anybody else, whatever
    the UI shows as read-only (``readonly`` is not enforced by the ORM)."""
    if records.env.su:
        return
    forbidden = sorted(set(field_names) & set(vals))
    if forbidden:
        raise AccessError(
            records.env._(
                "%(what)s: %(fields)s can only be set by the integration itself.",
                what=what or records._description,
                fields=", ".join(forbidden),
            )
        )


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
    """What a flow's ``run`` (``plant_sync_base.flow``) may return.

    A plain ``dict`` (the response) or a tuple ``(response, external_id[, version])`` are accepted
    too. ``state='sent'`` leaves the message waiting for an asynchronous confirmation.
    """

    response: dict | None = None
    external_id: str | None = None
    version: str | None = None
    state: str = "done"
    #: which binding of the record ``external_id`` is (see ``plant.sync.binding``); None: the
    #: number is kept on the record itself, only the message shows it
    doc_type: str | None = "main"

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
    """What a flow's ``pull`` (``plant_sync_base.flow``) returns
    for one page. ``items`` are dicts ``{"key": tuple, "payload": dict}`` turned into inbound
    messages; ``next_page_token`` asks for another page (a new job, so each page commits);
    ``watermark_date``/``watermark_token`` are stored on the flow after the last page."""

    items: list[dict] = field(default_factory=list)
    next_page_token: str | None = None
    watermark_date: Any = None
    watermark_token: str | None = None


def job_attempt(env) -> tuple[int, bool]:
    """(number of this attempt, is it the last one) of the queue_job job running now, read
    from the job record queue_job names in the context. Outside a job: (1, False)."""
    uuid = env.context.get("job_uuid")
    job = env["queue.job"].sudo().search([("uuid", "=", uuid)], limit=1) if uuid else None
    if not job:
        return 1, False
    attempt = job.retry + 1  # queue_job counts this attempt only after the job returns
    return attempt, bool(job.max_retries) and attempt >= job.max_retries


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


def fill_view_slot(env, arch, slot, xmlid):
    """View composition between addons that do not depend on each other: every empty
    ``<div name="<slot>"/>`` of ``arch`` (an lxml tree from ``_get_view``) is replaced by the
    first element of the form view ``xmlid`` (an ordinary view of the contributing addon, so
    it is validated when that addon is installed). Does nothing when the view is missing."""
    slots = arch.xpath(f"//div[@name='{slot}'][not(node())]")
    if not slots:
        return
    view = env.ref(xmlid, raise_if_not_found=False)
    if not view:
        return
    section = view.sudo()._get_combined_arch()
    for node in slots:
        replacement = copy.deepcopy(section[0])
        node.getparent().replace(node, replacement)
