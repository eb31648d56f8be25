from . import (
    cmms_webhook_event,
    maintenance_equipment,
    maintenance_request,
    plant_downtime_event,
    plant_sync_backend,
    plant_sync_exception,
    plant_sync_flow,
    plant_sync_mapping,
)
