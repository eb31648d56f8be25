"""Material master read and delta pull.

OData: API_PRODUCT_SRV — not in shared/reference; follows SAP's published "Product Master"
OData V2 API: A_Product (LastChangeDateTime for deltas) with to_Description
(A_ProductDescription, by language).
RFC: RFC_READ_TABLE on MARA (ERSDA/LAEDA, day granularity) and MAKT texts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..models import DeltaPage
from ..rfc.client import abap_literal
from .base import ODataBase, RfcBase, abap_date, dt, from_abap_date, require, s

SERVICE = "API_PRODUCT_SRV"
ENTITY = "A_Product"


@dataclass
class Material:
    number: str
    description: str = ""
    material_type: str = ""
    base_unit: str = ""
    group: str = ""
    deleted: bool = False
    changed_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


class MaterialOData(ODataBase):
    def _language(self) -> str:
        return (self.config.language or "EN")[:2].upper()

    def _material(self, row: dict[str, Any]) -> Material:
        texts = row.get("to_Description")
        texts = texts.get("results", []) if isinstance(texts, dict) else texts or []
        lang = self._language()
        by_lang = {s(t, "Language").upper(): s(t, "ProductDescription") for t in texts}
        return Material(
            number=s(row, "Product"),
            description=by_lang.get(lang) or by_lang.get("EN") or next(iter(by_lang.values()), ""),
            material_type=s(row, "ProductType"),
            base_unit=s(row, "BaseUnit"),
            group=s(row, "ProductGroup"),
            deleted=bool(row.get("IsMarkedForDeletion")),
            changed_at=dt(row.get("LastChangeDateTime")),
            raw=row,
        )

    def get_material(self, number: str) -> Material:
        entity = self._svc(SERVICE).get(ENTITY, number, expand=["to_Description"])
        return self._material(entity.data)

    def iter_material_changes(self, since: datetime | None) -> Iterator[DeltaPage[Material]]:
        return self._svc(SERVICE).iter_delta(
            ENTITY, since, expand=["to_Description"], convert=self._material
        )


MARA_FIELDS = ["MATNR", "MTART", "MEINS", "MATKL", "LVORM", "ERSDA", "LAEDA"]


class MaterialRfc(RfcBase):
    def _text(self, number: str) -> str:
        lang = (self.config.language or "E")[:1].upper()
        where = [f"MATNR = {abap_literal(number)}", f"SPRAS = {abap_literal(lang)}"]
        row = self._read_one("MAKT", ["MATNR", "MAKTX"], where)
        return s(row or {}, "MAKTX")

    def _material(self, row: dict[str, str], text: str | None = None) -> Material:
        changed = from_abap_date(row.get("LAEDA")) or from_abap_date(row.get("ERSDA"))
        return Material(
            number=s(row, "MATNR"),
            description=self._text(row["MATNR"]) if text is None else text,
            material_type=s(row, "MTART"),
            base_unit=s(row, "MEINS"),
            group=s(row, "MATKL"),
            deleted=s(row, "LVORM") == "X",
            changed_at=changed,
            raw=row,
        )

    def get_material(self, number: str) -> Material:
        row = self._read_one("MARA", MARA_FIELDS, [f"MATNR = {abap_literal(number)}"])
        return self._material(require(row, f"Material {number}"))

    def iter_material_changes(self, since: datetime | None) -> Iterator[DeltaPage[Material]]:
        where = [f"LAEDA >= '{abap_date(since)}'"] if since is not None else []
        watermark = since
        for rows in self.rfc.iter_table("MARA", MARA_FIELDS, where):
            page = [self._material(r) for r in rows]
            for m in page:
                if m.changed_at and (watermark is None or m.changed_at > watermark):
                    watermark = m.changed_at
            yield DeltaPage(rows=page, watermark=watermark)
