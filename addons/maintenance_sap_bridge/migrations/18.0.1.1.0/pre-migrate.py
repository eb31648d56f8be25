# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""SAP numbers are stored once, as bindings: the notification and order numbers of requests and
the equipment numbers become bindings (typed ``sap_notification`` / ``sap_order`` for requests)
before their columns stop being read. plant_sync_base is already updated (``doc_type`` exists);
the old columns are still there, untouched."""

from odoo.tools import SQL

REQUEST_NUMBERS = (
    ("sap_notification_number", "sap_notification"),
    ("sap_order_number", "sap_order"),
)
#: the request's SAP system; for equipment, its company's (the oldest one when several)
REQUEST_BACKEND = SQL("r.sap_backend_id")
EQUIPMENT_BACKEND = SQL(
    "SELECT id FROM plant_sync_backend WHERE kind IN ('sap_odata', 'sap_rfc') "
    "AND company_id = r.company_id ORDER BY id LIMIT 1"
)


def _bind_column(cr, table, model, column, doc_type, backend):
    """Type the existing binding holding the column's number, then bind what is left."""
    table, column = SQL.identifier(table), SQL.identifier(column)
    cr.execute(
        SQL(
            """
            UPDATE plant_sync_binding b SET doc_type = %s
              FROM %s r
             WHERE b.res_model = %s AND b.res_id = r.id AND b.doc_type = 'main'
               AND b.external_id = r.%s AND b.backend_id = (%s)
            """,
            doc_type,
            table,
            model,
            column,
            backend,
        )
    )
    cr.execute(
        SQL(
            """
            INSERT INTO plant_sync_binding (backend_id, company_id, res_model, res_id, doc_type,
                                            external_id, last_sync, create_date, write_date)
            SELECT be.id, be.company_id, %s, r.id, %s, r.%s, now(), now(), now()
              FROM %s r
              JOIN plant_sync_backend be ON be.id = (%s)
             WHERE r.%s IS NOT NULL AND r.%s != ''
            ON CONFLICT DO NOTHING
            """,
            model,
            doc_type,
            column,
            table,
            backend,
            column,
            column,
        )
    )


def migrate(cr, version):
    if not version:
        return
    for column, doc_type in REQUEST_NUMBERS:
        _bind_column(
            cr, "maintenance_request", "maintenance.request", column, doc_type, REQUEST_BACKEND
        )
    _bind_column(
        cr,
        "maintenance_equipment",
        "maintenance.equipment",
        "sap_equipment_number",
        "main",
        EQUIPMENT_BACKEND,
    )
