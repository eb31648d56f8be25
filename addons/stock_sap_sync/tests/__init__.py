from . import (
    test_consumption,
    test_install,
    test_material,
    test_multicompany,
    test_period_blocker,
    test_planned_parts,
    test_purchase_order_line,
    test_reconciliation,
    test_replenishment,
    test_service_confirmation,
)
