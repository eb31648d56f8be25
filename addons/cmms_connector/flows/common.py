# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the CMMS flows share: importing a received work order or asset (the message is bound
to the Odoo record it made), CMMS errors of pulls as job retries, and the values the flows and
the models share. Nothing here imports the addon's models: the flows register before the models
build the flow code selection (``selection_of("cmms_connector")``)."""

from datetime import timezone

from odoo.addons.plant_sync_base.flow import Flow
from odoo.addons.plant_sync_base.tools import HandlerResult

#: normalized work-order field -> (request field, mapping type)
CODE_FIELDS = {
    "failure_class": ("cmms_failure_class", "failure_code"),
    "problem_code": ("cmms_problem_code", "cmms_problem"),
    "cause_code": ("cmms_cause_code", "cause_code"),
    "remedy_code": ("cmms_remedy_code", "cmms_remedy"),
}


def to_odoo_datetime(value):
    """Aware datetime (library) -> naive UTC (Odoo)."""
    if not value:
        return False
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def to_aware(value):
    """Naive UTC (Odoo) -> aware datetime (library)."""
    return value.replace(tzinfo=timezone.utc) if value else None


class CmmsFlow(Flow):
    """Helpers of the CMMS flows."""

    def bind_message(self, record):
        """The message is about ``record`` (the request or equipment the import made)."""
        message = self.message
        if record and (message.res_model != record._name or message.res_id != record.id):
            message.write({"res_model": record._name, "res_id": record.id})

    def import_workorder(self, workorder):
        """Create or update the request of a received ``plant_sync.cmms.WorkOrder``."""
        request, changed = self.env["maintenance.request"]._cmms_import_workorder(
            self.backend, workorder, message=self.message
        )
        self.bind_message(request)
        response = {
            "workorder": workorder.external_id,
            "version": workorder.version,
            "request": request.id,
            "changed": changed,
        }
        return HandlerResult(
            response=response,
            external_id=workorder.external_id,
            version=workorder.version or None,
        )

    def import_asset(self, asset):
        """Crosswalk a received CMMS asset (Maximo lean ``mxapiasset`` JSON) to its equipment."""
        equipment = self.env["maintenance.equipment"]._cmms_import_asset(self.backend, asset)
        self.bind_message(equipment)
        return HandlerResult(response={"asset": asset.get("assetnum"), "equipment": equipment.id})
