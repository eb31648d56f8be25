# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Who may make the integration act, read or post: every public method, over real JSON-RPC.

Odoo 18.0 (no ``api.private``) lets any logged-in user, portal users included, call any model
method whose name does not start with ``_`` through ``/web/dataset/call_kw``. This test finds,
by introspection of the registry, every public method the Plant Sync addons define on
their models and add to Odoo's, looks its decision up in :data:`DECISIONS` (which roles may call
it) and calls it over HTTP after a real password log-in as each role of :data:`ROLES`:

* a role without the right must get an ``AccessError`` and leave the database exactly as it was
  (row count and md5 of every table of a model our addons define or extend, plus queue jobs,
  chatter, followers, activities, quants and partners);
* a role with the right must get past the check (the call succeeds, or meets the business rule
  named in the decision).

A public method without a decision fails the test: make it private or decide who may call it.
The concrete attacks of issue 12 are named tests below.
"""

import inspect
import json
import logging
from datetime import datetime
from unittest.mock import patch

from odoo import Command
from odoo.tests.common import HttpCase, Opener, get_db_name, tagged
from odoo.tools import SQL, mute_logger
from odoo.tools.sql import table_exists

from ..tools import IMPORT_CONTEXT_KEY
from .common import TEST_FLOW, TEST_KIND, provide_encryption_keys, register_test_kind

_logger = logging.getLogger(__name__)

OURS = (
    "plant_sync_base",
    "plant_sync_sap",
    "maintenance_sap_bridge",
    "stock_sap_sync",
    "cmms_connector",
)
PASSWORD = "Plant-Sync-Access-Test-1"
ACCESS_ERROR = "odoo.exceptions.AccessError"
USER_ERROR = "odoo.exceptions.UserError"
OK = "ok"

#: the roles, weakest first, and their groups (groups of addons that are not installed are left
#: out). The technician is an employee assigned to the request, its labour and its equipment.
ROLES = ("portal", "employee", "technician", "planner", "finance", "admin")
GROUPS = {
    "portal": ["base.group_portal"],
    "employee": ["base.group_user"],
    "technician": ["base.group_user"],
    "planner": [
        "base.group_user",
        "maintenance.group_equipment_manager",
        "plant_sync_base.group_plant_sync_user",
        "stock.group_stock_user",
    ],
    "finance": [
        "base.group_user",
        "plant_sync_base.group_plant_sync_finance",
        "purchase.group_purchase_user",
    ],
    "admin": [
        "base.group_user",
        "base.group_system",
        "plant_sync_base.group_plant_sync_admin",
        "maintenance.group_equipment_manager",
        "stock.group_stock_manager",
        "purchase.group_purchase_manager",
    ],
}
ADMIN = frozenset({"admin"})
#: Plant Integration users (planner, finance, administrator) read the integration's records
READERS = frozenset({"planner", "finance", "admin"})
EMPLOYEES = frozenset({"employee", "technician", "planner", "finance", "admin"})
ON_REQUEST = frozenset({"technician", "planner", "admin"})  # read the technician's request
PLANNERS = frozenset({"planner", "admin"})  # maintenance managers
FINANCE = frozenset({"finance", "admin"})

#: addon -> (model, public method) -> (roles allowed, record it is called on, outcome for them)
DECISIONS_BY_ADDON = {
    "plant_sync_base": {
        ("plant.sync.backend", "action_clear_secrets"): (ADMIN, "backend", OK),
        ("plant.sync.backend", "action_rotate_secrets"): (ADMIN, "backend", OK),
        ("plant.sync.backend", "action_test_connection"): (ADMIN, "backend", OK),
        ("plant.sync.backend", "action_reset_circuit"): (ADMIN, "backend", OK),
        ("plant.sync.backend", "action_open_pending"): (READERS, "backend", OK),
        ("plant.sync.backend", "action_open_held"): (READERS, "backend", OK),
        ("plant.sync.backend", "action_open_failed"): (READERS, "backend", OK),
        ("plant.sync.backend", "action_open_messages"): (READERS, "backend", OK),
        ("plant.sync.backend", "action_open_exceptions"): (READERS, "backend", OK),
        ("plant.sync.flow", "action_run_now"): (ADMIN, "flow", OK),
        ("plant.sync.flow", "action_open_messages"): (READERS, "flow", OK),
        ("plant.sync.message", "action_retry"): (ADMIN, "message", OK),
        ("plant.sync.message", "action_cancel"): (ADMIN, "message", OK),
        ("plant.sync.message", "action_open_record"): (READERS, "message", OK),
        ("plant.sync.message", "action_open_job"): (READERS, "message", OK),
        ("plant.sync.message", "action_fix_hold"): (ADMIN, "held_message", OK),
        ("plant.sync.binding", "action_open_record"): (EMPLOYEES, "binding", OK),
        ("plant.sync.exception", "action_retry"): (READERS, "exception", OK),
        ("plant.sync.exception", "action_start"): (READERS, "exception", OK),
        ("plant.sync.exception", "action_resolve"): (READERS, "exception", OK),
        ("plant.sync.exception", "action_cancel_wizard"): (READERS, "exception", OK),
        ("plant.sync.exception", "action_open_record"): (READERS, "exception", OK),
        ("plant.sync.exception", "action_open_message"): (READERS, "exception", OK),
        ("plant.sync.exception", "action_fix"): (READERS, "exception", OK),
        ("plant.sync.exception.cancel", "action_confirm"): (READERS, "cancel_wizard", OK),
        ("res.config.settings", "action_plant_sync_rotate_secrets"): (ADMIN, "settings", OK),
        ("plant.sync.period.blocker", "action_open_document"): (FINANCE, "period_blocker", OK),
    },
    "maintenance_sap_bridge": {
        ("plant.sync.backend", "action_sap_setup_maintenance_flows"): (ADMIN, "backend", OK),
        ("plant.sync.flow", "action_sap_full_resync"): (ADMIN, "flow", OK),
        ("maintenance.request", "action_sap_sync_now"): (PLANNERS, "request", OK),
        ("maintenance.request", "action_sap_open_messages"): (PLANNERS, "request", OK),
        ("maintenance.request", "action_labour_timer_start"): (ON_REQUEST, "request", OK),
        ("maintenance.request", "action_labour_timer_pause"): (ON_REQUEST, "request", OK),
        ("maintenance.request", "action_labour_timer_stop"): (ON_REQUEST, "request", OK),
        ("maintenance.request", "action_technician_complete"): (ON_REQUEST, "request", OK),
        ("maintenance.request.labour", "action_submit"): (ON_REQUEST, "labour", OK),
        ("maintenance.request.labour", "action_approve"): (PLANNERS, "labour", OK),
        ("maintenance.request.labour", "action_reset_to_draft"): (ON_REQUEST, "labour", OK),
    },
    "stock_sap_sync": {
        ("plant.sync.backend", "action_stock_sap_create_flows"): (ADMIN, "backend", OK),
        ("maintenance.request", "action_consume_parts"): (ON_REQUEST, "request", OK),
        ("maintenance.request", "action_technician_book_part"): (ON_REQUEST, "request", OK),
        ("maintenance.request", "action_request_parts"): (ON_REQUEST, "request", OK),
        ("maintenance.request", "action_view_part_transfers"): (ON_REQUEST, "request", OK),
        ("maintenance.request", "action_view_part_requisitions"): (ON_REQUEST, "request", OK),
        ("maintenance.consume.parts", "action_confirm"): (ON_REQUEST, "consume_wizard", USER_ERROR),
        # purchase users write receipts, stock users transfers
        ("stock.picking", "action_sap_reverse"): (READERS, "picking", USER_ERROR),
        ("stock.sap.requisition", "action_submit"): (READERS, "requisition", OK),
        ("stock.sap.requisition", "action_cancel"): (READERS, "requisition", OK),
        ("stock.sap.reconciliation", "action_run"): (FINANCE, "reconciliation", OK),
        ("stock.sap.reconciliation", "action_open_lines"): (READERS, "reconciliation", OK),
        # stock users read purchase orders and their lines (receipts)
        ("purchase.order", "action_view_service_confirmations"): (READERS, "purchase_order", OK),
        ("purchase.service.confirmation", "action_confirm"): (READERS, "service_draft", OK),
        ("purchase.service.confirmation", "action_approve"): (FINANCE, "service_confirmed", OK),
        ("purchase.service.confirmation", "action_reject"): (FINANCE, "service_confirmed", OK),
    },
    "cmms_connector": {
        ("plant.sync.backend", "action_cmms_setup_flows"): (ADMIN, "backend", OK),
        ("plant.sync.backend", "action_open_cmms_webhook_events"): (READERS, "backend", OK),
        ("maintenance.equipment", "action_open_downtime_events"): (ON_REQUEST, "equipment", OK),
        ("maintenance.request", "action_downtime_start_now"): (ON_REQUEST, "request", OK),
        ("maintenance.request", "action_downtime_end_now"): (ON_REQUEST, "request", OK),
        ("plant.downtime.event", "action_open_message"): (READERS, "downtime", OK),
    },
}
DECISIONS = {key: value for addon in DECISIONS_BY_ADDON.values() for key, value in addon.items()}
#: public names the ORM itself calls: reachable over RPC under the access rights and record
#: rules, and the create/write overrides carry the field guards (named tests below)
FRAMEWORK = frozenset({"create", "write", "default_get", "init"})
#: public helpers of earlier versions, private now: not callable over RPC by anybody
FORMER_HELPERS = [
    ("plant.sync.message", "enqueue"),
    ("plant.sync.message", "get_payload"),
    ("plant.sync.message", "get_response"),
    ("plant.sync.message", "record"),
    ("plant.sync.message", "related_action_open_message"),
    ("plant.sync.backend", "client"),
    ("plant.sync.backend", "bind"),
    ("plant.sync.backend", "external_id_for"),
    ("plant.sync.backend", "record_for"),
    ("plant.sync.backend", "import_context"),
    ("plant.sync.binding", "bind"),
    ("plant.sync.binding", "binding_for"),
    ("plant.sync.binding", "external_id_for"),
    ("plant.sync.binding", "record_for"),
    ("plant.sync.exception", "report"),
    ("plant.sync.flow", "allows_plant"),
    ("plant.sync.flow", "related_action_open_flow"),
    ("plant.sync.mapping", "to_external"),
    ("plant.sync.mapping", "to_odoo"),
]
#: tables whose rows a refused call must not touch besides those of our models
EFFECT_TABLES = (
    "queue_job",
    "mail_message",
    "mail_followers",
    "mail_activity",
    "res_partner",
    "stock_quant",
    "stock_move_line",
)


@tagged("post_install", "-at_install")
class TestRpcAccess(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        provide_encryption_keys(cls)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        env = cls.env
        cls.users = {}
        for role in ROLES:
            groups = [env.ref(xmlid, raise_if_not_found=False) for xmlid in GROUPS[role]]
            cls.users[role] = env["res.users"].create(
                {
                    "name": f"{role.title()} (access test)",
                    "login": f"rpc_access_{role}",
                    "password": PASSWORD,
                    "email": f"rpc_access_{role}@example.com",
                    "groups_id": [Command.set([g.id for g in groups if g])],
                }
            )
        cls.records = {}
        cls.role_records = {}
        cls._setup_engine()
        if "maintenance.request.labour" in env:
            cls._setup_maintenance()
        if "stock.sap.requisition" in env:
            cls._setup_stock()
        if "plant.downtime.event" in env:
            cls._setup_cmms()
        cls.tables = cls._effect_tables()
        cls.sessions = {}

    # --- set-up -------------------------------------------------------------------------------
    @classmethod
    def _setup_engine(cls):
        env = cls.env
        Flow, Message = env["plant.sync.flow"], env["plant.sync.message"]
        # the test-only flow code of common.py, next to the codes of the installed addons
        for field in (Flow._fields["code"], Message._fields["flow_code"]):
            selection = field._description_selection(env) + [(TEST_FLOW, "Test push")]
            cls.startClassPatcher(patch.object(field, "selection", selection))
            cls.startClassPatcher(patch.object(field, "_selection", dict(selection)))
        register_test_kind(cls, env)
        backend = cls.backend = env["plant.sync.backend"].create(
            {
                "name": "Remote (access test)",
                "kind": TEST_KIND,
                "base_url": "http://127.0.0.1:9",
                "allow_loopback": True,
                "username": "PLANT_SYNC",
                "password": "Access-Test-Secret-1",
                "connect_timeout": 0.5,
                "read_timeout": 0.5,
            }
        )
        flow = cls.flow = Flow.create(
            {"backend_id": backend.id, "code": TEST_FLOW, "enabled": True, "mode": "realtime"}
        )
        cls.partner = env["res.partner"].create({"name": "Work order (access test)"})
        cls.message = Message._enqueue(
            flow, cls.partner, {"secret_note": "payload only admins see"}, ("access", 1)
        ).sudo()
        cls.message.write({"state": "failed", "error_human": "Refused by the remote"})
        Exception_ = env["plant.sync.exception"]
        cls.exception = Exception_._raise_for_message(
            cls.message, "business", "Refused by the remote", owner_group="planner", amount=250.0
        )
        # a held message whose exception belongs to the administrators (attacks 3 and 4)
        cls.held = Message._enqueue(flow, cls.partner, {"x": 1}, ("access", 2)).sudo()
        cls.held.write({"state": "held", "hold_mapping_type": "status", "hold_value": "X"})
        cls.held_exception = Exception_._raise_for_message(
            cls.held, "mapping", "Missing mapping", owner_group="admin"
        )
        cls.binding = backend._bind(cls.partner, "EXT-ACCESS-1")
        if "plant.sync.period.blocker" in env:  # its value at stake blocks the period close
            env.flush_all()
            cls.records["period_blocker"] = env["plant.sync.period.blocker"].search(
                [("exception_id", "=", cls.exception.id)]
            )
        cls.records.update(
            backend=backend,
            flow=flow,
            message=cls.message,
            held_message=cls.held,
            binding=cls.binding,
            exception=cls.exception,
        )
        Wizard = env["plant.sync.exception.cancel"]
        for role, user in cls.users.items():
            cls.role_records["cancel_wizard", role] = (
                Wizard.with_user(user)
                .sudo()
                .create({"exception_ids": [Command.set(cls.exception.ids)], "reason": "test"})
            )
            if role == "admin":
                cls.role_records["settings", role] = (
                    env["res.config.settings"].with_user(user).sudo().create({})
                )
        cls.records["settings"] = cls.role_records["settings", "admin"]

    @classmethod
    def _setup_maintenance(cls):
        env = cls.env
        # the maintenance bridge's flows exist on SAP backends only
        cls.sap_backend = env["plant.sync.backend"].create(
            {
                "name": "SAP (access test)",
                "kind": "sap_odata",
                "base_url": "http://127.0.0.1:9",
                "allow_loopback": True,
            }
        )
        technician = cls.users["technician"]
        equipment = cls.equipment = env["maintenance.equipment"].create({"name": "Pump P-7"})
        equipment.message_subscribe(partner_ids=technician.partner_id.ids)
        cls.request = env["maintenance.request"].create(
            {
                "name": "Pump P-7 leaking",
                "equipment_id": equipment.id,
                "maintenance_type": "preventive",
                "user_id": technician.id,
                "owner_user_id": technician.id,
            }
        )
        cls.labour = (
            env["maintenance.request.labour"]
            .with_user(technician)
            .create({"request_id": cls.request.id, "hours": 2.0})
        )
        cls.labour.with_user(technician).action_submit()
        cls.records.update(request=cls.request, labour=cls.labour.sudo(), equipment=equipment)

    @classmethod
    def _setup_stock(cls):
        env = cls.env
        warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
        product = env["product.product"].create(
            {"name": "Seal kit", "type": "consu", "is_storable": True}
        )
        cls.records["requisition"] = env["stock.sap.requisition"].create(
            {"product_id": product.id, "product_qty": 4, "location_id": warehouse.lot_stock_id.id}
        )
        recon_flow = env["plant.sync.flow"].create(
            {"backend_id": cls.backend.id, "code": "sap_stock_reconciliation"}
        )
        cls.records["reconciliation"] = env["stock.sap.reconciliation"].create(
            {"flow_id": recon_flow.id}
        )
        cls.records["picking"] = env["stock.picking"].create(
            {
                "picking_type_id": warehouse.int_type_id.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": warehouse.lot_stock_id.id,
            }
        )
        vendor = env["res.partner"].create({"name": "Contractor (access test)"})
        service = env["product.product"].create({"name": "Pump overhaul", "type": "service"})
        order = env["purchase.order"].create(
            {
                "partner_id": vendor.id,
                "order_line": [
                    Command.create({"product_id": service.id, "product_qty": 2, "price_unit": 80})
                ],
            }
        )
        order.button_confirm()
        Confirmation = env["purchase.service.confirmation"]
        line = order.order_line
        cls.records.update(
            purchase_order=order,
            service_draft=Confirmation.create({"purchase_line_id": line.id, "quantity": 1}),
        )
        confirmed = Confirmation.create({"purchase_line_id": line.id, "quantity": 1})
        confirmed.with_user(cls.users["technician"]).action_confirm()
        cls.records["service_confirmed"] = confirmed
        destination = env.ref("stock_sap_sync.stock_location_maintenance_consumption")
        Wizard = env["maintenance.consume.parts"]
        for role, user in cls.users.items():
            cls.role_records["consume_wizard", role] = (
                Wizard.with_user(user)
                .sudo()
                .create(
                    {
                        "request_id": cls.request.id,
                        "location_id": warehouse.lot_stock_id.id,
                        "location_dest_id": destination.id,
                    }
                )
            )

    @classmethod
    def _setup_cmms(cls):
        cls.records["downtime"] = cls.env["plant.downtime.event"].create(
            {
                "date_start": datetime(2024, 3, 1, 8),
                "equipment_id": cls.records["equipment"].id
                if "equipment" in cls.records
                else False,
                "message_id": cls.message.id,
            }
        )

    @classmethod
    def _effect_tables(cls):
        tables = set()
        for name in cls.env.registry:
            model = cls.env[name]
            if model._abstract or not model._auto:
                continue
            if any(getattr(klass, "_module", None) in OURS for klass in type(model).__mro__):
                tables.add(model._table)
        tables.update(t for t in EFFECT_TABLES if table_exists(cls.env.cr, t))
        return sorted(tables)

    # --- helpers ------------------------------------------------------------------------------
    @classmethod
    def public_methods(cls):
        """(model, name) of every public function our addons define on a model class."""
        found = set()
        for name in cls.env.registry:
            for klass in type(cls.env[name]).__mro__:
                if getattr(klass, "_module", None) not in OURS:
                    continue
                for attr, value in vars(klass).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(value, (staticmethod, classmethod)):
                        value = value.__func__
                    if inspect.isfunction(value):
                        found.add((name, attr))
        return found

    def session(self, role):
        """A real log-in with the role's password (``/web/session/authenticate``)."""
        if role not in self.sessions:
            opener = Opener(self.cr)
            user = self.users[role]
            response = opener.post(
                f"{self.base_url()}/web/session/authenticate",
                json={
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 0,
                    "params": {"db": get_db_name(), "login": user.login, "password": PASSWORD},
                },
                timeout=60,
            )
            self.assertEqual(response.json()["result"]["uid"], user.id, role)
            self.sessions[role] = opener
        return self.sessions[role]

    def rpc(self, role, model, method, args=(), kwargs=None):
        """``/web/dataset/call_kw`` as ``role``: (error class name or None, result)."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "model": model,
                "method": method,
                "args": list(args),
                "kwargs": kwargs or {},
            },
        }
        opener = self.session(role)
        with mute_logger("odoo.http"):
            response = opener.post(
                f"{self.base_url()}/web/dataset/call_kw/{model}/{method}",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
                timeout=120,
            )
        body = response.json()
        if "error" in body:
            return body["error"]["data"]["name"], body["error"]["data"].get("message")
        return None, body.get("result")

    def call_method(self, role, model, method, record):
        func = getattr(type(self.env[model]), method)
        args = [] if getattr(func, "_api", None) else [record.ids]
        return self.rpc(role, model, method, args)

    def record(self, key, role):
        return self.role_records.get((key, role)) or self.records[key]

    def snapshot(self):
        """Row count and md5 of every table a call could touch."""
        self.env.flush_all()
        state = {}
        for table in self.tables:
            self.env.cr.execute(
                SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) "
                    "FROM %s t",
                    SQL.identifier(table),
                )
            )
            state[table] = self.env.cr.fetchone()
        return state

    def assert_refused_without_effect(self, role, model, method, args=(), kwargs=None, errors=None):
        before = self.snapshot()
        error, detail = self.rpc(role, model, method, args, kwargs)
        self.assertIn(error, errors or (ACCESS_ERROR,), f"{role} {model}.{method}: {detail}")
        after = self.snapshot()
        changed = [table for table in self.tables if before[table] != after[table]]
        self.assertFalse(changed, f"{role} {model}.{method} was refused but changed {changed}")
        return detail

    def savepoint(self):
        self.env.flush_all()
        self.env.cr.execute("SAVEPOINT rpc_access_call")

    def rollback(self):
        self.env.cr.execute("ROLLBACK TO SAVEPOINT rpc_access_call")
        self.env.invalidate_all()

    # --- the generated matrix ----------------------------------------------------------------
    def test_every_public_method_has_an_access_decision(self):
        found = self.public_methods()
        undecided = {
            (model, name)
            for model, name in found
            if name not in FRAMEWORK and (model, name) not in DECISIONS
        }
        self.assertFalse(
            undecided,
            "public methods without an access decision (make them private, or check the caller "
            "and add them to DECISIONS)",
        )
        installed = self.env.registry._init_modules
        stale = {
            key
            for addon, decisions in DECISIONS_BY_ADDON.items()
            if addon in installed
            for key in decisions
            if key not in found
        }
        self.assertFalse(stale, "decisions about methods that no longer exist")

    def test_every_public_method_refuses_whoever_lacks_the_right(self):
        found = self.public_methods()
        decisions = {key: value for key, value in DECISIONS.items() if key in found}
        problems = []
        refused = allowed = 0
        for (model, method), (roles, key, outcome) in sorted(decisions.items()):
            for role in ROLES:
                record = self.record(key, role)
                self.savepoint()
                before = self.snapshot()
                error, detail = self.call_method(role, model, method, record)
                if role in roles:
                    allowed += 1
                    expected = None if outcome == OK else outcome
                    if error != expected:
                        problems.append(f"{role} may call {model}.{method}: got {error} {detail}")
                else:
                    refused += 1
                    after = self.snapshot()
                    if error != ACCESS_ERROR:
                        problems.append(f"{role} {model}.{method} not refused: {error} {detail}")
                    changed = [t for t in self.tables if before[t] != after[t]]
                    if changed:
                        problems.append(f"{role} {model}.{method} refused but changed {changed}")
                self.rollback()
        self.assertFalse(problems, "\n".join(problems))
        _logger.info(
            "RPC access matrix: %d public methods x %d roles = %d calls; %d refused, each "
            "verified without database effect (%d tables); %d allowed",
            len(decisions),
            len(ROLES),
            len(decisions) * len(ROLES),
            refused,
            len(self.tables),
            allowed,
        )

    def test_framework_methods_called_by_portal_change_nothing(self):
        for model, name in sorted(self.public_methods()):
            if name == "init":
                before = self.snapshot()
                self.call_method("portal", model, name, self.env[model])
                self.assertEqual(self.snapshot(), before, f"portal {model}.init")

    def test_former_helpers_are_not_callable_over_rpc(self):
        """The engine's helpers became private: nobody reaches them, old or new name."""
        for model, name in FORMER_HELPERS:
            for method in (name, f"_{name}"):
                self.assert_refused_without_effect(
                    "admin",
                    model,
                    method,
                    [[]],
                    errors=(ACCESS_ERROR, "builtins.AttributeError"),
                )

    # --- the attacks of issue 12 --------------------------------------------------------------
    def _attack_enqueue_inbound(self, role):
        for method in ("enqueue", "_enqueue"):
            self.assert_refused_without_effect(
                role,
                "plant.sync.message",
                method,
                [TEST_FLOW, False, {"workorder": {"external_id": "WO-EVIL"}}],
                {"direction": "inbound"},
                errors=(ACCESS_ERROR, "builtins.AttributeError"),
            )

    def test_attack_1_portal_user_cannot_enqueue_an_inbound_message(self):
        self._attack_enqueue_inbound("portal")

    def test_attack_2_employee_cannot_enqueue_an_inbound_message(self):
        self._attack_enqueue_inbound("employee")
        # nor create one directly (it would be processed as superuser), administrators neither
        for role in ("employee", "admin"):
            self.assert_refused_without_effect(
                role,
                "plant.sync.message",
                "create",
                [
                    {
                        "backend_id": self.backend.id,
                        "flow_id": self.flow.id,
                        "direction": "inbound",
                        "idempotency_key": "forged-inbound",
                        "request_payload": "{}",
                    }
                ],
            )

    def test_attack_3_cancel_of_someone_elses_held_message_is_refused(self):
        for role in ("employee", "technician", "planner", "finance"):
            self.assert_refused_without_effect(
                role, "plant.sync.message", "action_cancel", [self.held.ids]
            )
            self.assert_refused_without_effect(
                role, "plant.sync.message", "write", [self.held.ids, {"state": "cancelled"}]
            )
        self.assertEqual(self.held.state, "held")

    def test_attack_4_retry_of_someone_elses_held_message_is_refused(self):
        for role in ("employee", "technician", "planner", "finance"):
            self.assert_refused_without_effect(
                role, "plant.sync.message", "action_retry", [self.held.ids]
            )
            # its exception belongs to the administrators' queue
            self.assert_refused_without_effect(
                role, "plant.sync.exception", "action_retry", [self.held_exception.ids]
            )
        self.assertEqual(self.held.state, "held")

    def test_attack_5_payload_is_not_readable_over_rpc(self):
        for role in ("portal", "employee", "technician", "planner", "finance"):
            for method in ("get_payload", "_get_payload", "get_response"):
                detail = self.assert_refused_without_effect(
                    role,
                    "plant.sync.message",
                    method,
                    [self.message.ids],
                    errors=(ACCESS_ERROR, "builtins.AttributeError"),
                )
                self.assertNotIn("payload only admins see", str(detail))

    def _skip_without(self, model):
        if model not in self.env:
            self.skipTest(f"{model} is not installed")

    def test_attack_6_status_export_with_a_chosen_stage_cannot_be_queued(self):
        self._skip_without("maintenance.request.labour")
        done = self.env["maintenance.stage"].search([("done", "=", True)], limit=1)
        for method in ("plant_sync_enqueue", "_plant_sync_enqueue"):
            for role in ("technician", "planner", "admin"):
                self.assert_refused_without_effect(
                    role,
                    "maintenance.request",
                    method,
                    [self.request.ids, "sap_pm_status", {"stage_id": done.id}, []],
                    errors=(ACCESS_ERROR, "builtins.AttributeError"),
                )

    def test_attack_7_technician_cannot_set_the_sap_order_of_a_request(self):
        self._skip_without("maintenance.request.labour")
        forged = {"sap_order_number": "4000123", "sap_backend_id": self.backend.id}
        self.assert_refused_without_effect(
            "technician", "maintenance.request", "write", [self.request.ids, forged]
        )
        self.assert_refused_without_effect(
            "technician",
            "maintenance.request",
            "create",
            [dict(forged, name="New leak", equipment_id=self.equipment.id)],
        )
        self.assertFalse(self.request.sap_order_number)
        if "cmms_status" in self.env["maintenance.request"]._fields:
            # what the CMMS said is not writable either
            self.assert_refused_without_effect(
                "technician",
                "maintenance.request",
                "write",
                [self.request.ids, {"cmms_status": "CLOSE"}],
            )

    def test_attack_8_technician_cannot_approve_own_labour(self):
        self._skip_without("maintenance.request.labour")
        line = self.labour
        for vals in (
            {"state": "approved"},
            {"approved_by_id": self.users["planner"].id},
            {"sap_confirmation": "1000042"},
        ):
            self.assert_refused_without_effect(
                "technician", "maintenance.request.labour", "write", [line.ids, vals]
            )
        self.assert_refused_without_effect(
            "technician",
            "maintenance.request.labour",
            "create",
            [{"request_id": self.request.id, "hours": 9.0, "state": "approved"}],
        )
        self.assert_refused_without_effect(
            "technician", "maintenance.request.labour", "action_approve", [line.ids]
        )
        self.assertEqual(line.state, "to_approve")

    # --- context is not a credential, engine fields are the engine's ----------------------------
    def test_import_flag_from_the_caller_does_not_suppress_the_export(self):
        self._skip_without("maintenance.request.labour")
        backend = self.sap_backend
        backend.action_sap_setup_maintenance_flows()
        flow = backend.flow_ids.filtered(lambda f: f.code == "sap_pm_notification")
        flow.enabled = True
        context = {IMPORT_CONTEXT_KEY: backend.id, "cmms_import_backend": backend.id}
        error, request_id = self.rpc(
            "planner",
            "maintenance.request",
            "create",
            [
                {
                    "name": "Leak under the imported flag",
                    "equipment_id": self.equipment.id,
                    "maintenance_type": "corrective",
                }
            ],
            {"context": context},
        )
        self.assertIsNone(error, request_id)
        self.env.invalidate_all()
        messages = self.env["plant.sync.message"].search(
            [("res_model", "=", "maintenance.request"), ("res_id", "=", request_id)]
        )
        self.assertEqual(messages.flow_id, flow, "the export was not suppressed by the context")

    def test_exception_state_and_routing_are_the_engines(self):
        exception = self.exception
        for vals in ({"state": "resolved"}, {"owner_group": "finance"}, {"message_id": False}):
            self.assert_refused_without_effect(
                "planner", "plant.sync.exception", "write", [exception.ids, vals]
            )
        self.assert_refused_without_effect(
            "admin",
            "plant.sync.exception",
            "create",
            [{"name": "Forged", "owner_group": "planner"}],
        )
        # people work them: assignee and notes
        error, _result = self.rpc(
            "planner",
            "plant.sync.exception",
            "write",
            [exception.ids, {"resolution_note": "called the vendor"}],
        )
        self.assertIsNone(error)

    def test_requisition_sap_fields_and_sent_quantities_are_guarded(self):
        self._skip_without("stock.sap.requisition")
        requisition = self.records["requisition"]
        for vals in ({"sap_po_number": "4500000001"}, {"state": "received"}, {"po_quantity": 9}):
            self.assert_refused_without_effect(
                "planner", "stock.sap.requisition", "write", [requisition.ids, vals]
            )
        error, _result = self.rpc(
            "planner", "stock.sap.requisition", "action_submit", [requisition.ids]
        )
        self.assertIsNone(error)
        self.assert_refused_without_effect(
            "planner", "stock.sap.requisition", "write", [requisition.ids, {"product_qty": 40}]
        )

    def test_reconciliation_runs_only_for_finance_and_administrators(self):
        self._skip_without("stock.sap.reconciliation")
        reconciliation = self.records["reconciliation"]
        self.assert_refused_without_effect(
            "planner", "stock.sap.reconciliation", "action_run", [reconciliation.ids]
        )
        self.assert_refused_without_effect(
            "finance",
            "stock.sap.reconciliation",
            "write",
            [reconciliation.ids, {"state": "done", "difference_count": 0}],
        )
