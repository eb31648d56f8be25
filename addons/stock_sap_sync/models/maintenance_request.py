# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.addons.plant_sync_base.tools import fill_view_slot
from odoo.exceptions import UserError
from odoo.tools import float_round

from ..tools import FLOW_GOODS_MOVEMENT, FLOW_REQUISITION

#: the parts section of the technician's job form (maintenance_sap_bridge owns the form)
TECHNICIAN_PARTS = (
    "technician_parts",
    "stock_sap_sync.maintenance_request_view_form_technician_parts",
)
READINESS = [
    ("none", "No planned parts"),
    ("ready", "Parts ready"),
    ("short", "Parts short"),
    ("critical", "Critical part short"),
]


class MaintenanceRequest(models.Model):
    _name = "maintenance.request"
    _inherit = ["maintenance.request", "plant.sync.bound.mixin", "plant.sync.timeline.mixin"]

    picking_ids = fields.One2many(
        "stock.picking", "maintenance_request_id", string="Part Transfers"
    )
    picking_count = fields.Integer(compute="_compute_stock_sap_counts")
    sap_requisition_ids = fields.One2many(
        "stock.sap.requisition", "maintenance_request_id", string="Part Requisitions"
    )
    sap_requisition_count = fields.Integer(compute="_compute_stock_sap_counts")
    planned_part_ids = fields.One2many(
        "maintenance.request.part", "request_id", string="Planned Parts", copy=True
    )
    parts_readiness = fields.Selection(
        READINESS,
        compute="_compute_parts_readiness",
        help="Spare-part readiness of the job: can it be released?",
    )
    parts_readiness_note = fields.Char(string="Short Parts", compute="_compute_parts_readiness")
    parts_booked_summary = fields.Text(
        string="Parts Booked",
        compute="_compute_parts_booked_summary",
        compute_sudo=True,
        help="Spare parts consumed on this job (done transfers).",
    )

    @api.depends("picking_ids", "sap_requisition_ids")
    def _compute_stock_sap_counts(self):
        # counted from the records the user may read: a planner without stock rights (who sees
        # the requisition button) must still open the request
        pickings = self.env["stock.picking"].has_access("read")
        requisitions = self.env["stock.sap.requisition"].has_access("read")
        for request in self:
            request.picking_count = len(request.picking_ids) if pickings else 0
            request.sap_requisition_count = len(request.sap_requisition_ids) if requisitions else 0

    @api.depends(
        "planned_part_ids.availability",
        "planned_part_ids.qty_available",
        "planned_part_ids.quantity",
    )
    def _compute_parts_readiness(self):
        for request in self:
            parts = request.planned_part_ids
            short = parts.filtered(lambda p: p.availability in ("short", "critical"))
            if not parts:
                request.parts_readiness = "none"
            elif short.filtered(lambda p: p.availability == "critical"):
                request.parts_readiness = "critical"
            elif short:
                request.parts_readiness = "short"
            else:
                request.parts_readiness = "ready"
            request.parts_readiness_note = (
                "; ".join(part._short_text() for part in short.sorted(lambda p: not p.critical))
                or False
            )

    @api.depends("picking_ids.state")
    def _compute_parts_booked_summary(self):
        for request in self:
            moves = request.picking_ids.move_ids.filtered(
                lambda m: m.state == "done" and m.location_dest_id.usage != "internal"
            )
            request.parts_booked_summary = (
                "\n".join(
                    f"{float_round(m.quantity, precision_rounding=m.product_uom.rounding):g} "
                    f"{m.product_uom.name} {m.product_id.display_name}"
                    for m in moves
                )
                or False
            )

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """The parts section of the technician's job form (an empty ``technician_parts``
        slot of a form of another addon: maintenance_sap_bridge)."""
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type == "form":
            fill_view_slot(self.env, arch, *TECHNICIAN_PARTS)
        return arch, view

    def _stock_sap_order_number(self):
        """The SAP maintenance order parts are issued against: the order number that
        maintenance_sap_bridge keeps on the request when it is installed (no hard dependency)."""
        self.ensure_one()
        if "sap_order_number" in self._fields:
            return self.sap_order_number or False
        return False

    def _stock_sap_is_breakdown(self):
        self.ensure_one()
        return self.maintenance_type == "corrective" and (
            self.priority == "3" or bool(self.equipment_id.sap_critical)
        )

    def action_consume_parts(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Consume Parts"),
            "res_model": "maintenance.consume.parts",
            "view_mode": "form",
            "target": "new",
            "context": {"default_request_id": self.id},
        }

    def action_request_parts(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Request Parts from SAP"),
            "res_model": "stock.sap.requisition",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_maintenance_request_id": self.id,
                "default_urgency": "breakdown" if self._stock_sap_is_breakdown() else "normal",
                "default_origin": self.name,
            },
        }

    def action_view_part_transfers(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.action_picking_tree_all")
        action["domain"] = [("maintenance_request_id", "=", self.id)]
        action["context"] = {"default_maintenance_request_id": self.id}
        return action

    def action_view_part_requisitions(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock_sap_sync.action_stock_sap_requisition"
        )
        action["domain"] = [("maintenance_request_id", "=", self.id)]
        action["context"] = {"default_maintenance_request_id": self.id}
        return action

    def action_technician_book_part(self):
        """Technician: book a spare part used on this job (search or scan it), on a form made
        for a phone. The booking itself checks who may book (see the wizard)."""
        self.ensure_one()
        self.check_access("write")
        if self.archive or self.stage_id.done:
            raise UserError(self.env._("%(job)s is finished.", job=self.display_name))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Book a Part"),
            "res_model": "maintenance.consume.parts",
            "view_mode": "form",
            "views": [
                (
                    self.env.ref("stock_sap_sync.maintenance_consume_parts_view_form_mobile").id,
                    "form",
                )
            ],
            "target": "new",
            "context": {"default_request_id": self.id},
        }

    # ---------------------------------------------------------------------------------------
    # the cross-system timeline: goods issues, requisitions, purchase orders
    # ---------------------------------------------------------------------------------------
    def _plant_sync_timeline_messages(self):
        messages = super()._plant_sync_timeline_messages()
        request = self.sudo()
        Message = self.env["plant.sync.message"].sudo()
        moves = self.env["stock.move"].sudo().search([("maintenance_request_id", "=", self.id)])
        if moves:
            messages |= Message.search(
                [("res_model", "=", "stock.move"), ("res_id", "in", moves.ids)], order="id"
            )
        if request.sap_requisition_ids:
            messages |= Message.search(
                [
                    ("res_model", "=", "stock.sap.requisition"),
                    ("res_id", "in", request.sap_requisition_ids.ids),
                ],
                order="id",
            )
        return messages

    def _plant_sync_timeline_message_step(self, message, title=None, number=None):
        if title is None and message.flow_code == FLOW_GOODS_MOVEMENT:
            move = self.env["stock.move"].sudo().browse(message.res_id).exists()
            kind = dict(move._fields["sap_movement_kind"]._description_selection(self.env))
            title = self.env._(
                "SAP %(kind)s: %(qty)s %(unit)s %(part)s",
                kind=(kind.get(move.sap_movement_kind) or self.env._("goods movement")).lower(),
                qty=f"{move.quantity:g}",
                unit=move.product_uom.name or "",
                part=move.product_id.display_name or "",
            )
            number = move.sap_material_document or message.external_id or ""
        elif title is None and message.flow_code == FLOW_REQUISITION:
            requisition = self.env["stock.sap.requisition"].sudo().browse(message.res_id).exists()
            title = self.env._(
                "SAP purchase requisition: %(qty)s %(part)s",
                qty=f"{requisition.product_qty:g}",
                part=requisition.product_id.display_name or "",
            )
            number = requisition.sap_pr_number or message.external_id or ""
        return super()._plant_sync_timeline_message_step(message, title=title, number=number)

    def _plant_sync_timeline_steps(self):
        steps = super()._plant_sync_timeline_steps()
        for requisition in self.sudo().sap_requisition_ids.filtered("sap_po_number"):
            steps.append(
                self._plant_sync_timeline_step(
                    date=requisition.po_changed_at or requisition.write_date,
                    system="SAP",
                    title=self.env._(
                        "SAP purchase order: %(qty)s %(part)s from %(vendor)s",
                        qty=f"{requisition.po_quantity:g}",
                        part=requisition.product_id.display_name or "",
                        vendor=requisition.partner_id.name or requisition.vendor_code or "?",
                    ),
                    number=requisition.sap_po_number,
                    state="done" if requisition.state == "received" else "info",
                    sequence=80,
                )
            )
        return steps

    def _plant_sync_timeline_waiting(self, steps):
        waiting = super()._plant_sync_timeline_waiting(steps)
        request = self.sudo()
        for requisition in request.sap_requisition_ids:
            if requisition.state == "requested":
                waiting.append(
                    self.env._(
                        "SAP purchasing: a purchase order for requisition %(pr)s",
                        pr=requisition.sap_pr_number,
                    )
                )
            elif requisition.state == "ordered" and requisition.open_qty:
                waiting.append(
                    self.env._(
                        "Vendor: delivery of %(qty)s %(part)s (PO %(po)s)",
                        qty=f"{requisition.open_qty:g}",
                        part=requisition.product_id.display_name,
                        po=requisition.sap_po_number,
                    )
                )
        if not (request.stage_id.done or request.archive) and request.parts_readiness in (
            "short",
            "critical",
        ):
            waiting.append(
                self.env._("Store: parts short: %(parts)s", parts=request.parts_readiness_note)
            )
        return waiting
