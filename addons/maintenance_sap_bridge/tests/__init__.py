from . import (
    test_corrective_flow,
    test_equipment_pull,
    test_hold,
    test_install,
    test_preventive_status,
    test_resilience,
)
