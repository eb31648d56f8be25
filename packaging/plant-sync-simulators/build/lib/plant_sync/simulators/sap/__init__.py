"""SAP S/4HANA simulator: OData v2 (SAP Gateway behaviour) and RFC over one SQLite store.

See README.md in this folder for the served services, the idempotency reference fields and the
control API::

    from plant_sync.simulators.sap import SapSimulator
    with SapSimulator(users={"PLANT_SYNC": "Secret#1"}) as sim:
        sim.store.seed_master_data()
        sim.service_url("API_MAINTNOTIFICATION")
"""

from .errors import SapError
from .faults import Faults
from .server import SapSimulator
from .store import SapStore

__all__ = ["Faults", "SapError", "SapSimulator", "SapStore"]
