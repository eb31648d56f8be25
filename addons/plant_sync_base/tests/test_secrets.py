# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import os
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests.common import tagged
from odoo.tools import config

from plant_sync.crypto import ENV_VAR, generate_key
from plant_sync.errors import ConfigurationError

from ..tools import CONFIG_KEY, encryption_keys, secret_box
from .common import PlantSyncCase

PLAINTEXT = "Sup3r-Secret-Pw"


@tagged("post_install", "-at_install")
class TestSecrets(PlantSyncCase):
    def _column(self, column="password_encrypted"):
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT {column} FROM plant_sync_backend WHERE id = %s",  # noqa: S608 - constant
            (self.backend.id,),
        )
        return self.env.cr.fetchone()[0]

    def test_database_column_never_contains_the_plaintext(self):
        stored = self._column()
        self.assertTrue(stored.startswith("fernet:"))
        self.assertNotIn(PLAINTEXT, stored)
        self.env.cr.execute(
            "SELECT count(*) FROM plant_sync_backend WHERE row_to_json(plant_sync_backend.*)::text"
            " LIKE %s",
            (f"%{PLAINTEXT}%",),
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertEqual(secret_box().decrypt(stored), PLAINTEXT)
        self.assertEqual(self.backend._get_secret("password"), PLAINTEXT)

    def test_secret_is_write_only_and_admin_only(self):
        self.assertTrue(self.backend.password_set)
        self.assertFalse(self.backend.with_user(self.admin).password, "never readable back")
        self.assertFalse(self.backend.api_key_set)
        for user in (self.planner, self.finance):
            backend = self.backend.with_user(user)
            self.assertTrue(backend.password_set, "users see whether it is set")
            with self.assertRaises(AccessError):
                backend.read(["password_encrypted"])
            with self.assertRaises(AccessError):
                backend.read(["password"])
            with self.assertRaises(AccessError):
                backend.write({"password": "x"})

    def test_admin_replaces_secret_empty_input_keeps_it(self):
        backend = self.backend.with_user(self.admin)
        backend.write({"api_key": "key-123456"})
        self.assertTrue(backend.api_key_set)
        before = self._column("api_key_encrypted")
        backend.write({"api_key": False})
        self.assertEqual(self._column("api_key_encrypted"), before)
        self.assertEqual(self.backend._get_secret("api_key"), "key-123456")

    def test_rotation_reencrypts_with_newest_key(self):
        old = self._column()
        new_key = generate_key()
        keys = ",".join([new_key, *encryption_keys()])
        with patch.dict(config.options, {CONFIG_KEY: keys}):
            count = self.env["plant.sync.backend"].with_user(self.admin)._rotate_secrets()
            self.assertGreaterEqual(count, 1)
            rotated = self._column()
            self.assertNotEqual(rotated, old)
            self.assertEqual(self.backend._get_secret("password"), PLAINTEXT)
        # only the new key can read it now
        with patch.dict(config.options, {CONFIG_KEY: new_key}):
            self.assertEqual(secret_box().decrypt(rotated), PLAINTEXT)

    def test_keys_come_only_from_the_configuration_or_the_environment(self):
        """Tests bring their own key (common.provide_encryption_keys), production does not:
        with neither the option nor the environment variable set, no secret can be stored."""
        with (
            patch.dict(config.options, {CONFIG_KEY: ""}),
            patch.dict(os.environ, {ENV_VAR: ""}),
        ):
            self.assertEqual(encryption_keys(), [])
            with self.assertRaises(ConfigurationError):
                secret_box()
            with self.assertRaises(UserError):
                self.backend.with_user(self.admin).write({"api_key": "key-123456"})

    def test_test_connection_reports_failure_without_leaking_secret(self):
        # whatever the remote answers, the button reports it without the secret
        action = self.backend.with_user(self.admin).action_test_connection()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn(action["params"]["type"], ("success", "danger"))
        self.assertNotIn(PLAINTEXT, action["params"]["message"])
        self.assertTrue(self.backend.last_check_date)
