from . import (
    plant_sync_backend,
    plant_sync_binding,
    plant_sync_bound_mixin,
    plant_sync_exception,
    plant_sync_flow,
    plant_sync_mapping,
    plant_sync_message,
    queue_job,
    res_config_settings,
)
