"""Equipment and functional location: read one, and delta pulls streamed page by page.

OData: API_EQUIPMENT (EDMX in shared/reference), entity set Equipment (key Equipment +
ValidityEndDate; the current time segment is read); API_FUNCTIONALLOCATION_SRV — not in
shared/reference; follows SAP's published "Functional Location" OData V2 API, entity set
A_FunctionalLocation. Deltas filter ``LastChangeDateTime gt <watermark>``.
RFC: BAPI_EQUI_GETDETAIL for one equipment; deltas with RFC_READ_TABLE on EQUI (ERDAT/AEDAT,
day granularity: rows of the watermark day are delivered again — consumers upsert), EQKT
texts, the current EQUZ time segment (planning plant IWERK, work center GEWRK — resolved
through CRHD when SAP returns the numeric object id —, location ILOAN) and ILOA (functional
location TPLNR, maintenance plant SWERK); functional locations from IFLOT (ERDAT/AEDAT).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...errors import IntegrationError
from ..models import DeltaPage
from ..odata.query import eq
from ..rfc.client import abap_literal
from ..rfc.returns import check_return, return_rows
from .base import ODataBase, RfcBase, abap_date, alpha, dt, from_abap_date, require, s

EQUIPMENT_SERVICE = "API_EQUIPMENT"
FLOC_SERVICE = "API_FUNCTIONALLOCATION_SRV"


@dataclass
class Equipment:
    number: str
    description: str = ""
    category: str = ""
    object_type: str = ""
    manufacturer: str = ""
    model: str = ""
    serial_number: str = ""
    maintenance_plant: str = ""
    planning_plant: str = ""
    work_center: str = ""
    functional_location: str = ""
    superior_equipment: str = ""
    changed_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class FunctionalLocation:
    id: str
    description: str = ""
    category: str = ""
    maintenance_plant: str = ""
    superior: str = ""
    changed_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def _external(number: str) -> str:
    return number.lstrip("0") or number


def _equipment_from_odata(row: dict[str, Any]) -> Equipment:
    return Equipment(
        number=_external(s(row, "Equipment")),
        description=s(row, "EquipmentName"),
        category=s(row, "EquipmentCategory"),
        object_type=s(row, "TechnicalObjectType"),
        manufacturer=s(row, "AssetManufacturerName"),
        model=s(row, "ManufacturerPartTypeName"),
        serial_number=s(row, "ManufacturerSerialNumber"),
        maintenance_plant=s(row, "MaintenancePlant"),
        planning_plant=s(row, "MaintenancePlanningPlant"),
        work_center=s(row, "MainWorkCenter"),
        functional_location=s(row, "FunctionalLocation"),
        superior_equipment=s(row, "SuperordinateEquipment"),
        changed_at=dt(row.get("LastChangeDateTime")),
        raw=row,
    )


def _floc_from_odata(row: dict[str, Any]) -> FunctionalLocation:
    return FunctionalLocation(
        id=s(row, "FunctionalLocation"),
        description=s(row, "FunctionalLocationName"),
        category=s(row, "FunctionalLocationCategory"),
        maintenance_plant=s(row, "MaintenancePlant"),
        superior=s(row, "SuperiorFunctionalLocation"),
        changed_at=dt(row.get("LastChangeDateTime")),
        raw=row,
    )


class EquipmentOData(ODataBase):
    def get_equipment(self, number: str) -> Equipment:
        row = self._svc(EQUIPMENT_SERVICE).first(
            "Equipment", filter=eq("Equipment", number), orderby="ValidityEndDate desc"
        )
        return _equipment_from_odata(require(row, f"Equipment {number}"))

    def iter_equipment_changes(
        self, since: datetime | None, *, plant: str = ""
    ) -> Iterator[DeltaPage[Equipment]]:
        return self._svc(EQUIPMENT_SERVICE).iter_delta(
            "Equipment",
            since,
            filter=eq("MaintenancePlant", plant) if plant else None,
            convert=_equipment_from_odata,
        )

    def get_functional_location(self, id: str) -> FunctionalLocation:
        entity = self._svc(FLOC_SERVICE).get("A_FunctionalLocation", id)
        return _floc_from_odata(entity.data)

    def iter_functional_location_changes(
        self, since: datetime | None, *, plant: str = ""
    ) -> Iterator[DeltaPage[FunctionalLocation]]:
        return self._svc(FLOC_SERVICE).iter_delta(
            "A_FunctionalLocation",
            since,
            filter=eq("MaintenancePlant", plant) if plant else None,
            convert=_floc_from_odata,
        )


EQUI_FIELDS = ["EQUNR", "EQTYP", "EQART", "HERST", "TYPBZ", "SERGE", "ERDAT", "AEDAT"]


class EquipmentRfc(RfcBase):
    def get_equipment(self, number: str) -> Equipment:
        result = self.retrier.read(
            lambda: self.rfc.call("BAPI_EQUI_GETDETAIL", EQUIPMENT=alpha(number, 18))
        )
        check_return(return_rows(result))
        general = result.get("DATA_GENERAL_EXP") or {}
        specific = result.get("DATA_SPECIFIC_EXP") or {}
        return Equipment(
            number=_external(number),
            description=s(general, "DESCRIPT"),
            category=s(specific, "EQUICATGRY"),
            object_type=s(general, "OBJECTTYPE"),
            manufacturer=s(general, "MANFACTURE"),
            model=s(general, "MANMODEL"),
            serial_number=s(general, "MANSERNO"),
            maintenance_plant=s(general, "MAINTPLANT"),
            planning_plant=s(general, "PLANPLANT"),
            work_center=s(general, "WORK_CTR"),
            functional_location=s(specific, "READ_FLOC") or s(specific, "FUNCLOC"),
            superior_equipment=_external(s(specific, "READ_SUPEQ")),
            raw={**general, **specific},
        )

    def iter_equipment_changes(
        self, since: datetime | None, *, plant: str = ""
    ) -> Iterator[DeltaPage[Equipment]]:
        seen: set[str] = set()
        watermark = since
        passes = [["ERDAT", "AEDAT"]] if since is None else [["ERDAT"], ["AEDAT"]]
        for date_fields in passes:
            where = [f"{f} >= '{abap_date(since)}'" for f in date_fields if since is not None]
            for rows in self.rfc.iter_table("EQUI", EQUI_FIELDS, where):
                rows = [r for r in rows if r["EQUNR"] not in seen]
                seen.update(r["EQUNR"] for r in rows)
                texts = self._texts(rows)
                locations = self._locations(rows)
                page = []
                for row in rows:
                    changed = max(
                        (
                            d
                            for d in (
                                from_abap_date(row.get("AEDAT")),
                                from_abap_date(row.get("ERDAT")),
                            )
                            if d
                        ),
                        default=None,
                    )
                    if changed and (watermark is None or changed > watermark):
                        watermark = changed
                    equipment = self._from_equi(row, texts.get(row["EQUNR"], ""), changed)
                    location = locations.get(row["EQUNR"], {})
                    equipment.planning_plant = s(location, "IWERK")
                    equipment.maintenance_plant = s(location, "SWERK") or s(location, "IWERK")
                    equipment.work_center = s(location, "ARBPL")
                    equipment.functional_location = s(location, "TPLNR")
                    equipment.raw = {**row, **location}
                    page.append(equipment)
                if plant:
                    page = [e for e in page if e.maintenance_plant in ("", plant)]
                if page:
                    yield DeltaPage(rows=page, watermark=watermark)

    def _range(self, table: str, key: str, fields: list[str], keys: list[str]) -> list[dict]:
        """Rows of ``table`` whose ``key`` is one of ``keys`` (one key-range read)."""
        keys = sorted({k for k in keys if k})
        if not keys:
            return []
        where = [f"{key} >= {abap_literal(keys[0])}", f"{key} <= {abap_literal(keys[-1])}"]
        wanted = set(keys)
        return [
            row
            for page in self.rfc.iter_table(table, fields, where)
            for row in page
            if row.get(key) in wanted
        ]

    def _locations(self, rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
        """Per EQUNR: the current EQUZ segment (IWERK, GEWRK, ILOAN) with its ILOA location
        (TPLNR, SWERK) and the work center (ARBPL)."""
        segments: dict[str, dict[str, str]] = {}
        equz = ["EQUNR", "DATBI", "IWERK", "GEWRK", "ILOAN"]
        for row in self._range("EQUZ", "EQUNR", equz, [r["EQUNR"] for r in rows]):
            current = segments.get(row["EQUNR"])
            if current is None or s(row, "DATBI") > s(current, "DATBI"):
                segments[row["EQUNR"]] = dict(row)
        iloa = {
            row["ILOAN"]: row
            for row in self._range(
                "ILOA",
                "ILOAN",
                ["ILOAN", "TPLNR", "SWERK"],
                [s(r, "ILOAN") for r in segments.values()],
            )
        }
        centers = self._work_centers(
            [s(r, "GEWRK") for r in segments.values() if s(r, "GEWRK").isdigit()]
        )
        for segment in segments.values():
            location = iloa.get(s(segment, "ILOAN"), {})
            segment.update(TPLNR=s(location, "TPLNR"), SWERK=s(location, "SWERK"))
            segment["ARBPL"] = centers.get(s(segment, "GEWRK"), s(segment, "GEWRK"))
        return segments

    def _work_centers(self, object_ids: list[str]) -> dict[str, str]:
        """CRHD object id -> work center (ARBPL); empty when CRHD cannot be read."""
        if not object_ids:
            return {}
        try:
            rows = self._range("CRHD", "OBJID", ["OBJTY", "OBJID", "ARBPL"], object_ids)
        except IntegrationError:
            return {}
        return {row["OBJID"]: s(row, "ARBPL") for row in rows if s(row, "OBJTY") in ("", "A")}

    def _texts(self, rows: list[dict[str, str]]) -> dict[str, str]:
        if not rows:
            return {}
        keys = sorted(r["EQUNR"] for r in rows)
        where = [
            f"EQUNR >= {abap_literal(keys[0])}",
            f"EQUNR <= {abap_literal(keys[-1])}",
        ]
        texts = {}
        for page in self.rfc.iter_table("EQKT", ["EQUNR", "SPRAS", "EQKTX"], where):
            for row in page:
                if row["EQUNR"] not in texts or row["SPRAS"] in ("E", "EN"):
                    texts[row["EQUNR"]] = row["EQKTX"]
        return texts

    @staticmethod
    def _from_equi(row: dict[str, str], text: str, changed: datetime | None) -> Equipment:
        return Equipment(
            number=_external(row["EQUNR"]),
            description=text,
            category=s(row, "EQTYP"),
            object_type=s(row, "EQART"),
            manufacturer=s(row, "HERST"),
            model=s(row, "TYPBZ"),
            serial_number=s(row, "SERGE"),
            changed_at=changed,
            raw=row,
        )

    def get_functional_location(self, id: str) -> FunctionalLocation:
        row = require(
            self._read_one("IFLOT", ["TPLNR", "FLTYP", "IWERK"], [f"TPLNR = {abap_literal(id)}"]),
            f"Functional location {id}",
        )
        return FunctionalLocation(
            id=s(row, "TPLNR"), category=s(row, "FLTYP"), maintenance_plant=s(row, "IWERK"), raw=row
        )

    def iter_functional_location_changes(
        self, since: datetime | None, *, plant: str = ""
    ) -> Iterator[DeltaPage[FunctionalLocation]]:
        watermark = since
        fields = ["TPLNR", "FLTYP", "IWERK", "TPLMA", "ERDAT", "AEDAT"]
        seen: set[str] = set()
        # created since (ERDAT), then changed since (AEDAT stays initial until a change)
        passes = [[]] if since is None else [["ERDAT"], ["AEDAT"]]
        for date_fields in passes:
            where = [f"IWERK = {abap_literal(plant)}"] if plant else []
            where += [f"{f} >= '{abap_date(since)}'" for f in date_fields]
            for rows in self.rfc.iter_table("IFLOT", fields, where):
                rows = [r for r in rows if r["TPLNR"] not in seen]
                seen.update(r["TPLNR"] for r in rows)
                page = []
                for row in rows:
                    dates = [from_abap_date(row.get("AEDAT")), from_abap_date(row.get("ERDAT"))]
                    changed = max((d for d in dates if d), default=None)
                    if changed and (watermark is None or changed > watermark):
                        watermark = changed
                    page.append(
                        FunctionalLocation(
                            id=s(row, "TPLNR"),
                            category=s(row, "FLTYP"),
                            maintenance_plant=s(row, "IWERK"),
                            superior=s(row, "TPLMA"),
                            changed_at=changed,
                            raw=row,
                        )
                    )
                if page:
                    yield DeltaPage(rows=page, watermark=watermark)


__all__ = ["Equipment", "EquipmentOData", "EquipmentRfc", "FunctionalLocation"]
