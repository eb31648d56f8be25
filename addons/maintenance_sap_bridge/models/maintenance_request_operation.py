# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class MaintenanceRequestOperation(models.Model):
    """An operation of the SAP maintenance order of a request (the unit SAP confirms time
    against). Filled from SAP when the order is created or pulled."""

    _name = "maintenance.request.operation"
    _description = "Maintenance Order Operation (SAP)"
    _order = "request_id, number, id"

    request_id = fields.Many2one(
        "maintenance.request", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="request_id.company_id", store=True, index=True)
    number = fields.Char(string="Operation", required=True, help="SAP operation number (VORNR)")
    name = fields.Char(string="Description")
    work_center = fields.Char()
    control_key = fields.Char()
    planned_hours = fields.Float()
    labour_ids = fields.One2many("maintenance.request.labour", "operation_id")
    confirmed_hours = fields.Float(compute="_compute_confirmed")
    final_confirmed = fields.Boolean(compute="_compute_confirmed")

    _sql_constraints = [
        (
            "request_number_unique",
            "UNIQUE (request_id, number)",
            "An operation number exists once per request.",
        ),
    ]

    @api.depends("number", "name")
    def _compute_display_name(self):
        for operation in self:
            operation.display_name = " ".join(p for p in (operation.number, operation.name) if p)

    @api.depends("labour_ids.state", "labour_ids.hours", "labour_ids.final")
    def _compute_confirmed(self):
        for operation in self:
            posted = operation.labour_ids.filtered(lambda line: line.state == "posted")
            operation.confirmed_hours = sum(posted.mapped("hours"))
            operation.final_confirmed = any(posted.mapped("final"))
