# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared set-up: the SAP simulator on loopback, an OData backend pointing at it, the flows of
this addon, the mappings a plant needs, and factories for parts, orders and bookings.

Everything talks real HTTP to :class:`plant_sync.simulators.sap.SapSimulator` (in-process
server thread on 127.0.0.1); jobs are trapped with ``trap_jobs`` and run explicitly."""

from odoo import Command
from odoo.addons.plant_sync_base.tests.common import provide_encryption_keys
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests.common import TransactionCase, new_test_user

from plant_sync.simulators.sap import SapSimulator
from plant_sync.simulators.sap.maintenance import create_order, release_order

from ..tools import (
    FLOW_GOODS_MOVEMENT,
    FLOW_MATERIAL,
    FLOW_PURCHASE_ORDER,
    FLOW_RECONCILIATION,
    FLOW_REQUISITION,
    FLOW_SERVICE_CONFIRMATION,
)

SAP_USER = "PLANT_SYNC"
SAP_PASSWORD = "Secret#1"
PLANT = "1010"
SLOC = "0001"
COST_CENTER = "10101101"


class StockSapCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        provide_encryption_keys(cls)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.sim = SapSimulator(db_path=None, port=0, users={SAP_USER: SAP_PASSWORD}).start()
        cls.addClassCleanup(cls.sim.stop)
        store = cls.sim.store
        store.seed_plant(PLANT, (SLOC, "0002"))
        store.seed_cost_center(COST_CENTER)
        store.seed_work_center("RES-0100", PLANT, "Mechanics")
        cls.sap_materials = store.seed_materials(3, PLANT, SLOC, stock=100.0, price=12.5)
        cls.company = cls.env.ref("base.main_company")
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.consumption = cls.env.ref("stock_sap_sync.stock_location_maintenance_consumption")
        cls.backend = cls.env["plant.sync.backend"].create(
            {
                "name": "SAP (simulator)",
                "kind": "sap_odata",
                "environment": "test",
                "base_url": cls.sim.url,
                "sap_client": "100",
                "allow_loopback": True,
                "verify_tls": False,
                "company_id": cls.company.id,
                "username": SAP_USER,
                "password": SAP_PASSWORD,
            }
        )
        cls.backend.action_stock_sap_create_flows()
        cls.flows = {flow.code: flow for flow in cls.backend.flow_ids}
        for flow in cls.backend.flow_ids:
            flow.enabled = True
        cls.flows[FLOW_GOODS_MOVEMENT].mode = "realtime"
        cls.flows[FLOW_REQUISITION].mode = "realtime"
        cls.flow_material = cls.flows[FLOW_MATERIAL]
        cls.flow_goods = cls.flows[FLOW_GOODS_MOVEMENT]
        cls.flow_recon = cls.flows[FLOW_RECONCILIATION]
        cls.flow_pr = cls.flows[FLOW_REQUISITION]
        cls.flow_po = cls.flows[FLOW_PURCHASE_ORDER]
        cls.flow_service = cls.flows[FLOW_SERVICE_CONFIRMATION]
        cls.unit = cls.env.ref("uom.product_uom_unit")
        Mapping = cls.env["plant.sync.mapping"]
        Mapping.create(
            [
                {
                    "backend_id": cls.backend.id,
                    "mapping_type": "uom",
                    "odoo_ref": f"uom.uom,{cls.unit.id}",
                    "external_value": "PC",
                },
                {
                    "backend_id": cls.backend.id,
                    "mapping_type": "location",
                    "odoo_ref": f"stock.location,{cls.stock_location.id}",
                    "external_value": f"{PLANT}/{SLOC}",
                },
                {
                    "backend_id": cls.backend.id,
                    "mapping_type": "cost_center",
                    "odoo_ref": f"stock.location,{cls.consumption.id}",
                    "external_value": COST_CENTER,
                },
            ]
        )
        cls.technician = new_test_user(
            cls.env,
            login="ss_technician",
            groups="base.group_user,stock.group_stock_user,maintenance.group_equipment_manager",
        )
        cls.planner = new_test_user(
            cls.env,
            login="ss_planner",
            groups="base.group_user,stock.group_stock_user,plant_sync_base.group_plant_sync_user",
        )
        cls.finance = new_test_user(
            cls.env,
            login="ss_finance",
            groups="base.group_user,purchase.group_purchase_user,"
            "plant_sync_base.group_plant_sync_finance",
        )
        cls.finance2 = new_test_user(
            cls.env,
            login="ss_finance2",
            groups="base.group_user,purchase.group_purchase_user,"
            "plant_sync_base.group_plant_sync_finance",
        )

    # factories ----------------------------------------------------------------------------
    @classmethod
    def make_part(cls, material, qty_on_hand=50.0, uom=None, **vals):
        """A storable product bound to an SAP material, with stock in the mapped location."""
        uom = uom or cls.unit
        product = cls.env["product.product"].create(
            dict(
                {
                    "name": f"Part {material}",
                    "default_code": material,
                    "is_storable": True,
                    "type": "consu",
                    "uom_id": uom.id,
                    "uom_po_id": uom.id,
                    "standard_price": 12.5,
                },
                **vals,
            )
        )
        cls.backend._bind(product, material)
        if qty_on_hand:
            cls.env["stock.quant"]._update_available_quantity(
                product, cls.stock_location, qty_on_hand
            )
        return product

    @classmethod
    def sap_order(cls, released=True):
        """A maintenance order in the simulated SAP (released: goods issues allowed)."""
        with cls.sim.store.transaction() as tx:
            number = create_order(
                tx,
                "SEED",
                {
                    "MaintenanceOrderType": "PM01",
                    "MaintenanceOrderDesc": "Pump overhaul",
                    "MaintenancePlanningPlant": PLANT,
                    "MainWorkCenter": "RES-0100",
                },
            )["MaintenanceOrder"]
            if released:
                release_order(tx, "SEED", number)
        return number

    def make_request(self, **vals):
        return self.env["maintenance.request"].create(
            dict({"name": "Pump P-101 leaking", "maintenance_type": "corrective"}, **vals)
        )

    def consume(self, request, lines, order=None, user=None):
        """Book parts through the technician's wizard; returns the validated picking."""
        env = self.env(user=user) if user else self.env
        wizard = (
            env["maintenance.consume.parts"]
            .with_context(default_request_id=request.id)
            .create(
                {
                    "location_id": self.stock_location.id,
                    "line_ids": [
                        Command.create(
                            {"product_id": product.id, "quantity": qty, "uom_id": uom.id}
                            if uom
                            else {"product_id": product.id, "quantity": qty}
                        )
                        for product, qty, uom in (
                            line if len(line) == 3 else (*line, None) for line in lines
                        )
                    ],
                }
            )
        )
        if order is not None:
            wizard.sap_order_number = order
        action = wizard.action_confirm()
        return self.env["stock.picking"].browse(action["res_id"])

    @staticmethod
    def run_jobs(trap):
        """Perform the trapped jobs, and the jobs they enqueue, until none is left."""
        for _round in range(10):
            if not trap.enqueued_jobs:
                return
            trap.perform_enqueued_jobs()

    def sap_documents(self, **eq):
        return self.sim.store.find("A_MaterialDocumentItem", **eq)


__all__ = ["StockSapCase", "trap_jobs"]
