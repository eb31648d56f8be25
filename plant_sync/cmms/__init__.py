"""CMMS/EAM clients: IBM Maximo JSON API, WSDL-described SOAP services (Maximo MIF, HxGN EAM
style) and configurable REST APIs (Fiix/UpKeep/Limble style), all speaking the normalized
:class:`WorkOrder` through the :class:`CmmsClient` protocol. No Odoo import."""

from .client import CmmsClient
from .config import (
    CmmsConfig,
    HttpSettings,
    MaximoConfig,
    PaginationConfig,
    RestAuth,
    RestConfig,
    SigningConfig,
    SoapConfig,
    SoapOperation,
    config_from_dict,
)
from .factory import make_client
from .workorder import LabourLine, WorkOrder

__all__ = [
    "CmmsClient",
    "CmmsConfig",
    "HttpSettings",
    "LabourLine",
    "MaximoConfig",
    "PaginationConfig",
    "RestAuth",
    "RestConfig",
    "SigningConfig",
    "SoapConfig",
    "SoapOperation",
    "WorkOrder",
    "config_from_dict",
    "make_client",
]
