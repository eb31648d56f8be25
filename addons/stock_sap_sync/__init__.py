from . import flows, models, wizards
