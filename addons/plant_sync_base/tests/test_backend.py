# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests.common import tagged

from .common import PlantSyncCase

try:
    from plant_sync.simulators.sap.server import SapSimulator
except ImportError:  # the simulator is developed in parallel
    SapSimulator = None


@tagged("post_install", "-at_install")
class TestBackend(PlantSyncCase):
    def test_test_connection_against_sap_simulator(self):
        if SapSimulator is None:
            self.skipTest("plant_sync.simulators.sap is not available")
        sim = SapSimulator(users={"PLANT_SYNC": "Secret#1"}).start()
        self.addCleanup(sim.stop)
        backend = self.env["plant.sync.backend"].create(
            {
                "name": "S4H simulator",
                "kind": "sap_odata",
                "base_url": sim.url,
                "allow_loopback": True,
                "sap_client": "100",
                "username": "PLANT_SYNC",
                "password": "Secret#1",
            }
        )
        action = backend.with_user(self.admin).action_test_connection()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertTrue(backend.last_check_ok)
        backend.with_user(self.admin).password = "Wrong#Pw1"
        action = backend.with_user(self.admin).action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertFalse(backend.last_check_ok)
        self.assertNotIn("Wrong#Pw1", action["params"]["message"])
        self.assertNotIn("Wrong#Pw1", backend.last_check_result)

    def test_rfc_connection_factory_and_config_hooks(self):
        if SapSimulator is None:
            self.skipTest("plant_sync.simulators.sap is not available")
        sim = SapSimulator(users={"PLANT_SYNC": "Secret#1"}).start()
        self.addCleanup(sim.stop)
        master = sim.seed_master_data(equipment=1, functional_locations=1, materials=0)
        backend = self.env["plant.sync.backend"].create(
            {
                "name": "S4H simulator over RFC",
                "kind": "sap_rfc",
                "sap_client": "100",
                "username": "PLANT_SYNC",
                "password": "Secret#1",
            }
        )
        Backend = type(backend)

        def factory(self):
            return lambda: sim.rfc_connection(user="PLANT_SYNC", passwd="Secret#1", client="100")

        with (
            patch.object(Backend, "_sap_rfc_connection_factory", factory),
            patch.object(Backend, "_sap_connection_overrides", lambda self, t: {"backoff": 0.01}),
        ):
            service = backend._client()
            try:
                self.assertEqual(service.transport, "rfc")
                self.assertEqual(service.config.backoff, 0.01)
                floc = service.get_functional_location(master["functional_locations"][0])
                self.assertEqual(floc.maintenance_plant, "1010")
            finally:
                service.close()
        # production default: no factory (pyrfc with the backend's settings), no overrides
        values = backend._sap_connection_values("rfc")
        self.assertNotIn("connection_factory", values)
        self.assertNotIn("backoff", values)

    def test_endpoint_guard_refuses_loopback_and_http_unless_allowed(self):
        Backend = self.env["plant.sync.backend"]
        with self.assertRaises(ValidationError):
            Backend.create({"name": "x", "kind": "sap_odata", "base_url": "http://127.0.0.1:1"})
        with self.assertRaises(ValidationError):
            Backend.create(
                {"name": "x", "kind": "sap_odata", "base_url": "https://169.254.169.254/"}
            )
        backend = Backend.create(
            {"name": "ok", "kind": "sap_odata", "base_url": "https://sap.example.com:44300"}
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
