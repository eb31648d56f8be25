# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.addons.plant_sync_base.exceptions import MissingMapping


class MaintenanceEquipment(models.Model):
    """Asset ↔ equipment crosswalk: a ``plant.sync.binding`` per (CMMS backend, asset number),
    unique in the database; the equipment form shows the CMMS asset numbers."""

    _name = "maintenance.equipment"
    _inherit = ["maintenance.equipment", "plant.sync.bound.mixin"]

    downtime_event_ids = fields.One2many(
        "plant.downtime.event", "equipment_id", string="Downtime Events"
    )
    downtime_event_count = fields.Integer(compute="_compute_downtime_event_count")

    def _compute_downtime_event_count(self):
        counts = {}
        if self.ids:
            counts = dict(
                self.env["plant.downtime.event"]._read_group(
                    [("equipment_id", "in", self.ids)], ["equipment_id"], ["__count"]
                )
            )
        for equipment in self:
            equipment.downtime_event_count = counts.get(equipment, 0)

    def action_open_downtime_events(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cmms_connector.action_plant_downtime_event"
        )
        action["domain"] = [("equipment_id", "=", self.id)]
        return action

    @api.model
    def _cmms_equipment_for(self, backend, assetnum, location=None, description=None):
        """The equipment of CMMS asset ``assetnum``: its binding, else an equipment mapping
        (type ``cmms_equipment``), else the one equipment whose serial number is the asset
        number, else a new equipment (when the backend creates unknown equipment). Otherwise
        MissingMapping holds the message until an equipment mapping is saved."""
        backend.ensure_one()
        assetnum = str(assetnum)
        backend._lock("cmms_asset", assetnum)
        equipment = backend._record_for(self._name, assetnum)
        if equipment:
            return equipment
        Equipment = self.sudo()
        mapped = self.env["plant.sync.mapping"]._to_odoo(
            backend, "cmms_equipment", assetnum, default=""
        )
        if isinstance(mapped, models.BaseModel) and mapped._name == self._name:
            equipment = mapped
        if not equipment:
            candidates = Equipment.search(
                [
                    ("serial_no", "=", assetnum),
                    ("company_id", "in", (backend.company_id.id, False)),
                ],
                limit=2,
            )
            if len(candidates) == 1 and not backend._external_id_for(candidates):
                equipment = candidates
        if not equipment and backend.cmms_create_equipment:
            equipment = Equipment.with_context(mail_create_nolog=True).create(
                {
                    "name": description or assetnum,
                    "serial_no": assetnum,
                    "location": location or False,
                    "company_id": backend.company_id.id,
                }
            )
        if not equipment:
            raise MissingMapping("cmms_equipment", assetnum, "inbound", backend.id)
        backend._bind(equipment, assetnum)
        return equipment.with_env(self.env)

    @api.model
    def _cmms_import_asset(self, backend, asset):
        """Crosswalk one CMMS asset record (Maximo lean ``mxapiasset`` JSON)."""
        assetnum = asset.get("assetnum")
        equipment = self._cmms_equipment_for(
            backend,
            assetnum,
            location=asset.get("location"),
            description=asset.get("description"),
        )
        vals = {}
        if asset.get("description") and equipment.name != asset["description"]:
            vals["name"] = asset["description"]
        if asset.get("location") and equipment.location != asset["location"]:
            vals["location"] = asset["location"]
        if vals:
            equipment.sudo().with_context(**backend._import_context()).write(vals)
        backend._bind(equipment, assetnum, asset.get("_rowstamp") or None)
        return equipment
