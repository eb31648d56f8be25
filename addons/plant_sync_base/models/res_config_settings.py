# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from plant_sync.errors import ConfigurationError

from ..tools import encryption_keys, secret_box


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    plant_sync_payload_retention_days = fields.Integer(
        string="Payload Retention (days)",
        config_parameter="plant_sync_base.payload_retention_days",
        default=90,
        help="Payloads of done messages older than this are blanked by a daily cron "
        "(0 keeps them).",
    )
    plant_sync_default_channel_id = fields.Many2one(
        "queue.job.channel",
        string="Default Job Channel",
        config_parameter="plant_sync_base.default_channel_id",
    )
    plant_sync_encryption_status = fields.Char(
        string="Encryption Key", compute="_compute_plant_sync_encryption_status"
    )

    @api.depends("company_id")
    def _compute_plant_sync_encryption_status(self):
        keys = encryption_keys()
        if not keys:
            status = self.env._(
                "Missing: set plant_sync_encryption_keys in the Odoo configuration file or the "
                "PLANT_SYNC_ENCRYPTION_KEYS environment variable"
            )
        else:
            try:
                secret_box()
                status = self.env._("Configured (%(count)s key(s))", count=len(keys))
            except ConfigurationError as exc:
                status = self.env._("Invalid: %(error)s", error=exc.message)
        for settings in self:
            settings.plant_sync_encryption_status = status

    def action_plant_sync_rotate_secrets(self):
        return self.env["plant.sync.backend"].action_rotate_secrets()
