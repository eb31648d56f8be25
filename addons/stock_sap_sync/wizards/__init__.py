from . import maintenance_consume_parts
