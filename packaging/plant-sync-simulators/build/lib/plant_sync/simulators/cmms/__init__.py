"""CMMS simulator: Maximo JSON API, Maximo MIF SOAP (MXWODETAIL) and a generic REST API over one
persistent store, with fault injection and a signed-webhook emitter. See :mod:`.server`."""

from .faults import Faults
from .server import CmmsSimulator
from .store import CmmsStore

__all__ = ["CmmsSimulator", "CmmsStore", "Faults"]
