# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The flows of the SAP maintenance bridge, one file each (see plant_sync_base.flow)."""

from . import (
    sap_pm_confirmation,
    sap_pm_master_pull,
    sap_pm_notification,
    sap_pm_order,
    sap_pm_order_pull,
    sap_pm_status,
)
