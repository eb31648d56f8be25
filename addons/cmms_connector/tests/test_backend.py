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
                client = backend.client()
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
