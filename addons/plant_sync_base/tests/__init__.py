from . import (
    test_audit_trail,
    test_backend,
    test_batch,
    test_circuit_breaker,
    test_concurrency,
    test_engine,
    test_install,
    test_mapping,
    test_multicompany,
    test_secrets,
    test_views,
)
