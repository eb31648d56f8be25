# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from decimal import Decimal

from odoo.tests.common import tagged

from plant_sync.sap.ops.goods_movement import GoodsMovementCreate, GoodsMovementItem

from .common import PLANT, SLOC, StockSapCase, trap_jobs


@tagged("post_install", "-at_install")
class TestReplenishment(StockSapCase):
    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.material = self.sap_materials[0]
        self.part = self.make_part(self.material, qty_on_hand=5)
        self.orderpoint = self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": self.part.id,
                "location_id": self.stock_location.id,
                "warehouse_id": self.warehouse.id,
                "product_min_qty": 10,
                "product_max_qty": 20,
                "sap_replenish": True,
                "trigger": "manual",
            }
        )

    def sap_goods_receipt(self, po, qty, key):
        """The warehouse in SAP posts a goods receipt 101 for the PO item."""
        client = self.backend._client()
        try:
            client.post_goods_movement(
                GoodsMovementCreate(
                    items=[
                        GoodsMovementItem(
                            material=self.material,
                            plant=PLANT,
                            storage_location=SLOC,
                            movement_type="101",
                            quantity=Decimal(qty),
                            unit="PC",
                            purchase_order=po,
                            purchase_order_item="00010",
                        )
                    ]
                ),
                idempotency_key=key,
            )
        finally:
            client.close()

    def pull_purchase_orders(self):
        with trap_jobs() as trap:
            self.flow_po._run_batch_now()
            self.run_jobs(trap)

    def test_reorder_rule_requisition_to_purchase_order_to_goods_receipt(self):
        self.assertEqual(self.orderpoint.qty_to_order, 15)
        with trap_jobs() as trap:
            self.orderpoint.action_replenish()
            requisition = self.orderpoint.sap_requisition_ids
            self.assertEqual(len(requisition), 1)
            self.assertEqual(requisition.product_qty, 15)
            self.assertEqual(requisition.state, "to_send")
            self.run_jobs(trap)
        self.assertEqual(requisition.state, "requested")
        pr = requisition.sap_pr_number
        sap_items = self.sim.store.find("A_PurchaseRequisitionItem", PurchaseRequisition=pr)
        self.assertEqual(len(sap_items), 1)
        self.assertEqual(sap_items[0]["RequestedQuantity"], 15.0)
        self.assertEqual((sap_items[0]["Plant"], sap_items[0]["StorageLocation"]), (PLANT, SLOC))
        # what SAP was asked for counts as in progress: the rule asks for nothing more
        self.orderpoint.invalidate_recordset()
        self.assertEqual(self.orderpoint.qty_to_order, 0)
        self.assertEqual(requisition.open_qty, 15)

        # the buyer converts the requisition into a purchase order in SAP
        po = self.sim.convert_pr_to_po(pr, supplier="17300001")
        self.pull_purchase_orders()
        self.assertEqual(requisition.state, "ordered")
        self.assertEqual(requisition.sap_po_number, po)
        self.assertEqual(requisition.sap_po_item, "00010")
        self.assertEqual(requisition.vendor_code, "17300001")
        self.assertEqual(
            requisition.partner_id, self.backend._record_for("res.partner", "17300001")
        )
        self.assertEqual(requisition.po_quantity, 15)
        self.assertTrue(requisition.po_date)
        self.assertEqual(requisition.open_qty, 15)

        # goods receipt of 10 in SAP: Odoo receives 10, expects 5 more
        self.sap_goods_receipt(po, 10, "GRTEST-0000000001")
        self.pull_purchase_orders()
        self.assertEqual(requisition.received_qty, 10)
        self.assertEqual(requisition.open_qty, 5)
        self.assertEqual(requisition.state, "ordered")
        self.assertEqual(self.part.with_context(location=self.stock_location.id).qty_available, 15)
        receipt = requisition.receipt_move_ids
        self.assertEqual(receipt.quantity, 10)
        self.assertFalse(receipt.sap_message_id, "a receipt from SAP is not posted back")
        # pulling again changes nothing
        self.pull_purchase_orders()
        self.assertEqual(len(requisition.receipt_move_ids), 1)

        # the rest arrives
        self.sap_goods_receipt(po, 5, "GRTEST-0000000002")
        self.pull_purchase_orders()
        self.assertEqual(requisition.state, "received")
        self.assertEqual(requisition.open_qty, 0)
        self.assertEqual(self.part.with_context(location=self.stock_location.id).qty_available, 20)

    def test_breakdown_request_goes_to_sap_at_once_in_batch_mode(self):
        self.flow_pr.mode = "batch"
        equipment = self.env["maintenance.equipment"].create(
            {"name": "Pump P-101", "sap_critical": True}
        )
        request = self.make_request(equipment_id=equipment.id)
        self.assertTrue(request._stock_sap_is_breakdown())
        action = request.action_request_parts()
        Requisition = self.env["stock.sap.requisition"].with_user(self.planner)
        with trap_jobs() as trap:
            breakdown = Requisition.with_context(**action["context"]).create(
                {
                    "product_id": self.part.id,
                    "product_qty": 2,
                    "location_id": self.stock_location.id,
                }
            )
            self.assertEqual(breakdown.urgency, "breakdown")
            self.assertEqual(breakdown.maintenance_request_id, request)
            routine = Requisition.create(
                {
                    "product_id": self.part.id,
                    "product_qty": 3,
                    "location_id": self.stock_location.id,
                }
            )
            breakdown.action_submit()
            routine.action_submit()
            trap.assert_jobs_count(1)
            self.run_jobs(trap)
            self.assertEqual(breakdown.state, "requested")
            self.assertEqual(routine.state, "to_send")
            self.flow_pr._run_batch_now()
            self.run_jobs(trap)
        self.assertEqual(routine.state, "requested")
        self.assertEqual(request.sap_requisition_count, 1)

    def test_replayed_requisition_job_creates_one_sap_requisition(self):
        with trap_jobs() as trap:
            self.orderpoint.action_replenish()
            job = trap.enqueued_jobs[0]
            self.run_jobs(trap)
            job.perform()
        self.assertEqual(self.sim.store.count("A_PurchaseRequisitionHeader"), 1)
