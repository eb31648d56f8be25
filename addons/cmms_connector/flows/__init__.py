# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The flows of the CMMS connector, one file each (see plant_sync_base.flow)."""

from . import cmms_asset_pull, cmms_webhook, cmms_wo_pull, cmms_wo_push
