# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Journeys 3-5 of issue 15 in headless Chromium, each as a user holding only that role's
groups: the tour (static/tests/tours/plant_sync_journeys.js) does what the person does, the test
prepares the data over the real engine and checks afterwards what the clicks changed."""

import base64
from datetime import timedelta
from unittest.mock import patch

import requests
from odoo import fields
from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests.common import HttpCase, new_test_user, tagged
from odoo.tools import config, mute_logger

from plant_sync.crypto import SecretBox, generate_key
from plant_sync.errors import ConfigurationError

from ..exceptions import PlantSyncBusinessError
from ..tools import CONFIG_KEY
from .common import TEST_KIND, PlantSyncCase, patch_handler

HELD_URL = "/odoo/action-plant_sync_base.action_plant_sync_message_held"
EXCEPTIONS_URL = "/odoo/action-plant_sync_base.action_plant_sync_exception"
MONITORING_URL = "/odoo/action-plant_sync_base.action_plant_sync_metric_snapshot"


def posting_handler(message):
    """A posting flow as finance sees it: the remote refuses → a finance exception carrying the
    amount at stake (the payload says the document, amount, cost center and posting date)."""
    payload = message._get_payload()
    backend = message.backend_id
    response = requests.post(
        f"{backend.base_url}/push",
        json=payload,
        headers={"Idempotency-Key": message.idempotency_key},
        timeout=(backend.connect_timeout, backend.read_timeout),
    )
    if response.status_code >= 400:
        raise PlantSyncBusinessError(
            f"The ERP refused the goods issue {payload['document']}: "
            f"{response.json()['error']['message']}",
            amount=payload["amount"],
            currency="EUR",
            owner_group="finance",
        )
    data = response.json()
    return data, data["id"]


class JourneyCase(HttpCase, PlantSyncCase):
    browser_size = "1920x1080"  # every Plant Integration menu in the navigation bar

    def perform_jobs(self, messages):
        """Run the queue_job jobs the browser's clicks enqueued, as the job runner would."""
        for message in messages:
            self.assertTrue(message.job_uuid, f"{message.display_name} has no job")
            Job.load(self.env, message.job_uuid).perform()

    def fail_or_hold(self, payloads, statuses=()):
        """One message per payload (each about its own record), processed by the engine."""
        if statuses:
            self.remote.script(*statuses)
        messages = self.env["plant.sync.message"]
        with trap_jobs() as trap:
            for number, payload in enumerate(payloads):
                record = self.env["res.partner"].create({"name": f"Document {number}"})
                messages |= self.enqueue(record=record, payload=payload, key=("doc", number))
            trap.perform_enqueued_jobs()
        return messages


@tagged("post_install", "-at_install")
class TestAdministratorJourney(JourneyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ada = new_test_user(
            cls.env, login="journey_admin", groups="plant_sync_base.group_plant_sync_admin"
        )

    def test_admin_journey(self):
        erp = self.env["plant.sync.backend"].create(
            {
                "name": "ERP simulator",
                "kind": TEST_KIND,
                "base_url": self.remote.url,
                "allow_loopback": True,
                "username": "PLANT_SYNC",
                "password": "Secret#1",
            }
        )
        held = self.fail_or_hold(
            [{"status": "urgent", "n": 1}, {"status": "urgent", "n": 2}, {"status": "low"}]
        )
        self.assertEqual(set(held.mapped("state")), {"held"})
        urgent, low = held[:2], held[2]
        old_keys = config[CONFIG_KEY]
        new_key = generate_key()
        stored = erp.sudo().password_encrypted
        # README, Configuration: 1. the new key goes first in the configuration
        with patch.dict(config.options, {CONFIG_KEY: f"{new_key},{old_keys}"}):
            # 2. the administrator works the held messages, tests the ERP, runs Rotate secrets
            self.start_tour(HELD_URL, "plant_sync_journey_admin", login="journey_admin")
        # the connection test the administrator ran, and the rotation
        self.assertTrue(erp.last_check_ok, erp.last_check_result)
        rotated = erp.sudo().password_encrypted
        self.assertNotEqual(rotated, stored)
        self.assertEqual(SecretBox([new_key]).decrypt(rotated), "Secret#1")
        with self.assertRaises(ConfigurationError):
            SecretBox(old_keys.split(",")).decrypt(rotated)
        # the mapping the administrator created released exactly the two 'urgent' messages
        mapping = self.env["plant.sync.mapping"].search([("external_value", "=", "URG")])
        self.assertEqual(
            (mapping.mapping_type, mapping.direction, mapping.odoo_value, mapping.backend_id),
            ("status", "outbound", "urgent", self.backend),
        )
        self.assertEqual(set(urgent.mapped("state")), {"pending"})
        self.assertEqual(low.state, "held")
        # 3. the old key is removed: every secret still opens with the new key alone, and the
        # released messages are delivered
        with patch.dict(config.options, {CONFIG_KEY: new_key}):
            self.assertEqual(self.backend._get_secret("password"), "Sup3r-Secret-Pw")
            self.perform_jobs(urgent)
            action = erp.with_user(self.ada).action_test_connection()
            self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        # the connection tests logged on with the password, decrypted with either key
        logons = {c["headers"]["Authorization"] for c in self.remote.calls if c["path"] == "/ping"}
        self.assertEqual(logons, {"Basic " + base64.b64encode(b"PLANT_SYNC:Secret#1").decode()})
        self.assertEqual(set(urgent.mapped("state")), {"done"})
        pushed = [c["body"]["status"] for c in self.remote.calls if c["path"] == "/push"]
        self.assertEqual(pushed, ["URG", "URG"])
        self.assertFalse(urgent.exception_ids.filtered(lambda e: e.state != "resolved"))


@tagged("post_install", "-at_install")
class TestFinanceJourney(JourneyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(patch_handler(posting_handler))
        cls.fiona = new_test_user(
            cls.env,
            login="journey_finance",
            groups="base.group_user,plant_sync_base.group_plant_sync_finance",
        )

    def test_finance_journey(self):
        documents = [
            ("GI-1001", 1500.0, "10101101", "2025-01-20"),
            ("GI-1002", 12000.0, "10101101", "2025-01-28"),
            ("GI-1003", 800.0, "10101101", "2025-01-05"),
            ("GI-1004", 5000.0, "20202202", "2025-01-10"),
            ("GI-1005", 3000.0, "10101101", "2025-02-03"),
        ]
        payloads = [
            {"document": d, "amount": a, "cost_center": c, "posting_date": p}
            for d, a, c, p in documents
        ]
        messages = self.fail_or_hold(payloads, statuses=[400] * len(payloads))
        exceptions = messages.exception_ids
        self.assertEqual(len(exceptions), 5)
        by_doc = {exc.message_id._get_payload()["document"]: exc for exc in exceptions}
        self.assertEqual(
            (by_doc["GI-1002"].owner_group, by_doc["GI-1002"].amount),
            ("finance", 12000.0),
        )
        self.assertEqual(
            (by_doc["GI-1002"].cost_center, by_doc["GI-1002"].posting_period),
            ("10101101", "2025-01"),
        )
        self.assertEqual(by_doc["GI-1005"].posting_period, "2025-02")

        self.start_tour(EXCEPTIONS_URL, "plant_sync_journey_finance", login="journey_finance")

        # bulk retry: the two filtered postings went again, and the ERP took them this time
        retried = by_doc["GI-1001"].message_id | by_doc["GI-1002"].message_id
        self.perform_jobs(retried)
        self.assertEqual(set(retried.mapped("state")), {"done"})
        self.assertEqual(set((by_doc["GI-1001"] | by_doc["GI-1002"]).mapped("state")), {"resolved"})
        # the filtered-out ones were not touched
        for doc in ("GI-1003", "GI-1005"):
            self.assertEqual((by_doc[doc].state, by_doc[doc].message_id.state), ("new", "failed"))
        # cancelled with the reason typed
        cancelled = by_doc["GI-1004"]
        self.assertEqual((cancelled.state, cancelled.message_id.state), ("cancelled", "cancelled"))
        self.assertIn("document 4900001234", cancelled.resolution_note)
        self.assertIn("journey_finance", cancelled.resolution_note)
        # what still blocks the close, per period
        blockers = self.env["plant.sync.period.blocker"].search(
            [("exception_id", "in", exceptions.ids)]
        )
        still_open = {doc: exc for doc, exc in by_doc.items() if exc.state == "new"}
        self.assertEqual(
            sorted((b.period, b.exception_id) for b in blockers),
            [("2025-01", still_open["GI-1003"]), ("2025-02", still_open["GI-1005"])],
        )


@tagged("post_install", "-at_install")
class TestMonitoringJourney(JourneyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.oscar = new_test_user(
            cls.env, login="journey_ops", groups="plant_sync_base.group_plant_sync_admin"
        )

    def test_monitoring_journey(self):
        # three hours of traffic: 12 deliveries, 3 failures, spread over six half hours
        statuses = [200, 200, 200, 200, 400, 200, 200, 200, 400, 200, 200, 200, 200, 400, 200]
        messages = self.fail_or_hold([{"n": n} for n in range(len(statuses))], statuses)
        self.assertEqual(len(messages.filtered(lambda m: m.state == "failed")), 3)
        now = fields.Datetime.now().replace(second=0, microsecond=0)
        start = now - timedelta(hours=3)
        self.env.flush_all()
        for index, message in enumerate(messages.sorted("id")):
            created = start + timedelta(minutes=12 * index + 1)
            finished = created + timedelta(seconds=5 + 20 * (index % 4))
            self.env.cr.execute(
                "UPDATE plant_sync_message SET create_date = %s, date_last_attempt = %s,"
                " date_done = CASE WHEN date_done IS NULL THEN NULL ELSE %s END WHERE id = %s",
                (created, finished, finished, message.id),
            )
        self.env.invalidate_all()
        Snapshot = self.env["plant.sync.metric.snapshot"]
        for step in range(6):
            Snapshot._take(
                start + timedelta(minutes=30 * step), start + timedelta(minutes=30 * (step + 1))
            )
        self.assertEqual(sum(Snapshot.search([]).mapped("delivered")), 12)
        # a backlog the administrators must hear about
        self.env["ir.config_parameter"].set_param("plant_sync_base.alert_backlog", 2)
        with trap_jobs():
            for number in range(2):
                record = self.env["res.partner"].create({"name": f"Waiting {number}"})
                self.enqueue(record=record, key=("waiting", number))
        with self.assertLogs("odoo.addons.plant_sync_base.models.plant_sync_alert", "WARNING"):
            alerts = self.env["plant.sync.alert"]._cron_evaluate()
        backlog = alerts.filtered(lambda a: a.rule == "backlog")
        self.assertIn(self.oscar, backlog.activity_ids.user_id)

        with mute_logger("odoo.addons.plant_sync_base.models.plant_sync_alert"):
            self.start_tour(MONITORING_URL, "plant_sync_journey_monitoring", login="journey_ops")
