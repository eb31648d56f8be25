"""Simulated function modules, by name (see README.md for the list and field mappings)."""

from . import inventory, maintenance, purchasing, read_table, transaction

FUNCTIONS = {
    "BAPI_ALM_NOTIF_CREATE": maintenance.notif_create,
    "BAPI_ALM_NOTIF_SAVE": maintenance.notif_save,
    "BAPI_ALM_NOTIF_CLOSE": maintenance.notif_close,
    "BAPI_ALM_ORDER_MAINTAIN": maintenance.order_maintain,
    "BAPI_ALM_ORDER_GET_DETAIL": maintenance.order_get_detail,
    "BAPI_ALM_CONF_CREATE": maintenance.conf_create,
    "BAPI_EQUI_GETDETAIL": maintenance.equi_getdetail,
    "BAPI_GOODSMVT_CREATE": inventory.goodsmvt_create,
    "BAPI_GOODSMVT_CANCEL": inventory.goodsmvt_cancel,
    "BAPI_PR_CREATE": purchasing.pr_create,
    "RFC_READ_TABLE": read_table.read_table,
    "BAPI_TRANSACTION_COMMIT": transaction.commit,
    "BAPI_TRANSACTION_ROLLBACK": transaction.rollback,
    "RFC_PING": transaction.ping,
}
