# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class PlantSyncExceptionCancel(models.TransientModel):
    _name = "plant.sync.exception.cancel"
    _description = "Cancel Plant Sync Exceptions"

    exception_ids = fields.Many2many("plant.sync.exception", string="Exceptions")
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if self.env.context.get("active_model") == "plant.sync.exception":
            res["exception_ids"] = [(6, 0, self.env.context.get("active_ids") or [])]
        return res

    def action_confirm(self):
        self.ensure_one()
        self.check_access("write")
        exceptions = self.exception_ids.filtered(lambda e: e.state in ("new", "in_progress"))
        exceptions.check_access("write")
        reason = self.env._(
            "Cancelled by %(user)s: %(reason)s", user=self.env.user.name, reason=self.reason
        )
        exceptions = exceptions.sudo()
        exceptions.message_id._cancel(reason)
        exceptions._cancel(reason)
        return {"type": "ir.actions.act_window_close"}
