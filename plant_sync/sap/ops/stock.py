"""Material stock per plant / storage location, streamed page by page (reconciliation of
100k+ positions never holds more than one page).

OData: API_MATERIAL_STOCK_SRV — not in shared/reference; follows SAP's published "Material
Stock - Read" OData V2 API, entity set A_MatlStkInAcctMod (11-field key), quantity
MatlWrhsStkQtyInMatlBaseUnit in MaterialBaseUnit.
RFC: RFC_READ_TABLE on MARD (LABST = unrestricted stock), ROWSKIPS/ROWCOUNT paging; MARD has no
unit (the base unit lives in MARA-MEINS), so ``unit`` is empty on the RFC side.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from ..odata.query import and_, eq
from ..rfc.client import abap_literal
from .base import ODataBase, RfcBase, dec, s

SERVICE = "API_MATERIAL_STOCK_SRV"
ENTITY = "A_MatlStkInAcctMod"
UNRESTRICTED = "01"  # InventoryStockType


@dataclass
class StockPosition:
    material: str
    plant: str
    storage_location: str
    quantity: Decimal
    unit: str = ""
    batch: str = ""
    stock_type: str = UNRESTRICTED
    special_stock: str = ""


class StockOData(ODataBase):
    def iter_material_stock(
        self, plant: str, storage_location: str = "", *, material: str = ""
    ) -> Iterator[list[StockPosition]]:
        flt = and_(
            eq("Plant", plant),
            eq("StorageLocation", storage_location) if storage_location else None,
            eq("Material", material) if material else None,
        )
        fields = ["Material", "Plant", "StorageLocation", "Batch", "InventoryStockType"]
        fields += ["InventorySpecialStockType", "MaterialBaseUnit", "MatlWrhsStkQtyInMatlBaseUnit"]
        for rows in self._svc(SERVICE).iter_pages(ENTITY, filter=flt, select=fields):
            yield [
                StockPosition(
                    material=s(r, "Material"),
                    plant=s(r, "Plant"),
                    storage_location=s(r, "StorageLocation"),
                    quantity=dec(r.get("MatlWrhsStkQtyInMatlBaseUnit")),
                    unit=s(r, "MaterialBaseUnit"),
                    batch=s(r, "Batch"),
                    stock_type=s(r, "InventoryStockType") or UNRESTRICTED,
                    special_stock=s(r, "InventorySpecialStockType"),
                )
                for r in rows
            ]


class StockRfc(RfcBase):
    def iter_material_stock(
        self, plant: str, storage_location: str = "", *, material: str = ""
    ) -> Iterator[list[StockPosition]]:
        where = [f"WERKS = {abap_literal(plant)}"]
        if storage_location:
            where.append(f"LGORT = {abap_literal(storage_location)}")
        if material:
            where.append(f"MATNR = {abap_literal(material)}")
        for rows in self.rfc.iter_table("MARD", ["MATNR", "WERKS", "LGORT", "LABST"], where):
            yield [
                StockPosition(
                    material=s(r, "MATNR"),
                    plant=s(r, "WERKS"),
                    storage_location=s(r, "LGORT"),
                    quantity=dec(r.get("LABST")),
                )
                for r in rows
            ]
