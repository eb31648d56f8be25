"""plant_sync: the Odoo-free integration library of the Plant Sync suite.

Clients for SAP (OData v2, RFC/BAPI) and CMMS/EAM systems (Maximo JSON, SOAP, generic REST), error
classification, idempotency, secret encryption, webhook signatures and protocol simulators.
Nothing in this package imports ``odoo``.
"""

__version__ = "18.0.1.0.0"
