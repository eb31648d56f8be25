# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The flows of SAP stock and purchasing, one file each (see plant_sync_base.flow)."""

from . import (
    sap_goods_movement,
    sap_material,
    sap_purchase_order,
    sap_purchase_requisition,
    sap_service_confirmation,
    sap_stock_reconciliation,
)
