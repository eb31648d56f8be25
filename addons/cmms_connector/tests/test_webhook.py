# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The webhook controller through Odoo's real HTTP server (HttpCase), fed by the CMMS
simulator's signed-webhook emitter.

HttpCase serves requests in threads of this process, each on a test cursor over the test
transaction; Odoo serialises those cursors with a lock. The deliveries below are sent
concurrently (threads, several connections), so the server really receives them in parallel,
but their transactions run one after the other. The de-duplication itself does not rely on that:
it is an ``INSERT ... ON CONFLICT DO NOTHING`` on a unique (backend, event id) index (see
``test_event_ids_are_unique_in_the_database``) plus the unique idempotency key of the message.
"""

import hashlib
import hmac
import json
import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import requests
from odoo import SUPERUSER_ID, api
from odoo.tests.common import HttpCase, TransactionCase, tagged
from odoo.tools import mute_logger

from plant_sync.simulators.cmms.emitter import post_chunked
from plant_sync.webhooks import sign

from .common import WEBHOOK_SECRET, CmmsCase

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestCmmsWebhook(CmmsCase, HttpCase):
    def url(self, backend):
        return f"{self.base_url()}/plant_sync/cmms/{backend.id}/webhook"

    def event(self, number, wonum=None):
        return {
            "id": f"evt-{number:05d}",
            "type": "workorder.updated",
            "data": {"wonum": wonum or f"WO{number:04d}"},
        }

    def deliver(self, backend, events, repeat=1, parallel_events=4, secret=WEBHOOK_SECRET, **kw):
        """Send every event ``repeat`` times (``repeat`` connections at once per event and
        ``parallel_events`` events at once) and return the HTTP statuses."""
        self.env.flush_all()
        self.env.cr.flush()
        self.env.cr.clear()
        url = self.url(backend)

        def send(event):
            return self.sim.emit_webhook(
                url, secret, event, repeat=repeat, parallel=repeat, timeout=60, **kw
            )

        with ThreadPoolExecutor(max_workers=parallel_events) as pool:
            statuses = [status for result in pool.map(send, events) for status in result]
        self.env.invalidate_all()
        return statuses

    def webhook_messages(self, backend):
        return self.env["plant.sync.message"].search(
            [("backend_id", "=", backend.id), ("flow_code", "=", "cmms_webhook")]
        )

    def jobs_of(self, messages):
        return self.env["queue.job"].search(
            [("uuid", "in", messages.mapped("job_uuid")), ("method_name", "=", "_job_process")]
        )

    def test_1000_deliveries_of_200_events_make_200_requests(self):
        backend = self.maximo
        self.add_workorders(200)
        events = [self.event(n) for n in range(1, 201)]
        started = time.monotonic()
        statuses = self.deliver(backend, events, repeat=5, parallel_events=4)
        elapsed = time.monotonic() - started
        self.assertEqual(len(statuses), 1000)
        self.assertEqual(Counter(statuses), Counter({202: 200, 200: 800}))
        received = self.env["cmms.webhook.event"].search([("backend_id", "=", backend.id)])
        self.assertEqual(len(received), 200)
        self.assertEqual(len(set(received.mapped("event_id"))), 200)
        messages = self.webhook_messages(backend)
        self.assertEqual(len(messages), 200)
        self.assertEqual(received.message_id, messages)
        self.assertEqual(len(self.jobs_of(messages)), 200, "one job per event, none for replays")
        # run the jobs: each fetches its work order from the CMMS and imports it
        for message in messages:
            message._job_process()
        self.assertEqual(set(messages.mapped("state")), {"done"})
        requests_ = self.requests_of(backend)
        self.assertEqual(len(requests_), 200)
        self.assertEqual(
            sorted(backend._external_id_for(r) for r in requests_),
            [f"WO{n:04d}" for n in range(1, 201)],
        )
        # measured: logged for the report (no timing assertion)
        self._logger.info("1000 webhook deliveries (200 events x 5) answered in %.1fs", elapsed)
        # a late re-delivery of a processed event is still a replay
        self.assertEqual(self.deliver(backend, events[:1]), [200])
        self.assertEqual(len(self.webhook_messages(backend)), 200)

    def test_bad_signature_and_stale_timestamp_are_401(self):
        event = self.event(1)
        self.assertEqual(self.deliver(self.maximo, [event], secret="not-the-secret"), [401])
        stale = int(time.time()) - 3600
        self.assertEqual(self.deliver(self.maximo, [event], timestamp=stale), [401])
        self.assertFalse(self.env["cmms.webhook.event"].search([("event_id", "=", "evt-00001")]))
        self.assertFalse(self.webhook_messages(self.maximo))
        # the refused event id was not remembered: the genuine delivery goes through
        self.assertEqual(self.deliver(self.maximo, [event]), [202])

    def test_replay_answers_200_without_second_job(self):
        self.add_workorders(1)
        event = self.event(1)
        self.assertEqual(self.deliver(self.maximo, [event]), [202])
        first = self.webhook_messages(self.maximo)
        self.assertEqual(len(self.jobs_of(first)), 1)
        self.assertEqual(self.deliver(self.maximo, [event]), [200])
        self.assertEqual(self.webhook_messages(self.maximo), first)
        self.assertEqual(len(self.jobs_of(first)), 1)
        # same event id on another backend is another event
        self.assertEqual(self.deliver(self.rest, [event]), [202])

    def test_oversized_body_is_413(self):
        self.maximo.cmms_webhook_max_body = 2048
        event = dict(self.event(1), data={"wonum": "WO0001", "note": "x" * 4096})
        self.assertEqual(self.deliver(self.maximo, [event]), [413])
        self.assertFalse(self.webhook_messages(self.maximo))

    def test_unknown_backend_or_disabled_flow_is_404(self):
        self.flow(self.maximo, "cmms_webhook").enabled = False
        self.assertEqual(self.deliver(self.maximo, [self.event(1)]), [404])
        self.env.flush_all()
        response = requests.post(
            f"{self.base_url()}/plant_sync/cmms/999999/webhook", data=b"{}", timeout=30
        )
        self.assertEqual(response.status_code, 404)

    def test_signed_body_that_is_not_json_is_400_and_not_remembered(self):
        self.env.flush_all()
        # garbage, nested deeper than any parser should recurse, text that is no Unicode
        for n, body in enumerate((b"not json", b"[" * 200_000, b'{"type": "\\ud800"}')):
            event_id = f"evt-x{n}"
            headers = {"Content-Type": "application/json", **sign(WEBHOOK_SECRET, body, event_id)}
            response = requests.post(self.url(self.rest), data=body, headers=headers, timeout=30)
            self.assertEqual(response.status_code, 400)
            self.env.invalidate_all()
            events = self.env["cmms.webhook.event"].search([("event_id", "=", event_id)])
            self.assertFalse(events)

    def test_event_carrying_the_work_order_is_imported_without_fetch(self):
        event = {
            "id": "evt-full",
            "type": "workorder.updated",
            "data": {
                "workorder": {
                    "external_id": "EXT-1",
                    "title": "Pushed by the CMMS",
                    "status": "INPRG",
                    "asset_id": "PUMP-100",
                    "version": "7",
                    "downtime_start": "2024-05-01T10:00:00+00:00",
                }
            },
        }
        self.assertEqual(self.deliver(self.rest, [event]), [202])
        hits = self.sim.hits["rest"]
        message = self.webhook_messages(self.rest)
        message._job_process()
        self.assertEqual(message.state, "done", message.error_technical)
        self.assertEqual(self.sim.hits["rest"], hits, "no call to the CMMS")
        request = self.rest._record_for("maintenance.request", "EXT-1")
        self.assertEqual(request.stage_id, self.env.ref("maintenance.stage_1"))
        self.assertTrue(request.downtime_event_ids.is_open)

    def post(self, backend, body, headers, **kw):
        """One raw delivery (flushed first: the server thread reads the database)."""
        self.env.flush_all()
        response = requests.post(
            self.url(backend),
            data=body,
            headers={"Content-Type": "application/json", **headers},
            timeout=60,
            **kw,
        )
        self.env.invalidate_all()
        return response.status_code

    def test_captured_delivery_replayed_under_a_fresh_id_is_refused(self):
        """The signature covers ``webhook-id``: a recorded delivery sent again with a new id
        (unknown to the de-duplication) is refused, and the original is a replay."""
        self.add_workorders(1)
        body = json.dumps(self.event(1)).encode()
        captured = sign(WEBHOOK_SECRET, body, "evt-captured")
        self.assertEqual(self.post(self.maximo, body, captured), 202)
        with mute_logger("odoo.addons.cmms_connector.controllers.webhook"):
            self.assertEqual(self.post(self.maximo, body, {**captured, "webhook-id": "evt-2"}), 401)
        self.assertEqual(self.post(self.maximo, body, captured), 200)  # replay
        events = self.env["cmms.webhook.event"].search([("backend_id", "=", self.maximo.id)])
        self.assertEqual(events.mapped("event_id"), ["evt-captured"])
        self.assertEqual(len(self.webhook_messages(self.maximo)), 1)

    def test_deduplication_keys_on_the_signed_webhook_id(self):
        """Not on the body's own ``id``: two events with the same body id but their own signed
        webhook ids are two events; the same webhook id is one event whatever the body says."""
        self.add_workorders(2)
        first = json.dumps(self.event(1)).encode()
        second = json.dumps(self.event(1, wonum="WO0002")).encode()  # same body id evt-00001
        self.assertEqual(self.post(self.maximo, first, sign(WEBHOOK_SECRET, first, "wh-1")), 202)
        self.assertEqual(self.post(self.maximo, second, sign(WEBHOOK_SECRET, second, "wh-2")), 202)
        again = json.dumps(self.event(7)).encode()
        self.assertEqual(self.post(self.maximo, again, sign(WEBHOOK_SECRET, again, "wh-1")), 200)
        events = self.env["cmms.webhook.event"].search([("backend_id", "=", self.maximo.id)])
        self.assertEqual(sorted(events.mapped("event_id")), ["wh-1", "wh-2"])
        self.assertEqual(len(self.webhook_messages(self.maximo)), 2)

    def test_legacy_x_plantsync_headers_are_refused(self):
        body = json.dumps(self.event(1)).encode()
        ts = str(int(time.time()))
        mac = hmac.new(WEBHOOK_SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256)
        legacy = {
            "X-PlantSync-Timestamp": ts,
            "X-PlantSync-Event-Id": "evt-legacy",
            "X-PlantSync-Signature": "sha256=" + mac.hexdigest(),
        }
        with mute_logger("odoo.addons.cmms_connector.controllers.webhook"):
            self.assertEqual(self.post(self.maximo, body, legacy), 401)
        self.assertFalse(self.webhook_messages(self.maximo))

    def test_chunked_delivery_without_content_length_is_accepted(self):
        self.add_workorders(1)
        body = json.dumps(self.event(1)).encode()
        chunks = iter([body[:7], body[7:]])  # a generator body: Transfer-Encoding: chunked
        headers = sign(WEBHOOK_SECRET, body, "evt-chunked")
        self.assertEqual(self.post(self.maximo, chunks, headers), 202)
        self.assertEqual(len(self.webhook_messages(self.maximo)), 1)

    def test_endless_chunked_upload_is_413_before_it_ends(self):
        """No Content-Length, a body that keeps coming: the controller stops reading at the
        limit and answers 413 while the sender is still sending (before: it read everything
        into memory, then refused)."""
        self.maximo.cmms_webhook_max_body = 2048
        self.env.flush_all()
        with mute_logger("odoo.addons.cmms_connector.controllers.webhook"):
            delivery = post_chunked(
                self.url(self.maximo),
                sign(WEBHOOK_SECRET, b"", "evt-endless"),
                give_up_after=32 * 1024 * 1024,
            )
        self.env.invalidate_all()
        self.assertEqual(delivery.status, 413)
        self.assertFalse(delivery.finished, "answered while the upload was still going")
        self.assertFalse(self.webhook_messages(self.maximo))

    def test_event_ids_are_unique_in_the_database(self):
        Event = self.env["cmms.webhook.event"]
        self.assertTrue(Event._remember(self.maximo.id, "evt-db"))
        self.assertFalse(Event._remember(self.maximo.id, "evt-db"), "insert-if-absent")
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "INSERT INTO cmms_webhook_event (backend_id, event_id) VALUES (%s, %s)",
                (self.maximo.id, "evt-db"),
            )


@tagged("post_install", "-at_install")
class TestSeenStoreConcurrency(TransactionCase):
    """Real concurrent transactions (not the serialised test cursors of HttpCase): several
    workers insert the same event id at the same moment, each in its own database transaction
    (REPEATABLE READ, like Odoo requests). Exactly one gets it; a worker that collided with the
    winner gets a serialization failure, which Odoo's request handling retries - and the retry
    sees the event as already received."""

    WORKERS = 6

    def setUp(self):
        super().setUp()
        # real cursors are needed; a registry left in test mode would hand out one shared
        # test cursor and the workers would wait on each other forever
        self.assertFalse(self.registry.in_test_mode(), "registry still in HttpCase test mode")
        with self.registry.cursor() as cr:  # committed: visible to the workers' transactions
            backend = api.Environment(cr, SUPERUSER_ID, {})["plant.sync.backend"].create(
                {
                    "name": "Concurrency probe",
                    "kind": "cmms_rest",
                    "cmms_rest_field_map": '{"external_id": "id"}',
                }
            )
            self.backend_id = backend.id
        self.addCleanup(self._drop_backend)

    def _drop_backend(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM cmms_webhook_event WHERE backend_id = %s", (self.backend_id,))
            cr.execute("DELETE FROM plant_sync_backend WHERE id = %s", (self.backend_id,))

    def remember(self, event_id, barrier=None, hold=0.0):
        with self.registry.cursor() as cr:
            # the test thread holds the registry lock: give the worker's cursor its ORM
            # transaction directly instead of looking the registry up again
            cr.transaction = api.Transaction(self.registry)
            # never hang the suite on a lock held elsewhere: fail this worker loudly instead
            cr.execute("SET LOCAL lock_timeout = '20s'")
            env = api.Environment(cr, SUPERUSER_ID, {})
            if barrier is not None:
                barrier.wait(timeout=30)
            try:
                first = bool(env["cmms.webhook.event"]._remember(self.backend_id, event_id))
                time.sleep(hold)  # keep the transaction open: the others collide with it
            except psycopg2.errors.SerializationFailure:
                cr.rollback()
                return "retry"
            return first

    def test_one_winner_among_concurrent_transactions(self):
        barrier = threading.Barrier(self.WORKERS)
        with mute_logger("odoo.sql_db"), ThreadPoolExecutor(self.WORKERS) as pool:
            outcomes = list(
                pool.map(
                    lambda _n: self.remember("evt-race", barrier, hold=0.3), range(self.WORKERS)
                )
            )
        self.assertEqual(outcomes.count(True), 1, outcomes)
        _logger.info("concurrent inserts of one event id: %s", dict(Counter(map(str, outcomes))))
        self.assertEqual(outcomes.count(True) + outcomes.count(False) + outcomes.count("retry"), 6)
        # what the retried requests see: a replay
        self.assertFalse(self.remember("evt-race"))
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM cmms_webhook_event WHERE backend_id = %s AND event_id = %s",
                (self.backend_id, "evt-race"),
            )
            self.assertEqual(cr.fetchone()[0], 1)
