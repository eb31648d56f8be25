"""Material master read and delta pull.

OData: API_PRODUCT_SRV — not in shared/reference; follows SAP's published "Product Master"
OData V2 API: A_Product (LastChangeDateTime for deltas) with to_Description
(A_ProductDescription, by language), to_Plant (A_ProductPlant: the plants the material is
extended to) and to_Valuation (A_ProductValuation: one row per ValuationArea/ValuationType;
valuation at plant level, so ValuationArea = plant; the price is StandardPrice or
MovingAveragePrice as InventoryValuationProcedure — SAP's price control S/V — says, per
PriceUnitQty units, in Currency).
RFC: RFC_READ_TABLE on MARA (ERSDA/LAEDA, day granularity), MAKT texts, MARC (plants) and
MBEW (valuation: VPRSV, STPRS, VERPR, PEINH; MBEW has no currency field — SAP keeps it on the
company code of the valuation area — so ``valuation_currency`` stays empty over RFC).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..models import DeltaPage
from ..rfc.client import abap_literal
from .base import ODataBase, RfcBase, abap_date, dec, dt, from_abap_date, require, s

SERVICE = "API_PRODUCT_SRV"
ENTITY = "A_Product"
EXPAND = ["to_Description", "to_Plant", "to_Valuation"]


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
    #: plants the material is extended to (A_ProductPlant / MARC), in SAP's order
    plants: list[str] = field(default_factory=list)
    #: valuation price of the requested plant (else of the first valued plant), for reference:
    #: the standard price (price control S) or the moving average price (V), for
    #: ``price_unit`` base units; None when the material has no valuation
    valuation_price: Decimal | None = None
    valuation_currency: str = ""
    price_unit: Decimal | None = None
    #: plant (valuation area) the valuation price comes from
    valuation_plant: str = ""


def _price(procedure: str, standard: Any, moving: Any) -> Decimal:
    """StandardPrice for price control S, MovingAveragePrice for V (else whichever is set)."""
    standard, moving = dec(standard), dec(moving)
    if procedure == "V":
        return moving
    if procedure == "S":
        return standard
    return standard or moving


def _apply_valuation(
    material: Material, valuations: dict[str, tuple[Decimal, str, Decimal]], plant: str = ""
) -> Material:
    """Pick the valuation of ``plant`` (else of the first plant of the material that has one,
    else the first one) from ``valuations`` {area: (price, currency, price unit)}."""
    if plant:
        order: Iterable[str] = [plant]
    else:
        order = [*material.plants, *valuations]
    for area in order:
        if area in valuations:
            price, currency, unit = valuations[area]
            material.valuation_price = price
            material.valuation_currency = currency
            material.price_unit = unit or Decimal(1)
            material.valuation_plant = area
            break
    return material


def _results(value: Any) -> list[dict[str, Any]]:
    return value.get("results", []) if isinstance(value, dict) else value or []


class MaterialOData(ODataBase):
    def _language(self) -> str:
        return (self.config.language or "EN")[:2].upper()

    def _material(self, row: dict[str, Any], plant: str = "") -> Material:
        texts = _results(row.get("to_Description"))
        lang = self._language()
        by_lang = {s(t, "Language").upper(): s(t, "ProductDescription") for t in texts}
        material = Material(
            number=s(row, "Product"),
            description=by_lang.get(lang) or by_lang.get("EN") or next(iter(by_lang.values()), ""),
            material_type=s(row, "ProductType"),
            base_unit=s(row, "BaseUnit"),
            group=s(row, "ProductGroup"),
            deleted=bool(row.get("IsMarkedForDeletion")),
            changed_at=dt(row.get("LastChangeDateTime")),
            raw=row,
            plants=[s(p, "Plant") for p in _results(row.get("to_Plant")) if s(p, "Plant")],
        )
        valuations = {
            s(v, "ValuationArea"): (
                _price(
                    s(v, "InventoryValuationProcedure").upper(),
                    v.get("StandardPrice"),
                    v.get("MovingAveragePrice"),
                ),
                s(v, "Currency"),
                dec(v.get("PriceUnitQty")),
            )
            for v in _results(row.get("to_Valuation"))
            if not s(v, "ValuationType")  # the valuation header, not split valuation types
        }
        return _apply_valuation(material, valuations, plant)

    def get_material(self, number: str) -> Material:
        entity = self._svc(SERVICE).get(ENTITY, number, expand=EXPAND)
        return self._material(entity.data)

    def iter_material_changes(
        self, since: datetime | None, *, plant: str = ""
    ) -> Iterator[DeltaPage[Material]]:
        """Materials changed after ``since``; with ``plant``, only those extended to that plant
        (filtered on the expanded to_Plant: A_Product cannot be filtered by plant). Every page
        is yielded — possibly empty — so that the watermark covers the materials skipped."""
        pages = self._svc(SERVICE).iter_delta(
            ENTITY, since, expand=EXPAND, convert=lambda row: self._material(row, plant)
        )
        for page in pages:
            if plant:
                page = DeltaPage(
                    rows=[m for m in page.rows if plant in m.plants], watermark=page.watermark
                )
            yield page


MARA_FIELDS = ["MATNR", "MTART", "MEINS", "MATKL", "LVORM", "ERSDA", "LAEDA"]
MARC_FIELDS = ["MATNR", "WERKS"]
MBEW_FIELDS = ["MATNR", "BWKEY", "BWTAR", "VPRSV", "STPRS", "VERPR", "PEINH"]


class MaterialRfc(RfcBase):
    def _text(self, number: str) -> str:
        lang = (self.config.language or "E")[:1].upper()
        where = [f"MATNR = {abap_literal(number)}", f"SPRAS = {abap_literal(lang)}"]
        row = self._read_one("MAKT", ["MATNR", "MAKTX"], where)
        return s(row or {}, "MAKTX")

    def _material(
        self,
        row: dict[str, str],
        text: str | None = None,
        plants: list[str] | None = None,
        valuations: dict[str, tuple[Decimal, str, Decimal]] | None = None,
        plant: str = "",
    ) -> Material:
        changed = from_abap_date(row.get("LAEDA")) or from_abap_date(row.get("ERSDA"))
        number = s(row, "MATNR")
        if plants is None:
            plants = self._plants_of([f"MATNR = {abap_literal(number)}"]).get(number, [])
        if valuations is None:
            valuations = self._valuations_of([f"MATNR = {abap_literal(number)}"]).get(number, {})
        material = Material(
            number=number,
            description=self._text(row["MATNR"]) if text is None else text,
            material_type=s(row, "MTART"),
            base_unit=s(row, "MEINS"),
            group=s(row, "MATKL"),
            deleted=s(row, "LVORM") == "X",
            changed_at=changed,
            raw=row,
            plants=list(plants),
        )
        return _apply_valuation(material, valuations, plant)

    def _plants_of(self, where: list[str]) -> dict[str, list[str]]:
        """MARC: {material: [plants]}."""
        plants: dict[str, list[str]] = {}
        for rows in self.rfc.iter_table("MARC", MARC_FIELDS, where):
            for r in rows:
                plants.setdefault(s(r, "MATNR"), []).append(s(r, "WERKS"))
        return plants

    def _valuations_of(self, where: list[str]) -> dict[str, dict[str, tuple]]:
        """MBEW valuation headers (BWTAR blank): {material: {area: (price, '', unit)}}."""
        out: dict[str, dict[str, tuple]] = {}
        for rows in self.rfc.iter_table("MBEW", MBEW_FIELDS, [*where, "BWTAR = ''"]):
            for r in rows:
                price = _price(s(r, "VPRSV").upper(), r.get("STPRS"), r.get("VERPR"))
                out.setdefault(s(r, "MATNR"), {})[s(r, "BWKEY")] = (price, "", dec(r.get("PEINH")))
        return out

    def get_material(self, number: str) -> Material:
        row = self._read_one("MARA", MARA_FIELDS, [f"MATNR = {abap_literal(number)}"])
        return self._material(require(row, f"Material {number}"))

    def iter_material_changes(
        self, since: datetime | None, *, plant: str = ""
    ) -> Iterator[DeltaPage[Material]]:
        """Materials changed since ``since`` (day granularity); with ``plant``, only those
        extended to it. Plants (MARC) and valuations (MBEW) are read once per pull — of that
        plant only for MBEW when ``plant`` is given — not once per material."""
        where = [f"LAEDA >= '{abap_date(since)}'"] if since is not None else []
        plants = self._plants_of([])
        valuations = self._valuations_of([f"BWKEY = {abap_literal(plant)}"] if plant else [])
        watermark = since
        for rows in self.rfc.iter_table("MARA", MARA_FIELDS, where):
            page = []
            for r in rows:
                changed = from_abap_date(r.get("LAEDA")) or from_abap_date(r.get("ERSDA"))
                if changed and (watermark is None or changed > watermark):
                    watermark = changed
                number = s(r, "MATNR")
                if plant and plant not in plants.get(number, ()):
                    continue
                page.append(
                    self._material(
                        r,
                        plants=plants.get(number, []),
                        valuations=valuations.get(number, {}),
                        plant=plant,
                    )
                )
            yield DeltaPage(rows=page, watermark=watermark)
