# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""SAP purchase orders made from our requisitions, and their goods receipts → the requisition
(mirrored purchase order) and Odoo receipts."""

from datetime import timezone

from odoo import fields
from odoo.addons.plant_sync_base.flow import InboundFlow, register
from odoo.addons.plant_sync_base.tools import BatchPage, HandlerResult

from ..tools import FLOW_PURCHASE_ORDER, naive_utc
from .common import StockSapFlow

#: at most this many waiting items of earlier pulls are scheduled after a pull
WAITING_LIMIT = 1000


@register
class SapPurchaseOrder(StockSapFlow, InboundFlow):
    code = FLOW_PURCHASE_ORDER
    label = "SAP purchase orders and goods receipts (SAP → Odoo)"
    trigger = (
        "the flow's schedule (batch) or 'Run now': purchase orders changed in SAP since the "
        "last pull whose items come from our requisitions"
    )

    def pull(self, since=None, token=None, page_token=None):
        """Purchase orders changed in SAP since the watermark: every item that comes from one
        of our requisitions becomes an inbound message (key: order, item, change time,
        received quantity), so a conversion and each later goods receipt are applied once, in
        order."""
        Requisition = self.env["stock.sap.requisition"].sudo()
        items = []
        watermark = since.replace(tzinfo=timezone.utc) if since else None

        def read(client):
            nonlocal watermark
            for page in client.iter_purchase_order_changes(watermark):
                numbers = {
                    item.requisition
                    for order in page.rows
                    for item in order.items
                    if item.requisition
                }
                if numbers:
                    requisitions = Requisition.search(
                        [
                            ("backend_id", "=", self.backend.id),
                            ("sap_pr_number", "in", list(numbers)),
                        ]
                    )
                    by_key = {(r.sap_pr_number, r.sap_pr_item): r for r in requisitions}
                    for order in page.rows:
                        for item in order.items:
                            requisition = by_key.get((item.requisition, item.requisition_item))
                            if requisition:
                                items.append(self.pulled_item(requisition, order, item))
                watermark = page.watermark or watermark

        self.with_client(read)
        self.schedule_waiting()
        return BatchPage(items=items, watermark_date=naive_utc(watermark) or None)

    def pulled_item(self, requisition, order, item):
        payload = self.item_payload(order, item)
        return {
            "key": (
                "po",
                order.number,
                item.item,
                payload["changed_at"],
                payload["received_quantity"],
            ),
            "record": requisition,
            "payload": payload,
        }

    @staticmethod
    def item_payload(order, item):
        """JSON-safe view of one SAP purchase order item (the inbound message payload)."""
        return {
            "purchase_order": order.number,
            "item": item.item,
            "supplier": order.supplier,
            "order_date": order.order_date.date().isoformat() if order.order_date else "",
            "changed_at": order.changed_at.isoformat() if order.changed_at else "",
            "quantity": str(item.quantity),
            "unit": item.unit,
            "net_price": str(item.net_price),
            "currency": item.currency,
            "received_quantity": str(item.received_quantity),
            "completely_delivered": item.completely_delivered,
            "deleted": item.deleted,
            "requisition": item.requisition,
            "requisition_item": item.requisition_item,
        }

    def schedule_waiting(self):
        """Items of earlier pulls still pending without a live job (their job was lost, or a
        re-pulled item returned its existing message) are applied now with this pull's items,
        not left for the next dispatch of this batch flow. The base schedules this pull's new
        items after :meth:`pull`."""
        Message = self.env["plant.sync.message"]
        waiting = Message._stored_without_job(self.backend, WAITING_LIMIT, flow=self.flow)
        waiting.filtered(lambda m: m.direction == "inbound")._schedule()

    def apply(self, payload):
        """Mirror the SAP purchase order item on the requisition; goods received in SAP since
        the last update are received into the requisition's stock location in Odoo (with the
        import flag: nothing is posted back to SAP)."""
        requisition = self.document()
        backend = requisition.backend_id or requisition.sap_message_id.backend_id
        changed_at = payload.get("changed_at")
        changed = (
            naive_utc(fields.Datetime.to_datetime(changed_at[:19].replace("T", " ")))
            if changed_at
            else False
        )
        if changed and requisition.po_changed_at and changed < requisition.po_changed_at:
            return HandlerResult(response={"skipped": "older than the data already applied"})
        product = requisition.product_id
        sap_uom = self.env["plant.sync.mapping"]._to_odoo(
            backend, "uom", payload.get("unit") or "", default=False
        ) or (product.sap_base_uom_id or product.uom_id)

        def to_requisition_uom(value):
            return sap_uom._compute_quantity(float(value or 0.0), requisition.product_uom_id)

        ordered = to_requisition_uom(payload["quantity"])
        received = to_requisition_uom(payload["received_quantity"])
        vals = {
            "sap_po_number": payload["purchase_order"],
            "sap_po_item": payload["item"],
            "vendor_code": payload.get("supplier") or False,
            "partner_id": self.vendor(backend, payload.get("supplier")).id,
            "po_date": payload.get("order_date") or False,
            "po_changed_at": changed,
            "po_quantity": ordered,
            "price_unit": float(payload.get("net_price") or 0.0),
            "currency_code": payload.get("currency") or False,
        }
        if payload.get("deleted"):
            vals["state"] = "cancel"
        elif payload.get("completely_delivered") or (ordered and received >= ordered - 1e-6):
            vals["state"] = "received"
        else:
            vals["state"] = "ordered"
        delta = received - requisition.received_qty
        vals["received_qty"] = received
        requisition.write(vals)
        if delta > 1e-6:
            self.receive(backend, requisition, delta)
        return HandlerResult(
            response={
                "purchase_order": vals["sap_po_number"],
                "received": received,
                "received_now": max(delta, 0.0),
                "state": vals["state"],
            }
        )

    def vendor(self, backend, supplier):
        """The partner bound to the SAP vendor (created and bound on first sight)."""
        if not supplier:
            return self.env["res.partner"]
        partner = backend._record_for("res.partner", supplier)
        if not partner:
            partner = (
                self.env["res.partner"]
                .sudo()
                .with_context(**backend._import_context())
                .create({"name": f"SAP vendor {supplier}", "supplier_rank": 1, "ref": supplier})
            )
            backend._bind(partner, supplier)
        return partner

    def receive(self, backend, requisition, quantity):
        """Receive ``quantity`` (requisition unit) into the requisition's location."""
        supplier_location = self.env.ref("stock.stock_location_suppliers")
        move = (
            self.env["stock.move"]
            .sudo()
            .with_context(**backend._import_context())
            .create(
                {
                    "name": f"{requisition.sap_po_number} / {requisition.name}",
                    "origin": requisition.sap_po_number,
                    "reference": requisition.sap_po_number,
                    "product_id": requisition.product_id.id,
                    "product_uom_qty": quantity,
                    "product_uom": requisition.product_uom_id.id,
                    "location_id": supplier_location.id,
                    "location_dest_id": requisition.location_id.id,
                    "company_id": requisition.company_id.id,
                    "partner_id": requisition.partner_id.id,
                    "sap_requisition_id": requisition.id,
                }
            )
        )
        move._action_confirm()
        move.quantity = quantity
        move.picked = True
        move._action_done()
        return move
