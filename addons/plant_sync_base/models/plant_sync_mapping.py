# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..exceptions import MissingMapping, value_key

OUTBOUND = ("both", "outbound")
INBOUND = ("both", "inbound")


class PlantSyncMapping(models.Model):
    """Value maps administrators maintain: Odoo value (text or record) <-> external value."""

    _name = "plant.sync.mapping"
    _description = "Plant Sync Value Mapping"
    _order = "mapping_type, backend_id, external_value, id"

    backend_id = fields.Many2one(
        "plant.sync.backend",
        ondelete="cascade",
        index=True,
        help="Empty: the mapping applies to every backend (a backend-specific one wins).",
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        readonly=False,
        index=True,
        precompute=True,
    )
    mapping_type = fields.Selection(
        [
            ("status", "Status"),
            ("priority", "Priority"),
            ("uom", "Unit of Measure"),
            ("plant", "Plant"),
            ("location", "Storage Location / Stock Location"),
            ("cost_center", "Cost Center"),
            ("failure_code", "Failure Code"),
            ("damage_code", "Damage Code"),
            ("cause_code", "Cause Code"),
            ("movement_type", "Movement Type"),
            ("technician", "Technician / Personnel Number"),
            ("work_center", "Work Center"),
        ],
        string="Type",
        required=True,
        index=True,
    )
    direction = fields.Selection(
        [("both", "Both ways"), ("outbound", "Odoo → external"), ("inbound", "External → Odoo")],
        required=True,
        default="both",
    )
    odoo_value = fields.Char(help="Odoo side as text (a selection key, a code...).")
    odoo_ref = fields.Reference(
        selection="_selection_odoo_ref_models",
        string="Odoo Record",
        help="Odoo side as a record (stock location, unit of measure, employee...).",
    )
    odoo_key = fields.Char(compute="_compute_odoo_key", store=True, index=True)
    external_value = fields.Char(required=True, index=True)
    external_label = fields.Char(string="Description")
    active = fields.Boolean(default=True)

    @api.model
    def _selection_odoo_ref_models(self):
        """Models a mapping may point to; addons extend the list in
        ``_plant_sync_mapping_models``."""
        # each model once (several addons may name the same model; the web client refuses a
        # selection with duplicate keys)
        models_ = list(dict.fromkeys(self._plant_sync_mapping_models()))
        names = {
            m.model: m.name for m in self.env["ir.model"].sudo().search([("model", "in", models_)])
        }
        return [(m, names[m]) for m in models_ if m in names]

    @api.model
    def _plant_sync_mapping_models(self):
        return [
            "stock.location",
            "stock.warehouse",
            "uom.uom",
            "res.users",
            "hr.employee",
            "res.partner",
            "maintenance.stage",
            "maintenance.team",
            "maintenance.equipment.category",
            "account.analytic.account",
            "res.company",
        ]

    @api.depends("backend_id")
    def _compute_company_id(self):
        for mapping in self:
            mapping.company_id = mapping.backend_id.company_id or mapping.company_id

    @api.depends("odoo_value", "odoo_ref")
    def _compute_odoo_key(self):
        for mapping in self:
            mapping.odoo_key = (
                value_key(mapping.odoo_ref) if mapping.odoo_ref else (mapping.odoo_value or "")
            )

    @api.depends("mapping_type", "odoo_key", "external_value")
    def _compute_display_name(self):
        labels = dict(self._fields["mapping_type"]._description_selection(self.env))
        for mapping in self:
            odoo_side = mapping.odoo_ref.display_name if mapping.odoo_ref else mapping.odoo_value
            mapping.display_name = (
                f"{labels.get(mapping.mapping_type, '')}: {odoo_side or ''} ↔ "
                f"{mapping.external_value or ''}"
            )

    @api.constrains("odoo_value", "odoo_ref")
    def _check_odoo_side(self):
        for mapping in self:
            if not mapping.odoo_value and not mapping.odoo_ref:
                raise ValidationError(
                    self.env._("A mapping needs an Odoo value or an Odoo record.")
                )

    @api.constrains("backend_id", "mapping_type", "direction", "odoo_key", "external_value")
    def _check_unambiguous(self):
        """Same type + Odoo value twice for outbound, or same type + external value twice for
        inbound, would make the translation ambiguous."""
        for mapping in self.filtered("active"):
            base = [
                ("id", "!=", mapping.id),
                ("backend_id", "=", mapping.backend_id.id),
                ("mapping_type", "=", mapping.mapping_type),
            ]
            if mapping.direction in OUTBOUND and self.search_count(
                base + [("direction", "in", OUTBOUND), ("odoo_key", "=", mapping.odoo_key)]
            ):
                raise ValidationError(
                    self.env._(
                        "Ambiguous mapping: %(mapping)s maps an Odoo value already mapped "
                        "outbound.",
                        mapping=mapping.display_name,
                    )
                )
            if mapping.direction in INBOUND and self.search_count(
                base
                + [("direction", "in", INBOUND), ("external_value", "=", mapping.external_value)]
            ):
                raise ValidationError(
                    self.env._(
                        "Ambiguous mapping: %(mapping)s maps an external value already mapped "
                        "inbound.",
                        mapping=mapping.display_name,
                    )
                )

    # ---------------------------------------------------------------------------------------
    # lookups (the contract)
    # ---------------------------------------------------------------------------------------
    def _lookup(self, backend, mapping_type, field_name, key, directions):
        domain = [
            ("mapping_type", "=", mapping_type),
            ("direction", "in", directions),
            (field_name, "=", key),
            ("backend_id", "in", [backend.id, False] if backend else [False]),
        ]
        candidates = self.sudo().search(domain)
        # a backend-specific mapping wins over a global one
        return candidates.sorted(lambda m: not m.backend_id)[:1]

    @api.model
    def _to_external(self, backend, mapping_type, value, default=None):
        """External value for the Odoo ``value`` (text or record). Raises
        :class:`MissingMapping` (the engine holds the message) unless ``default`` is given."""
        key = value_key(value)
        mapping = self._lookup(backend, mapping_type, "odoo_key", key, OUTBOUND)
        if mapping:
            return mapping.external_value
        if default is not None:
            return default
        raise MissingMapping(mapping_type, key, "outbound", backend.id if backend else None)

    @api.model
    def _to_odoo(self, backend, mapping_type, external_value, default=None):
        """Odoo record (when the mapping points to one) or text for ``external_value``."""
        mapping = self._lookup(
            backend, mapping_type, "external_value", str(external_value), INBOUND
        )
        if mapping:
            return mapping.odoo_ref if mapping.odoo_ref else mapping.odoo_value
        if default is not None:
            return default
        raise MissingMapping(
            mapping_type, str(external_value), "inbound", backend.id if backend else None
        )

    # ---------------------------------------------------------------------------------------
    # releasing held messages
    # ---------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        mappings = super().create(vals_list)
        mappings._release_held_messages()
        return mappings

    def write(self, vals):
        res = super().write(vals)
        self._release_held_messages()
        return res

    def _release_held_messages(self):
        Message = self.env["plant.sync.message"].sudo()
        for mapping in self.filtered("active"):
            domain = [("state", "=", "held"), ("hold_mapping_type", "=", mapping.mapping_type)]
            if mapping.backend_id:
                domain.append(("backend_id", "=", mapping.backend_id.id))
            values = []
            if mapping.direction in OUTBOUND:
                values.append(("outbound", mapping.odoo_key))
            if mapping.direction in INBOUND:
                values.append(("inbound", mapping.external_value))
            held = Message.browse()
            for direction, value in values:
                held |= Message.search(
                    domain + [("hold_direction", "=", direction), ("hold_value", "=", value)]
                )
            held._release()
