# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, fields, models
from odoo.addons.plant_sync_base.exceptions import MissingMapping
from odoo.addons.plant_sync_base.tools import check_engine_fields

from ..tools import FLOW_GOODS_MOVEMENT, location_plant_sloc

_logger = logging.getLogger(__name__)

SAP_STATES = [
    ("none", "Not for SAP"),
    ("pending", "Waiting"),
    ("held", "Held (mapping)"),
    ("posted", "Posted"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
    ("reversed", "Reversed"),
]
#: what the SAP posting of a move is and became: written by the trigger, the storno button and
#: the flow (flows/sap_goods_movement.py) only (a forged message link would keep a consumption
#: out of SAP)
SAP_MOVE_FIELDS = frozenset(
    {
        "sap_movement_kind",
        "sap_order_number",
        "sap_movement_type",
        "sap_material_document",
        "sap_material_document_year",
        "sap_message_id",
        "sap_reversal",
        "sap_requisition_id",
    }
)
MESSAGE_TO_SAP_STATE = {
    "pending": "pending",
    "sent": "pending",
    "held": "held",
    "done": "posted",
    "failed": "failed",
    "cancelled": "cancelled",
}


class StockMove(models.Model):
    _name = "stock.move"
    _inherit = ["stock.move", "plant.sync.bound.mixin"]

    maintenance_request_id = fields.Many2one(
        related="picking_id.maintenance_request_id", store=True, index="btree_not_null"
    )
    sap_movement_kind = fields.Selection(
        [("issue", "Goods issue"), ("return", "Return"), ("reverse", "Reversal (storno)")],
        string="SAP Booking",
        readonly=True,
        copy=False,
    )
    sap_order_number = fields.Char(string="SAP Order", readonly=True, copy=False)
    sap_movement_type = fields.Char(string="SAP Movement Type", readonly=True, copy=False)
    sap_material_document = fields.Char(
        string="SAP Material Document", readonly=True, copy=False, index="btree_not_null"
    )
    sap_material_document_year = fields.Char(string="SAP Document Year", readonly=True, copy=False)
    sap_message_id = fields.Many2one(
        "plant.sync.message", string="SAP Message", readonly=True, copy=False
    )
    sap_reversal = fields.Boolean(
        string="SAP Reversal", readonly=True, copy=False, help="Storno of a goods issue."
    )
    sap_reversal_move_ids = fields.One2many(
        "stock.move", compute="_compute_sap_reversal_move_ids", string="SAP Reversals"
    )
    sap_state = fields.Selection(SAP_STATES, string="SAP State", compute="_compute_sap_state")
    sap_requisition_id = fields.Many2one(
        "stock.sap.requisition",
        string="SAP Requisition",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="Receipt of goods SAP received for this requisition.",
    )

    @api.depends("returned_move_ids.sap_reversal")
    def _compute_sap_reversal_move_ids(self):
        for move in self:
            move.sap_reversal_move_ids = move.returned_move_ids.filtered("sap_reversal")

    @api.depends(
        "sap_movement_kind",
        "sap_message_id.state",
        "returned_move_ids.sap_reversal",
        "returned_move_ids.sap_message_id.state",
    )
    def _compute_sap_state(self):
        for move in self:
            if not move.sap_movement_kind or not move.sap_message_id:
                move.sap_state = "none"  # not for SAP, or no enabled flow took it
                continue
            state = MESSAGE_TO_SAP_STATE.get(move.sap_message_id.state, "cancelled")
            if state == "posted" and move.returned_move_ids.filtered(
                lambda m: m.sap_reversal and m.sap_message_id.state == "done"
            ):
                state = "reversed"
            move.sap_state = state

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_engine_fields(self, vals, SAP_MOVE_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        check_engine_fields(self, vals, SAP_MOVE_FIELDS)
        return super().write(vals)

    # ---------------------------------------------------------------------------------------
    # trigger: a done consumption move is posted to SAP
    # ---------------------------------------------------------------------------------------
    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        moves.filtered(lambda m: m.state == "done")._stock_sap_enqueue()
        return moves

    def _stock_sap_detect_kind(self):
        self.ensure_one()
        if self.sap_reversal and self.origin_returned_move_id.sap_movement_kind == "issue":
            return "reverse"
        source, dest = self.location_id, self.location_dest_id
        if dest.sap_consumption and source.usage == "internal":
            return "issue"
        if source.sap_consumption and dest.usage == "internal":
            return "return"
        return False

    def _stock_sap_stock_location(self):
        """The mapped (SAP plant/storage location) side of the move."""
        self.ensure_one()
        return self.location_id if self.sap_movement_kind == "issue" else self.location_dest_id

    def _stock_sap_is_critical(self):
        self.ensure_one()
        # the technician booking the parts may not follow the request's equipment (Odoo shows
        # plain maintenance users their followed equipment only): the flag is read for him
        equipment = self.maintenance_request_id.sudo().equipment_id
        return bool(self.product_id.sap_critical or equipment.sap_critical)

    def _stock_sap_enqueue(self):
        """Create the goods movement message of each consumption / return / storno move.

        One message per move (key: the move), one per storno (key: the reversed move): a
        replayed trigger returns the existing message. Critical parts are scheduled at once
        even when the flow sends routine consumption in scheduled batches."""
        Message = self.env["plant.sync.message"]
        Flow = self.env["plant.sync.flow"]
        for move in self:
            if move.sap_message_id:
                continue
            kind = move._stock_sap_detect_kind()
            if not kind:
                continue
            origin = move.origin_returned_move_id
            order = (
                move.picking_id.sap_order_number
                if kind == "issue"
                else origin.sap_order_number or move.picking_id.sap_order_number
            )
            move.sudo().write({"sap_movement_kind": kind, "sap_order_number": order or False})
            if kind == "reverse":
                origin_message = origin.sap_message_id
                if not origin_message:
                    continue  # the goods issue never went to SAP: nothing to reverse
                if origin_message.state == "held" or (
                    origin_message.state == "pending" and not origin_message.attempts
                ):
                    # never reached SAP: withdraw it instead of posting and reversing
                    origin_message.sudo()._cancel(
                        self.env._("Consumption reversed in Odoo before it was posted.")
                    )
                    continue
            payload = {
                "move": move.id,
                "kind": kind,
                "product": move.product_id.default_code or move.product_id.display_name,
                "quantity": move.quantity,
                "uom": move.product_uom.name,
                "order": order or "",
                "location": move._stock_sap_stock_location().complete_name,
                "reversed_move": origin.id if kind == "reverse" else False,
            }
            key = ("reverse", origin.id) if kind == "reverse" else ("move", move.id)
            critical = move._stock_sap_is_critical()
            for flow in Flow._find(FLOW_GOODS_MOVEMENT, company=move.company_id):
                plant, _sloc = location_plant_sloc(
                    flow.backend_id, move._stock_sap_stock_location(), raise_missing=False
                )
                messages = Message._enqueue(flow, move, payload, key, plant=plant or None)
                if critical and flow.mode == "batch":
                    messages.sudo().filtered(
                        lambda m: m.state == "pending" and not m.job_uuid
                    )._schedule()
                if messages:
                    move.sudo().sap_message_id = messages[:1]

    def _stock_sap_cost_center(self, backend):
        """Cost center of a consumption without order: the request's SAP cost center (when
        maintenance_sap_bridge keeps one), else mapped from the equipment, the maintenance team
        or the consumption location. Missing: the message is held on the
        most specific of them until the mapping exists."""
        self.ensure_one()
        Mapping = self.env["plant.sync.mapping"]
        request = self.maintenance_request_id
        if "sap_cost_center" in request._fields and request.sap_cost_center:
            return request.sap_cost_center  # kept by maintenance_sap_bridge from the SAP order
        consumption = (
            self.location_dest_id if self.sap_movement_kind == "issue" else (self.location_id)
        )
        candidates = [r for r in (request.equipment_id, request.maintenance_team_id) if r]
        candidates.append(consumption)
        for record in candidates:
            value = Mapping._to_external(backend, "cost_center", record, default="")
            if value:
                return value
        raise MissingMapping("cost_center", candidates[0], "outbound", backend.id)

    def _plant_sync_accounting_values(self, backend):
        """Document date and cost center of the move for the exception queue (finance
        filters on them): the move's date; the request's SAP cost center, else the mapped
        one (none while the mapping is missing)."""
        self.ensure_one()
        cost_center = False
        if backend and self.sap_movement_kind:
            try:
                cost_center = self._stock_sap_cost_center(backend)
            except MissingMapping:
                cost_center = False
        return {"date": self.date, "cost_center": cost_center}
