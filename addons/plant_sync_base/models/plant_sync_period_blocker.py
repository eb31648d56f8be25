# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What still blocks the month-end close, per posting period and company (a SQL view).

This addon contributes the open exceptions that concern finance (a value at stake, or owned by
finance); the flow addons add their unposted movements (goods movements, service
confirmations...) by extending :meth:`PlantSyncPeriodBlocker._blocker_queries` and
:meth:`PlantSyncPeriodBlocker._blocker_covered_models`: an exception about a record that a flow
addon lists itself is shown on that record's row (its ``exception_id``), not twice. Each query
selects the columns of :data:`COLUMNS` with ``id = <source id> * 16 + <part number>``.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, drop_view_if_exists

#: the columns every part of the view selects, in this order
COLUMNS = (
    "id",
    "source",
    "name",
    "company_id",
    "period",
    "date",
    "amount",
    "currency_id",
    "cost_center",
    "backend_id",
    "exception_id",
    "res_model",
    "res_id",
    "status",
)
STATUSES = [
    ("exception", "Open exception"),
    ("waiting", "Waiting to be posted"),
    ("held", "Held (mapping)"),
    ("failed", "Failed"),
    ("to_approve", "Awaiting approval"),
    ("approved", "Approved, not posted"),
]


class PlantSyncPeriodBlocker(models.Model):
    _name = "plant.sync.period.blocker"
    _description = "Plant Sync Period-Close Blocker"
    _auto = False
    _order = "period desc, company_id, amount desc, id"
    #: flushed before the view is read (extended by the addons that add parts)
    _depends = {
        "plant.sync.exception": [
            "name",
            "state",
            "company_id",
            "posting_period",
            "document_date",
            "amount",
            "currency_id",
            "cost_center",
            "backend_id",
            "res_model",
            "res_id",
            "message_id",
        ],
    }

    source = fields.Selection(
        [("exception", "Exception")], readonly=True, help="What blocks the close."
    )
    name = fields.Char(string="Document", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    period = fields.Char(string="Posting Period", readonly=True, help="YYYY-MM")
    date = fields.Date(string="Document Date", readonly=True)
    amount = fields.Monetary(string="Value", currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    cost_center = fields.Char(readonly=True)
    backend_id = fields.Many2one("plant.sync.backend", readonly=True)
    exception_id = fields.Many2one("plant.sync.exception", readonly=True)
    res_model = fields.Char(string="Odoo Model", readonly=True)
    res_id = fields.Many2oneReference(string="Record ID", model_field="res_model", readonly=True)
    status = fields.Selection(STATUSES, readonly=True)

    @api.model
    def _blocker_covered_models(self):
        """Models whose records the flow addons list themselves (extend it)."""
        return []

    @api.model
    def _blocker_queries(self):
        """The parts of the view (extend it). This addon's part: the open exceptions with a
        value at stake or owned by finance (a missing status mapping does not block the close;
        the documents of the flow addons' parts bring their own exceptions)."""
        covered = self._blocker_covered_models() or [""]
        return [
            SQL(
                """
                SELECT e.id * 16 AS id, 'exception' AS source, e.name AS name,
                       e.company_id AS company_id,
                       coalesce(e.posting_period, to_char(e.create_date, 'YYYY-MM')) AS period,
                       coalesce(e.document_date, e.create_date::date) AS date,
                       coalesce(e.amount, 0) AS amount, e.currency_id AS currency_id,
                       e.cost_center AS cost_center, e.backend_id AS backend_id,
                       e.id AS exception_id, e.res_model AS res_model, e.res_id AS res_id,
                       'exception' AS status
                  FROM plant_sync_exception e
                 WHERE e.state IN ('new', 'in_progress')
                   AND (e.owner_group = 'finance' OR coalesce(e.amount, 0) <> 0)
                   AND (e.res_model IS NULL OR e.res_model <> ALL(%s::varchar[]))
                """,
                covered,
            )
        ]

    def init(self):
        # after every model of the module being installed has its columns
        self.pool.post_init(self._create_view)

    def _create_view(self):
        drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                SQL(" UNION ALL ").join(self._blocker_queries()),
            )
        )

    def action_open_document(self):
        """Button: the exception of the line (where it is worked) when the user may read it,
        else the document — always with the user's own rights."""
        self.ensure_one()
        self.check_access("read")
        document = None
        if self.res_model in self.env and self.res_id:
            document = self.env[self.res_model].browse(self.res_id).exists()
        target = self.exception_id
        if not target or (document and not target.has_access("read")):
            target = document
        if not target:
            raise UserError(self.env._("There is nothing to open for this line."))
        target.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": target._name,
            "res_id": target.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
