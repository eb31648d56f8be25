# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests.common import tagged

from .common import PLANT, SLOC, StockSapCase, trap_jobs


@tagged("post_install", "-at_install")
class TestReconciliation(StockSapCase):
    """SAP has 100 of each seeded material in 1010/0001; Odoo gets the same, then exactly four
    differences are injected on both sides."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        store = cls.sim.store
        cls.equal = cls.sap_materials[0]
        cls.odoo_lower = cls.sap_materials[1]
        cls.sap_lower = cls.sap_materials[2]
        cls.sap_only, cls.odoo_only = store.seed_materials(2, PLANT, SLOC, prefix="RC", price=4.0)
        store.seed_stock(cls.sap_lower, PLANT, SLOC, 90)  # SAP 90, Odoo 100: -10
        store.seed_stock(cls.odoo_only, PLANT, "0002", 7)  # other sloc: not in the scope
        with store.transaction() as tx:
            tx.conn.execute(
                "DELETE FROM A_MatlStkInAcctMod WHERE Material = ? AND StorageLocation = ?",
                (cls.odoo_only, SLOC),
            )
        cls.products = {
            cls.equal: cls.make_part(cls.equal, 100),
            cls.odoo_lower: cls.make_part(cls.odoo_lower, 97),  # SAP 100, Odoo 97: +3
            cls.sap_lower: cls.make_part(cls.sap_lower, 100),
            cls.odoo_only: cls.make_part(cls.odoo_only, 6, standard_price=20.0),  # -6
        }
        # RC sap_only: SAP 100, no product in Odoo: +100
        # a sub-location of the mapped location counts for it
        shelf = cls.env["stock.location"].create(
            {"name": "Bin A-01", "location_id": cls.stock_location.id, "usage": "internal"}
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.products[cls.equal], cls.stock_location, -4
        )
        cls.env["stock.quant"]._update_available_quantity(cls.products[cls.equal], shelf, 4)
        cls.flow_recon.write(
            {
                "recon_tolerance_qty": 5.0,
                "recon_tolerance_value": 0.0,
                "recon_finance_threshold": 100.0,
            }
        )

    def run_reconciliation(self):
        reconciliation = self.env["stock.sap.reconciliation"].create(
            {"flow_id": self.flow_recon.id}
        )
        reconciliation._run()
        return reconciliation

    def test_reports_exactly_the_injected_differences(self):
        reconciliation = self.run_reconciliation()
        self.assertEqual(reconciliation.state, "done")
        self.assertEqual(reconciliation.positions_sap, 4)
        self.assertEqual(reconciliation.positions_compared, 5)
        lines = {line.material: line for line in reconciliation.line_ids}
        self.assertEqual(
            set(lines), {self.odoo_lower, self.sap_lower, self.sap_only, self.odoo_only}
        )
        expected = {
            # material: (sap, odoo, difference, value)
            self.odoo_lower: (100, 97, 3, 3 * 12.5),
            self.sap_lower: (90, 100, -10, -10 * 12.5),
            self.sap_only: (100, 0, 100, 0.0),  # no Odoo product: no Odoo price
            self.odoo_only: (0, 6, -6, -6 * 20.0),
        }
        for material, (sap, odoo, diff, value) in expected.items():
            line = lines[material]
            self.assertEqual(
                (line.sap_qty, line.odoo_qty, line.difference, line.value),
                (sap, odoo, diff, value),
                material,
            )
            self.assertEqual((line.plant, line.storage_location), (PLANT, SLOC))
        self.assertEqual(lines[self.odoo_lower].product_id, self.products[self.odoo_lower])
        self.assertFalse(lines[self.sap_only].product_id)
        self.assertEqual(reconciliation.difference_count, 4)
        self.assertAlmostEqual(reconciliation.total_value, 37.5 - 125.0 - 120.0)
        self.assertAlmostEqual(reconciliation.total_abs_value, 37.5 + 125.0 + 120.0)

    def test_differences_above_tolerance_raise_finance_and_planner_exceptions(self):
        reconciliation = self.run_reconciliation()
        lines = {line.material: line for line in reconciliation.line_ids}
        # tolerance 5 units: the +3 difference raises nothing
        self.assertFalse(lines[self.odoo_lower].above_tolerance)
        self.assertFalse(lines[self.odoo_lower].exception_id)
        self.assertEqual(reconciliation.exception_count, 3)
        finance = lines[self.sap_lower].exception_id
        self.assertEqual(finance.owner_group, "finance")
        self.assertEqual(finance.amount, 125.0)
        self.assertEqual(lines[self.odoo_only].exception_id.owner_group, "finance")
        planner = lines[self.sap_only].exception_id
        self.assertEqual(planner.owner_group, "planner")  # worth 0: no price in Odoo
        self.assertEqual(planner.res_ref, lines[self.sap_only])
        # finance sees its queue
        visible = (
            self.env["plant.sync.exception"]
            .with_user(self.finance)
            .search([("id", "in", (finance | planner).ids)])
        )
        self.assertIn(finance, visible)
        # the next run supersedes the open exceptions of this one
        second = self.run_reconciliation()
        self.assertEqual(finance.state, "cancelled")
        self.assertEqual(second.exception_count, 3)

    def test_scheduled_run_through_the_flow(self):
        with trap_jobs() as trap:
            self.flow_recon._run_batch_now()
            self.run_jobs(trap)
        reconciliation = self.env["stock.sap.reconciliation"].search(
            [("flow_id", "=", self.flow_recon.id)]
        )
        self.assertEqual(len(reconciliation), 1)
        self.assertEqual(reconciliation.difference_count, 4)

    def test_pivot_data_for_finance(self):
        self.run_reconciliation()
        Line = self.env["stock.sap.reconciliation.line"].with_user(self.finance)
        groups = Line.read_group(
            [("above_tolerance", "=", True)], ["abs_value:sum"], ["owner_group"]
        )
        by_owner = {g["owner_group"]: g["abs_value"] for g in groups}
        self.assertEqual(by_owner, {"finance": 245.0, "planner": 0.0})

    def test_positions_are_streamed_page_by_page(self):
        self.sim.page_size = 2
        reconciliation = self.run_reconciliation()
        self.sim.page_size = 100
        self.assertEqual(reconciliation.positions_sap, 4)
        self.assertEqual(reconciliation.difference_count, 4)

    # --- a configuration gap ends as an exception with its fix, never as a failed job ----------
    def unmap_locations(self):
        self.env["plant.sync.mapping"].search(
            [("backend_id", "=", self.backend.id), ("mapping_type", "=", "location")]
        ).unlink()

    def assert_location_fix(self, exception):
        self.assertEqual(exception.kind, "configuration")
        self.assertTrue(exception.name.startswith("No stock location is mapped"))
        action = exception.action_fix()
        self.assertEqual(action["res_model"], "plant.sync.mapping")
        self.assertNotIn("res_id", action)
        self.assertEqual(
            action["context"],
            {
                "default_backend_id": self.backend.id,
                "default_mapping_type": "location",
                "default_direction": "both",
            },
        )

    def test_scheduled_run_without_mapped_location_raises_an_exception_with_the_fix(self):
        self.unmap_locations()
        with trap_jobs() as trap:
            self.flow_recon._run_batch_now()
            pulls = [j for j in trap.enqueued_jobs if j.method_name == "_job_pull_page"]
            self.assertEqual(len(pulls), 1)
            result = pulls[0].perform()  # the job ends normally: no traceback in the log
        self.assertTrue(result.startswith("failed: No stock location is mapped"), result)
        self.assertFalse(
            self.env["stock.sap.reconciliation"].search([("flow_id", "=", self.flow_recon.id)]),
            "the half-made reconciliation is rolled back",
        )
        exception = self.env["plant.sync.exception"].search(
            [("flow_id", "=", self.flow_recon.id), ("state", "=", "new")]
        )
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.backend_id, self.backend)
        self.assert_location_fix(exception)

    def test_manual_run_without_mapped_location_raises_an_exception_with_the_fix(self):
        self.unmap_locations()
        reconciliation = self.env["stock.sap.reconciliation"].create(
            {"flow_id": self.flow_recon.id}
        )
        result = reconciliation._job_run()
        self.assertTrue(result.startswith("failed: No stock location is mapped"), result)
        self.assertEqual(reconciliation.state, "draft")
        exception = self.env["plant.sync.exception"].search(
            [("res_model", "=", reconciliation._name), ("res_id", "=", reconciliation.id)]
        )
        self.assertEqual(exception.flow_id, self.flow_recon)
        self.assert_location_fix(exception)
