# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Exceptions flow handlers raise to tell the engine what to do with a message.

Any :class:`plant_sync.errors.IntegrationError` is understood (``transient`` → retry,
otherwise failed + exception record). These two add Odoo-side cases.
"""

from __future__ import annotations

from plant_sync.errors import BusinessRuleError, ConfigurationError


class MissingMapping(Exception):
    """No ``plant.sync.mapping`` for a value: the engine *holds* the message (state ``held``)
    until an administrator creates the mapping, which releases it automatically."""

    def __init__(self, mapping_type: str, value, direction: str, backend_id: int | None = None):
        self.mapping_type = mapping_type
        self.value = value if isinstance(value, str) else value_key(value)
        self.direction = direction
        self.backend_id = backend_id
        super().__init__(
            f"No {direction} mapping of type {mapping_type!r} for value {self.value!r}"
        )


class PlantSyncBusinessError(BusinessRuleError):
    """A business problem a human must solve (unposted confirmation, unmatched material
    consumption...): the message fails and an exception with the amount at stake is raised to
    ``owner_group`` ('planner', 'finance' or 'admin')."""

    category = "business"

    def __init__(
        self,
        message: str,
        *,
        amount: float | None = None,
        currency: str | None = None,
        owner_group: str = "planner",
        **kwargs,
    ) -> None:
        super().__init__(message, **kwargs)
        self.amount = amount
        self.currency = currency
        self.owner_group = owner_group


class MissingConfiguration(ConfigurationError):
    """Something must be set up in Odoo before a flow can run (a stock location mapping, a flow
    setting...). Permanent, like every :class:`ConfigurationError`; ``fix`` says what opens the
    right place: ``{"kind": "mapping"|"record"|"backend"|"flow", "model": ..., "res_id": ...,
    "defaults": {field: value}}`` (see ``plant.sync.exception._fix_values``)."""

    def __init__(self, message: str, *, fix: dict | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.fix = fix or {}


def value_key(value) -> str:
    """A record becomes ``"model,id"`` (the ``fields.Reference`` format), anything else str()."""
    if hasattr(value, "_name") and hasattr(value, "ids"):
        return f"{value._name},{value.id}" if value else ""
    return "" if value is None or value is False else str(value)
