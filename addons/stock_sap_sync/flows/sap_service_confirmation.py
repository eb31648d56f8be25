# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Approved contractor service confirmation → SAP goods receipt 101 against the SAP purchase
order item of the service."""

from odoo.addons.plant_sync_base.exceptions import PlantSyncBusinessError
from odoo.addons.plant_sync_base.flow import OutboundFlow, register
from odoo.addons.plant_sync_base.tools import HandlerResult

from plant_sync.sap.ops.goods_movement import GoodsMovementCreate, GoodsMovementItem

from ..tools import FLOW_SERVICE_CONFIRMATION, decimal_qty, location_plant_sloc, movement_type
from .common import StockSapFlow


@register
class SapServiceConfirmation(StockSapFlow, OutboundFlow):
    code = FLOW_SERVICE_CONFIRMATION
    label = "SAP contractor service confirmations (Odoo → SAP)"
    trigger = "finance approves a confirmed contractor service (Approve)"

    def payload(self):
        """The goods receipt of what finance approved; anything not approved is refused
        (segregation of duties)."""
        confirmation = self.document()
        if confirmation.state not in ("approved", "posted") or not confirmation.approved_by_id:
            raise self.refused(
                confirmation,
                self.env._(
                    "%(name)s is not approved by finance: it is not posted to SAP.",
                    name=confirmation.name,
                ),
            )
        backend = self.backend
        order, line = confirmation.order_id, confirmation.purchase_line_id
        material = backend._external_id_for(line.product_id)
        if not order.sap_po_number or not material:
            raise self.refused(
                confirmation,
                self.env._(
                    "%(order)s has no SAP purchase order number, or its service %(service)s "
                    "is not an SAP material: the confirmation cannot be posted.",
                    order=order.name,
                    service=line.product_id.display_name,
                ),
            )
        location = order.picking_type_id.default_location_dest_id
        plant, sloc = location_plant_sloc(backend, location)
        sap_uom = line.product_id.sap_base_uom_id or line.product_uom
        unit = self.env["plant.sync.mapping"]._to_external(backend, "uom", sap_uom)
        quantity = line.product_uom._compute_quantity(confirmation.quantity, sap_uom)
        item = GoodsMovementItem(
            material=material,
            plant=plant,
            storage_location=sloc,
            movement_type=movement_type(backend, "receipt_po"),
            quantity=decimal_qty(quantity),
            unit=unit,
            purchase_order=order.sap_po_number,
            purchase_order_item=line.sap_po_item,
        )
        return {
            "confirmation": confirmation,
            "item": item,
            "movement": GoodsMovementCreate(items=[item], posting_date=confirmation.date),
        }

    @staticmethod
    def refused(confirmation, text):
        return PlantSyncBusinessError(
            text,
            amount=confirmation.amount,
            currency=confirmation.currency_id.name,
            owner_group="finance",
        )

    def call(self, client, payload):
        return client.post_goods_movement(
            payload["movement"], idempotency_key=self.message.idempotency_key
        )

    def apply(self, payload, answer):
        confirmation, item, document = payload["confirmation"], payload["item"], answer.document
        confirmation.write(
            {
                "state": "posted",
                "sap_material_document": document.number,
                "sap_material_document_year": document.year,
            }
        )
        return HandlerResult(
            response={
                "material_document": document.number,
                "year": document.year,
                "purchase_order": item.purchase_order,
                "item": item.purchase_order_item,
                "quantity": str(item.quantity),
            },
            external_id=f"{document.year}/{document.number}",
            doc_type=None,  # kept on the record (sap_material_document, year)
        )
