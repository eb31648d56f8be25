# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.exceptions import ValidationError
from odoo.tests.common import tagged

from plant_sync.cmms.maximo import MaximoClient
from plant_sync.cmms.rest import RestClient
from plant_sync.cmms.soap import SoapClient

from .common import CmmsCase


@tagged("post_install", "-at_install")
class TestCmmsBackend(CmmsCase):
    def test_client_dispatch_per_kind(self):
        expected = {
            self.maximo: MaximoClient,
            self.soap: SoapClient,
            self.rest: RestClient,
        }
        for backend, cls in expected.items():
            with self.subTest(kind=backend.kind):
                client = backend._client()
                self.assertIsInstance(client, cls)
                client.ping()  # real round trip to the simulator
                client.close()

    def test_json_settings_are_validated_on_save(self):
        refused = [
            (self.rest, "cmms_rest_field_map", "{'id': 1", "not valid JSON"),
            (self.rest, "cmms_extra_config", "[1, 2]", "JSON object"),
            (self.rest, "cmms_rest_field_map", json.dumps({"title": "x"}), "external_id"),
            (self.soap, "cmms_extra_config", json.dumps({"no_such_option": 1}), "unknown"),
            (self.rest, "cmms_extra_config", json.dumps({"pagination": {"style": "up"}}), "style"),
        ]
        for backend, field, value, error in refused:
            with (
                self.subTest(field=field, value=value),
                self.assertRaisesRegex(ValidationError, error),
                self.env.cr.savepoint(),
            ):
                backend.write({field: value})
        self.rest.cmms_extra_config = json.dumps({"pagination": {"style": "offset"}})
        self.assertEqual(self.rest._cmms_config_dict()["pagination"]["style"], "offset")

    def test_extra_config_cannot_override_host_tls_plain_http_or_local_wsdl(self):
        """Only documented advanced settings; the endpoint, TLS verification, plain http,
        loopback allowances, credentials and local WSDL files come from the backend's fields."""
        refused = [
            (self.rest, {"base_url": "https://evil.example.com/api"}),
            (self.maximo, {"base_url": "http://169.254.169.254/maximo"}),
            (self.rest, {"http": {"verify_tls": False}}),
            (self.maximo, {"http": {"ca_bundle": "/srv/attacker-ca.pem"}}),
            (self.rest, {"http": {"allow_http": True}}),
            (self.rest, {"http": {"allow_loopback_hosts": ["127.0.0.1", "10.0.0.1"]}}),
            (self.soap, {"wsdl": "/etc/odoo/odoo.conf"}),
            (self.soap, {"endpoint": "https://evil.example.com/soap"}),
            (self.soap, {"query": {"name": "Q", "wsdl": "file:///etc/passwd"}}),
            (self.soap, {"query": {"name": "Q", "wsdl": "https://evil.example.com/q?wsdl"}}),
            (self.rest, {"list_path": "https://evil.example.com/workorders"}),
            (self.maximo, {"api_key": "in-clear-text"}),
            (self.rest, {"auth": {"kind": "none"}}),
        ]
        for backend, extra in refused:
            with (
                self.subTest(kind=backend.kind, extra=extra),
                self.assertRaisesRegex(ValidationError, "not allowed|must be"),
                self.env.cr.savepoint(),
            ):
                backend.cmms_extra_config = json.dumps(extra)
        self.soap.cmms_extra_config = json.dumps(
            {"http": {"read_timeout": 15, "max_pages": 100}, "strict": False}
        )
        config = self.soap._cmms_config_dict()
        self.assertEqual(config["http"]["read_timeout"], 15)
        self.assertEqual(config["http"]["max_pages"], 100)
        self.assertTrue(config["http"]["verify_tls"])

    def test_secrets_are_encrypted_and_webhook_secret_is_the_hmac_key(self):
        self.rest.cmms_signing_secret = "sign-me-0123"
        stored = self.rest.sudo().cmms_signing_secret_encrypted
        self.assertTrue(stored and "sign-me-0123" not in stored)
        self.assertTrue(self.rest.cmms_signing_secret_set)
        self.rest.invalidate_recordset(["cmms_signing_secret"])
        self.assertFalse(self.rest.cmms_signing_secret, "write-only")
        self.assertEqual(self.rest._cmms_config_dict()["signing"]["secret"], "sign-me-0123")
        self.assertEqual(self.maximo._cmms_webhook_secrets(), ["whsec-cmms-test-0123456789"])
        self.assertIn(f"/plant_sync/cmms/{self.maximo.id}/webhook", self.maximo.cmms_webhook_url)

    def test_setup_flows_once_per_code(self):
        codes = sorted(self.maximo.flow_ids.mapped("code"))
        self.assertEqual(codes, ["cmms_asset_pull", "cmms_webhook", "cmms_wo_pull", "cmms_wo_push"])
        self.maximo.action_cmms_setup_flows()
        self.assertEqual(len(self.maximo.flow_ids), 4)
        webhook = self.flow(self.maximo, "cmms_webhook")
        self.assertEqual(webhook.channel_id.complete_name, "root.plant_sync.cmms.webhook")
        pull = self.flow(self.maximo, "cmms_wo_pull")
        self.assertEqual(pull.channel_id.complete_name, "root.plant_sync.cmms")
