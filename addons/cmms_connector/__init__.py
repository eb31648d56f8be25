from . import controllers, flows, models
