# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .sap_tools import FLOW_CONFIRMATION

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
            "CHECK (hours > 0 OR (final AND hours = 0))",
            "Worked hours must be positive (zero only for a final confirmation).",
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
    LOCKED_FIELDS = {"hours", "date", "operation_id", "technician_id", "request_id", "final"}

    def write(self, vals):
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
        drafts = self.filtered(lambda line: line.state == "draft")
        no_approval = drafts.filtered(lambda line: not line._approval_required())
        (drafts - no_approval).write({"state": "to_approve"})
        if no_approval:
            no_approval.sudo().write({"state": "approved"})
            no_approval._enqueue_confirmation()
        return True

    def action_approve(self):
        """Planner: approve submitted hours (segregation of duties: not one's own hours)."""
        if not self.env.su and not self.env.user.has_group(APPROVER_GROUP):
            raise AccessError(self.env._("Only maintenance managers (planners) approve labour."))
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
        self.filtered(lambda line: line.state == "to_approve").write({"state": "draft"})
        return True

    def _enqueue_confirmation(self):
        Message = self.env["plant.sync.message"]
        for line in self:
            Message.enqueue(
                FLOW_CONFIRMATION,
                line,
                {"labour_id": line.id, "request_id": line.request_id.id},
                key_parts=("confirmation", line.id),
            )
