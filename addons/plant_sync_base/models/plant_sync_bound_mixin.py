# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..tools import import_flag


class PlantSyncBoundMixin(models.AbstractModel):
    """Inherit on business models (maintenance.request, maintenance.equipment, stock.move,
    purchase.order...) so that their forms show the external references, and so that export
    triggers have one-line helpers."""

    _name = "plant.sync.bound.mixin"
    _description = "Plant Sync: records bound to external documents"

    plant_sync_binding_ids = fields.Many2many(
        "plant.sync.binding",
        string="External References",
        compute="_compute_plant_sync_bindings",
        compute_sudo=True,
    )
    plant_sync_external_ref = fields.Char(
        string="External Reference",
        compute="_compute_plant_sync_bindings",
        search="_search_plant_sync_external_ref",
        compute_sudo=True,
        help="Numbers of this record in SAP / CMMS (one per backend).",
    )

    def _compute_plant_sync_bindings(self):
        Binding = self.env["plant.sync.binding"].sudo()
        by_record = {}
        if self.ids:
            for binding in Binding.search(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)]
            ):
                by_record.setdefault(binding.res_id, Binding)
                by_record[binding.res_id] |= binding
        for record in self:
            bindings = by_record.get(record.id, Binding)
            record.plant_sync_binding_ids = bindings
            record.plant_sync_external_ref = ", ".join(
                bindings.mapped(lambda b: f"{b.external_id} ({b.backend_id.name})")
            )

    @api.model
    def _search_plant_sync_external_ref(self, operator, value):
        if operator not in ("=", "ilike", "like", "=ilike", "=like", "in"):
            operator = "ilike"
        bindings = (
            self.env["plant.sync.binding"]
            .sudo()
            .search([("res_model", "=", self._name), ("external_id", operator, value)])
        )
        return [("id", "in", bindings.mapped("res_id"))]

    # external numbers shown as fields, stored once: in the bindings ------------------------
    def _plant_sync_numbers(self, doc_type, kinds=None):
        """``{record id: external id}`` of the records' ``doc_type`` bindings (on backends of
        ``kinds``): what compute methods of number fields such as ``sap_order_number`` read."""
        if not self.ids:
            return {}
        domain = [
            ("res_model", "=", self._name),
            ("res_id", "in", self.ids),
            ("doc_type", "=", doc_type),
        ]
        if kinds:
            domain.append(("backend_id.kind", "in", list(kinds)))
        bindings = self.env["plant.sync.binding"].sudo().search(domain, order="id")
        return {b.res_id: b.external_id for b in bindings}

    @api.model
    def _plant_sync_search_number(self, doc_type, operator, value, kinds=None):
        """Search method of a number field computed from ``doc_type`` bindings."""
        domain = [("res_model", "=", self._name), ("doc_type", "=", doc_type)]
        if kinds:
            domain.append(("backend_id.kind", "in", list(kinds)))
        Binding = self.env["plant.sync.binding"].sudo()
        if value is False or value is None:
            bound = Binding.search(domain).mapped("res_id")
            return [("id", "not in" if operator == "=" else "in", bound)]
        negative = operator in ("!=", "not in", "not ilike", "not like")
        positive = {"!=": "=", "not in": "in", "not ilike": "ilike", "not like": "like"}
        if operator not in ("=", "in", "ilike", "like", "=ilike", "=like", *positive):
            operator = "ilike"
        domain.append(("external_id", positive.get(operator, operator), value))
        return [("id", "not in" if negative else "in", Binding.search(domain).mapped("res_id"))]

    def _plant_sync_external_id(self, backend):
        """External id of this record on ``backend`` (or False)."""
        self.ensure_one()
        return self.env["plant.sync.binding"]._external_id_for(backend, self)

    def _plant_sync_is_import(self, backend=None, kinds=None):
        """True while data received from ``backend`` (or any backend, or any backend of one of
        ``kinds``) is being written. No echo is per backend: an SAP trigger asks with
        ``kinds=SAP kinds`` so that a CMMS import still reaches SAP. Only the flag engine code
        sets counts (``tools.import_flag``): a caller's context cannot suppress an export."""
        flag = import_flag(self.env)
        if not flag:
            return False
        if flag is True:
            return True
        if backend is not None:
            return flag == backend.id
        if kinds:
            return self.env["plant.sync.backend"].sudo().browse(flag).kind in kinds
        return True

    def _plant_sync_enqueue(self, flow, payload, key_parts, **kwargs):
        """Shortcut of ``plant.sync.message._enqueue`` for each record of ``self``."""
        Message = self.env["plant.sync.message"]
        messages = Message
        for record in self:
            messages |= Message._enqueue(flow, record, payload, key_parts, **kwargs)
        return messages
