# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import SQL


class PlantSyncPeriodBlocker(models.Model):
    """Unposted movements block the period close too: consumption goods movements (261/262/201
    and their reversals) done in Odoo whose SAP posting has not succeeded, valued at the
    product's cost, and contractor service confirmations confirmed or approved but not posted,
    valued at the purchase price."""

    _inherit = "plant.sync.period.blocker"
    _depends = {
        "stock.move": [
            "state",
            "date",
            "quantity",
            "company_id",
            "product_id",
            "picking_id",
            "reference",
            "name",
            "sap_movement_kind",
            "sap_message_id",
        ],
        "purchase.service.confirmation": [
            "name",
            "state",
            "date",
            "quantity",
            "company_id",
            "purchase_line_id",
            "sap_message_id",
        ],
        "plant.sync.message": ["state", "backend_id"],
        "purchase.order.line": ["price_unit", "order_id"],
        "purchase.order": ["currency_id", "partner_id"],
        "res.partner": ["name"],
        "stock.picking": ["name"],
        "product.product": ["standard_price"],
    }

    source = fields.Selection(
        selection_add=[
            ("stock_move", "Goods movement"),
            ("service_confirmation", "Service confirmation"),
        ]
    )

    @api.model
    def _blocker_covered_models(self):
        return super()._blocker_covered_models() + ["stock.move", "purchase.service.confirmation"]

    @api.model
    def _blocker_queries(self):
        moves = SQL(
            """
            SELECT sm.id * 16 + 1 AS id, 'stock_move' AS source,
                   concat_ws(' · ', coalesce(sp.name, sm.reference), sm.name) AS name,
                   sm.company_id AS company_id, to_char(sm.date, 'YYYY-MM') AS period,
                   sm.date::date AS date,
                   sm.quantity * coalesce((pp.standard_price ->> sm.company_id::text)::numeric, 0)
                       AS amount,
                   rc.currency_id AS currency_id, e.cost_center AS cost_center,
                   m.backend_id AS backend_id, e.id AS exception_id,
                   'stock.move' AS res_model, sm.id AS res_id,
                   CASE m.state WHEN 'held' THEN 'held' WHEN 'failed' THEN 'failed'
                        ELSE 'waiting' END AS status
              FROM stock_move sm
              JOIN plant_sync_message m ON m.id = sm.sap_message_id
              JOIN product_product pp ON pp.id = sm.product_id
              JOIN res_company rc ON rc.id = sm.company_id
              LEFT JOIN stock_picking sp ON sp.id = sm.picking_id
              LEFT JOIN plant_sync_exception e
                ON e.message_id = m.id AND e.state IN ('new', 'in_progress')
             WHERE sm.state = 'done' AND sm.sap_movement_kind IS NOT NULL
               AND m.state IN ('pending', 'sent', 'held', 'failed')
            """
        )
        confirmations = SQL(
            """
            SELECT c.id * 16 + 2 AS id, 'service_confirmation' AS source,
                   concat_ws(' · ', c.name, rp.name) AS name,
                   c.company_id AS company_id, to_char(c.date, 'YYYY-MM') AS period,
                   c.date AS date, c.quantity * pol.price_unit AS amount,
                   po.currency_id AS currency_id, e.cost_center AS cost_center,
                   m.backend_id AS backend_id, e.id AS exception_id,
                   'purchase.service.confirmation' AS res_model, c.id AS res_id,
                   CASE WHEN c.state = 'confirmed' THEN 'to_approve'
                        WHEN m.state = 'held' THEN 'held'
                        WHEN m.state = 'failed' THEN 'failed'
                        ELSE 'approved' END AS status
              FROM purchase_service_confirmation c
              JOIN purchase_order_line pol ON pol.id = c.purchase_line_id
              JOIN purchase_order po ON po.id = pol.order_id
              LEFT JOIN res_partner rp ON rp.id = po.partner_id
              LEFT JOIN plant_sync_message m ON m.id = c.sap_message_id
              LEFT JOIN plant_sync_exception e
                ON e.message_id = m.id AND e.state IN ('new', 'in_progress')
             WHERE c.state IN ('confirmed', 'approved')
            """
        )
        return super()._blocker_queries() + [moves, confirmations]
