from . import (
    test_click_everywhere,
    test_corrective_flow,
    test_dead_worker,
    test_equipment_pull,
    test_hold,
    test_install,
    test_journeys,
    test_preventive_status,
    test_resilience,
    test_trust_boundary,
)
