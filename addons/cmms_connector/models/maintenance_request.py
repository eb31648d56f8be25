# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib

from odoo import api, fields, models
from odoo.addons.plant_sync_base.tools import (
    IMPORT_CONTEXT_KEY,
    ImportFlag,
    check_engine_fields,
    dumps,
    fill_view_slot,
    import_flag,
)
from odoo.tools import html2plaintext, plaintext2html

from ..flows.common import CODE_FIELDS, to_odoo_datetime
from .plant_sync_backend import CMMS_KINDS

#: fields whose change in Odoo is sent to the CMMS work order
PUSH_TRIGGER_FIELDS = frozenset(
    {
        "stage_id",
        "downtime_start",
        "downtime_end",
        "cmms_failure_class",
        "cmms_problem_code",
        "cmms_cause_code",
        "cmms_remedy_code",
        "duration",
    }
)
#: context key: data being written was received from this CMMS backend (an ``ImportFlag`` of
#: it, honoured in superuser mode only: see ``plant_sync_base.tools.import_flag``)
CMMS_IMPORT_KEY = "cmms_import_backend"
#: what the CMMS said: written by the CMMS flows only
CMMS_REFERENCE_FIELDS = frozenset(
    {"cmms_status", "cmms_work_type", "cmms_labour_hours", "cmms_labour_pushed"}
)
#: fields copied to the downtime event of a request edited in Odoo
DOWNTIME_FIELDS = frozenset(
    {
        "downtime_start",
        "downtime_end",
        "equipment_id",
        "cmms_failure_class",
        "cmms_problem_code",
        "cmms_cause_code",
        "cmms_remedy_code",
    }
)
#: the failure report section of the technician's job form (maintenance_sap_bridge owns the form)
TECHNICIAN_FAILURE = (
    "technician_failure",
    "cmms_connector.maintenance_request_view_form_technician_failure",
)


class MaintenanceRequest(models.Model):
    _name = "maintenance.request"
    _inherit = ["maintenance.request", "plant.sync.bound.mixin", "plant.sync.timeline.mixin"]

    cmms_backend_id = fields.Many2one(
        "plant.sync.backend",
        string="CMMS",
        domain=[("kind", "in", CMMS_KINDS)],
        check_company=True,
        index="btree_not_null",
        tracking=True,
        help="The CMMS this request is synchronised with. Set it on a request created in Odoo "
        "to create the work order in the CMMS.",
    )
    cmms_status = fields.Char(string="CMMS Status", readonly=True, copy=False)
    cmms_work_type = fields.Char(string="CMMS Work Type", readonly=True, copy=False)
    cmms_failure_class = fields.Char(string="Failure Class", copy=False, tracking=True)
    cmms_problem_code = fields.Char(string="Problem Code", copy=False, tracking=True)
    cmms_cause_code = fields.Char(string="Cause Code", copy=False, tracking=True)
    cmms_remedy_code = fields.Char(string="Remedy Code", copy=False, tracking=True)
    downtime_start = fields.Datetime(copy=False, tracking=True)
    downtime_end = fields.Datetime(copy=False, tracking=True)
    downtime_hours = fields.Float(
        compute="_compute_downtime_hours", store=True, string="Downtime (h)", aggregator="sum"
    )
    cmms_labour_hours = fields.Float(
        string="CMMS Labour (h)",
        readonly=True,
        copy=False,
        help="Hours booked in the CMMS (labour transactions).",
    )
    cmms_labour_pushed = fields.Boolean(
        readonly=True, copy=False, help="The Odoo labour of this request was sent to the CMMS."
    )
    downtime_event_ids = fields.One2many(
        "plant.downtime.event", "request_id", string="Downtime Events"
    )

    @api.depends("downtime_start", "downtime_end")
    def _compute_downtime_hours(self):
        for request in self:
            if request.downtime_start and request.downtime_end:
                delta = request.downtime_end - request.downtime_start
                request.downtime_hours = max(delta.total_seconds(), 0.0) / 3600.0
            else:
                request.downtime_hours = 0.0

    # ---------------------------------------------------------------------------------------
    # CMMS -> Odoo
    # ---------------------------------------------------------------------------------------
    @api.model
    def _cmms_import_workorder(self, backend, workorder, message=None):
        """Create or update the request of ``workorder`` (a normalized
        :class:`plant_sync.cmms.WorkOrder`). Serialised per (backend, work order) with an
        advisory lock; skipped when the bound version is already the received one. Raises
        MissingMapping (the message is held) for an unmapped status, priority or asset.

        :return: (request, changed)
        """
        backend.ensure_one()
        wonum = workorder.external_id
        backend._lock("cmms_import", self._name, wonum)
        Binding = self.env["plant.sync.binding"].sudo()
        request = backend._record_for(self._name, wonum)
        if request and workorder.version:
            binding = Binding._binding_for(backend, request)
            if binding.external_version == workorder.version:
                return request, False
        # No echo is per backend: the CMMS flows of this backend ignore this write (own
        # context key), other integrations (SAP through maintenance_sap_bridge) see a normal
        # change. The engine's generic import flag is cleared because triggers that test it
        # without a backend would otherwise drop the SAP side of the chain.
        env_self = self.sudo().with_context(
            **{IMPORT_CONTEXT_KEY: False, CMMS_IMPORT_KEY: ImportFlag(backend.id)},
            mail_create_nolog=True,
        )
        vals = env_self._cmms_values(backend, workorder, request)
        if request:
            request = request.with_env(env_self.env)
            changes = request._cmms_diff(vals)
            if changes:
                request.write(changes)
        else:
            vals.setdefault("company_id", backend.company_id.id)
            vals["cmms_backend_id"] = backend.id
            team = backend.cmms_team_id or self.env["maintenance.team"].sudo().search(
                [("company_id", "in", (backend.company_id.id, False))], limit=1
            )
            if team:
                vals.setdefault("maintenance_team_id", team.id)
            request = env_self.create(vals)
        backend._bind(request, wonum, workorder.version or None)
        self.env["plant.downtime.event"].sudo()._cmms_record(
            backend, request, workorder, message=message
        )
        return request.with_env(self.env), True

    def _cmms_diff(self, vals):
        """Only the values that differ from the record (no empty writes, no tracking noise)."""
        self.ensure_one()
        changes = {}
        for name, value in vals.items():
            field = self._fields[name]
            current = self[name]
            if field.type == "many2one":
                current = current.id
            elif field.type == "html":
                current = html2plaintext(current or "")
                value_cmp = html2plaintext(value or "")
                if current != value_cmp:
                    changes[name] = value
                continue
            if (current or False) != (value or False):
                changes[name] = value
        return changes

    @api.model
    def _cmms_values(self, backend, wo, request=None):
        Mapping = self.env["plant.sync.mapping"]
        vals = {
            "name": wo.title or wo.external_id,
            "cmms_status": wo.status or False,
            "cmms_work_type": wo.work_type or False,
            "downtime_start": to_odoo_datetime(wo.downtime_start),
            "downtime_end": to_odoo_datetime(wo.downtime_end),
            "cmms_labour_hours": sum(line.hours for line in wo.labour),
        }
        if wo.description:
            vals["description"] = plaintext2html(wo.description)
        if wo.reported_at:
            vals["request_date"] = to_odoo_datetime(wo.reported_at).date()
        if wo.target_start:
            vals["schedule_date"] = to_odoo_datetime(wo.target_start)
        if wo.work_type:
            vals["maintenance_type"] = (
                "preventive" if wo.work_type.upper() in ("PM", "PREVENTIVE") else "corrective"
            )
        for name, (field_name, mapping_type) in CODE_FIELDS.items():
            code = getattr(wo, name)
            # failure catalogues are usually shared: a mapping translates, otherwise the code
            # passes through unchanged
            vals[field_name] = (
                Mapping._to_odoo(backend, mapping_type, code, default=code) if code else False
            )
        if wo.status:
            vals["stage_id"] = self._cmms_stage(backend, wo.status).id
        if wo.priority:
            priority = Mapping._to_odoo(backend, "priority", wo.priority)
            vals["priority"] = str(priority if isinstance(priority, str) else priority.id)
        if wo.asset_id:
            equipment = self.env["maintenance.equipment"]._cmms_equipment_for(
                backend, wo.asset_id, location=wo.location
            )
            vals["equipment_id"] = equipment.id
        return vals

    @api.model
    def _cmms_stage(self, backend, status):
        """The maintenance stage of a CMMS status (mapping of type 'status'; a mapping may give
        the stage as a record or as the xml id / name of the stage)."""
        value = self.env["plant.sync.mapping"]._to_odoo(backend, "status", status)
        Stage = self.env["maintenance.stage"].sudo()
        if isinstance(value, models.BaseModel):
            return value
        stage = self.env.ref(value, raise_if_not_found=False) if "." in value else None
        if not stage or stage._name != "maintenance.stage":
            stage = Stage.search([("name", "=ilike", value)], limit=1)
        if not stage:
            from odoo.addons.plant_sync_base.exceptions import MissingMapping  # noqa: PLC0415

            raise MissingMapping("status", status, "inbound", backend.id)
        return stage

    # ---------------------------------------------------------------------------------------
    # Odoo -> CMMS
    # ---------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_engine_fields(self, vals, CMMS_REFERENCE_FIELDS)
        requests = super().create(vals_list)
        requests.filtered("cmms_backend_id")._cmms_enqueue_push()
        if not self._cmms_importing():
            requests.filtered("downtime_start")._downtime_sync()
        return requests

    def write(self, vals):
        check_engine_fields(self, vals, CMMS_REFERENCE_FIELDS)
        res = super().write(vals)
        if PUSH_TRIGGER_FIELDS.intersection(vals):
            self._cmms_enqueue_push()
        if DOWNTIME_FIELDS.intersection(vals) and not self._cmms_importing():
            self._downtime_sync()
        return res

    def _cmms_importing(self, backend=None):
        """True while data received from ``backend`` (any CMMS or engine import when None)
        is written. Only the flags engine code sets count (not a caller's context)."""
        flag = import_flag(self.env, CMMS_IMPORT_KEY)
        if backend is None:
            return bool(flag) or bool(import_flag(self.env))
        return flag in (True, backend.id) or self._plant_sync_is_import(backend)

    def _downtime_sync(self):
        """Downtime entered in Odoo feeds the downtime events too: the request's event is
        updated (a CMMS event keeps its lineage; the push sends the change to the CMMS), or an
        event with source 'odoo' is created. Imports record their events themselves."""
        Event = self.env["plant.downtime.event"].sudo()
        for request in self.filtered("downtime_start"):
            vals = {
                "equipment_id": request.equipment_id.id,
                "date_start": request.downtime_start,
                "date_end": request.downtime_end
                if request.downtime_end and request.downtime_end >= request.downtime_start
                else False,
                "failure_class": request.cmms_failure_class or False,
                "problem_code": request.cmms_problem_code or False,
                "cause_code": request.cmms_cause_code or False,
                "remedy_code": request.cmms_remedy_code or False,
            }
            event = Event.search([("request_id", "=", request.id)], order="id desc", limit=1)
            if event:
                event.write(vals)
            else:
                Event.create(
                    dict(
                        vals,
                        company_id=request.company_id.id,
                        request_id=request.id,
                        source_system="odoo",
                        source_external_id=f"{request._name},{request.id}",
                    )
                )

    def _cmms_push_backends(self):
        """CMMS backends this request is synchronised with (bound or chosen)."""
        self.ensure_one()
        bindings = (
            self.env["plant.sync.binding"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "=", self.id),
                    ("backend_id.kind", "in", CMMS_KINDS),
                ]
            )
        )
        return bindings.backend_id | self.sudo().cmms_backend_id

    def _cmms_push_snapshot(self):
        self.ensure_one()
        return {
            "stage": self.stage_id.id,
            "downtime_start": self.downtime_start,
            "downtime_end": self.downtime_end,
            "codes": [self[field_name] for field_name, _type in CODE_FIELDS.values()],
            "duration": self.duration,
        }

    def _cmms_enqueue_push(self):
        """One ``cmms_wo_push`` message per CMMS of each request and state of its pushed
        fields (the work order sent is built by ``flows/cmms_wo_push.py`` when it runs)."""
        Message = self.env["plant.sync.message"]
        for request in self:
            for backend in request._cmms_push_backends():
                if request._cmms_importing(backend):
                    continue  # data just received from this CMMS is not sent back (no echo)
                snapshot = dumps(request._cmms_push_snapshot())
                digest = hashlib.sha256(snapshot.encode()).hexdigest()[:16]
                Message._enqueue(
                    "cmms_wo_push",
                    request,
                    {"request": request.id, "state": snapshot},
                    key_parts=("push", request.id, str(request.write_date), digest),
                    backend=backend,
                )

    # ---------------------------------------------------------------------------------------
    # the technician's failure report (phone) and the timeline
    # ---------------------------------------------------------------------------------------
    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """The failure report section of the technician's job form (an empty
        ``technician_failure`` slot of a form of another addon: maintenance_sap_bridge)."""
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type == "form":
            fill_view_slot(self.env, arch, *TECHNICIAN_FAILURE)
        return arch, view

    def action_downtime_start_now(self):
        """Technician: the machine stopped now (downtime start, sent to the CMMS)."""
        self.ensure_one()
        self.check_access("write")
        self.write({"downtime_start": fields.Datetime.now(), "downtime_end": False})
        return True

    def action_downtime_end_now(self):
        """Technician: the machine runs again now (downtime end)."""
        self.ensure_one()
        self.check_access("write")
        now = fields.Datetime.now()
        self.write({"downtime_start": self.downtime_start or now, "downtime_end": now})
        return True

    def _plant_sync_timeline_message_step(self, message, title=None, number=None):
        titles = {
            "cmms_wo_push": self.env._("CMMS work order sent"),
            "cmms_wo_pull": self.env._("CMMS work order received"),
            "cmms_webhook": self.env._("CMMS work order event"),
        }
        if title is None and message.flow_code in titles:
            title = titles[message.flow_code]
            if not number:
                number = message.external_id or message.backend_id._external_id_for(self) or ""
        return super()._plant_sync_timeline_message_step(message, title=title, number=number)
