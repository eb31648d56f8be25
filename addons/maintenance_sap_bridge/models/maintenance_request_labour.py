# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.addons.plant_sync_base.tools import check_engine_fields
from odoo.exceptions import AccessError, UserError, ValidationError

from ..sap_tools import FLOW_CONFIRMATION

APPROVER_GROUP = "maintenance.group_equipment_manager"


class MaintenanceRequestLabour(models.Model):
    """Hours a technician worked on a request. Technicians log and submit them; a planner
    (maintenance manager, never the technician) approves them; the approved lines are posted
    to SAP as time confirmations of the order operation."""

    _name = "maintenance.request.labour"
    _description = "Maintenance Labour (time confirmation)"
    _order = "date desc, id desc"
    _check_company_auto = True

    request_id = fields.Many2one(
        "maintenance.request", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="request_id.company_id", store=True, index=True)
    technician_id = fields.Many2one(
        "res.users", required=True, default=lambda self: self.env.user, index=True
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    hours = fields.Float(required=True)
    operation_id = fields.Many2one(
        "maintenance.request.operation",
        domain="[('request_id', '=', request_id)]",
        help="SAP order operation the time is confirmed against (first operation when empty).",
    )
    final = fields.Boolean(
        string="Final Confirmation",
        help="No remaining work expected on the operation.",
    )
    note = fields.Char()
    date_start = fields.Datetime(
        string="Started", copy=False, help="Timer: when the technician started this work."
    )
    date_end = fields.Datetime(
        string="Stopped", copy=False, help="Timer: when the technician paused or stopped."
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_approve", "To Approve"),
            ("approved", "Approved"),
            ("posted", "Posted"),
        ],
        default="draft",
        required=True,
        readonly=True,
        index=True,
        copy=False,
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    approved_date = fields.Datetime(readonly=True, copy=False)
    sap_confirmation = fields.Char(string="SAP Confirmation", readonly=True, copy=False)
    sap_confirmation_counter = fields.Char(string="Counter", readonly=True, copy=False)
    sap_posted_date = fields.Datetime(string="Posted On", readonly=True, copy=False)

    _sql_constraints = [
        (
            "hours_positive",
            "CHECK (hours > 0 OR (final AND hours = 0) OR (date_start IS NOT NULL AND "
            "date_end IS NULL AND state = 'draft'))",
            "Worked hours must be positive (zero only for a final confirmation or a running "
            "timer).",
        ),
        (
            "timer_order",
            "CHECK (date_end IS NULL OR date_start IS NULL OR date_end >= date_start)",
            "A timer stops after it starts.",
        ),
    ]

    @api.depends("technician_id", "hours", "date")
    def _compute_display_name(self):
        for line in self:
            line.display_name = (
                f"{line.technician_id.name or ''} {line.hours:g} h {line.date or ''}"
            )

    # ---------------------------------------------------------------------------------------
    # protection: what a technician may change
    # ---------------------------------------------------------------------------------------
    LOCKED_FIELDS = {
        "hours",
        "date",
        "operation_id",
        "technician_id",
        "request_id",
        "final",
        "date_start",
        "date_end",
    }
    #: the workflow (state, approver) and what SAP answered: written by the checked buttons and
    #: the flow handler only, in superuser mode (segregation of duties)
    WORKFLOW_FIELDS = frozenset(
        {
            "state",
            "approved_by_id",
            "approved_date",
            "sap_confirmation",
            "sap_confirmation_counter",
            "sap_posted_date",
        }
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_engine_fields(self, vals, self.WORKFLOW_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        check_engine_fields(self, vals, self.WORKFLOW_FIELDS)
        if (
            not self.env.su
            and self.LOCKED_FIELDS & set(vals)
            and self.filtered(lambda line: line.state in ("approved", "posted"))
        ):
            raise UserError(self.env._("Approved or posted labour cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_unposted(self):
        if self.filtered(lambda line: line.state in ("approved", "posted")):
            raise UserError(self.env._("Approved or posted labour cannot be deleted."))

    @api.constrains("operation_id", "request_id")
    def _check_operation(self):
        for line in self:
            if line.operation_id and line.operation_id.request_id != line.request_id:
                raise ValidationError(
                    self.env._("The operation belongs to another maintenance request.")
                )

    # ---------------------------------------------------------------------------------------
    # workflow
    # ---------------------------------------------------------------------------------------
    def _approval_required(self):
        self.ensure_one()
        flow = self.env["plant.sync.flow"].sudo()._find(FLOW_CONFIRMATION, company=self.company_id)
        return not flow or any(flow.mapped("sap_labour_approval"))

    def action_submit(self):
        """Technician: the hours are complete (to approval, or straight to posting when the
        confirmation flow does not require approval)."""
        self.check_access("write")
        return self.sudo()._submit()

    def _timer_stop(self):
        """End the running timers of these lines: the worked time becomes their hours (one
        minute at least)."""
        now = fields.Datetime.now()
        for line in self.filtered(lambda line: line.date_start and not line.date_end):
            seconds = max((now - line.date_start).total_seconds(), 60.0)
            line.write({"date_end": now, "hours": round(seconds / 3600.0, 4)})

    def _submit(self):
        drafts = self.filtered(lambda line: line.state == "draft")
        drafts._timer_stop()
        no_approval = drafts.filtered(lambda line: not line._approval_required())
        (drafts - no_approval).sudo().write({"state": "to_approve"})
        if no_approval:
            no_approval.sudo().write({"state": "approved"})
            no_approval._enqueue_confirmation()
        return True

    def action_approve(self):
        """Planner: approve submitted hours (segregation of duties: not one's own hours)."""
        if not self.env.su and not self.env.user.has_group(APPROVER_GROUP):
            raise AccessError(self.env._("Only maintenance managers (planners) approve labour."))
        self.check_access("write")
        lines = self.filtered(lambda line: line.state == "to_approve")
        if not self.env.su:
            own = lines.filtered(
                lambda line: self.env.user in (line.technician_id | line.create_uid)
            )
            if own:
                raise AccessError(
                    self.env._(
                        "You cannot approve hours you logged yourself (%(lines)s).",
                        lines=", ".join(own.mapped("display_name")),
                    )
                )
        lines.sudo().write(
            {
                "state": "approved",
                "approved_by_id": self.env.uid,
                "approved_date": fields.Datetime.now(),
            }
        )
        lines._enqueue_confirmation()
        lines.request_id._sap_retry_waiting_status()
        return True

    def action_reset_to_draft(self):
        self.check_access("write")
        self.filtered(lambda line: line.state == "to_approve").sudo().write({"state": "draft"})
        return True

    def _enqueue_confirmation(self):
        """The confirmation message carries what was approved (hours, date, operation,
        technician): the handler posts this snapshot, never a later value of the line."""
        Message = self.env["plant.sync.message"]
        for line in self:
            Message._enqueue(
                FLOW_CONFIRMATION,
                line,
                {
                    "labour_id": line.id,
                    "request_id": line.request_id.id,
                    "approved": {
                        "hours": line.hours,
                        "date": fields.Date.to_string(line.date),
                        "operation_id": line.operation_id.id or False,
                        "technician_id": line.technician_id.id,
                        "approved_by_id": line.approved_by_id.id or False,
                    },
                },
                key_parts=("confirmation", line.id),
            )
