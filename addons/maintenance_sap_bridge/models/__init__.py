from . import (
    maintenance_equipment,
    maintenance_functional_location,
    maintenance_request,
    maintenance_request_labour,
    maintenance_request_operation,
    plant_sync_backend,
    plant_sync_exception,
    plant_sync_flow,
    plant_sync_mapping,
)
