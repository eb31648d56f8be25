# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Helpers shared by the models and flows of stock_sap_sync (no model here)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from odoo.addons.plant_sync_base.exceptions import MissingMapping

#: flow codes of this addon (``plant.sync.flow.code``)
FLOW_MATERIAL = "sap_material"
FLOW_GOODS_MOVEMENT = "sap_goods_movement"
FLOW_RECONCILIATION = "sap_stock_reconciliation"
FLOW_REQUISITION = "sap_purchase_requisition"
FLOW_PURCHASE_ORDER = "sap_purchase_order"
FLOW_SERVICE_CONFIRMATION = "sap_service_confirmation"

#: default SAP movement types per Odoo booking kind (overridable by ``movement_type`` mappings
#: whose Odoo value is the kind, e.g. ``issue_order`` -> ``Z61``)
MOVEMENT_TYPES = {
    "issue_order": "261",
    "return_order": "262",
    "issue_cost_center": "201",
    "return_cost_center": "202",
    "receipt_po": "101",
}


def naive_utc(value):
    """An aware datetime from the library as the naive UTC datetime Odoo stores."""
    if not value:
        return False
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def decimal_qty(value, digits=3):
    """A float quantity as a Decimal with ``digits`` decimals (what SAP quantity fields take)."""
    return Decimal(str(round(float(value or 0.0), digits)))


def split_plant_sloc(value):
    """``"1010/0001"`` -> ``("1010", "0001")``; ``"0001"`` -> ``("", "0001")``."""
    value = (value or "").strip()
    if "/" in value:
        plant, sloc = value.split("/", 1)
        return plant.strip(), sloc.strip()
    return "", value


def location_plant_sloc(backend, location, raise_missing=True):
    """(plant, storage location) of ``location`` from the ``location`` mapping of it or of its
    nearest mapped parent. The external value is ``PLANT/SLOC``; a bare ``SLOC`` takes the plant
    from the ``plant`` mapping of the location's warehouse. Raises :class:`MissingMapping` (the
    engine holds the message until the mapping exists) unless ``raise_missing`` is False."""
    Mapping = backend.env["plant.sync.mapping"]
    current = location
    while current:
        value = Mapping._to_external(backend, "location", current, default="")
        if value:
            plant, sloc = split_plant_sloc(value)
            if not plant:
                warehouse = current.warehouse_id
                if warehouse:
                    plant = Mapping._to_external(
                        backend, "plant", warehouse, default=None if raise_missing else ""
                    )
                if not plant and raise_missing:
                    raise MissingMapping("plant", warehouse or current, "outbound", backend.id)
            return plant, sloc
        current = current.location_id
    if raise_missing:
        raise MissingMapping("location", location, "outbound", backend.id)
    return "", ""


def movement_type(backend, kind):
    """SAP movement type of an Odoo booking kind (see :data:`MOVEMENT_TYPES`)."""
    return backend.env["plant.sync.mapping"]._to_external(
        backend, "movement_type", kind, default=MOVEMENT_TYPES[kind]
    )


def mapped_locations(flow):
    """Stock locations with a ``location`` mapping usable outbound on ``flow``'s backend (of
    the flow's company, when it has one)."""
    mappings = (
        flow.env["plant.sync.mapping"]
        .sudo()
        .search(
            [
                ("mapping_type", "=", "location"),
                ("direction", "in", ("both", "outbound")),
                ("backend_id", "in", [flow.backend_id.id, False]),
                ("odoo_key", "=like", "stock.location,%"),
            ]
        )
    )
    locations = flow.env["stock.location"].sudo()
    for mapping in mappings:
        locations |= mapping.odoo_ref
    company = flow.company_id
    return locations.filtered(lambda loc: not company or loc.company_id in (company, False))
