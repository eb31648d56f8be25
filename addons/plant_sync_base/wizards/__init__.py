from . import plant_sync_exception_cancel
