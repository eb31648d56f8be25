from . import plant_sync_backend
