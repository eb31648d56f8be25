# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests.common import tagged

from .common import TEST_KIND, PlantSyncCase


@tagged("post_install", "-at_install")
class TestBackend(PlantSyncCase):
    def test_the_base_has_no_backend_kind_of_its_own(self):
        # every kind (and its settings) comes from an addon: SAP, CMMS...
        kinds = self.env["ir.model.data"].search(
            [
                ("model", "=", "ir.model.fields.selection"),
                ("name", "=like", "selection__plant_sync_backend__kind__%"),
            ]
        )
        self.assertNotIn("plant_sync_base", kinds.mapped("module"))

    def test_test_connection_pings_the_remote_with_the_backend_credentials(self):
        action = self.backend.with_user(self.admin).action_test_connection()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertTrue(self.backend.last_check_ok)
        ping = self.remote.calls[-1]
        self.assertEqual(ping["path"], "/ping")
        credentials = base64.b64encode(b"ODOO_RFC:Sup3r-Secret-Pw").decode()
        self.assertEqual(ping["headers"]["Authorization"], f"Basic {credentials}")
        self.remote.script(401)
        action = self.backend.with_user(self.admin).action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertFalse(self.backend.last_check_ok)
        self.assertNotIn("Sup3r-Secret-Pw", self.backend.last_check_result)

    def test_kind_without_client_is_reported(self):
        with patch.object(type(self.backend), f"_get_client_{TEST_KIND}", None):
            action = self.backend.with_user(self.admin).action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("No client is available", self.backend.last_check_result)

    def test_endpoint_guard_refuses_loopback_and_http_unless_allowed(self):
        Backend = self.env["plant.sync.backend"]
        with self.assertRaises(ValidationError):
            Backend.create({"name": "x", "kind": TEST_KIND, "base_url": "http://127.0.0.1:1"})
        with self.assertRaises(ValidationError):
            Backend.create({"name": "x", "kind": TEST_KIND, "base_url": "https://169.254.169.254/"})
        backend = Backend.create(
            {"name": "ok", "kind": TEST_KIND, "base_url": "https://erp.example.com:44300"}
        )
        self.assertTrue(backend)

    def test_bindings_unique_per_external_id_and_per_record(self):
        self.backend._bind(self.record, "4000001")
        self.backend._bind(self.record, "4000002", "2")  # rebinding updates
        self.assertEqual(self.backend._external_id_for(self.record), "4000002")
        with self.assertRaises(ValidationError):
            self.backend._bind(self.other_record, "4000002")
        self.assertFalse(self.backend._record_for("res.partner", "4000001"))
        self.assertEqual(
            self.env["plant.sync.binding"].search_count([("backend_id", "=", self.backend.id)]),
            1,
        )

    def test_bindings_per_document_type_and_in_batch(self):
        """One record, two documents (e.g. notification and order); the batch bind path
        creates, updates and refuses a number already bound to another record, all or nothing."""
        Binding = self.env["plant.sync.binding"]
        self.backend._bind(self.record, "10000001", doc_type="notification")
        self.backend._bind(self.record, "4000001", doc_type="order")
        self.assertEqual(self.backend._external_id_for(self.record, "notification"), "10000001")
        self.assertEqual(self.backend._external_id_for(self.record, "order"), "4000001")
        self.assertFalse(self.backend._external_id_for(self.record))
        self.assertEqual(
            self.backend._record_for("res.partner", "4000001", doc_type="order"), self.record
        )
        self.assertFalse(self.backend._record_for("res.partner", "4000001"))
        third = self.env["res.partner"].create({"name": "Work order 4713"})
        bound = self.backend._bind_many(
            [(self.other_record, "4000002", 'W/"1"'), (third, "4000003")], doc_type="order"
        )
        self.assertEqual(sorted(bound.mapped("external_id")), ["4000002", "4000003"])
        self.assertEqual(
            bound.filtered(lambda b: b.res_id == self.other_record.id).external_version, 'W/"1"'
        )
        with self.assertRaises(ValidationError):
            self.backend._bind_many(
                [(third, "4000004"), (self.other_record, "4000001")], doc_type="order"
            )
        self.assertEqual(self.backend._external_id_for(third, "order"), "4000003")
        Binding._unbind(self.backend, self.record, "order")
        self.assertFalse(self.backend._external_id_for(self.record, "order"))
        self.assertEqual(self.backend._external_id_for(self.record, "notification"), "10000001")
