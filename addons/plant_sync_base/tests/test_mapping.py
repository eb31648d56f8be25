# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import ValidationError
from odoo.tests.common import tagged

from ..exceptions import MissingMapping
from .common import PlantSyncCase


@tagged("post_install", "-at_install")
class TestMapping(PlantSyncCase):
    def test_missing_mapping_holds_then_saving_mapping_releases_and_delivers(self):
        with trap_jobs() as trap:
            message = self.enqueue(payload={"status": "in_progress"})
            trap.perform_enqueued_jobs()
        self.assertEqual(message.state, "held")
        self.assertEqual(message.hold_mapping_type, "status")
        self.assertEqual(message.hold_value, "in_progress")
        self.assertIn("Status 'in_progress' has no Remote (loopback) Status", message.hold_reason)
        self.assertEqual(message.attempts, 0, "a hold is not a delivery attempt")
        self.assertEqual(self.remote.call_count, 0)
        exception = self.open_exceptions(message)
        self.assertEqual(exception.category, "mapping")
        # an unrelated mapping releases nothing
        with trap_jobs() as trap:
            self.env["plant.sync.mapping"].create(
                {"mapping_type": "status", "odoo_value": "done", "external_value": "TECO"}
            )
            trap.assert_jobs_count(0)
        self.assertEqual(message.state, "held")
        # the administrator saves the missing mapping: the message is released and delivered
        with trap_jobs() as trap:
            self.env["plant.sync.mapping"].with_user(self.admin).create(
                {
                    "backend_id": self.backend.id,
                    "mapping_type": "status",
                    "odoo_value": "in_progress",
                    "external_value": "REL",
                }
            )
            self.assertEqual(message.state, "pending")
            trap.assert_jobs_count(1)
            trap.perform_enqueued_jobs()
        self.assertEqual(message.state, "done")
        self.assertEqual(self.remote.calls[0]["body"]["status"], "REL")
        self.assertEqual(exception.state, "resolved")

    def test_ambiguous_mappings_are_refused(self):
        Mapping = self.env["plant.sync.mapping"]
        Mapping.create(
            {
                "backend_id": self.backend.id,
                "mapping_type": "priority",
                "odoo_value": "3",
                "external_value": "1",
            }
        )
        with self.assertRaises(ValidationError):
            Mapping.create(  # same Odoo value twice outbound
                {
                    "backend_id": self.backend.id,
                    "mapping_type": "priority",
                    "odoo_value": "3",
                    "external_value": "2",
                }
            )
        with self.assertRaises(ValidationError):
            Mapping.create(  # same external value twice inbound
                {
                    "backend_id": self.backend.id,
                    "mapping_type": "priority",
                    "odoo_value": "2",
                    "external_value": "1",
                }
            )
        # allowed: two Odoo values to one external value when only one maps back
        Mapping.create(
            {
                "backend_id": self.backend.id,
                "mapping_type": "priority",
                "odoo_value": "2",
                "external_value": "1",
                "direction": "outbound",
            }
        )
        self.assertEqual(Mapping._to_external(self.backend, "priority", "2"), "1")
        self.assertEqual(Mapping._to_odoo(self.backend, "priority", "1"), "3")

    def test_record_mapping_and_backend_specific_wins(self):
        Mapping = self.env["plant.sync.mapping"]
        user = self.planner
        Mapping.create(
            {
                "mapping_type": "technician",
                "odoo_ref": f"res.users,{user.id}",
                "external_value": "G1",
            }
        )
        self.assertEqual(Mapping._to_external(self.backend, "technician", user), "G1")
        Mapping.create(
            {
                "backend_id": self.backend.id,
                "mapping_type": "technician",
                "odoo_ref": f"res.users,{user.id}",
                "external_value": "00001234",
            }
        )
        self.assertEqual(Mapping._to_external(self.backend, "technician", user), "00001234")
        self.assertEqual(Mapping._to_odoo(self.backend, "technician", "00001234"), user)
        with self.assertRaises(MissingMapping) as caught:
            Mapping._to_odoo(self.backend, "technician", "99999999")
        self.assertEqual(caught.exception.direction, "inbound")
        self.assertEqual(Mapping._to_odoo(self.backend, "technician", "99999999", default=""), "")
