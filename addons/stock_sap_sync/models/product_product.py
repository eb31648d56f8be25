# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, models

_logger = logging.getLogger(__name__)


class ProductProduct(models.Model):
    _name = "product.product"
    _inherit = ["product.product", "plant.sync.bound.mixin"]

    # ---------------------------------------------------------------------------------------
    # material master import (one page of SAP materials at a time, batch writes)
    # ---------------------------------------------------------------------------------------
    @api.model
    def _stock_sap_import_materials(self, backend, materials, caches=None):
        """Create or update the products of one page of SAP materials.

        Idempotent: products are found through their bindings (one query per page), created
        with one batched ``create`` and bound with one batched binding ``create``; materials
        already up to date are skipped. Invalid materials (no number, unmapped unit) are
        reported to the exception queue and skipped, the page goes on.

        :return: dict of counters (created, updated, skipped, invalid)
        """
        caches = caches if caches is not None else {}
        stats = {"created": 0, "updated": 0, "skipped": 0, "invalid": 0}
        Binding = self.env["plant.sync.binding"].sudo()
        Product = self.sudo().with_context(
            backend._import_context(), tracking_disable=True, mail_create_nolog=True
        )
        by_number = {}
        for material in materials:
            number = (material.number or "").strip()
            if not number:
                stats["invalid"] += 1
                continue
            by_number[number] = material  # the last row of a page wins (no duplicates)
        if not by_number:
            return stats
        bindings = Binding.search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", "product.product"),
                ("external_id", "in", list(by_number)),
            ]
        )
        bound = {b.external_id: b.res_id for b in bindings}
        existing = {
            p.id: p
            for p in Product.with_context(active_test=False).browse(list(bound.values())).exists()
        }
        to_create, numbers_created = [], []
        for number, material in by_number.items():
            vals = self._stock_sap_material_vals(backend, material, caches)
            if vals is None:
                stats["invalid"] += 1
                continue
            product = existing.get(bound.get(number))
            if product:
                # the Odoo unit of a product with history stays; SAP's unit is followed
                # through sap_base_uom_id (quantities are converted)
                vals.pop("uom_id")
                vals.pop("uom_po_id")
                changes = {
                    name: value
                    for name, value in vals.items()
                    if product._stock_sap_differs(name, value)
                }
                if changes:
                    product.write(changes)
                    stats["updated"] += 1
                else:
                    stats["skipped"] += 1
                continue
            vals.update(default_code=number, is_storable=True, type="consu")
            to_create.append(vals)
            numbers_created.append(number)
        if to_create:
            products = Product.create(to_create)
            backend._bind_many(list(zip(products, numbers_created, strict=True)))
            stats["created"] += len(products)
        return stats

    def _stock_sap_differs(self, name, value):
        current = self[name]
        if isinstance(current, models.BaseModel):
            return current.id != value
        if isinstance(current, float):
            return abs(current - (value or 0.0)) > 1e-6
        return (current or False) != (value or False)

    @api.model
    def _stock_sap_material_vals(self, backend, material, caches):
        """Odoo values of one SAP material, or None (reported) when it cannot be imported."""
        Mapping = self.env["plant.sync.mapping"]
        uoms = caches.setdefault("uom", {})
        unit = (material.base_unit or "").strip()
        if unit not in uoms:
            uom = Mapping._to_odoo(backend, "uom", unit, default=False) if unit else False
            uoms[unit] = uom
            if not uom:
                self._stock_sap_report_unmapped_unit(backend, unit, material.number)
        uom = uoms[unit]
        if not uom:
            return None
        vals = {
            "name": (material.description or material.number).strip(),
            "uom_id": uom.id,
            "uom_po_id": uom.id,
            "sap_base_uom_id": uom.id,
            "sap_material_group": material.group or False,
            "sap_material_type": material.material_type or False,
            "categ_id": self._stock_sap_category(backend, material.group, caches).id,
            "active": not material.deleted,
        }
        price = getattr(material, "valuation_price", None)
        if price is not None:
            # SAP prices are per price unit (PEINH); the field holds the price per base unit
            price_unit = float(getattr(material, "price_unit", None) or 1.0) or 1.0
            vals["sap_valuation_price"] = float(price) / price_unit
        return vals

    @api.model
    def _stock_sap_report_unmapped_unit(self, backend, unit, number):
        """One open exception per unmapped unit (not one per run or per material)."""
        Exception_ = self.env["plant.sync.exception"].sudo()
        human = self.env._(
            "SAP unit %(unit)s has no unit of measure mapping: materials in this unit are not "
            "imported until it is mapped.",
            unit=unit or "?",
        )
        if Exception_.search_count(
            [
                ("backend_id", "=", backend.id),
                ("name", "=", human.splitlines()[0][:200]),
                ("state", "in", ("new", "in_progress")),
            ]
        ):
            return
        Exception_._report(
            human,
            category="mapping",
            owner_group="admin",
            backend=backend,
            technical=f"material {number}: base unit {unit!r}",
        )

    @api.model
    def _stock_sap_category(self, backend, group, caches):
        """Category of a material group: the ``material_group`` mapping, else a category named
        after the group under "SAP Materials" (created once)."""
        categories = caches.setdefault("category", {})
        group = (group or "").strip()
        if group in categories:
            return categories[group]
        Category = self.env["product.category"].sudo()
        category = (
            self.env["plant.sync.mapping"]._to_odoo(backend, "material_group", group, default=False)
            if group
            else False
        )
        if not category:
            root = self.env.ref(
                "stock_sap_sync.product_category_sap_materials", raise_if_not_found=False
            ) or Category.search([("parent_id", "=", False)], limit=1)
            if group:
                category = Category.search(
                    [("parent_id", "=", root.id), ("name", "=", group)], limit=1
                ) or Category.create({"name": group, "parent_id": root.id})
            else:
                category = root
        categories[group] = category
        return category
