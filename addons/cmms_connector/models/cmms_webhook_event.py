# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models


class CmmsWebhookEvent(models.Model):
    """Event ids already received per backend: the webhook seen-store. The unique constraint
    makes de-duplication hold across HTTP workers; the row is inserted in the transaction that
    enqueues the event, so a failed enqueue (rolled back) lets the sender's retry through."""

    _name = "cmms.webhook.event"
    _description = "CMMS Webhook Event (received)"
    _order = "id desc"
    _rec_name = "event_id"

    backend_id = fields.Many2one(
        "plant.sync.backend", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="backend_id.company_id", store=True, index=True, precompute=True
    )
    event_id = fields.Char(string="Event ID", required=True, readonly=True)
    event_type = fields.Char(readonly=True)
    received_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    message_id = fields.Many2one(
        "plant.sync.message", string="Sync Message", readonly=True, ondelete="set null"
    )
    message_state = fields.Selection(related="message_id.state", string="Message State")

    _sql_constraints = [
        (
            "event_unique",
            "UNIQUE (backend_id, event_id)",
            "This webhook event was already received.",
        ),
    ]

    @api.model
    def _remember(self, backend_id, event_id):
        """Atomic insert-if-absent. True exactly once per (backend, event id), also under
        concurrent deliveries (a concurrent insert of the same id waits for the other
        transaction; under REPEATABLE READ PostgreSQL then raises a serialization failure and
        Odoo retries the request, which sees the row and answers 'replay')."""
        self.env["plant.sync.backend"].flush_model(["company_id"])
        self.flush_model()
        self.env.cr.execute(
            """
            INSERT INTO cmms_webhook_event
                   (backend_id, company_id, event_id, received_at, create_uid, create_date,
                    write_uid, write_date)
            SELECT b.id, b.company_id, %(event)s, now() at time zone 'UTC', %(uid)s,
                   now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
              FROM plant_sync_backend b WHERE b.id = %(backend)s
            ON CONFLICT (backend_id, event_id) DO NOTHING
            RETURNING id
            """,
            {"event": event_id, "backend": backend_id, "uid": self.env.uid},
        )
        row = self.env.cr.fetchone()
        return self.browse(row[0]) if row else self.browse()

    @api.model
    def _cron_purge(self, days=30):
        """Forget event ids older than ``days`` (far beyond the timestamp window: a replay that
        old is refused as stale anyway)."""
        limit = fields.Datetime.now() - timedelta(days=days)
        old = self.search([("received_at", "<", limit)])
        old.unlink()
        return len(old)


class SeenStore:
    """:class:`plant_sync.webhooks.SeenStore` on ``cmms.webhook.event`` for one backend."""

    def __init__(self, env, backend_id):
        self.model = env["cmms.webhook.event"].sudo()
        self.backend_id = backend_id
        self.record = self.model.browse()

    def remember(self, event_id, ttl):
        self.record = self.model._remember(self.backend_id, event_id)
        return bool(self.record)
