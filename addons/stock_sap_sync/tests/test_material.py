# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests.common import tagged

from ..flows.sap_material import SapMaterial
from .common import PLANT, SLOC, StockSapCase, trap_jobs


@tagged("post_install", "-at_install")
class TestMaterialMaster(StockSapCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bulk = cls.sim.store.seed_materials(1000, PLANT, SLOC, prefix="MP", price=3.0)
        cls.box = cls.env["uom.uom"].create(
            {
                "name": "Box of 12",
                "category_id": cls.unit.category_id.id,
                "uom_type": "bigger",
                "factor_inv": 12.0,
            }
        )
        cls.env["plant.sync.mapping"].create(
            {
                "backend_id": cls.backend.id,
                "mapping_type": "uom",
                "odoo_ref": f"uom.uom,{cls.box.id}",
                "external_value": "BOX",
            }
        )
        cls.boxed = cls.sim.store.seed_materials(1, PLANT, SLOC, prefix="BX", unit="BOX")[0]
        cls.kilo = cls.sim.store.seed_materials(1, PLANT, SLOC, prefix="KG", unit="KG")[0]
        # a material extended only to a plant no location of this backend is mapped to
        cls.foreign = cls.sim.store.seed_materials(1, "9900", SLOC, prefix="FP", price=99.0)[0]

    def import_materials(self, since=None):
        """The material pull of the flow, run in the test (no job)."""
        return SapMaterial(flow=self.flow_material).import_materials(since)

    def bound_products(self):
        return self.env["plant.sync.binding"].search_count(
            [("backend_id", "=", self.backend.id), ("res_model", "=", "product.product")]
        )

    def test_pull_of_1000_materials_is_idempotent(self):
        _watermark, first = self.import_materials()
        self.assertEqual(first["created"], 1004)  # 3 + 1000 + 1 boxed
        self.assertEqual(first["invalid"], 1)  # the material in KG (unmapped unit)
        self.assertEqual(self.bound_products(), 1004)
        _watermark, second = self.import_materials()
        self.assertEqual(second["created"], 0)
        self.assertEqual(second["skipped"], 1004)
        self.assertEqual(self.bound_products(), 1004)
        product = self.backend._record_for("product.product", self.bulk[41])
        self.assertEqual(product.default_code, self.bulk[41])
        self.assertEqual(product.name, "Spare part 45")  # seeding numbers from the 4th product
        self.assertEqual(product.uom_id, self.unit)
        self.assertEqual(product.categ_id.name, "L004")
        self.assertTrue(product.is_storable)
        self.assertEqual(
            self.env["product.product"].search_count([("default_code", "=like", "MP-%")]), 1000
        )

    def test_scheduled_pull_moves_the_watermark_and_takes_only_changes(self):
        with trap_jobs() as trap:
            self.flow_material._run_batch_now()
            self.run_jobs(trap)
        self.assertTrue(self.flow_material.watermark_date)
        self.assertEqual(self.bound_products(), 1004)
        with self.sim.store.transaction() as tx:
            tx.update("A_Product", {"Product": self.bulk[0]}, {"ProductGroup": "L099"})
        _watermark, delta = self.import_materials(self.flow_material.watermark_date)
        self.assertEqual(delta, {**delta, "created": 0, "updated": 1, "skipped": 0})
        product = self.backend._record_for("product.product", self.bulk[0])
        self.assertEqual(product.categ_id.name, "L099")
        self.assertEqual(product.sap_material_group, "L099")

    def test_box_of_12_material_converts_pieces_on_posting(self):
        self.import_materials()
        product = self.backend._record_for("product.product", self.boxed)
        self.assertEqual(product.uom_id, self.box)
        self.assertEqual(product.sap_base_uom_id, self.box)
        self.sim.reset()
        self.env["stock.quant"]._update_available_quantity(product, self.stock_location, 5)
        order = self.sap_order()
        request = self.make_request()
        with trap_jobs() as trap:
            self.consume(request, [(product, 24, self.unit)], order=order)
            self.run_jobs(trap)
        items = self.sap_documents(Material=self.boxed)
        self.assertEqual(len(items), 1)
        self.assertEqual((items[0]["QuantityInEntryUnit"], items[0]["EntryUnit"]), (2.0, "BOX"))
        self.assertEqual(self.sim.store.stock(self.boxed, PLANT, SLOC), 98.0)

    def test_material_in_an_unmapped_unit_is_reported_not_imported(self):
        for _run in range(2):
            _watermark, stats = self.import_materials()
            self.assertEqual(stats["invalid"], 1)
        self.assertFalse(self.backend._record_for("product.product", self.kilo))
        exception = self.env["plant.sync.exception"].search(
            [("category", "=", "mapping"), ("name", "ilike", "SAP unit KG")]
        )
        self.assertEqual(len(exception), 1, "reported once, not once per run")
        self.assertEqual(exception.owner_group, "admin")
        # once the unit is mapped, the next pull imports the material
        kilogram = self.env.ref("uom.product_uom_kgm")
        self.env["plant.sync.mapping"].create(
            {
                "backend_id": self.backend.id,
                "mapping_type": "uom",
                "odoo_ref": f"uom.uom,{kilogram.id}",
                "external_value": "KG",
            }
        )
        _watermark, stats = self.import_materials()
        self.assertEqual(stats["invalid"], 0)
        self.assertEqual(self.backend._record_for("product.product", self.kilo).uom_id, kilogram)

    def test_material_of_an_unmapped_plant_is_not_imported_and_price_is_set(self):
        # moving average price per 10 pieces: the product keeps the price of one piece
        with self.sim.store.transaction() as tx:
            tx.update(
                "A_ProductValuation",
                {"Product": self.bulk[1], "ValuationArea": PLANT, "ValuationType": ""},
                {
                    "InventoryValuationProcedure": "V",
                    "MovingAveragePrice": 45.0,
                    "PriceUnitQty": 10,
                },
            )
        _watermark, stats = self.import_materials()
        self.assertEqual(stats["created"], 1004)
        self.assertFalse(self.backend._record_for("product.product", self.foreign))
        self.assertFalse(self.env["product.product"].search([("default_code", "=", self.foreign)]))
        product = self.backend._record_for("product.product", self.bulk[0])
        self.assertEqual(product.sap_valuation_price, 3.0)
        product = self.backend._record_for("product.product", self.sap_materials[0])
        self.assertEqual(product.sap_valuation_price, 12.5)
        product = self.backend._record_for("product.product", self.bulk[1])
        self.assertEqual(product.sap_valuation_price, 4.5)
