# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""CMMS → Odoo → SAP: a work order imported from the CMMS becomes a maintenance request whose
SAP flow (``maintenance_sap_bridge``, not a dependency of this addon) still runs and creates the
SAP maintenance notification: the import's no-echo only silences the flows of the CMMS backend
the data comes from.

Only the engine contract is used to configure the SAP side (backend, flows, bindings, mappings);
the values are those of the simulator's standard landscape (plant 1010, cost center 10101101,
work center RES-0100)."""

from odoo.tests.common import tagged

from .common import CmmsCase

BRIDGE = "maintenance_sap_bridge"
SAP_USER, SAP_PASSWORD = "PLANT_SYNC", "Secret#1"


@tagged("post_install", "-at_install")
class TestCmmsToSapChain(CmmsCase):
    def setUp(self):
        if self.env["ir.module.module"]._get(BRIDGE).state != "installed":
            self.skipTest(
                f"{BRIDGE} is not installed: the CMMS → Odoo → SAP chain test needs it "
                "(setup/test installs the four addons together and runs it)"
            )
        super().setUp()
        codes = self.bridge_flow_codes()
        if not codes:
            self.skipTest(f"{BRIDGE} is installed but adds no flow (yet)")
        from plant_sync.simulators.sap import SapSimulator  # noqa: PLC0415

        self.sap_sim = SapSimulator(users={SAP_USER: SAP_PASSWORD}).start()
        self.addCleanup(self.sap_sim.stop)
        self.landscape = self.sap_sim.seed_master_data(
            equipment=1, functional_locations=1, materials=0
        )
        self.sap = self.env["plant.sync.backend"].create(
            {
                "name": "SAP (simulator)",
                "kind": "sap_odata",
                "company_id": self.company.id,
                "base_url": self.sap_sim.url,
                "sap_client": "100",
                "username": SAP_USER,
                "password": SAP_PASSWORD,
                "allow_loopback": True,
            }
        )
        self.env["plant.sync.flow"].create(
            [
                {"backend_id": self.sap.id, "code": code, "enabled": True, "mode": "realtime"}
                for code in codes
            ]
        )
        # the physical pump: asset PUMP-100 in the CMMS (matched by serial number on import),
        # the first seeded equipment in SAP (bound on the SAP backend)
        self.pump = self.env["maintenance.equipment"].create(
            {"name": "Pump P-100", "serial_no": "PUMP-100", "maintenance_team_id": self.team.id}
        )
        self.sap._bind(self.pump, self.landscape["equipment"][0])
        Mapping = self.env["plant.sync.mapping"]
        for mapping_type, record, external in (
            ("plant", self.company, self.landscape["plant"]),
            ("cost_center", self.company, self.landscape["cost_center"]),
            ("planner_group", self.team, "I01"),
            ("work_center", self.team, self.landscape["work_center"]),
        ):
            if mapping_type in dict(Mapping._fields["mapping_type"].selection):
                Mapping.create(
                    {
                        "backend_id": self.sap.id,
                        "mapping_type": mapping_type,
                        "direction": "outbound",
                        "odoo_ref": f"{record._name},{record.id}",
                        "external_value": external,
                    }
                )

    def bridge_flow_codes(self):
        """Flow codes the bridge adds to plant.sync.flow (from its selection xml ids)."""
        data = self.env["ir.model.data"].search(
            [("module", "=", BRIDGE), ("model", "=", "ir.model.fields.selection")]
        )
        selections = self.env["ir.model.fields.selection"].browse(data.mapped("res_id"))
        return selections.filtered(
            lambda s: s.field_id.model == "plant.sync.flow" and s.field_id.name == "code"
        ).mapped("value")

    def test_cmms_work_order_reaches_sap_through_the_bridge(self):
        self.add_workorders(1, worktype="CM")
        before = self.sap_sim.store.counts().get("MaintenanceNotification", 0)
        with self.jobs() as trap:
            self.flow(self.maximo, "cmms_wo_pull")._run_batch_now()
            self.run_all(trap)
        request = self.maximo._record_for("maintenance.request", "WO0001")
        self.assertTrue(request, "the CMMS work order became a maintenance request")
        self.assertEqual(request.equipment_id, self.pump, "crosswalk by serial number")
        self.assertEqual(request.maintenance_type, "corrective")
        sap_messages = self.env["plant.sync.message"].search(
            [
                ("backend_id", "=", self.sap.id),
                ("res_model", "=", "maintenance.request"),
                ("res_id", "=", request.id),
            ]
        )
        self.assertTrue(sap_messages, "the import did not silence the SAP flow of the request")
        self.assertFalse(self.push_messages(request), "nothing echoed back to the CMMS")
        details = [(m.flow_code, m.state, m.error_human) for m in sap_messages]
        self.assertIn("done", sap_messages.mapped("state"), details)
        after = self.sap_sim.store.counts().get("MaintenanceNotification", 0)
        self.assertEqual(after, before + 1, "one SAP notification for the CMMS work order")
        self.assertTrue(
            self.sap._external_id_for(request, "sap_notification"),
            "the request shows its SAP number",
        )
        self.assertIn("WO0001", request.plant_sync_external_ref)

    def test_no_echo_is_per_backend_kind(self):
        """Written under the engine's import flag of the CMMS backend, a corrective request
        still goes to SAP; under the SAP backend's flag (an SAP import) it does not."""
        Request = self.env["maintenance.request"]
        messages = self.env["plant.sync.message"]
        for backend, expect_sap in ((self.maximo, True), (self.sap, False)):
            request = Request.with_context(**backend._import_context()).create(
                {
                    "name": f"Leak seen by {backend.kind}",
                    "equipment_id": self.pump.id,
                    "maintenance_type": "corrective",
                }
            )
            sent = messages.search_count(
                [
                    ("backend_id", "=", self.sap.id),
                    ("res_model", "=", "maintenance.request"),
                    ("res_id", "=", request.id),
                ]
            )
            self.assertEqual(bool(sent), expect_sap, backend.kind)
