# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Requisition (reorder rule or planner request) → SAP purchase requisition, exactly once."""

from odoo.addons.plant_sync_base.exceptions import PlantSyncBusinessError
from odoo.addons.plant_sync_base.flow import OutboundFlow, register
from odoo.addons.plant_sync_base.tools import HandlerResult

from plant_sync.sap.ops.purchasing import (
    PurchaseRequisitionCreate,
    PurchaseRequisitionItemCreate,
)

from ..tools import FLOW_REQUISITION, decimal_qty, location_plant_sloc
from .common import StockSapFlow


@register
class SapPurchaseRequisition(StockSapFlow, OutboundFlow):
    code = FLOW_REQUISITION
    label = "SAP purchase requisitions (Odoo → SAP)"
    trigger = (
        "a requisition is sent to SAP (Send to SAP, or a reorder rule replenished through SAP); "
        "a breakdown requisition is sent at once even when the flow runs in batch"
    )

    def payload(self):
        requisition = self.document()
        if requisition.state == "cancel":
            return HandlerResult(response={"skipped": "requisition cancelled in Odoo"})
        backend = self.backend
        product = requisition.product_id
        material = backend._external_id_for(product)
        if not material:
            raise PlantSyncBusinessError(
                self.env._(
                    "%(product)s is not an SAP material: the requisition cannot be sent.",
                    product=product.display_name,
                ),
                owner_group="planner",
            )
        plant, sloc = location_plant_sloc(backend, requisition.location_id)
        sap_uom = product.sap_base_uom_id or product.uom_id
        unit = self.env["plant.sync.mapping"]._to_external(backend, "uom", sap_uom)
        quantity = requisition.product_uom_id._compute_quantity(
            requisition.product_qty, sap_uom, rounding_method="HALF-UP"
        )
        return {
            "requisition": requisition,
            "data": PurchaseRequisitionCreate(
                items=[
                    PurchaseRequisitionItemCreate(
                        material=material,
                        plant=plant,
                        storage_location=sloc,
                        quantity=decimal_qty(quantity),
                        unit=unit,
                        delivery_date=requisition.date_required,
                        text=(product.name or "")[:40],
                    )
                ],
                description=requisition.name[:40],
            ),
        }

    def call(self, client, payload):
        return client.create_purchase_requisition(
            payload["data"], idempotency_key=self.message.idempotency_key
        )

    def apply(self, payload, answer):
        requisition, document = payload["requisition"], answer.document
        item = document.items[0].item if document.items else "00010"
        requisition.write(
            {
                "sap_pr_number": document.number,
                "sap_pr_item": item,
                "backend_id": self.backend.id,
                "state": "requested"
                if requisition.state in ("draft", "to_send")
                else requisition.state,
            }
        )
        return HandlerResult(
            response={"purchase_requisition": document.number, "item": item},
            external_id=document.number,
            doc_type=None,  # kept on the requisition (sap_pr_number)
        )
