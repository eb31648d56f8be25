# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""SAP backends: their kinds and settings, the ``plant_sync.sap`` service they build, and the
connection test against the SAP simulator (OData over real HTTP, RFC through its
pyrfc-compatible connection)."""

from unittest.mock import patch

from odoo.addons.plant_sync_base.tests.common import (
    TEST_KIND,
    provide_encryption_keys,
    register_test_kind,
)
from odoo.exceptions import ValidationError
from odoo.tests import Form
from odoo.tests.common import TransactionCase, new_test_user, tagged

from plant_sync.simulators.sap import SapSimulator

SAP_USER, SAP_PASSWORD = "PLANT_SYNC", "Secret#1"
OAUTH_ID, OAUTH_SECRET = "plant-sync-client", "Client#Secret1"


@tagged("post_install", "-at_install")
class TestSapBackend(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        provide_encryption_keys(cls)
        register_test_kind(cls, cls.env)  # a backend of another kind, for the form
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.sim = SapSimulator(
            users={SAP_USER: SAP_PASSWORD}, oauth_clients={OAUTH_ID: OAUTH_SECRET}
        ).start()
        cls.addClassCleanup(cls.sim.stop)
        cls.admin = new_test_user(
            cls.env,
            login="sap_backend_admin",
            groups="base.group_user,plant_sync_base.group_plant_sync_admin",
        )
        cls.backend = cls.env["plant.sync.backend"].create(
            {
                "name": "S4H simulator",
                "kind": "sap_odata",
                "base_url": cls.sim.url,
                "allow_loopback": True,
                "sap_client": "100",
                "sap_language": "EN",
                "username": SAP_USER,
                "password": SAP_PASSWORD,
            }
        )

    def test_connection_test_against_the_sap_simulator(self):
        backend = self.backend.with_user(self.admin)
        action = backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertTrue(self.backend.last_check_ok)
        self.assertIn("client: 100", self.backend.last_check_result)
        backend.password = "Wrong#Pw1"
        action = backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertFalse(self.backend.last_check_ok)
        self.assertNotIn("Wrong#Pw1", action["params"]["message"])
        self.assertNotIn("Wrong#Pw1", self.backend.last_check_result)

    def test_oauth2_client_credentials_against_the_sap_simulator(self):
        backend = self.backend.with_user(self.admin)
        backend.write(
            {
                "auth_type": "oauth2",
                "oauth_token_url": self.sim.token_url,
                "oauth_client_id": OAUTH_ID,
                "oauth_client_secret": OAUTH_SECRET,
            }
        )
        self.assertTrue(self.backend.oauth_client_secret_set)
        backend.invalidate_recordset(["oauth_client_secret"])
        self.assertFalse(backend.oauth_client_secret, "write-only")
        self.assertIn(OAUTH_SECRET, self.backend._secret_values())
        action = backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        backend.oauth_client_secret = "Wrong#Secret1"
        action = backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertNotIn("Wrong#Secret1", self.backend.last_check_result)
        backend.action_clear_secrets()
        self.backend.invalidate_recordset()
        self.assertFalse(self.backend.oauth_client_secret_set)
        self.assertFalse(self.backend._get_secret("password"))

    def test_a_failing_call_is_one_attempt_the_job_retries(self):
        self.sim.faults.set(fail_next=1, status=503)
        backend = self.backend.with_user(self.admin)
        self.assertEqual(backend.action_test_connection()["params"]["type"], "danger")
        self.assertEqual(backend.action_test_connection()["params"]["type"], "success")

    def test_connection_values(self):
        values = self.backend._sap_connection_values("odata")
        expected = {
            "transport": "odata",
            "client": "100",
            "language": "EN",
            "user": SAP_USER,
            "password": SAP_PASSWORD,
            "auth": "basic",
            "oauth_client_secret": "",
            "allow_loopback": True,
            "allow_http": True,
            "verify": True,
            "max_attempts": 1,
        }
        self.assertEqual({key: values[key] for key in expected}, expected)
        self.assertNotIn("rfc_params", values)
        self.assertEqual(self.backend._client().config.max_attempts, 1)
        rfc = self.backend.copy({"kind": "sap_rfc", "rfc_ashost": "s4h.example.com"})
        rfc.password = SAP_PASSWORD
        params = rfc._sap_connection_values("rfc")["rfc_params"]
        # the RFC client and user default to the SAP client and user; empty settings are left out
        self.assertEqual(
            params,
            {
                "ashost": "s4h.example.com",
                "client": "100",
                "user": SAP_USER,
                "passwd": SAP_PASSWORD,
                "lang": "EN",
            },
        )

    def test_rfc_connection_factory_and_config_hooks(self):
        master = self.sim.seed_master_data(equipment=1, functional_locations=1, materials=0)
        backend = self.env["plant.sync.backend"].create(
            {
                "name": "S4H simulator over RFC",
                "kind": "sap_rfc",
                "sap_client": "100",
                "username": SAP_USER,
                "password": SAP_PASSWORD,
            }
        )
        Backend = type(backend)
        sim = self.sim

        def factory(self):
            return lambda: sim.rfc_connection(user=SAP_USER, passwd=SAP_PASSWORD, client="100")

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

    def test_oauth_token_url_is_guarded(self):
        with self.assertRaises(ValidationError):
            self.backend.copy(
                {
                    "base_url": "https://s4h.example.com",
                    "allow_loopback": False,
                    "oauth_token_url": self.sim.token_url,
                }
            )
        with self.assertRaises(ValidationError):
            self.backend.oauth_token_url = "https://169.254.169.254/token"

    def test_users_read_sap_in_texts(self):
        Exception_ = self.env["plant.sync.exception"]
        self.assertEqual(Exception_._system_label(self.backend), "SAP")
        other = self.backend.copy({"kind": TEST_KIND, "name": "Other"})
        self.assertEqual(Exception_._system_label(other), "Other")

    def test_form_shows_the_sap_settings_of_sap_backends_only(self):
        sap_fields = ("sap_client", "sap_language", "auth_type", "rfc_ashost", "rfc_user")
        with Form(self.env["plant.sync.backend"].with_user(self.admin)) as form:
            form.name = "Backend"
            form.base_url = "https://erp.example.com"
            form.kind = TEST_KIND
            for name in (*sap_fields, "oauth_token_url", "oauth_client_secret"):
                with self.assertRaises(AssertionError, msg=name):
                    setattr(form, name, "x")
            form.api_key = "Api#Key1"  # the base's secrets stay for the other kinds
            form.kind = "sap_odata"
            form.sap_client = "100"
            form.auth_type = "oauth2"
            form.oauth_token_url = "https://erp.example.com/sap/bc/sec/oauth2/token"
            form.oauth_client_secret = "Client#Secret2"
            for name in ("rfc_ashost", "rfc_user", "api_key", "hmac_key"):
                with self.assertRaises(AssertionError, msg=name):
                    setattr(form, name, "x")
            form.kind = "sap_rfc"
            form.rfc_ashost = "s4h.example.com"
            for name in ("auth_type", "oauth_token_url", "oauth_client_secret"):
                with self.assertRaises(AssertionError, msg=name):
                    setattr(form, name, "x")
        backend = form.record
        self.assertEqual((backend.sap_client, backend.rfc_ashost), ("100", "s4h.example.com"))
        self.assertTrue(backend.oauth_client_secret_set)

    def test_the_sap_kinds_and_settings_belong_to_this_addon(self):
        Data = self.env["ir.model.data"]
        for name in (
            "selection__plant_sync_backend__kind__sap_odata",
            "selection__plant_sync_backend__kind__sap_rfc",
            "field_plant_sync_backend__sap_client",
            "field_plant_sync_backend__rfc_ashost",
            "field_plant_sync_backend__oauth_client_secret_encrypted",
        ):
            modules = Data.search([("name", "=", name)]).mapped("module")
            self.assertEqual(modules, ["plant_sync_sap"], name)
