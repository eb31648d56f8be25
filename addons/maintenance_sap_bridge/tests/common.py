# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared set-up: the SAP simulator in-process on a loopback port (OData over real HTTP, RFC
through its pyrfc-compatible connection), a backend pointing at it with every maintenance
flow enabled, the mappings, and users (technician, planner)."""

from unittest.mock import patch

from odoo.addons.plant_sync_base.tests.common import provide_encryption_keys
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests.common import TransactionCase, new_test_user

from plant_sync.simulators.sap import SapSimulator

SAP_USER, SAP_PASSWORD = "PLANT_SYNC", "Secret#1"
FLOWS = {
    "master": "sap_pm_master_pull",
    "notification": "sap_pm_notification",
    "order": "sap_pm_order",
    "status": "sap_pm_status",
    "confirmation": "sap_pm_confirmation",
    "order_pull": "sap_pm_order_pull",
}


class SapMaintenanceCase(TransactionCase):
    transport = "odata"
    seed_equipment = 5

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        provide_encryption_keys(cls)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.sim = SapSimulator(db_path=None, port=0, users={SAP_USER: SAP_PASSWORD}).start()
        cls.addClassCleanup(cls.sim.stop)
        cls.master = cls.sim.seed_master_data(
            equipment=cls.seed_equipment, functional_locations=2, materials=0
        )
        Backend = cls.env["plant.sync.backend"]
        sim = cls.sim

        def rfc_connection_factory(self):
            # the RFC transport talks to the simulator (plant_sync_base hook)
            return lambda: sim.rfc_connection(user=SAP_USER, passwd=SAP_PASSWORD, client="100")

        def connection_overrides(self, transport):
            return {"backoff": 0.01, "max_retry_after": 0.05}  # fast library back-off in tests

        cls.startClassPatcher(
            patch.object(type(Backend), "_sap_rfc_connection_factory", rfc_connection_factory)
        )
        cls.startClassPatcher(
            patch.object(type(Backend), "_sap_connection_overrides", connection_overrides)
        )
        cls.company = cls.env.ref("base.main_company")
        cls.backend = Backend.create(
            {
                "name": f"SAP simulator ({cls.transport})",
                "kind": f"sap_{cls.transport}",
                "environment": "test",
                "base_url": cls.sim.url,
                "allow_loopback": True,
                "sap_client": "100",
                "username": SAP_USER,
                "password": SAP_PASSWORD,
                "company_id": cls.company.id,
                "circuit_threshold": 1000,
            }
        )
        cls.backend.action_sap_setup_maintenance_flows()
        cls.flows = {
            key: cls.backend.flow_ids.filtered(lambda f, c=code: f.code == c)
            for key, code in FLOWS.items()
        }
        cls.stage_new = cls.env.ref("maintenance.stage_0")
        cls.stage_progress = cls.env.ref("maintenance.stage_1")
        cls.stage_done = cls.env.ref("maintenance.stage_3")
        cls.backend.flow_ids.write({"enabled": True, "max_retries": 5, "retry_minutes": 0})
        cls.flows["order"].sap_release_stage_id = cls.stage_progress
        cls.team = cls.env["maintenance.team"].create({"name": "Mechanics", "company_id": False})
        cls.category = cls.env["maintenance.equipment.category"].create({"name": "Pumps"})
        cls.technician = new_test_user(
            cls.env, login="msb_technician", groups="base.group_user", name="Tom Technician"
        )
        cls.technician2 = new_test_user(
            cls.env, login="msb_technician2", groups="base.group_user", name="Tina Technician"
        )
        cls.planner = new_test_user(
            cls.env,
            login="msb_planner",
            groups="base.group_user,maintenance.group_equipment_manager",
            name="Paula Planner",
        )
        Mapping = cls.env["plant.sync.mapping"]
        Mapping.create(
            [
                cls._mapping("status", cls.stage_new, "CRTD"),
                cls._mapping("status", cls.stage_progress, "REL"),
                cls._mapping("status", cls.stage_done, "TECO"),
                cls._mapping("work_center", cls.team, "RES-0100"),
                cls._mapping("planner_group", cls.team, "I01", direction="outbound"),
                cls._mapping("cost_center", cls.category, "10101101", direction="outbound"),
                cls._mapping("plant", cls.company, "1010", direction="outbound"),
                cls._mapping("technician", cls.technician, "00001001"),
                cls._mapping("technician", cls.technician2, "00001002"),
            ]
        )

    @classmethod
    def _mapping(cls, mapping_type, record, external, direction="both"):
        return {
            "backend_id": cls.backend.id,
            "mapping_type": mapping_type,
            "direction": direction,
            "odoo_ref": f"{record._name},{record.id}",
            "external_value": external,
        }

    def setUp(self):
        super().setUp()
        # Odoo rolls each test back; SAP forgets its documents too (master data stays)
        self.sim.faults.clear()
        self.sim.store.reset()

    # --- helpers --------------------------------------------------------------------------------
    def run_jobs(self, trap, rounds=400):
        """Perform trapped jobs (and the jobs they enqueue) until none is left; a job raising
        RetryableJobError is performed again in the next round (as the job runner would)."""
        for _round in range(rounds):
            jobs = sorted(trap.enqueued_jobs, key=lambda j: (j.priority, j.date_created))
            trap.enqueued_jobs = []
            if not jobs:
                return
            for job in jobs:
                try:
                    job.perform()
                except RetryableJobError:
                    trap.enqueued_jobs.append(job)
        self.fail(f"jobs still pending after {rounds} rounds: {trap.enqueued_jobs}")

    def pull(self, key):
        with trap_jobs() as trap:
            self.flows[key]._run_batch_now()
            self.run_jobs(trap)

    def make_equipment(self, number=None, **vals):
        number = number or self.master["equipment"][0]
        return self.env["maintenance.equipment"].create(
            dict(
                {
                    "name": f"Pump {number}",
                    "category_id": self.category.id,
                    "maintenance_team_id": self.team.id,
                    "sap_equipment_number": number,
                    "sap_plant": "1010",
                },
                **vals,
            )
        )

    def messages(self, record, flow_key=None):
        domain = [("res_model", "=", record._name), ("res_id", "=", record.id)]
        if flow_key:
            domain.append(("flow_code", "=", FLOWS[flow_key]))
        return self.env["plant.sync.message"].search(domain, order="id")

    def sap_order(self, number):
        return self.sim.store.get("MaintenanceOrder", MaintenanceOrder=number)

    def sap_confirmations(self, number):
        return self.sim.store.find("MaintOrderConfirmation", MaintenanceOrder=number)
