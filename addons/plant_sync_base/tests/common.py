# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared set-up: a real HTTP "remote" on loopback, a test-only backend kind and a test-only flow.

The remote is a tiny threaded ``http.server`` that answers with scripted status codes and counts
the calls (the SAP simulator of ``plant_sync.simulators`` replaces it once it offers the generic
fault injection these engine tests need). The flow ``test_push`` (:class:`TestPushFlow`) exists
only while the tests run: it is registered for the test classes, production has no test flows.
The base has no backend kind of its own (addons add theirs); the kind ``test_remote``, whose
client pings the loopback remote, is added the same way for the test classes only.
"""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

import requests
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.tests.common import TransactionCase, new_test_user
from odoo.tools import config

from plant_sync.crypto import ENV_VAR, generate_key
from plant_sync.errors import ServiceUnavailable, ValidationError

from .. import flow as flow_registry
from ..flow import Flow
from ..tools import CONFIG_KEY

TEST_FLOW = "test_push"
TEST_KIND = "test_remote"


def provide_encryption_keys(cls):
    """Give a test class the encryption keys its secrets need, whatever the caller's environment
    (OCA's CI and runbot run tests without PLANT_SYNC_ENCRYPTION_KEYS): the keys this server is
    configured with, else a key made for the class. The configuration option is set for the
    class's duration and restored after it; production code still reads the keys only from the
    configuration file or the environment."""
    keys = config.get(CONFIG_KEY) or os.environ.get(ENV_VAR) or generate_key()
    cls.startClassPatcher(patch.dict(config.options, {CONFIG_KEY: keys}))


class FakeRemote:
    """Loopback HTTP server: ``script(503, 503, 200)`` sets the next answers (then 200)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls = []
        self._script = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test log clean
                return

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with remote.lock:
                    remote.calls.append(
                        {"path": self.path, "body": body, "headers": dict(self.headers)}
                    )
                    status = remote._script.pop(0) if remote._script else 200
                    number = len(remote.calls)
                answer = {"id": f"EXT-{number}", "etag": f'W/"{number}"', "status": status}
                if status >= 400:
                    answer = {"error": {"code": f"E{status}", "message": f"Remote says {status}"}}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 503:
                    self.send_header("Retry-After", "7")
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def script(self, *statuses):
        with self.lock:
            self._script = list(statuses)

    def reset(self):
        with self.lock:
            self.calls.clear()
            self._script = []

    @property
    def call_count(self):
        with self.lock:
            return len(self.calls)


def test_push_handler(message):
    """The flow handler of the test flow, written like a real one: map values (a missing
    mapping holds the message), call the remote with the correlation id and the idempotency key,
    classify the answer, return the response and the external id to bind."""
    payload = message._get_payload()
    backend = message.backend_id
    if "status" in payload:
        payload["status"] = message.env["plant.sync.mapping"]._to_external(
            backend, "status", payload["status"]
        )
    response = requests.post(
        f"{backend.base_url}/push",
        json=payload,
        headers={
            "X-Correlation-ID": message.correlation_id,
            "Idempotency-Key": message.idempotency_key,
        },
        timeout=(backend.connect_timeout, backend.read_timeout),
    )
    if response.status_code == 503:
        raise ServiceUnavailable(
            "Remote unavailable",
            status=503,
            retry_after=float(response.headers.get("Retry-After") or 0) or None,
        )
    if response.status_code >= 400:
        error = response.json()["error"]
        raise ValidationError(error["message"], status=response.status_code, code=error["code"])
    data = response.json()
    return data, data["id"], data["etag"]


class TestPushFlow(Flow):
    """The test flow: its steps are the functions the tests patch in (``patch_handler``,
    ``patch_pull``); registered for the test classes only."""

    code = TEST_FLOW
    label = "Test push"
    trigger = "the tests"
    module = "plant_sync_base"
    handler = staticmethod(test_push_handler)
    puller = None
    #: the instance running now (a patched handler reaches its checkpoint through it)
    current = None

    def run(self):
        type(self).current = self
        return type(self).handler(self.message)

    def pull(self, since=None, token=None, page_token=None):
        return type(self).puller(self.flow, since=since, token=token, page_token=page_token)

    @classmethod
    def has_pull(cls):
        return cls.puller is not None


def patch_handler(handler):
    """Context manager/patcher: ``handler(message)`` runs the test flow's messages."""
    return patch.object(TestPushFlow, "handler", staticmethod(handler))


def patch_pull(pull):
    """Context manager/patcher: ``pull(flow, since=, token=, page_token=)`` is its pull."""
    return patch.object(TestPushFlow, "puller", staticmethod(pull))


def register_test_flow(cls, models):
    """Register the test flow (and its code in the selections) for a test class; ``models``
    is an environment or a registry."""
    Flow = models["plant.sync.flow"]
    Message = models["plant.sync.message"]
    selection = [(TEST_FLOW, "Test push")]
    for field in (Flow._fields["code"], Message._fields["flow_code"]):
        cls.startClassPatcher(patch.object(field, "selection", selection))
        cls.startClassPatcher(patch.object(field, "_selection", dict(selection)))
    cls.startClassPatcher(patch.dict(flow_registry._REGISTRY, {TEST_FLOW: TestPushFlow}))


class TestRemoteClient:
    """The client of the test kind: ``ping()`` posts to the backend's remote with its user and
    password (HTTP Basic), as a real client proves reachability and logon."""

    def __init__(self, backend):
        self.url = f"{backend.base_url}/ping"
        self.auth = (backend.username or "", backend._get_secret("password"))
        self.timeout = (backend.connect_timeout, backend.read_timeout)

    def ping(self):
        response = requests.post(self.url, json={}, auth=self.auth, timeout=self.timeout)
        response.raise_for_status()
        return {"remote": self.url, "answer": response.json()["id"]}


def make_test_remote_client(backend):
    """``_get_client_test_remote()`` of the backends while the tests run."""
    return TestRemoteClient(backend)


def register_test_kind(cls, models):
    """Add the backend kind ``test_remote`` (and its client) to the kinds of the installed
    addons for a test class; ``models`` is an environment or a registry."""
    Backend = models["plant.sync.backend"]
    Backend = Backend if isinstance(Backend, type) else type(Backend)
    field = Backend._fields["kind"]
    selection = [*field.selection, (TEST_KIND, "Test remote")]
    cls.startClassPatcher(patch.object(field, "selection", selection))
    cls.startClassPatcher(patch.object(field, "_selection", dict(selection)))
    factory = f"_get_client_{TEST_KIND}"
    cls.startClassPatcher(patch.object(Backend, factory, make_test_remote_client, create=True))


class PlantSyncCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        provide_encryption_keys(cls)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.remote = FakeRemote().start()
        cls.addClassCleanup(cls.remote.stop)
        register_test_flow(cls, cls.env)
        register_test_kind(cls, cls.env)
        Flow = cls.env["plant.sync.flow"]
        cls.company = cls.env.ref("base.main_company")
        cls.backend = cls.env["plant.sync.backend"].create(
            {
                "name": "Remote (loopback)",
                "kind": TEST_KIND,
                "environment": "test",
                "base_url": cls.remote.url,
                "allow_loopback": True,
                "company_id": cls.company.id,
                "circuit_threshold": 3,
                "circuit_cooldown": 60,
                "rate_limit_per_minute": 2,
                "username": "ODOO_RFC",
                "password": "Sup3r-Secret-Pw",
            }
        )
        cls.flow = Flow.create(
            {
                "backend_id": cls.backend.id,
                "code": TEST_FLOW,
                "enabled": True,
                "mode": "realtime",
                "max_retries": 3,
                "retry_minutes": 0,
            }
        )
        cls.admin = new_test_user(
            cls.env,
            login="ps_admin",
            groups="base.group_user,plant_sync_base.group_plant_sync_admin",
        )
        cls.planner = new_test_user(
            cls.env,
            login="ps_planner",
            groups="base.group_user,plant_sync_base.group_plant_sync_user",
        )
        cls.finance = new_test_user(
            cls.env,
            login="ps_finance",
            groups="base.group_user,plant_sync_base.group_plant_sync_finance",
        )
        cls.technician = new_test_user(cls.env, login="ps_technician", groups="base.group_user")
        cls.record = cls.env["res.partner"].create({"name": "Work order 4711"})
        cls.other_record = cls.env["res.partner"].create({"name": "Work order 4712"})

    def setUp(self):
        super().setUp()
        self.remote.reset()

    # helpers ----------------------------------------------------------------------------------
    def enqueue(self, record=None, payload=None, key=("op", 1), **kwargs):
        kwargs.setdefault("backend", self.backend)
        return self.env["plant.sync.message"]._enqueue(
            TEST_FLOW,
            record if record is not None else self.record,
            payload if payload is not None else {"description": "Pump P-101 leaking"},
            key,
            **kwargs,
        )

    def open_exceptions(self, message):
        return message.exception_ids.filtered(lambda e: e.state in ("new", "in_progress"))

    def perform_expect_retry(self, job):
        """Run ``job`` and return the RetryableJobError it raises. (Not ``assertRaises``: Odoo's
        rolls back a savepoint, the job runner does not roll back what a test wants to see.)"""
        try:
            result = job.perform()
        except RetryableJobError as exc:
            return exc
        raise AssertionError(f"RetryableJobError not raised, job returned {result!r}")
