# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class PlantSyncBinding(models.Model):
    """Link between an Odoo record and its document in an external system.

    Unique in the database on (backend, model, external id) and on (backend, model, record), like
    connector-jira's bindings; the records themselves show the references through
    ``plant.sync.bound.mixin``.
    """

    _name = "plant.sync.binding"
    _description = "Plant Sync Binding (external reference)"
    _order = "last_sync desc, id desc"
    _rec_name = "external_id"

    backend_id = fields.Many2one(
        "plant.sync.backend", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="backend_id.company_id", store=True, index=True, precompute=True
    )
    res_model = fields.Char(string="Odoo Model", required=True, index=True)
    res_id = fields.Many2oneReference(
        string="Odoo Record ID", model_field="res_model", required=True, index=True
    )
    res_ref = fields.Reference(
        selection="_selection_res_ref", string="Odoo Record", compute="_compute_res_ref"
    )
    external_id = fields.Char(string="External ID", required=True, index=True)
    external_version = fields.Char(string="External Version / ETag")
    last_sync = fields.Datetime(default=fields.Datetime.now)

    _sql_constraints = [
        (
            "external_unique",
            "UNIQUE (backend_id, res_model, external_id)",
            "This external document is already bound to another record.",
        ),
        (
            "record_unique",
            "UNIQUE (backend_id, res_model, res_id)",
            "This record is already bound to another external document.",
        ),
    ]

    @api.model
    def _selection_res_ref(self):
        return [(m.model, m.name) for m in self.env["ir.model"].sudo().search([])]

    @api.depends("res_model", "res_id")
    def _compute_res_ref(self):
        for binding in self:
            if binding.res_model in self.env and binding.res_id:
                binding.res_ref = f"{binding.res_model},{binding.res_id}"
            else:
                binding.res_ref = False

    @api.depends("external_id", "backend_id")
    def _compute_display_name(self):
        for binding in self:
            binding.display_name = f"{binding.external_id} ({binding.backend_id.name})"

    # ---------------------------------------------------------------------------------------
    # helpers (the contract: see readme/USAGE.md)
    # ---------------------------------------------------------------------------------------
    @api.model
    def _bind(self, backend, record, external_id, version=None):
        """Create or update the binding of ``record`` to ``external_id`` on ``backend``.

        Serialised per (backend, model, external id) with an advisory lock, so two concurrent
        imports of the same document do not race. Raises ValidationError when the external id
        is already bound to another record of the same model.
        """
        record.ensure_one()
        backend.ensure_one()
        external_id = str(external_id)
        backend._lock("binding", record._name, external_id)
        Binding = self.sudo()
        # one query for both questions: is the record bound, is the external id taken?
        found = Binding.search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", record._name),
                "|",
                ("res_id", "=", record.id),
                ("external_id", "=", external_id),
            ]
        )
        other = found.filtered(lambda b: b.external_id == external_id and b.res_id != record.id)
        if other:
            raise ValidationError(
                self.env._(
                    "%(external)s is already bound to %(model)s #%(id)s on %(backend)s.",
                    external=external_id,
                    model=record._name,
                    id=other[0].res_id,
                    backend=backend.display_name,
                )
            )
        binding = found.filtered(lambda b: b.res_id == record.id)
        vals = {
            "external_id": external_id,
            "external_version": version or False,
            "last_sync": fields.Datetime.now(),
        }
        if binding:
            binding.write(vals)
        else:
            binding = Binding.create(
                dict(vals, backend_id=backend.id, res_model=record._name, res_id=record.id)
            )
        return binding

    @api.model
    def _binding_for(self, backend, record):
        return self.sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
            ],
            limit=1,
        )

    @api.model
    def _external_id_for(self, backend, record):
        """External id of ``record`` on ``backend`` or False."""
        return self._binding_for(backend, record).external_id or False

    @api.model
    def _record_for(self, backend, model, external_id):
        """The Odoo record of ``model`` bound to ``external_id`` (empty recordset if none)."""
        binding = self.sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", model),
                ("external_id", "=", str(external_id)),
            ],
            limit=1,
        )
        return self.env[model].browse(binding.res_id).exists() if binding else self.env[model]

    def action_open_record(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
