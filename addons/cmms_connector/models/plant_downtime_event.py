# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..flows.common import to_odoo_datetime


class PlantDowntimeEvent(models.Model):
    """Downtime & failure feed: one event per stop of an equipment, whichever system reported
    it, with its lineage (source system, source id, received at, the sync message holding the
    raw payload). Graph/pivot ready for MTTR (avg duration of corrective stops) and MTBF (time
    between stops of an equipment)."""

    _name = "plant.downtime.event"
    _description = "Plant Downtime Event"
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    equipment_id = fields.Many2one(
        "maintenance.equipment", index=True, check_company=True, ondelete="set null"
    )
    equipment_category_id = fields.Many2one(
        related="equipment_id.category_id", store=True, string="Equipment Category"
    )
    request_id = fields.Many2one(
        "maintenance.request",
        string="Maintenance Request",
        index=True,
        check_company=True,
        ondelete="set null",
    )
    maintenance_type = fields.Selection(related="request_id.maintenance_type", store=True)
    date_start = fields.Datetime(string="Start", required=True, index=True)
    date_end = fields.Datetime(string="End")
    duration_hours = fields.Float(
        string="Duration (h)",
        compute="_compute_duration_hours",
        store=True,
        aggregator="avg",
        help="End - start in hours; averaged in reports (MTTR).",
    )
    total_hours = fields.Float(
        string="Total Downtime (h)", related="duration_hours", store=True, aggregator="sum"
    )
    is_open = fields.Boolean(compute="_compute_duration_hours", store=True, string="Ongoing")
    failure_class = fields.Char(index="btree_not_null")
    problem_code = fields.Char(index="btree_not_null")
    cause_code = fields.Char(index="btree_not_null")
    remedy_code = fields.Char(index="btree_not_null")
    source_system = fields.Selection(
        [("cmms", "CMMS"), ("sap", "SAP"), ("odoo", "Odoo"), ("other", "Other")],
        required=True,
        default="odoo",
        index=True,
    )
    source_backend_id = fields.Many2one(
        "plant.sync.backend", string="Source Backend", index=True, ondelete="set null"
    )
    source_external_id = fields.Char(string="Source ID", index="btree_not_null")
    source_version = fields.Char(string="Source Version")
    received_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    message_id = fields.Many2one(
        "plant.sync.message",
        string="Sync Message",
        ondelete="set null",
        readonly=True,
        help="The message that carried the raw payload of the last update.",
    )

    _sql_constraints = [
        (
            "source_unique",
            "UNIQUE (source_backend_id, source_external_id)",
            "One downtime event per source document.",
        ),
        (
            "end_after_start",
            "CHECK (date_end IS NULL OR date_end >= date_start)",
            "A stop ends after it starts.",
        ),
    ]

    @api.depends("equipment_id", "date_start", "source_external_id")
    def _compute_name(self):
        for event in self:
            parts = [event.equipment_id.name or "", event.source_external_id or ""]
            event.name = " / ".join(p for p in parts if p) or f"#{event.id or ''}"

    @api.depends("date_start", "date_end")
    def _compute_duration_hours(self):
        for event in self:
            if event.date_start and event.date_end:
                seconds = (event.date_end - event.date_start).total_seconds()
                event.duration_hours = max(seconds, 0.0) / 3600.0
                event.is_open = False
            else:
                event.duration_hours = 0.0
                event.is_open = bool(event.date_start)

    @api.model
    def _cmms_record(self, backend, request, workorder, message=None):
        """Create or update the downtime event of a CMMS work order (one per backend and work
        order number). Work orders without a downtime start carry no event."""
        if not workorder.downtime_start:
            return self.browse()
        end = to_odoo_datetime(workorder.downtime_end)
        start = to_odoo_datetime(workorder.downtime_start)
        vals = {
            "company_id": backend.company_id.id,
            "equipment_id": request.equipment_id.id,
            "request_id": request.id,
            "date_start": start,
            "date_end": end if end and end >= start else False,
            "failure_class": request.cmms_failure_class or False,
            "problem_code": request.cmms_problem_code or False,
            "cause_code": request.cmms_cause_code or False,
            "remedy_code": request.cmms_remedy_code or False,
            "source_system": "cmms",
            "source_backend_id": backend.id,
            "source_external_id": workorder.external_id,
            "source_version": workorder.version or False,
            "received_at": fields.Datetime.now(),
            "message_id": message.id if message else False,
        }
        event = self.search(
            [
                ("source_backend_id", "=", backend.id),
                ("source_external_id", "=", workorder.external_id),
            ],
            limit=1,
        )
        if event:
            event.write(vals)
            return event
        return self.create(vals)

    def action_open_message(self):
        self.ensure_one()
        self.check_access("read")
        self.message_id.check_access("read")
        return self.message_id._related_action_open_message() if self.message_id else False
