# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared set-up of the CMMS connector tests: a CMMS simulator on loopback (real HTTP: Maximo
JSON, Maximo MIF SOAP and generic REST faces over one store), one backend per kind, the status /
priority mappings and helpers that run the queue_job jobs synchronously."""

import json
from contextlib import contextmanager

from odoo.addons.plant_sync_base.tests.common import provide_encryption_keys
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests.common import TransactionCase

from plant_sync.simulators.cmms import CmmsSimulator
from plant_sync.simulators.cmms.rest_app import REST_FIELD_MAP

API_KEY = "maximo-key"
WEBHOOK_SECRET = "whsec-cmms-test-0123456789"
REST_EXTRA = {
    "labour_path": "attributes.labour",
    "labour_fields": {
        "labour_code": "code",
        "craft": "craft",
        "hours": "hours",
        "start": "start",
        "finish": "finish",
    },
    "static_fields": {"type": "workorder"},
}
#: Maximo status -> maintenance stage xml id, direction
STATUS_MAP = [
    ("WAPPR", "maintenance.stage_0", "both"),
    ("APPR", "maintenance.stage_0", "inbound"),
    ("WSCH", "maintenance.stage_0", "inbound"),
    ("INPRG", "maintenance.stage_1", "both"),
    ("COMP", "maintenance.stage_3", "both"),
    ("CLOSE", "maintenance.stage_3", "inbound"),
    ("CAN", "maintenance.stage_4", "both"),
]
#: Maximo wopriority (1 = highest) -> Odoo priority
PRIORITY_MAP = [("1", "3", "both"), ("2", "2", "both"), ("3", "1", "both"), ("4", "0", "both")]
KINDS = ("cmms_maximo", "cmms_soap", "cmms_rest")


class CmmsCase(TransactionCase):
    """Every test gets a fresh simulator (the store lives outside the test transaction) and
    three backends pointing at it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        provide_encryption_keys(cls)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.ref("base.main_company")
        Mapping = cls.env["plant.sync.mapping"]
        Mapping.create(
            [
                {
                    "mapping_type": "status",
                    "external_value": external,
                    "odoo_ref": f"maintenance.stage,{cls.env.ref(xmlid).id}",
                    "direction": direction,
                }
                for external, xmlid, direction in STATUS_MAP
            ]
            + [
                {
                    "mapping_type": "priority",
                    "external_value": external,
                    "odoo_value": odoo,
                    "direction": direction,
                }
                for external, odoo, direction in PRIORITY_MAP
            ]
        )
        cls.team = cls.env["maintenance.team"].create(
            {"name": "CMMS team", "company_id": cls.company.id}
        )

    def setUp(self):
        super().setUp()
        self.sim = CmmsSimulator(db_path=None, port=0, api_key=API_KEY, page_size=50).start()
        self.addCleanup(self.sim.stop)
        self.sim.store.add_asset("PUMP-100", "Centrifugal pump P-100", location="AREA1")
        self.sim.store.add_asset("CONV-200", "Belt conveyor C-200", location="AREA2")
        self.backends = {kind: self.make_backend(kind) for kind in KINDS}
        self.maximo = self.backends["cmms_maximo"]
        self.soap = self.backends["cmms_soap"]
        self.rest = self.backends["cmms_rest"]

    # --- factories ----------------------------------------------------------------------------
    def backend_values(self, kind):
        values = {
            "name": f"CMMS {kind}",
            "kind": kind,
            "company_id": self.company.id,
            "allow_loopback": True,
            "cmms_page_size": 4,
            "cmms_team_id": self.team.id,
            "connect_timeout": 5,
            "read_timeout": 20,
            "hmac_key": WEBHOOK_SECRET,
        }
        if kind == "cmms_maximo":
            values.update(base_url=self.sim.maximo_url, api_key=API_KEY)
        elif kind == "cmms_soap":
            values.update(cmms_wsdl_url=self.sim.wsdl_url, username="maxadmin", password="maxadmin")
        else:
            values.update(
                base_url=self.sim.rest_url,
                api_key=API_KEY,
                cmms_rest_auth="api_key",
                cmms_rest_auth_header="X-Api-Key",
                cmms_rest_field_map=json.dumps(REST_FIELD_MAP),
                cmms_extra_config=json.dumps(REST_EXTRA),
            )
        return values

    def make_backend(self, kind, **overrides):
        backend = self.env["plant.sync.backend"].create(
            dict(self.backend_values(kind), **overrides)
        )
        backend.action_cmms_setup_flows()
        backend.flow_ids.write({"enabled": True})
        return backend

    def flow(self, backend, code):
        return backend.flow_ids.filtered(lambda f: f.code == code)

    def add_workorders(self, count, prefix="WO", **attrs):
        """Work orders in the simulator, changed on consecutive days of January 2024."""
        records = []
        for n in range(1, count + 1):
            values = {
                "assetnum": "PUMP-100" if n % 2 else "CONV-200",
                "wopriority": n % 4 + 1,
                "worktype": "CM",
                "status": "WAPPR",
                "changedate": f"2024-01-{(n - 1) % 28 + 1:02d}T08:{(n - 1) // 28:02d}:00+00:00",
            }
            values.update(attrs)
            records.append(
                self.sim.store.add_workorder(
                    f"{prefix}{n:04d}", f"Work order {prefix} {n}", **values
                )
            )
        return records

    # --- jobs ---------------------------------------------------------------------------------
    @contextmanager
    def jobs(self):
        with trap_jobs() as trap:
            yield trap

    def run_all(self, trap):
        """Perform the trapped jobs and the jobs they enqueue, until none is left."""
        rounds = 0
        while trap.enqueued_jobs:
            trap.perform_enqueued_jobs()
            rounds += 1
            self.assertLess(rounds, 100, "jobs keep enqueuing jobs")

    def pull(self, backend, code="cmms_wo_pull"):
        """Run a delta pull of ``backend`` and every job it creates; return the messages."""
        flow = self.flow(backend, code)
        before = self.env["plant.sync.message"].search([("flow_id", "=", flow.id)])
        with self.jobs() as trap:
            flow._run_batch_now()
            self.run_all(trap)
        after = self.env["plant.sync.message"].search([("flow_id", "=", flow.id)])
        return after - before

    def requests_of(self, backend):
        bindings = self.env["plant.sync.binding"].search(
            [("backend_id", "=", backend.id), ("res_model", "=", "maintenance.request")]
        )
        return self.env["maintenance.request"].browse(bindings.mapped("res_id"))

    def push_messages(self, request):
        return self.env["plant.sync.message"].search(
            [
                ("flow_code", "=", "cmms_wo_push"),
                ("res_model", "=", "maintenance.request"),
                ("res_id", "=", request.id),
            ]
        )
