# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError

OPEN_STATES = ("new", "in_progress")
DEFAULT_OWNER = {
    "technical": "admin",
    "mapping": "admin",
    "validation": "planner",
    "business": "planner",
}


class PlantSyncException(models.Model):
    """The exception queue humans work: one open exception per message, kept in sync with it
    (a successful retry resolves it, a new failure updates it)."""

    _name = "plant.sync.exception"
    _description = "Plant Sync Exception"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state_sequence, create_date desc, id desc"

    name = fields.Char(string="Summary", required=True, tracking=True)
    message_id = fields.Many2one(
        "plant.sync.message", string="Sync Message", index=True, ondelete="cascade", readonly=True
    )
    backend_id = fields.Many2one("plant.sync.backend", index=True, readonly=True)
    flow_id = fields.Many2one("plant.sync.flow", index=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", index=True, default=lambda self: self.env.company, readonly=True
    )
    category = fields.Selection(
        [
            ("technical", "Technical"),
            ("mapping", "Mapping"),
            ("validation", "Validation"),
            ("business", "Business"),
        ],
        required=True,
        default="technical",
        tracking=True,
    )
    owner_group = fields.Selection(
        [("admin", "Integration Admin"), ("planner", "Planner"), ("finance", "Finance")],
        required=True,
        default="admin",
        tracking=True,
        help="Who works this exception: the queue of each team only shows its own.",
    )
    state = fields.Selection(
        [
            ("new", "New"),
            ("in_progress", "In Progress"),
            ("resolved", "Resolved"),
            ("cancelled", "Cancelled"),
        ],
        default="new",
        required=True,
        index=True,
        tracking=True,
    )
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    user_id = fields.Many2one("res.users", string="Assigned To", tracking=True, index=True)
    description = fields.Text(string="What happened")
    technical_detail = fields.Text()
    amount = fields.Monetary(string="Amount at Stake", currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    res_model = fields.Char(string="Odoo Model", index=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Odoo Record ID", model_field="res_model", readonly=True
    )
    res_ref = fields.Reference(
        selection="_selection_res_ref", string="Odoo Record", compute="_compute_res_ref"
    )
    message_state = fields.Selection(related="message_id.state", string="Message State")
    attempts = fields.Integer(related="message_id.attempts")
    resolution_note = fields.Text(tracking=True)
    date_resolved = fields.Datetime(readonly=True)
    occurrences = fields.Integer(default=1, readonly=True)

    def init(self):
        # one open exception per message, enforced by the database
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS plant_sync_exception_open_message_uniq "
            "ON plant_sync_exception (message_id) "
            "WHERE state IN ('new', 'in_progress') AND message_id IS NOT NULL"
        )

    @api.depends("state")
    def _compute_state_sequence(self):
        order = {"new": 1, "in_progress": 2, "resolved": 3, "cancelled": 4}
        for exc in self:
            exc.state_sequence = order.get(exc.state, 9)

    @api.model
    def _selection_res_ref(self):
        return [(m.model, m.name) for m in self.env["ir.model"].sudo().search([])]

    @api.depends("res_model", "res_id")
    def _compute_res_ref(self):
        for exc in self:
            if exc.res_model in self.env and exc.res_id:
                exc.res_ref = f"{exc.res_model},{exc.res_id}"
            else:
                exc.res_ref = False

    # ---------------------------------------------------------------------------------------
    # raising exceptions (engine and addons)
    # ---------------------------------------------------------------------------------------
    @api.model
    def _raise_for_message(
        self,
        message,
        category,
        human,
        technical="",
        amount=None,
        currency=None,
        owner_group=None,
    ):
        """Create, or update, the open exception of ``message``."""
        message = message.sudo()
        Exception_ = self.sudo()
        vals = {
            "name": (human or "").splitlines()[0][:200] if human else message.display_name,
            "category": category,
            "owner_group": owner_group or DEFAULT_OWNER.get(category, "admin"),
            "description": human,
            "technical_detail": technical,
        }
        if amount is not None:
            vals["amount"] = amount
        if currency:
            vals["currency_id"] = self._currency_id(currency)
        existing = Exception_.search(
            [("message_id", "=", message.id), ("state", "in", OPEN_STATES)], limit=1
        )
        if existing:
            existing.write(dict(vals, state="new", occurrences=existing.occurrences + 1))
            existing.message_post(body=human, subtype_xmlid="mail.mt_note")
            return existing
        vals.update(
            message_id=message.id,
            backend_id=message.backend_id.id,
            flow_id=message.flow_id.id,
            company_id=message.company_id.id,
            res_model=message.res_model,
            res_id=message.res_id,
        )
        return Exception_.with_context(mail_create_nosubscribe=True).create(vals)

    @api.model
    def report(
        self,
        human,
        *,
        category="business",
        owner_group=None,
        record=None,
        backend=None,
        amount=None,
        currency=None,
        technical="",
        message=None,
    ):
        """Raise an exception for humans without failing anything (e.g. an unmatched material
        consumption found during an import). With ``message``, the message's open exception is
        updated instead of creating a second one."""
        if message:
            return self._raise_for_message(
                message, category, human, technical, amount, currency, owner_group
            )
        vals = {
            "name": human.splitlines()[0][:200],
            "description": human,
            "technical_detail": technical,
            "category": category,
            "owner_group": owner_group or DEFAULT_OWNER.get(category, "admin"),
            "backend_id": backend.id if backend else False,
            "company_id": (
                backend.company_id
                if backend
                else (record.company_id if record and "company_id" in record._fields else None)
                or self.env.company
            ).id,
        }
        if record:
            vals.update(res_model=record._name, res_id=record.id)
        if amount is not None:
            vals["amount"] = amount
        if currency:
            vals["currency_id"] = self._currency_id(currency)
        return self.sudo().with_context(mail_create_nosubscribe=True).create(vals)

    @api.model
    def _currency_id(self, code):
        currency = (
            self.env["res.currency"]
            .sudo()
            .with_context(active_test=False)
            .search([("name", "=", code)], limit=1)
        )
        return currency.id or self.env.company.currency_id.id

    def _resolve(self, note):
        todo = self.filtered(lambda e: e.state in OPEN_STATES)
        todo.write(
            {"state": "resolved", "resolution_note": note, "date_resolved": fields.Datetime.now()}
        )
        return todo

    def _cancel(self, reason):
        todo = self.filtered(lambda e: e.state in OPEN_STATES)
        todo.write(
            {
                "state": "cancelled",
                "resolution_note": reason,
                "date_resolved": fields.Datetime.now(),
            }
        )
        for exc in todo:
            exc.message_post(body=reason, subtype_xmlid="mail.mt_note")
        return todo

    # ---------------------------------------------------------------------------------------
    # actions
    # ---------------------------------------------------------------------------------------
    def action_retry(self):
        """Retry the messages of the selected exceptions (from the form or the list)."""
        self.check_access("write")
        todo = self.filtered(lambda e: e.state in OPEN_STATES)
        with_message = todo.filtered("message_id")
        if not with_message:
            raise UserError(self.env._("Only exceptions of a sync message can be retried."))
        with_message.message_id.action_retry()
        for exc in with_message:
            exc.message_post(
                body=self.env._("Retry requested by %(user)s", user=self.env.user.name),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_start(self):
        self.check_access("write")
        self.filtered(lambda e: e.state == "new").write(
            {"state": "in_progress", "user_id": self.env.uid}
        )

    def action_resolve(self):
        self.check_access("write")
        self._resolve(self.env._("Marked resolved by %(user)s", user=self.env.user.name))

    def action_cancel_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "plant.sync.exception.cancel",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def action_open_record(self):
        self.ensure_one()
        if not self.res_ref:
            raise UserError(self.env._("This exception is not about an Odoo record."))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def action_open_message(self):
        self.ensure_one()
        return self.message_id.related_action_open_message()
