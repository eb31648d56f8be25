# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError
from odoo.tests.common import new_test_user, tagged
from odoo.tools import mute_logger

from .common import COST_CENTER, PLANT, SLOC, StockSapCase, trap_jobs


@tagged("post_install", "-at_install")
class TestConsumption(StockSapCase):
    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.material = self.sap_materials[0]
        self.part = self.make_part(self.material)
        self.order = self.sap_order()
        self.request = self.make_request()

    def _issue_items(self, movement_type):
        return [
            item
            for item in self.sap_documents(Material=self.material)
            if item["GoodsMovementType"] == movement_type
        ]

    def test_consumption_posts_261_against_the_order_with_plant_and_sloc(self):
        with trap_jobs() as trap:
            picking = self.consume(self.request, [(self.part, 3)], order=self.order)
            move = picking.move_ids
            self.assertEqual(move.state, "done")
            self.assertEqual(move.maintenance_request_id, self.request)
            self.assertEqual(move.sap_state, "pending", "posted by a job, after commit")
            trap.assert_jobs_count(1)
            self.run_jobs(trap)
        items = self._issue_items("261")
        self.assertEqual(len(items), 1)
        item = items[0]
        self.assertEqual(item["ManufacturingOrder"], self.order)
        self.assertEqual((item["Plant"], item["StorageLocation"]), (PLANT, SLOC))
        self.assertEqual(item["QuantityInEntryUnit"], 3.0)
        self.assertEqual(item["EntryUnit"], "PC")
        self.assertEqual(move.sap_material_document, item["MaterialDocument"])
        self.assertEqual(move.sap_material_document_year, item["MaterialDocumentYear"])
        self.assertEqual(move.sap_movement_type, "261")
        self.assertEqual(move.sap_state, "posted")
        self.assertEqual(picking.sap_posting_state, "posted")
        self.assertEqual(self.sim.store.stock(self.material, PLANT, SLOC), 97.0)
        # the document number is stored once, on the move; the message shows it
        self.assertFalse(self.backend._external_id_for(move), "no second copy in a binding")
        message = self.env["plant.sync.message"].search(
            [("res_model", "=", move._name), ("res_id", "=", move.id)]
        )
        self.assertEqual(
            message.external_id, f"{move.sap_material_document_year}/{move.sap_material_document}"
        )

    def test_technician_books_consumption_with_own_rights(self):
        with trap_jobs() as trap:
            picking = self.consume(
                self.request, [(self.part, 1)], order=self.order, user=self.technician
            )
            self.run_jobs(trap)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.sap_state, "posted")

    def test_assigned_plain_technician_books_parts_for_equipment_he_does_not_follow(self):
        """Odoo shows a plain maintenance user only the equipment he follows; being assigned
        to the request is enough to book its parts (the critical-equipment flag is read for
        him)."""
        technician = new_test_user(
            self.env,
            login="ss_plain_technician",
            groups="base.group_user,stock.group_stock_user",
            email="plain.technician@example.com",
        )
        equipment = self.env["maintenance.equipment"].create({"name": "Air compressor K-300"})
        self.request.write({"equipment_id": equipment.id, "user_id": technician.id})
        self.assertFalse(equipment.with_user(technician).has_access("read"))
        self.env.invalidate_all()  # what the superuser read is not in the technician's way
        with trap_jobs() as trap:
            picking = self.consume(
                self.request, [(self.part, 1)], order=self.order, user=technician
            )
            self.run_jobs(trap)
        self.assertEqual(picking.move_ids.sap_state, "posted")

    def test_box_of_12_is_posted_in_pieces(self):
        box = self.env["uom.uom"].create(
            {
                "name": "Box of 12",
                "category_id": self.unit.category_id.id,
                "uom_type": "bigger",
                "factor_inv": 12.0,
            }
        )
        with trap_jobs() as trap:
            self.consume(self.request, [(self.part, 2, box)], order=self.order)
            self.run_jobs(trap)
        item = self._issue_items("261")[0]
        self.assertEqual((item["QuantityInEntryUnit"], item["EntryUnit"]), (24.0, "PC"))

    def test_return_posts_262_against_the_same_order(self):
        with trap_jobs() as trap:
            picking = self.consume(self.request, [(self.part, 4)], order=self.order)
            self.run_jobs(trap)
            wizard = (
                self.env["stock.return.picking"]
                .with_context(active_id=picking.id, active_model="stock.picking")
                .create({"picking_id": picking.id})
            )
            wizard.product_return_moves = [Command.clear()] + [
                Command.create(
                    {"product_id": self.part.id, "quantity": 1, "move_id": picking.move_ids.id}
                )
            ]
            returned = wizard._create_return()
            returned.move_ids.quantity = 1
            returned.move_ids.picked = True
            returned.button_validate()
            self.run_jobs(trap)
        back = returned.move_ids
        self.assertEqual(back.sap_movement_kind, "return")
        items = self._issue_items("262")
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0]["ManufacturingOrder"], self.order)
        self.assertEqual(items[0]["QuantityInEntryUnit"], 1.0)
        self.assertEqual(back.sap_material_document, items[0]["MaterialDocument"])
        self.assertEqual(self.sim.store.stock(self.material, PLANT, SLOC), 97.0)

    def test_consumption_without_order_posts_201_to_the_mapped_cost_center(self):
        with trap_jobs() as trap:
            picking = self.consume(self.request, [(self.part, 2)], order=False)
            self.run_jobs(trap)
        items = self._issue_items("201")
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0]["CostCenter"], COST_CENTER)
        self.assertFalse(items[0]["ManufacturingOrder"])
        self.assertEqual(picking.move_ids.sap_movement_type, "201")

    def test_reversal_is_posted_exactly_once(self):
        with trap_jobs() as trap:
            picking = self.consume(self.request, [(self.part, 5)], order=self.order)
            self.run_jobs(trap)
            original = picking.move_ids
            self.assertTrue(picking.sap_reversible)
            action = picking.action_sap_reverse()
            storno = self.env["stock.picking"].browse(action["res_id"])
            reversal = storno.move_ids
            self.assertEqual(reversal.sap_movement_kind, "reverse")
            jobs = list(trap.enqueued_jobs)
            self.run_jobs(trap)
            # the job replayed, and the trigger fired again: nothing new in SAP
            for job in jobs:
                job.perform()
            reversal.sap_message_id = False
            reversal._stock_sap_enqueue()
            trap.assert_jobs_count(0)
        cancellations = self.sim.store.find(
            "A_MaterialDocumentItem",
            ReversedMaterialDocument=original.sap_material_document,
        )
        self.assertEqual(len(cancellations), 1)
        self.assertEqual(cancellations[0]["GoodsMovementType"], "262")
        self.assertEqual(reversal.sap_material_document, cancellations[0]["MaterialDocument"])
        self.assertEqual(original.sap_state, "reversed")
        self.assertEqual(self.sim.store.stock(self.material, PLANT, SLOC), 100.0)
        self.assertFalse(picking.sap_reversible)
        with self.assertRaises(UserError):
            picking.action_sap_reverse()

    def test_replayed_job_and_duplicate_trigger_post_once(self):
        with trap_jobs() as trap:
            picking = self.consume(self.request, [(self.part, 2)], order=self.order)
            move = picking.move_ids
            job = trap.enqueued_jobs[0]
            self.run_jobs(trap)
            job.perform()  # e.g. a duplicated job in the queue
            message = move.sap_message_id
            move.sap_message_id = False
            move._stock_sap_enqueue()  # the trigger replayed
            trap.assert_jobs_count(0)
        self.assertEqual(move.sap_message_id, message, "same idempotency key, same message")
        self.assertEqual(len(self._issue_items("261")), 1)

    def test_answer_lost_after_commit_is_recovered_without_second_posting(self):
        self.sim.faults.set(drop_after_commit_rate=1.0, seed=1)
        with trap_jobs() as trap, mute_logger("plant_sync"):
            picking = self.consume(self.request, [(self.part, 2)], order=self.order)
            job = trap.enqueued_jobs[0]
            # one attempt per job: the lost answer is a transient error, queue_job retries
            with self.assertRaises(RetryableJobError):
                job.perform()
            self.assertEqual(picking.move_ids.sap_state, "pending")
            self.sim.faults.clear()
            job.perform()  # the retry finds the document by its idempotency key
        move = picking.move_ids
        self.assertEqual(move.sap_state, "posted")
        self.assertEqual(len(self._issue_items("261")), 1)
        self.assertEqual(
            move.sap_material_document, self._issue_items("261")[0]["MaterialDocument"]
        )

    def test_critical_part_posts_at_once_routine_waits_for_the_batch(self):
        self.flow_goods.mode = "batch"
        critical = self.make_part(self.sap_materials[1], sap_critical=True)
        with trap_jobs() as trap:
            routine_picking = self.consume(self.request, [(self.part, 1)], order=self.order)
            trap.assert_jobs_count(0)
            critical_picking = self.consume(self.request, [(critical, 1)], order=self.order)
            trap.assert_jobs_count(1)
            self.run_jobs(trap)
            self.assertEqual(critical_picking.move_ids.sap_state, "posted")
            self.assertEqual(routine_picking.move_ids.sap_state, "pending")
            self.flow_goods._run_batch_now()  # the scheduled batch
            self.run_jobs(trap)
        self.assertEqual(routine_picking.move_ids.sap_state, "posted")

    def test_reversal_before_posting_withdraws_the_message(self):
        self.flow_goods.mode = "batch"
        with trap_jobs() as trap:
            picking = self.consume(self.request, [(self.part, 1)], order=self.order)
            message = picking.move_ids.sap_message_id
            picking.action_sap_reverse()
            self.flow_goods._run_batch_now()
            self.run_jobs(trap)
        self.assertEqual(message.state, "cancelled")
        self.assertEqual(self.sap_documents(Material=self.material), [])

    def test_unmapped_location_holds_until_the_mapping_is_saved(self):
        shelf = self.env["stock.location"].create(
            {
                "name": "Workshop shelf",
                "usage": "internal",
                "location_id": self.warehouse.view_location_id.id,
            }
        )
        self.env["stock.quant"]._update_available_quantity(self.part, shelf, 5)
        self.sim.store.seed_stock(self.material, PLANT, "0002", 5)
        with trap_jobs() as trap, mute_logger("odoo.addons.plant_sync_base"):
            picking = (
                self.env["maintenance.consume.parts"]
                .with_context(default_request_id=self.request.id)
                .create(
                    {
                        "location_id": shelf.id,
                        "sap_order_number": self.order,
                        "line_ids": [Command.create({"product_id": self.part.id, "quantity": 1})],
                    }
                )
                .action_confirm()
            )
            move = self.env["stock.picking"].browse(picking["res_id"]).move_ids
            self.run_jobs(trap)
            self.assertEqual(move.sap_state, "held")
            self.env["plant.sync.mapping"].create(
                {
                    "backend_id": self.backend.id,
                    "mapping_type": "location",
                    "odoo_ref": f"stock.location,{shelf.id}",
                    "external_value": f"{PLANT}/0002",
                }
            )
            self.run_jobs(trap)
        self.assertEqual(move.sap_state, "posted")
        self.assertEqual(self._issue_items("261")[0]["StorageLocation"], "0002")

    def test_order_number_of_the_bridge_is_used_when_installed(self):
        request = self.make_request()
        if "sap_order_number" not in request._fields:
            self.assertFalse(request._stock_sap_order_number())
            return
        field = request._fields["sap_order_number"]
        if field.compute and not field.inverse and field.readonly:
            self.skipTest("the bridge computes the order number read-only")
        request.sudo().write({"sap_backend_id": self.backend.id, "sap_order_number": self.order})
        wizard = self.env["maintenance.consume.parts"].create({"request_id": request.id})
        self.assertEqual(wizard.sap_order_number, self.order)

    def test_cost_center_of_the_bridge_wins_when_installed(self):
        request = self.make_request()
        if "sap_cost_center" not in request._fields:
            self.skipTest("maintenance_sap_bridge is not installed")
        self.sim.store.seed_cost_center("10101999")
        request.sudo().sap_cost_center = "10101999"
        with trap_jobs() as trap:
            self.consume(request, [(self.part, 1)], order=False)
            self.run_jobs(trap)
        self.assertEqual(self._issue_items("201")[0]["CostCenter"], "10101999")
