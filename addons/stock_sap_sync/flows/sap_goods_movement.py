# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Spare-part consumption, return or storno (stock move) → SAP material document
(261/262 against the order, 201/202 against the cost center, cancellation of the issue)."""

from odoo import fields
from odoo.addons.plant_sync_base.exceptions import PlantSyncBusinessError
from odoo.addons.plant_sync_base.flow import OutboundFlow, register
from odoo.addons.plant_sync_base.tools import HandlerResult
from odoo.addons.queue_job.exception import RetryableJobError

from plant_sync.sap.ops.goods_movement import GoodsMovementCreate, GoodsMovementItem

from ..tools import FLOW_GOODS_MOVEMENT, decimal_qty, location_plant_sloc, movement_type
from .common import StockSapFlow


@register
class SapGoodsMovement(StockSapFlow, OutboundFlow):
    code = FLOW_GOODS_MOVEMENT
    label = "SAP spare-part goods movements (Odoo → SAP)"
    trigger = (
        "a move between a mapped store and an SAP consumption location is done (parts booked "
        "on or returned from a maintenance request), or such a booking is reversed (storno)"
    )

    def payload(self):
        move = self.document()
        if move.sap_movement_kind == "reverse":
            return self.reversal_payload(move)
        item = self.goods_movement_item(move)
        return {
            "move": move,
            "item": item,
            "movement": GoodsMovementCreate(
                items=[item], posting_date=fields.Date.to_date(move.date)
            ),
        }

    def goods_movement_item(self, move):
        backend = self.backend
        product = move.product_id
        material = backend._external_id_for(product)
        if not material:
            raise PlantSyncBusinessError(
                self.env._(
                    "%(product)s is not an SAP material (no material number): the consumption "
                    "cannot be posted.",
                    product=product.display_name,
                ),
                amount=move.quantity * product.standard_price,
                currency=move.company_id.currency_id.name,
                owner_group="planner",
            )
        plant, sloc = location_plant_sloc(backend, move._stock_sap_stock_location())
        sap_uom = product.sap_base_uom_id or product.uom_id
        unit = self.env["plant.sync.mapping"]._to_external(backend, "uom", sap_uom)
        quantity = move.product_uom._compute_quantity(
            move.quantity, sap_uom, rounding_method="HALF-UP"
        )
        issue = move.sap_movement_kind == "issue"
        order = move.sap_order_number or ""
        cost_center = ""
        if order:
            kind = "issue_order" if issue else "return_order"
        else:
            kind = "issue_cost_center" if issue else "return_cost_center"
            cost_center = move._stock_sap_cost_center(backend)
        return GoodsMovementItem(
            material=material,
            plant=plant,
            storage_location=sloc,
            movement_type=movement_type(backend, kind),
            quantity=decimal_qty(quantity),
            unit=unit,
            order=order,
            cost_center=cost_center,
        )

    def reversal_payload(self, move):
        """A storno waits until the goods issue it reverses has an outcome."""
        origin = move.origin_returned_move_id
        if origin.sap_message_id.state in ("pending", "sent"):
            raise RetryableJobError(
                "Waiting for the goods issue to be posted before reversing it",
                seconds=30,
                ignore_retry=True,
            )
        return {"move": move, "origin": origin, "reversal": True}

    def call(self, client, payload):
        if payload.get("reversal"):
            return self.reverse(client, payload)
        return client.post_goods_movement(
            payload["movement"], idempotency_key=self.message.idempotency_key
        )

    def reverse(self, client, payload):
        """Cancel the material document of the original goods issue, exactly once: the
        library finds an existing reversal before cancelling; an original whose outcome is
        unknown is looked up by its idempotency key first."""
        origin = payload["origin"]
        number, year = origin.sap_material_document, origin.sap_material_document_year
        found = None
        if not number and origin.sap_message_id:
            found = client.find_material_document_by_reference(
                origin.sap_message_id.idempotency_key
            )
            if found:
                number, year = found.number, found.year
        if not number:
            return {"found": None, "result": None}
        result = client.cancel_material_document(
            number, year, posting_date=fields.Date.to_date(payload["move"].date)
        )
        return {"found": found, "result": result, "number": number, "year": year}

    def apply(self, payload, answer):
        if payload.get("reversal"):
            return self.apply_reversal(payload, answer)
        item, document = payload["item"], answer.document
        payload["move"].write(
            {
                "sap_material_document": document.number,
                "sap_material_document_year": document.year,
                "sap_movement_type": item.movement_type,
            }
        )
        return HandlerResult(
            response={
                "material_document": document.number,
                "year": document.year,
                "movement_type": item.movement_type,
                "order": item.order,
                "cost_center": item.cost_center,
                "quantity": str(item.quantity),
                "unit": item.unit,
                "plant": item.plant,
                "storage_location": item.storage_location,
                "created": answer.created,
            },
            external_id=f"{document.year}/{document.number}",
            doc_type=None,  # kept on the record (sap_material_document, year)
        )

    def apply_reversal(self, payload, answer):
        found = answer["found"]
        if found:
            payload["origin"].write(
                {"sap_material_document": found.number, "sap_material_document_year": found.year}
            )
        result = answer["result"]
        if result is None:
            return HandlerResult(
                response={"reversed": False, "reason": "the goods issue was never posted"}
            )
        document = result.document
        payload["move"].write(
            {
                "sap_material_document": document.number,
                "sap_material_document_year": document.year,
                "sap_movement_type": document.items[0].movement_type if document.items else "",
            }
        )
        return HandlerResult(
            response={
                "material_document": document.number,
                "year": document.year,
                "reversed_document": answer["number"],
                "reversed_year": answer["year"],
                "created": result.created,
            },
            external_id=f"{document.year}/{document.number}",
            doc_type=None,  # kept on the record (sap_material_document, year)
        )
