# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, fields, models
from odoo.addons.plant_sync_base.exceptions import value_key
from odoo.exceptions import UserError

from ..sap_tools import FLOW_NOTIFICATION, PUSH_FLOWS, SAP_KINDS
from .maintenance_functional_location import _diff

_logger = logging.getLogger(__name__)


class MaintenanceEquipment(models.Model):
    _name = "maintenance.equipment"
    _inherit = ["maintenance.equipment", "plant.sync.bound.mixin"]

    sap_equipment_number = fields.Char(
        string="SAP Equipment",
        compute="_compute_sap_equipment_number",
        inverse="_inverse_sap_equipment_number",
        search="_search_sap_equipment_number",
        copy=False,
        help="Equipment number in SAP (stored once, as the equipment's binding on its SAP "
        "systems). Set by the master data pull; setting it by hand links this equipment to the "
        "SAP equipment (and releases requests held for it).",
    )
    sap_functional_location_id = fields.Many2one(
        "maintenance.functional.location",
        string="Functional Location",
        index="btree_not_null",
        check_company=True,
        ondelete="set null",
    )
    sap_plant = fields.Char(string="SAP Maintenance Plant", copy=False)
    sap_work_center = fields.Char(string="SAP Work Center", copy=False)
    sap_object_type = fields.Char(string="SAP Object Type", readonly=True, copy=False)
    sap_manufacturer = fields.Char(string="Manufacturer", copy=False)
    sap_last_sync = fields.Datetime(string="Last SAP Sync", readonly=True, copy=False)

    def _compute_sap_equipment_number(self):
        numbers = self._plant_sync_numbers("main", SAP_KINDS)
        for equipment in self:
            equipment.sap_equipment_number = numbers.get(equipment.id, False)

    def _search_sap_equipment_number(self, operator, value):
        return self._plant_sync_search_number("main", operator, value, SAP_KINDS)

    def _inverse_sap_equipment_number(self):
        """A number typed by hand links the equipment on the SAP systems of its company."""
        values = [(e, e.sap_equipment_number) for e in self]
        Binding = self.env["plant.sync.binding"].sudo()
        for equipment, number in values:
            backends = equipment._sap_backends()
            if not backends and number:
                raise UserError(
                    self.env._(
                        "No SAP system is set up for %(company)s: add it under Plant "
                        "Integration > Backends, then link %(equipment)s to its SAP equipment.",
                        company=(equipment.company_id or self.env.company).name,
                        equipment=equipment.display_name,
                    )
                )
            for backend in backends:
                if number:
                    backend._bind(equipment, number)
                else:
                    Binding._unbind(backend, equipment)
            if number:
                equipment._sap_release_held()

    def _sap_backends(self):
        """SAP backends of the equipment's company: those with a maintenance push flow enabled,
        else every active one."""
        self.ensure_one()
        company = self.company_id or self.env.company
        flows = self.env["plant.sync.flow"].sudo()._find(FLOW_NOTIFICATION, company=company)
        return flows.backend_id or self.env["plant.sync.backend"].sudo().search(
            [("kind", "in", SAP_KINDS), ("company_id", "=", company.id)]
        )

    def _sap_release_held(self):
        """Requests held because their equipment was not in SAP go on once it is."""
        Message = self.env["plant.sync.message"].sudo()
        held = Message.search(
            [
                ("state", "=", "held"),
                ("hold_mapping_type", "=", "equipment"),
                ("hold_value", "in", [value_key(e) for e in self]),
                ("flow_code", "in", PUSH_FLOWS),
            ]
        )
        return held._release()

    # ---------------------------------------------------------------------------------------
    # import (one page of SAP equipment)
    # ---------------------------------------------------------------------------------------
    @api.model
    def _sap_import(self, backend, rows):
        """Upsert one page of SAP equipment: bound ones are updated (only what changed), an
        unbound Odoo equipment with the same serial number or name is linked, the rest is
        created in one ``create`` call. Returns counters and the invalid rows."""
        company = backend.company_id
        Equipment = (
            self.sudo()
            .with_company(company)
            .with_context(
                active_test=False,
                tracking_disable=True,
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                **backend._import_context(),
            )
        )
        Binding = self.env["plant.sync.binding"].sudo()
        stats = {"created": 0, "linked": 0, "updated": 0, "unchanged": 0, "invalid": []}
        valid, seen = [], set()
        for row in rows:
            number = (row.get("number") or "").strip()
            if not number:
                stats["invalid"].append({"row": row, "reason": "no equipment number"})
                continue
            if number in seen:
                continue  # the same equipment twice in one page: the first one counts
            seen.add(number)
            valid.append(row)
        if not valid:
            return stats
        numbers = sorted(seen)
        for number in numbers:  # one importer per SAP equipment at a time (bind path's lock)
            backend._lock("binding", self._name, "main", number)
        bound = {
            b.external_id: b.res_id
            for b in Binding.search(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "=", self._name),
                    ("external_id", "in", numbers),
                ]
            )
        }
        records = {
            number: Equipment.browse(res_id)
            for number, res_id in bound.items()
            if Equipment.browse(res_id).exists()
        }
        locations = self.env["maintenance.functional.location"]._sap_get_or_create(
            company, [r.get("functional_location") for r in valid]
        )
        categories = self._sap_categories(company, [r.get("object_type") for r in valid])
        Mapping = self.env["plant.sync.mapping"].sudo()
        teams = {}
        for wc in {r.get("work_center") for r in valid if r.get("work_center")}:
            team = Mapping._to_odoo(backend, "work_center", wc, default=False)
            teams[wc] = team.id if team and team._name == "maintenance.team" else False
        # candidates for linking: unbound Odoo equipment with the same serial number or name
        # (only the candidates' bindings are read: a page costs the same at 50,000 equipment)
        unbound = [r for r in valid if r["number"] not in records]
        serials = [r["serial_number"] for r in unbound if r.get("serial_number")]
        names = [r.get("description") for r in unbound if r.get("description")]
        by_serial_found = Equipment.search([("serial_no", "in", serials)]) if serials else Equipment
        by_name_found = (
            Equipment.search(
                [("name", "in", names), ("company_id", "in", [company.id, False])], order="id"
            )
            if names
            else Equipment
        )
        candidates = by_serial_found | by_name_found
        bound_ids = (
            set(
                Binding.search(
                    [
                        ("backend_id", "=", backend.id),
                        ("res_model", "=", self._name),
                        ("doc_type", "=", "main"),
                        ("res_id", "in", candidates.ids),
                    ]
                ).mapped("res_id")
            )
            if candidates
            else set()
        )
        by_serial = {equipment.serial_no: equipment for equipment in by_serial_found}
        by_name = {}
        for equipment in by_name_found:
            if equipment.id not in bound_ids:
                by_name.setdefault(equipment.name, equipment)
        now = fields.Datetime.now()
        to_create, create_numbers, new_bindings = [], [], []
        used_serials = set()
        for row in valid:
            number = row["number"]
            vals = self._sap_values(row, locations, categories, teams)
            record = records.get(number)
            if record is None:
                serial = row.get("serial_number")
                match = by_serial.get(serial) if serial else None
                if match is None or match.id in bound_ids:
                    match = by_name.get(row.get("description"))
                if match is not None and match.id not in bound_ids:
                    bound_ids.add(match.id)
                    new_bindings.append((match, number))
                    if match.serial_no and match.serial_no != serial:
                        vals.pop("serial_no", None)  # keep the serial of the linked asset
                    diff = _diff(match, vals)
                    match.write(dict(diff, sap_last_sync=now))
                    stats["linked"] += 1
                    continue
                if serial and (serial in by_serial or serial in used_serials):
                    vals["serial_no"] = False  # serial already used by another asset
                used_serials.add(serial)
                vals.update(company_id=company.id, sap_last_sync=now)
                to_create.append(vals)
                create_numbers.append(number)
                continue
            diff = _diff(record, vals)
            if diff:
                record.write(dict(diff, sap_last_sync=now))
                stats["updated"] += 1
            else:
                stats["unchanged"] += 1
        if to_create:
            created = Equipment.create(to_create)
            new_bindings += list(zip(created, create_numbers, strict=True))
            stats["created"] = len(created)
        if new_bindings:
            backend._bind_many(new_bindings)
            linked = self.browse([e.id for e, _n in new_bindings])
            linked.sudo()._sap_release_held()
        return stats

    @api.model
    def _sap_values(self, row, locations, categories, teams):
        location = locations.get(row.get("functional_location") or "")
        vals = {
            "name": row.get("description") or row["number"],
            "serial_no": row.get("serial_number") or False,
            "model": row.get("model") or False,
            "sap_manufacturer": row.get("manufacturer") or False,
            "sap_object_type": row.get("object_type") or False,
            "sap_plant": row.get("maintenance_plant") or row.get("planning_plant") or False,
            "sap_work_center": row.get("work_center") or False,
            "sap_functional_location_id": location.id if location else False,
            "location": location.display_name if location else False,
        }
        category = categories.get(row.get("object_type") or "")
        if category:
            vals["category_id"] = category
        team = teams.get(row.get("work_center") or "")
        if team:
            vals["maintenance_team_id"] = team
        return vals

    @api.model
    def _sap_categories(self, company, object_types):
        """Equipment categories named after the SAP object type (created when missing)."""
        names = sorted({t for t in object_types if t})
        if not names:
            return {}
        Category = self.env["maintenance.equipment.category"].sudo().with_company(company)
        found = {
            c.name: c.id
            for c in Category.search(
                [("name", "in", names), ("company_id", "in", [company.id, False])]
            )
        }
        missing = [n for n in names if n not in found]
        if missing:
            created = Category.with_context(mail_create_nolog=True).create(
                [{"name": n, "company_id": company.id} for n in missing]
            )
            found.update({c.name: c.id for c in created})
        return found
