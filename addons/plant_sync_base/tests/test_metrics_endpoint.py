# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""``/metrics`` over real HTTP: 401 without the bearer token, Prometheus text with it (read back
with prometheus_client's own parser), the database never switched by a parameter."""

from urllib.parse import urlencode

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import HttpCase, get_db_name, tagged
from prometheus_client.parser import text_string_to_metric_families

from .common import PlantSyncCase

TOKEN = "9f1c2e7a5b3d4c6e8f0a1b2c3d4e5f60"  # noqa: S105 - a test token


@tagged("post_install", "-at_install")
class TestMetricsEndpoint(HttpCase, PlantSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["plant.sync.metric.snapshot"]._set_metrics_token(TOKEN)

    def scrape(self, token=TOKEN, path="/metrics", **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if params:
            path = f"{path}?{urlencode(params)}"
        return self.url_open(path, headers=headers)

    def samples(self, text):
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def test_without_or_with_a_wrong_token_401(self):
        for token in (None, "wrong-token-of-sufficient-length-123", TOKEN[:-1]):
            response = self.scrape(token=token)
            self.assertEqual(response.status_code, 401, token)
            self.assertIn("Bearer", response.headers["WWW-Authenticate"])
            self.assertNotIn("plant_sync_messages", response.text)
        response = self.url_open("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        self.assertEqual(response.status_code, 401, "only a bearer token counts")

    def test_metrics_in_prometheus_text_format(self):
        self.remote.script(400)
        records = self.env["res.partner"].create([{"name": f"WO {n}"} for n in range(4)])
        with trap_jobs() as trap:
            for index, record in enumerate(records[:2]):
                self.enqueue(record=record, key=("done", index))
            trap.perform_enqueued_jobs()  # the first one fails (400), the second is delivered
            for index, record in enumerate(records[2:]):
                self.enqueue(record=record, key=("waiting", index))
        self.env["plant.sync.metric.snapshot"]._cron_take_snapshot()
        response = self.scrape()
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain; version="))
        samples = self.samples(response.text)
        labels = (("backend", self.backend.name), ("flow", "test_push"))
        self.assertEqual(samples[("plant_sync_messages", (*labels, ("state", "pending")))], 2)
        self.assertEqual(samples[("plant_sync_messages", (*labels, ("state", "failed")))], 1)
        self.assertEqual(samples[("plant_sync_throughput_messages", labels)], 1)
        self.assertEqual(samples[("plant_sync_failure_ratio", labels)], 0.5)
        self.assertIn(("plant_sync_latency_seconds", (*labels, ("quantile", "0.95"))), samples)
        self.assertGreaterEqual(samples[("plant_sync_oldest_waiting_seconds", labels)], 0)
        health = (
            "plant_sync_backend_health",
            (("backend", self.backend.name), ("state", "healthy")),
        )
        self.assertEqual(samples[health], 1)
        owner = (("backend", self.backend.name), ("owner_group", "planner"))
        self.assertEqual(samples[("plant_sync_open_exceptions", owner)], 1)
        # the same page under the addon's own path
        self.assertEqual(self.scrape(path="/plant_sync/metrics").text, response.text)

    def test_db_parameter_never_switches_the_database(self):
        self.assertEqual(self.scrape(db=get_db_name()).status_code, 200)
        self.assertEqual(self.scrape(db="another_database").status_code, 404)

    def test_token_is_stored_hashed_and_set_by_administrators_only(self):
        stored = self.env["ir.config_parameter"].get_param("plant_sync_base.metrics_token_hash")
        self.assertTrue(stored.startswith("sha256:"))
        self.assertNotIn(TOKEN, stored)
        Snapshot = self.env["plant.sync.metric.snapshot"]
        with self.assertRaises(UserError):
            Snapshot._set_metrics_token("too-short")
        with self.assertRaises(AccessError):
            Snapshot.with_user(self.admin)._set_metrics_token(TOKEN + "x")
        settings = self.env["res.config.settings"].create({"plant_sync_metrics_token": TOKEN * 2})
        settings.execute()
        settings.invalidate_recordset()
        self.assertFalse(settings.plant_sync_metrics_token, "write-only")
        self.assertTrue(settings.plant_sync_metrics_token_set)
        self.assertEqual(self.scrape().status_code, 401, "the old token is replaced")
        self.assertEqual(self.scrape(token=TOKEN * 2).status_code, 200)
