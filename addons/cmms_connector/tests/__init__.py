from . import (
    test_backend,
    test_install,
    test_pull,
    test_push,
    test_sap_chain,
    test_security,
    test_webhook,
)
