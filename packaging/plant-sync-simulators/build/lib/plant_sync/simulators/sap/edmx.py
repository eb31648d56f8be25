"""Read the shipped EDMX files into a small model the simulator works from.

Only what the simulator needs: entity types (keys, properties with Edm type, length, scale and the
``sap:creatable``/``sap:updatable`` flags), entity sets (``sap:creatable/updatable/deletable``),
navigation properties resolved to their target entity set and multiplicity, function imports.
The XML is parsed with ``plant_sync.safexml`` (no DTD, no entities). The raw bytes are served
unchanged as ``$metadata``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from plant_sync.safexml import parse_xml

SAP_NS = "http://www.sap.com/Protocols/SAPData"
M_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"

#: service name (as in the URL) -> EDMX file in ``edmx/``
SERVICE_FILES: dict[str, str] = {
    "API_MAINTNOTIFICATION": "API_MAINTNOTIFICATION.edmx",
    "API_MAINTENANCEORDER;v=0002": "API_MAINTENANCEORDER_v0002.edmx",
    "API_MAINTENANCEORDER": "API_MAINTENANCEORDER_v0002.edmx",
    "API_EQUIPMENT": "API_EQUIPMENT.edmx",
    "API_FUNCTIONALLOCATION_SRV": "API_FUNCTIONALLOCATION_SRV.edmx",
    "API_MATERIAL_DOCUMENT_SRV": "API_MATERIAL_DOCUMENT_SRV.edmx",
    "API_MATERIAL_STOCK_SRV": "API_MATERIAL_STOCK_SRV.edmx",
    "API_MAINTORDERCONFIRMATION": "API_MAINTORDERCONFIRMATION.edmx",
    "API_PURCHASEREQ_PROCESS_SRV": "API_PURCHASEREQ_PROCESS_SRV.edmx",
    "API_PURCHASEORDER_PROCESS_SRV": "API_PURCHASEORDER_PROCESS_SRV.edmx",
    "API_PRODUCT_SRV": "API_PRODUCT_SRV.edmx",
}


@dataclass(frozen=True)
class Prop:
    name: str
    edm_type: str
    max_length: int | None = None
    scale: int | None = None
    nullable: bool = True
    creatable: bool = True
    updatable: bool = True


@dataclass(frozen=True)
class NavProp:
    name: str
    target_set: str
    many: bool


@dataclass
class EntityType:
    name: str  # qualified: namespace.Name
    keys: list[str]
    props: dict[str, Prop]
    navs: dict[str, NavProp] = field(default_factory=dict)


@dataclass
class EntitySet:
    name: str
    type: EntityType
    creatable: bool = True
    updatable: bool = True
    deletable: bool = True


@dataclass(frozen=True)
class FunctionImport:
    name: str
    http_method: str
    return_type: str | None
    entity_set: str | None
    params: dict[str, str]


@dataclass
class Service:
    name: str
    namespace: str
    raw: bytes
    entity_sets: dict[str, EntitySet]
    functions: dict[str, FunctionImport]
    complex_types: dict[str, dict[str, str]]


def _flag(el, name: str) -> bool:
    return el.get(f"{{{SAP_NS}}}{name}") != "false"


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def edmx_bytes(filename: str) -> bytes:
    return resources.files(__package__).joinpath("edmx").joinpath(filename).read_bytes()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_service(name: str, raw: bytes) -> Service:
    root = parse_xml(raw)
    schema = next(el for el in root.iter() if _local(el.tag) == "Schema")
    ns = schema.get("Namespace")
    types: dict[str, EntityType] = {}
    assoc_ends: dict[tuple[str, str], str] = {}  # (assoc, role) -> multiplicity
    complex_types: dict[str, dict[str, str]] = {}
    for el in schema:
        tag = _local(el.tag)
        if tag == "EntityType":
            keys = [r.get("Name") for k in el if _local(k.tag) == "Key" for r in k]
            props = {}
            for p in el:
                if _local(p.tag) != "Property":
                    continue
                props[p.get("Name")] = Prop(
                    name=p.get("Name"),
                    edm_type=p.get("Type"),
                    max_length=_int(p.get("MaxLength")),
                    scale=_int(p.get("Scale")),
                    nullable=p.get("Nullable") != "false",
                    creatable=_flag(p, "creatable"),
                    updatable=_flag(p, "updatable"),
                )
            types[f"{ns}.{el.get('Name')}"] = EntityType(f"{ns}.{el.get('Name')}", keys, props)
        elif tag == "ComplexType":
            complex_types[f"{ns}.{el.get('Name')}"] = {
                p.get("Name"): p.get("Type") for p in el if _local(p.tag) == "Property"
            }
        elif tag == "Association":
            for end in el:
                if _local(end.tag) == "End":
                    assoc_ends[(f"{ns}.{el.get('Name')}", end.get("Role"))] = end.get(
                        "Multiplicity"
                    )
    container = next(el for el in schema if _local(el.tag) == "EntityContainer")
    sets: dict[str, EntitySet] = {}
    set_by_role: dict[tuple[str, str], str] = {}
    functions: dict[str, FunctionImport] = {}
    for el in container:
        tag = _local(el.tag)
        if tag == "EntitySet":
            sets[el.get("Name")] = EntitySet(
                el.get("Name"),
                types[el.get("EntityType")],
                _flag(el, "creatable"),
                _flag(el, "updatable"),
                _flag(el, "deletable"),
            )
        elif tag == "AssociationSet":
            for end in el:
                if _local(end.tag) == "End":
                    set_by_role[(el.get("Association"), end.get("Role"))] = end.get("EntitySet")
        elif tag == "FunctionImport":
            functions[el.get("Name")] = FunctionImport(
                name=el.get("Name"),
                http_method=el.get(f"{{{M_NS}}}HttpMethod", "GET"),
                return_type=el.get("ReturnType"),
                entity_set=el.get("EntitySet"),
                params={p.get("Name"): p.get("Type") for p in el if _local(p.tag) == "Parameter"},
            )
    for el in schema:
        if _local(el.tag) != "EntityType":
            continue
        etype = types[f"{ns}.{el.get('Name')}"]
        for nav in el:
            if _local(nav.tag) != "NavigationProperty":
                continue
            assoc, role = nav.get("Relationship"), nav.get("ToRole")
            target = set_by_role.get((assoc, role))
            if target:
                many = assoc_ends.get((assoc, role)) == "*"
                etype.navs[nav.get("Name")] = NavProp(nav.get("Name"), target, many)
    return Service(name, ns, raw, sets, functions, complex_types)


@cache
def load_service(name: str) -> Service:
    return parse_service(name, edmx_bytes(SERVICE_FILES[name]))


def all_services() -> dict[str, Service]:
    return {name: load_service(name) for name in SERVICE_FILES}


def entity_sets() -> dict[str, EntitySet]:
    """All entity sets over all services, by name (names are unique across our services)."""
    out: dict[str, EntitySet] = {}
    for svc in all_services().values():
        for name, es in svc.entity_sets.items():
            out.setdefault(name, es)
    return out
