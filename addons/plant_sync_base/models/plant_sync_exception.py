# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging
import traceback

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from plant_sync import errors

from ..exceptions import MissingConfiguration, MissingMapping, PlantSyncBusinessError
from ..tools import check_engine_fields

_logger = logging.getLogger(__name__)

OPEN_STATES = ("new", "in_progress")
#: what the engine decides: the state (changed by the checked buttons), what the exception is
#: about, and the routing the record rules read (owner_group). People write the rest (assignee,
#: notes, texts).
ENGINE_FIELDS = frozenset(
    {
        "state",
        "message_id",
        "backend_id",
        "flow_id",
        "company_id",
        "category",
        "owner_group",
        "amount",
        "currency_id",
        "res_model",
        "res_id",
        "occurrences",
        "date_resolved",
        "kind",
        "fix_kind",
        "fix_model",
        "fix_res_id",
        "fix_defaults",
        "document_date",
        "cost_center",
        "posting_period",
    }
)
#: what went wrong, in the words of the person who fixes it (see ``_explain``)
KINDS = [
    ("missing_mapping", "Missing mapping"),
    ("missing_link", "Not linked to the remote record"),
    ("configuration", "Set-up missing or wrong"),
    ("authentication", "Logon refused"),
    ("authorization", "Operation not authorised"),
    ("remote_validation", "Rejected by the remote system"),
    ("not_found", "Unknown to the remote system"),
    ("remote_answer", "Unreadable answer"),
    ("transient_exhausted", "Unreachable (retries used up)"),
    ("conflict", "Changed on both sides"),
    ("business", "Business rule"),
    ("odoo_refused", "Refused by Odoo"),
    ("job_failed", "Job stopped"),
    ("unexpected", "Unexpected error"),
]
#: where the fix button leads; the button labels are in the form view
FIX_KINDS = [
    ("mapping", "Create the mapping"),
    ("link", "Link the record"),
    ("record", "Open the record"),
    ("backend", "Open the backend"),
    ("flow", "Open the flow"),
    ("message", "Open the message"),
]
CATEGORY_OF_KIND = {
    "missing_mapping": "mapping",
    "missing_link": "mapping",
    "remote_validation": "validation",
    "not_found": "validation",
    "conflict": "business",
    "business": "business",
}
DEFAULT_OWNER = {
    "technical": "admin",
    "mapping": "admin",
    "validation": "planner",
    "business": "planner",
}


def summary(human):
    """The title of an exception: what happened, without the fix (after " — ") or the detail
    (after the first line), which the description keeps."""
    return human.splitlines()[0].split(" — ")[0][:200] if human else ""


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
        readonly=True,
    )
    owner_group = fields.Selection(
        [("admin", "Integration Admin"), ("planner", "Planner"), ("finance", "Finance")],
        required=True,
        default="admin",
        tracking=True,
        readonly=True,
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
    amount = fields.Monetary(string="Amount at Stake", currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one(
        "res.currency", default=lambda self: self.env.company.currency_id, readonly=True
    )
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
    kind = fields.Selection(KINDS, readonly=True, index=True, help="What went wrong.")
    fix_kind = fields.Selection(FIX_KINDS, readonly=True, help="Where the fix button leads.")
    fix_model = fields.Char(readonly=True)
    fix_res_id = fields.Integer(readonly=True)
    fix_defaults = fields.Text(readonly=True, help="Values the fix form starts with (JSON).")
    fix_button = fields.Selection(
        FIX_KINDS, compute="_compute_fix_button", string="Fix", help="What the fix button opens."
    )
    # --- what finance filters on (from the document: see ``_accounting_values``) -------------
    document_date = fields.Date(
        compute="_compute_accounting",
        store=True,
        readonly=True,
        help="Date of the document the exception is about (its posting date in SAP).",
    )
    cost_center = fields.Char(
        compute="_compute_accounting", store=True, readonly=True, index="btree_not_null"
    )
    posting_period = fields.Char(
        compute="_compute_accounting",
        store=True,
        readonly=True,
        index=True,
        help="YYYY-MM of the document date (of the exception's date when there is none).",
    )

    def init(self):
        # one open exception per message, enforced by the database
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS plant_sync_exception_open_message_uniq "
            "ON plant_sync_exception (message_id) "
            "WHERE state IN ('new', 'in_progress') AND message_id IS NOT NULL"
        )

    @api.depends("res_model", "res_id", "message_id")
    def _compute_accounting(self):
        for exc in self:
            values = exc._accounting_values()
            date = fields.Date.to_date(values.get("date")) or False
            exc.document_date = date
            exc.cost_center = values.get("cost_center") or False
            exc.posting_period = (
                date or fields.Datetime.to_datetime(exc.create_date or fields.Datetime.now())
            ).strftime("%Y-%m")

    def _accounting_values(self):
        """``{"date": document date, "cost_center": SAP cost center}`` of the document the
        exception is about: the record's ``_plant_sync_accounting_values(backend)`` when its
        model has one (the flow addons add it to stock moves, service confirmations...), else
        the ``posting_date``/``document_date``/``date`` and ``cost_center`` of the message's
        payload."""
        self.ensure_one()
        exc = self.sudo()
        values = {}
        record = exc._record_of_key(f"{exc.res_model},{exc.res_id}") if exc.res_model else None
        hook = getattr(record, "_plant_sync_accounting_values", None) if record else None
        if hook is not None:
            try:  # informative only: it never stops an exception from being raised
                with self.env.cr.savepoint(flush=False):
                    values = {k: v for k, v in (hook(exc.backend_id) or {}).items() if v}
            except Exception as error:  # noqa: BLE001
                _logger.info("plant_sync: no accounting values for %s: %s", record, error)
        if exc.message_id and not ("date" in values and "cost_center" in values):
            try:
                payload = exc.message_id._get_payload()
            except errors.ConfigurationError:  # encrypted with a key that is gone
                payload = {}
            if isinstance(payload, dict):
                keys = ("posting_date", "document_date", "date")
                date = next((payload[k] for k in keys if payload.get(k)), None)
                found = {"date": date, "cost_center": payload.get("cost_center")}
                values.update({k: v for k, v in found.items() if v and k not in values})
        if values.get("date"):
            try:
                values["date"] = fields.Date.to_date(str(values["date"])[:10])
            except ValueError:
                values.pop("date")
        return values

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
        kind=None,
        fix=None,
    ):
        """Create, or update, the open exception of ``message``."""
        message = message.sudo()
        Exception_ = self.sudo()
        vals = {
            "name": summary(human) if human else message.display_name,
            "category": category,
            "owner_group": owner_group or DEFAULT_OWNER.get(category, "admin"),
            "description": human,
            "technical_detail": technical,
            **self._fix_values(fix, kind),
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
    def _report(
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
        kind=None,
        fix=None,
        flow=None,
    ):
        """Raise an exception for humans without failing anything (e.g. an unmatched material
        consumption found during an import). With ``message``, the message's open exception is
        updated instead of creating a second one. ``fix``: where the fix button leads (see
        :meth:`_fix_values`; default: the record, else the backend)."""
        if message:
            return self._raise_for_message(
                message, category, human, technical, amount, currency, owner_group, kind, fix
            )
        vals = {
            "name": summary(human),
            "description": human,
            "technical_detail": technical,
            **self._fix_values(fix, kind or ("business" if category == "business" else None)),
            "category": category,
            "owner_group": owner_group or DEFAULT_OWNER.get(category, "admin"),
            "backend_id": backend.id if backend else False,
            "flow_id": flow.id if flow else False,
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

    # ---------------------------------------------------------------------------------------
    # explaining errors in the words of the person who fixes them, with the place of the fix
    # ---------------------------------------------------------------------------------------
    @api.model
    def _fix_values(self, fix, kind=None):
        """Stored form of a fix: ``{"kind": "mapping"|"link"|"record"|"backend"|"flow"|
        "message", "model": "<model>", "res_id": <id>, "defaults": {field: value}}``."""
        vals = {"kind": kind} if kind else {}
        if fix and fix.get("model"):
            defaults = fix.get("defaults")
            vals.update(
                fix_kind=fix.get("kind") or "record",
                fix_model=fix["model"],
                fix_res_id=fix.get("res_id") or 0,
                fix_defaults=json.dumps(defaults, sort_keys=True) if defaults else False,
            )
        return vals

    @api.model
    def _fix_open(self, record, kind="record"):
        """A fix that opens ``record`` (None when there is no record)."""
        if not record:
            return None
        return {"kind": kind, "model": record._name, "res_id": record.id}

    @api.model
    def _fix_mapping(self, backend, mapping_type, direction, odoo_key=None, external=None):
        """A fix that opens a new mapping form with the type, the backend, the direction and
        the value that is missing filled in."""
        defaults = {"mapping_type": mapping_type, "direction": direction}
        if backend:
            defaults["backend_id"] = backend.id
        if external:
            defaults["external_value"] = external
        if odoo_key:
            model, _sep, res_id = odoo_key.partition(",")
            Mapping = self.env["plant.sync.mapping"]
            if res_id.isdigit() and model in dict(Mapping._selection_odoo_ref_models()):
                defaults["odoo_ref"] = odoo_key
            else:
                defaults["odoo_value"] = odoo_key
        return {"kind": "mapping", "model": "plant.sync.mapping", "defaults": defaults}

    @api.model
    def _system_label(self, backend):
        """How users call the other system ('SAP', 'CMMS', the backend's name)."""
        return backend._system_label() if backend else self.env._("the remote system")

    @api.model
    def _record_label(self, record):
        """``Equipment 'Air compressor K-300'``: the model as users name it, then the record."""
        if not record:
            return ""
        model = self.env["ir.model"].sudo()._get(record._name).name or record._name
        return self.env._("%(model)s '%(name)s'", model=model, name=record.sudo().display_name)

    @api.model
    def _record_of_key(self, key):
        """The record of a ``"model,id"`` value (empty/None when it is not one)."""
        model, _sep, res_id = (key or "").partition(",")
        if not res_id.isdigit() or model not in self.env:
            return None
        return self.env[model].sudo().browse(int(res_id)).exists()

    @api.model
    def _then_text(self, direction, pending):
        if not pending:
            return self.env._("the next run uses it")
        if direction == "inbound":
            return self.env._("the waiting message is applied as soon as it is saved")
        return self.env._("the waiting message is sent as soon as it is saved")

    @api.model
    def _explain_missing_mapping(self, exc, backend, pending=True):
        """(kind, human text, fix) of a :class:`MissingMapping`. Addons override it for the
        types whose fix is not a mapping (an equipment without SAP number is linked, not
        mapped)."""
        Mapping = self.env["plant.sync.mapping"]
        labels = dict(Mapping._fields["mapping_type"]._description_selection(self.env))
        type_label = labels.get(exc.mapping_type, exc.mapping_type)
        system = self._system_label(backend)
        then = self._then_text(exc.direction, pending)
        if exc.direction == "inbound":
            human = self.env._(
                "%(system)s %(type)s '%(value)s' has no Odoo counterpart — map it (create the "
                "%(type)s mapping of %(backend)s); %(then)s.",
                system=system,
                type=type_label,
                value=exc.value,
                backend=backend.display_name if backend else system,
                then=then,
            )
            fix = self._fix_mapping(backend, exc.mapping_type, "inbound", external=exc.value)
            return "missing_mapping", human, fix
        record = self._record_of_key(exc.value)
        what = (
            self._record_label(record)
            if record
            else self.env._("%(type)s '%(value)s'", type=type_label, value=exc.value)
        )
        human = self.env._(
            "%(what)s has no %(system)s %(type)s — map it (create the %(type)s mapping of "
            "%(backend)s); %(then)s.",
            what=what,
            system=system,
            type=type_label,
            backend=backend.display_name if backend else system,
            then=then,
        )
        fix = self._fix_mapping(backend, exc.mapping_type, "outbound", odoo_key=exc.value)
        return "missing_mapping", human, fix

    @api.model
    def _explain(
        self,
        exc,
        *,
        backend=None,
        record=None,
        flow=None,
        message=None,
        outcome=None,
        exhausted=False,
        attempts=0,
    ):
        """What went wrong, in the words of the person who fixes it, and where the fix is.

        One place for every kind of failure (missing mapping or link, set-up, logon, rights,
        remote validation, unknown document, unreadable answer, retries used up, conflict,
        business rule, Odoo refusal, unexpected error). The library's text stays in the
        technical detail.

        :return: dict with ``kind``, ``category``, ``owner_group``, ``human``, ``technical``
            and ``fix`` (see :meth:`_fix_values`)
        """
        if message:
            backend = backend or message.backend_id
            flow = flow or message.flow_id
            if record is None:
                record = message._record()
        if flow and not backend:
            backend = flow.backend_id
        outcome = outcome or errors.outcome_of(exc)
        if isinstance(exc, errors.IntegrationError):
            error = exc.human()
        elif isinstance(exc, UserError):
            error = str(exc.args[0] if exc.args else exc)
        else:
            error = str(exc) if exc is not None else outcome.human
        technical = "\n".join(
            part
            for part in (outcome.technical, f"{type(exc).__name__}: {exc}" if exc else "")
            if part
        )
        system = self._system_label(backend)
        backend_name = backend.display_name if backend else system
        subject = (
            self._record_label(record)
            or (message and message.display_name)
            or (flow and flow.display_name)
            or backend_name
        )
        fix_backend = self._fix_open(backend, "backend")
        fix_record = self._fix_open(record) or self._fix_open(flow, "flow") or fix_backend
        owner = None
        if isinstance(exc, MissingMapping):
            kind, human, fix = self._explain_missing_mapping(exc, backend, pending=bool(message))
        elif isinstance(exc, MissingConfiguration):
            kind, human, fix = "configuration", error, exc.fix or fix_backend
        elif exhausted or outcome.transient:
            kind, fix = "transient_exhausted", fix_backend
            human = self.env._(
                "%(backend)s could not be reached after %(attempts)s attempts (%(error)s) — "
                "check that it runs and answers (Test Connection on the backend), then Retry.",
                backend=backend_name,
                attempts=attempts or 1,
                error=error,
            )
        elif isinstance(exc, errors.ConcurrentModification):
            kind, human, fix = "conflict", error, fix_record
        elif isinstance(exc, errors.BusinessRuleError):
            kind, human, fix = "business", error, fix_record
            if isinstance(exc, PlantSyncBusinessError):
                owner = exc.owner_group
        elif isinstance(exc, errors.ValidationError):
            kind, fix = "remote_validation", fix_record
            human = self.env._(
                "%(system)s rejected %(subject)s: %(error)s — correct it in Odoo, then Retry.",
                system=system,
                subject=subject,
                error=error,
            )
        elif isinstance(exc, errors.NotFound):
            kind, fix = "not_found", fix_record
            human = self.env._(
                "%(system)s does not know what %(subject)s refers to: %(error)s — check its "
                "%(system)s numbers (or the backend's service paths), then Retry.",
                system=system,
                subject=subject,
                error=error,
            )
        elif isinstance(exc, errors.AuthenticationError):
            kind, fix = "authentication", fix_backend
            human = self.env._(
                "%(backend)s refused the logon: %(error)s — check the user and password (or "
                "API key, OAuth client) on the backend, then Retry.",
                backend=backend_name,
                error=error,
            )
        elif isinstance(exc, errors.AuthorizationError):
            kind, fix = "authorization", fix_backend
            human = self.env._(
                "%(backend)s accepted the logon but refused the operation: %(error)s — ask the "
                "%(system)s administrators to authorise the backend's user, then Retry.",
                backend=backend_name,
                system=system,
                error=error,
            )
        elif isinstance(exc, errors.ProtocolError):
            kind, fix = "remote_answer", fix_backend
            human = self.env._(
                "%(backend)s answered something that is not a valid %(system)s answer "
                "(%(error)s) — check the backend's base URL (it must point at the %(system)s "
                "service), then Retry.",
                backend=backend_name,
                system=system,
                error=error,
            )
        elif isinstance(exc, errors.ConfigurationError):
            kind, fix = "configuration", fix_backend
            human = self.env._(
                "%(backend)s is not set up correctly: %(error)s — fix the backend settings, "
                "then Retry.",
                backend=backend_name,
                error=error,
            )
        elif isinstance(exc, UserError):
            kind, fix = "odoo_refused", fix_record
            human = self.env._(
                "%(subject)s could not be processed: %(error)s — correct what this names, then "
                "Retry.",
                subject=subject,
                error=error,
            )
        else:
            kind, fix = "unexpected", self._fix_open(flow, "flow") or fix_backend
            human = self.env._(
                "Unexpected error while processing %(subject)s (%(error)s) — Retry; if it "
                "happens again, give the technical detail to your integration administrator.",
                subject=subject,
                error=error,
            )
        category = CATEGORY_OF_KIND.get(kind, "technical")
        return {
            "kind": kind,
            "category": category,
            "owner_group": owner or DEFAULT_OWNER.get(category, "admin"),
            "human": human,
            "technical": technical,
            "fix": fix,
        }

    @api.model
    def _report_error(
        self, exc, *, backend=None, flow=None, record=None, exhausted=False, attempts=0
    ):
        """An error outside a message (a pull job, a reconciliation): explained and raised
        once per flow and text; a repeat counts in ``occurrences``. Never raises."""
        from plant_sync.crypto import redact  # noqa: PLC0415

        backend = backend or (flow.backend_id if flow else None)
        info = self._explain(
            exc, backend=backend, flow=flow, record=record, exhausted=exhausted, attempts=attempts
        )
        secrets = backend._secret_values() if backend else []
        technical = info["technical"]
        if info["kind"] == "unexpected":  # a bug: where it happened is in the detail
            technical += "\n" + "".join(traceback.format_exception(exc))
        human = redact(info["human"], secrets)
        technical = redact(technical, secrets)
        existing = self.sudo().search(
            [
                ("message_id", "=", False),
                ("state", "in", OPEN_STATES),
                ("flow_id", "=", flow.id if flow else False),
                ("backend_id", "=", backend.id if backend else False),
                ("name", "=", summary(human)),
            ],
            limit=1,
        )
        if existing:
            existing.write({"occurrences": existing.occurrences + 1, "technical_detail": technical})
            return existing
        return self._report(
            human,
            category=info["category"],
            owner_group=info["owner_group"],
            record=record,
            backend=backend,
            flow=flow,
            technical=technical,
            kind=info["kind"],
            fix=info["fix"],
        )

    # ---------------------------------------------------------------------------------------
    # guard: the engine raises exceptions and moves their states; people work them through the
    # checked buttons (which write in superuser mode)
    # ---------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Exceptions are raised by the integration only."))
        return super().create(vals_list)

    def write(self, vals):
        check_engine_fields(self, vals, ENGINE_FIELDS)
        return super().write(vals)

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
        with_message.message_id.sudo()._retry()
        for exc in with_message:
            exc.message_post(
                body=self.env._("Retry requested by %(user)s", user=self.env.user.name),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_start(self):
        self.check_access("write")
        self.filtered(lambda e: e.state == "new").sudo().write(
            {"state": "in_progress", "user_id": self.env.uid}
        )

    def action_resolve(self):
        self.check_access("write")
        self.sudo()._resolve(self.env._("Marked resolved by %(user)s", user=self.env.user.name))

    def action_cancel_wizard(self):
        self.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "res_model": "plant.sync.exception.cancel",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def action_open_record(self):
        self.ensure_one()
        self.check_access("read")
        if not self.res_ref:
            raise UserError(self.env._("This exception is not about an Odoo record."))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def action_fix(self):
        """Button: open the place where this exception is solved: the mapping form with the
        missing value filled in, the record to link or correct, the backend, the flow."""
        self.ensure_one()
        self.check_access("read")
        kind, model, res_id, defaults = self._fix_target()
        if not kind:
            raise UserError(self.env._("There is nothing to open for this exception."))
        action = {
            "type": "ir.actions.act_window",
            "res_model": model,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {f"default_{name}": value for name, value in defaults.items()},
        }
        if res_id:
            action["res_id"] = res_id
        return action

    def _fix_target(self):
        """(fix kind, model, record id, defaults): the stored fix, else the record, the flow,
        the backend or the message of the exception."""
        self.ensure_one()
        exc = self.sudo()
        target_ok = exc.fix_model in self.env and (
            not exc.fix_res_id or self.env[exc.fix_model].browse(exc.fix_res_id).exists()
        )
        if exc.fix_kind and target_ok:
            defaults = json.loads(exc.fix_defaults) if exc.fix_defaults else {}
            return exc.fix_kind, exc.fix_model, exc.fix_res_id, defaults
        record = exc.res_ref and exc.res_ref.exists()
        for kind, target in (
            ("record", record),
            ("flow", exc.flow_id),
            ("backend", exc.backend_id),
            ("message", exc.message_id),
        ):
            if target:
                return kind, target._name, target.id, {}
        return False, False, 0, {}

    @api.depends("fix_kind", "fix_model", "fix_res_id", "res_model", "res_id", "flow_id")
    def _compute_fix_button(self):
        for exc in self:
            exc.fix_button = exc._fix_target()[0] if exc.id else False

    def action_open_message(self):
        self.ensure_one()
        self.check_access("read")
        return self.message_id._related_action_open_message()
