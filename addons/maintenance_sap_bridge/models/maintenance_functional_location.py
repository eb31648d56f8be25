# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class MaintenanceFunctionalLocation(models.Model):
    """SAP functional location (TPLNR): where equipment is installed. Imported from SAP."""

    _name = "maintenance.functional.location"
    _description = "Functional Location (SAP)"
    _order = "code"
    _rec_names_search = ["code", "name"]
    _check_company_auto = True

    code = fields.Char(required=True, index=True, readonly=True)
    name = fields.Char(string="Description")
    category = fields.Char(readonly=True)
    plant = fields.Char(string="Maintenance Plant", readonly=True)
    parent_id = fields.Many2one(
        "maintenance.functional.location",
        string="Superior Location",
        index="btree_not_null",
        check_company=True,
        ondelete="set null",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    equipment_ids = fields.One2many("maintenance.equipment", "sap_functional_location_id")
    equipment_count = fields.Integer(compute="_compute_equipment_count")
    active = fields.Boolean(default=True)
    sap_last_sync = fields.Datetime(string="Last Sync", readonly=True)

    _sql_constraints = [
        (
            "code_company_unique",
            "UNIQUE (code, company_id)",
            "A functional location exists once per company.",
        ),
    ]

    @api.depends("code", "name")
    def _compute_display_name(self):
        for location in self:
            location.display_name = (
                f"{location.code} {location.name}"
                if location.name and location.name != location.code
                else location.code
            )

    def _compute_equipment_count(self):
        counts = dict(
            self.env["maintenance.equipment"]._read_group(
                [("sap_functional_location_id", "in", self.ids)],
                ["sap_functional_location_id"],
                ["__count"],
            )
        )
        for location in self:
            location.equipment_count = counts.get(location, 0)

    @api.model
    def _sap_get_or_create(self, company, codes):
        """Locations by code for ``company``; unknown codes get a stub (filled by the next
        functional location page)."""
        codes = sorted({c for c in codes if c})
        if not codes:
            return {}
        Location = self.sudo().with_context(active_test=False)
        found = {
            loc.code: loc
            for loc in Location.search([("code", "in", codes), ("company_id", "=", company.id)])
        }
        missing = [c for c in codes if c not in found]
        if missing:
            created = Location.create(
                [{"code": c, "name": c, "company_id": company.id} for c in missing]
            )
            found.update({loc.code: loc for loc in created})
        return found

    @api.model
    def _sap_import(self, backend, rows):
        """Upsert functional locations of one page (batch create, write only what changed)."""
        company = backend.company_id
        Location = self.sudo().with_context(active_test=False, **backend._import_context())
        rows = [r for r in rows if (r.get("id") or "").strip()]
        for code in sorted({r["id"] for r in rows}):
            backend._lock("functional_location", code)
        existing = {
            loc.code: loc
            for loc in Location.search(
                [("code", "in", [r["id"] for r in rows]), ("company_id", "=", company.id)]
            )
        }
        now = fields.Datetime.now()
        to_create, stats = [], {"created": 0, "updated": 0, "unchanged": 0}
        pending_parents = []
        for row in rows:
            vals = {
                "name": row.get("description") or row["id"],
                "category": row.get("category") or False,
                "plant": row.get("maintenance_plant") or False,
            }
            location = existing.get(row["id"])
            if location is None:
                to_create.append(dict(vals, code=row["id"], company_id=company.id))
            else:
                diff = _diff(location, vals)
                if location.name == location.code and vals["name"] == location.code:
                    diff.pop("name", None)
                if diff:
                    location.write(dict(diff, sap_last_sync=now))
                    stats["updated"] += 1
                else:
                    stats["unchanged"] += 1
            if row.get("superior"):
                pending_parents.append((row["id"], row["superior"]))
        if to_create:
            created = Location.create([dict(v, sap_last_sync=now) for v in to_create])
            existing.update({loc.code: loc for loc in created})
            stats["created"] = len(created)
        if pending_parents:
            parents = self._sap_get_or_create(company, [p for _c, p in pending_parents])
            for code, parent_code in pending_parents:
                location, parent = existing[code], parents[parent_code]
                if location.parent_id != parent:
                    location.parent_id = parent
        return stats


def _diff(record, vals):
    """The part of ``vals`` that differs from ``record`` (Many2one compared by id; empty
    strings and False are equal)."""
    diff = {}
    for name, value in vals.items():
        field = record._fields[name]
        current = record[name]
        if field.type == "many2one":
            current = current.id
        if (current or False) != (value or False):
            diff[name] = value
    return diff
