# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class PlantSyncBinding(models.Model):
    """Link between an Odoo record and its document in an external system: the one place an
    external number is stored.

    A record has at most one binding per backend and document type (``doc_type``: ``main`` for
    the record's own document, e.g. an equipment; ``sap_notification`` and ``sap_order`` for the
    two SAP documents of a corrective request). Unique in the database on (backend, model, type,
    external id) and on (backend, model, type, record), like connector-jira's bindings. Fields
    such as ``sap_order_number`` are computed from the bindings (``plant.sync.bound.mixin``), and
    every import and export writes them through :meth:`_bind_many`.
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
    doc_type = fields.Char(
        string="Document Type",
        required=True,
        default="main",
        help="Which external document of the record: 'main' for its own document, else e.g. "
        "'sap_notification' or 'sap_order'.",
    )
    external_id = fields.Char(string="External ID", required=True, index=True)
    external_version = fields.Char(string="External Version / ETag")
    last_sync = fields.Datetime(default=fields.Datetime.now)

    _sql_constraints = [
        (
            "external_unique",
            "UNIQUE (backend_id, res_model, doc_type, external_id)",
            "This external document is already bound to another record.",
        ),
        (
            "record_unique",
            "UNIQUE (backend_id, res_model, doc_type, res_id)",
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
    def _bind(self, backend, record, external_id, version=None, doc_type="main"):
        """Create or update the binding of ``record`` to ``external_id`` on ``backend``."""
        record.ensure_one()
        return self._bind_many(backend, [(record, external_id, version)], doc_type=doc_type)

    @api.model
    def _bind_many(self, backend, links, doc_type="main"):
        """Bind each ``(record, external_id[, version])`` of ``links`` (records of one model)
        on ``backend``, in a few queries: the one bind path of imports and exports.

        Serialised per (backend, model, type, external id) with an advisory lock, so two
        concurrent imports of the same document do not race. Raises ValidationError when an
        external id is already bound to another record of the same model. The records' cached
        values are invalidated: the numbers computed from bindings read the new ones.
        """
        backend.ensure_one()
        if not links:
            return self.browse()
        model = links[0][0]._name
        wanted = {}
        for record, external_id, *version in links:
            wanted[record.id] = (str(external_id), version[0] if version else None)
        numbers = sorted({external_id for external_id, _version in wanted.values()})
        for external_id in numbers:
            backend._lock("binding", model, doc_type, external_id)
        Binding = self.sudo()
        found = Binding.search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", model),
                ("doc_type", "=", doc_type),
                "|",
                ("res_id", "in", list(wanted)),
                ("external_id", "in", numbers),
            ]
        )
        owner = {b.external_id: b.res_id for b in found}
        for res_id, (external_id, _version) in wanted.items():
            if owner.setdefault(external_id, res_id) != res_id:
                raise ValidationError(
                    self.env._(
                        "%(external)s is already bound to %(model)s #%(id)s on %(backend)s.",
                        external=external_id,
                        model=model,
                        id=owner[external_id],
                        backend=backend.display_name,
                    )
                )
        now = fields.Datetime.now()
        by_record = {b.res_id: b for b in found if b.res_id in wanted}
        bindings, to_create = Binding, []
        for res_id, (external_id, version) in wanted.items():
            vals = {"external_id": external_id, "external_version": version or False}
            binding = by_record.get(res_id)
            if binding is None:
                to_create.append(
                    dict(
                        vals,
                        backend_id=backend.id,
                        res_model=model,
                        res_id=res_id,
                        doc_type=doc_type,
                        last_sync=now,
                    )
                )
                continue
            if binding.external_id != external_id or (
                version and binding.external_version != version
            ):
                binding.write(dict(vals, last_sync=now))
            bindings |= binding
        bindings |= Binding.create(to_create)
        self.env[model].browse(list(wanted)).invalidate_recordset()
        return bindings

    @api.model
    def _unbind(self, backend, records, doc_type="main"):
        """Forget the ``doc_type`` numbers of ``records`` on ``backend``."""
        self._bindings_of(backend, records, doc_type).unlink()
        records.invalidate_recordset()

    @api.model
    def _bindings_of(self, backend, records, doc_type="main"):
        return self.sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", records._name),
                ("doc_type", "=", doc_type),
                ("res_id", "in", records.ids),
            ]
        )

    @api.model
    def _binding_for(self, backend, record, doc_type="main"):
        return self._bindings_of(backend, record, doc_type)[:1]

    @api.model
    def _external_id_for(self, backend, record, doc_type="main"):
        """External id of ``record`` on ``backend`` or False."""
        return self._binding_for(backend, record, doc_type).external_id or False

    @api.model
    def _record_for(self, backend, model, external_id, doc_type="main"):
        """The Odoo record of ``model`` bound to ``external_id`` (empty recordset if none)."""
        binding = self.sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", model),
                ("doc_type", "=", doc_type),
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
