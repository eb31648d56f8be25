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
    # --- monitoring: alert thresholds (0 switches a rule off) and the /metrics token -----------
    plant_sync_alert_backlog = fields.Integer(
        string="Backlog Alert (messages)",
        config_parameter="plant_sync_base.alert_backlog",
        default=500,
    )
    plant_sync_alert_failure_rate = fields.Integer(
        string="Failure Rate Alert (%)",
        config_parameter="plant_sync_base.alert_failure_rate",
        default=20,
    )
    plant_sync_alert_age_minutes = fields.Integer(
        string="Message Age Alert (min)",
        config_parameter="plant_sync_base.alert_age_minutes",
        default=60,
    )
    plant_sync_alert_group_id = fields.Many2one(
        "res.groups",
        string="Alerted Group",
        config_parameter="plant_sync_base.alert_group_id",
        default=lambda self: self.env.ref(
            "plant_sync_base.group_plant_sync_admin", raise_if_not_found=False
        ),
        help="Every member gets an activity (and its e-mail) when an alert is raised.",
    )
    plant_sync_metrics_token = fields.Char(
        string="Metrics Token",
        compute="_compute_plant_sync_metrics_token",
        inverse="_inverse_plant_sync_metrics_token",
        help="Bearer token of the Prometheus endpoint /metrics (24 characters or more). Stored "
        "hashed: type a new one to replace it.",
    )
    plant_sync_metrics_token_set = fields.Boolean(compute="_compute_plant_sync_metrics_token")

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

    @api.depends("company_id")
    def _compute_plant_sync_metrics_token(self):
        token_set = self.env["plant.sync.metric.snapshot"]._metrics_token_is_set()
        for settings in self:
            settings.plant_sync_metrics_token = False  # write-only: never read back
            settings.plant_sync_metrics_token_set = token_set

    def _inverse_plant_sync_metrics_token(self):
        for settings in self:
            if settings.plant_sync_metrics_token:
                self.env["plant.sync.metric.snapshot"]._set_metrics_token(
                    settings.plant_sync_metrics_token
                )

    def action_plant_sync_rotate_secrets(self):
        self.env["plant.sync.backend"]._check_admin()
        return self.env["plant.sync.backend"].action_rotate_secrets()
