"""Master data seeding for tests and demos (mixed into :class:`~.store.SapStore`)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .values import now_us, us_from_datetime

END_OF_TIME = us_from_datetime(datetime(9999, 12, 31, tzinfo=timezone.utc))
#: equipment the CMMS simulator's demo knows as assets: (name, CMMS asset number = SAP serial
#: number, SAP object type). Odoo links both by the serial number (the crosswalk).
DEMO_LINKED_EQUIPMENT = (
    ("Centrifugal pump P-100", "PUMP-100", "PUMP"),
    ("Belt conveyor C-200", "CONV-200", "CONVEYOR"),
    ("Air compressor K-300", "COMP-300", "COMPRESSOR"),
)


def _today() -> int:
    now = datetime.now(timezone.utc)
    return us_from_datetime(datetime(now.year, now.month, now.day, tzinfo=timezone.utc))


class SeedingMixin:
    """``seed_*`` helpers. Every helper is idempotent for the same arguments where it can be."""

    def seed_user(self, name: str, password: str) -> None:
        with self.transaction() as tx:
            tx.conn.execute(
                "INSERT OR REPLACE INTO sim_users (name, password) VALUES (?, ?)", (name, password)
            )

    def seed_plant(self, plant: str = "1010", storage_locations=("0001",), name: str = "") -> None:
        with self.transaction() as tx:
            for sloc in storage_locations:
                tx.conn.execute(
                    "INSERT OR REPLACE INTO sim_plants VALUES (?, ?, ?)",
                    (plant, sloc, name or f"Plant {plant}"),
                )

    def seed_cost_center(
        self,
        cost_center: str = "10101101",
        controlling_area: str = "A000",
        company_code: str = "1010",
        name: str = "",
    ) -> str:
        with self.transaction() as tx:
            tx.conn.execute(
                "INSERT OR REPLACE INTO sim_cost_centers VALUES (?, ?, ?, ?)",
                (cost_center, controlling_area, company_code, name or f"Cost center {cost_center}"),
            )
        return cost_center

    def seed_work_center(self, work_center: str = "RES-0100", plant: str = "1010", name: str = ""):
        with self.transaction() as tx:
            tx.conn.execute(
                "INSERT OR REPLACE INTO sim_work_centers VALUES (?, ?, ?)",
                (work_center, plant, name or f"Work center {work_center}"),
            )
        return work_center

    def seed_functional_locations(
        self, n: int, plant: str = "1010", prefix: str | None = None, cost_center: str = ""
    ) -> list[str]:
        prefix = prefix or f"{plant}-SITE"
        ids = []
        with self.transaction() as tx:
            start = tx.count("A_FunctionalLocation") + 1
            for i in range(start, start + n):
                fl = f"{prefix}-{i:04d}"
                tx.insert(
                    "A_FunctionalLocation",
                    {
                        "FunctionalLocation": fl,
                        "FunctionalLocationLabelName": fl,
                        "FunctionalLocationName": f"Area {i}",
                        "FunctionalLocationCategory": "M",
                        "MaintenancePlant": plant,
                        "MaintenancePlanningPlant": plant,
                        "CompanyCode": "1010",
                        "CostCenter": cost_center,
                        "CreationDate": _today(),
                        "CreatedByUser": "SEED",
                        "FunctionalLocationIsMarkedForDeletion": 0,
                    },
                )
                ids.append(fl)
        return ids

    def seed_equipment(
        self,
        n: int,
        plant: str = "1010",
        functional_location: str | None = None,
        work_center: str = "",
        cost_center: str = "",
        name_prefix: str = "Pump",
        named: tuple[tuple[str, str, str], ...] = (),
    ) -> list[str]:
        """``n`` equipment named ``<name_prefix> <i>``, or one per ``(name, serial number,
        object type)`` of ``named`` when given."""
        ids = []
        with self.transaction() as tx:
            today = _today()
            for index in range(len(named) or n):
                number = str(tx.next_number("EQUI", 10000000))
                i = int(number) - 10000000 + 1
                name, serial, object_type = (
                    named[index] if named else (f"{name_prefix} {i:05d}", f"SN{i:08d}", "PUMP")
                )
                tx.insert(
                    "Equipment",
                    {
                        "Equipment": number,
                        "ValidityEndDate": END_OF_TIME,
                        "ValidityStartDate": today,
                        "EquipmentName": name,
                        "EquipmentCategory": "M",
                        "TechnicalObjectType": object_type,
                        "AssetManufacturerName": "ACME",
                        "ManufacturerPartTypeName": f"P-{i % 7}",
                        "ManufacturerSerialNumber": serial,
                        "ConstructionYear": "2020",
                        "MaintenancePlant": plant,
                        "MaintenancePlanningPlant": plant,
                        "MainWorkCenter": work_center,
                        "MainWorkCenterPlant": plant if work_center else "",
                        "WorkCenter": work_center,
                        "FunctionalLocation": functional_location or "",
                        "CompanyCode": "1010",
                        "CostCenter": cost_center,
                        "ControllingArea": "A000",
                        "CreationDate": today,
                        "CreatedByUser": "SEED",
                        "LastChangedByUser": "SEED",
                        "EquipmentIsInstalled": int(bool(functional_location)),
                        "EquipmentIsMarkedForDeletion": 0,
                        "EquipmentIsInactive": 0,
                    },
                )
                ids.append(number)
        return ids

    def seed_materials(
        self,
        n: int,
        plant: str = "1010",
        sloc: str = "0001",
        stock: float = 100.0,
        unit: str = "PC",
        price: float = 10.0,
        prefix: str = "SP",
        with_master: bool = True,
        start: int | None = None,
    ) -> list[str]:
        """``n`` products (with description, plant, valuation) and unrestricted stock each."""
        ids = []
        with self.transaction() as tx:
            first = start if start is not None else tx.count("A_Product") + 1
            today = _today()
            rows = []
            for i in range(first, first + n):
                mat = f"{prefix}-{i:06d}"
                ids.append(mat)
                rows.append((mat, plant, sloc, "", unit, float(stock)))
                if not with_master:
                    continue
                tx.insert(
                    "A_Product",
                    {
                        "Product": mat,
                        "ProductType": "ERSA",
                        "BaseUnit": unit,
                        "ProductGroup": "L004",
                        "IndustrySector": "M",
                        "CreationDate": today,
                        "CreatedByUser": "SEED",
                        "LastChangeDate": today,
                        "IsMarkedForDeletion": 0,
                    },
                )
                tx.insert(
                    "A_ProductDescription",
                    {"Product": mat, "Language": "EN", "ProductDescription": f"Spare part {i}"},
                )
                tx.insert(
                    "A_ProductPlant",
                    {
                        "Product": mat,
                        "Plant": plant,
                        "PurchasingGroup": "001",
                        "MRPType": "PD",
                        "IsMarkedForDeletion": 0,
                    },
                )
                tx.insert(
                    "A_ProductValuation",
                    {
                        "Product": mat,
                        "ValuationArea": plant,
                        "ValuationType": "",
                        "ValuationClass": "3030",
                        "InventoryValuationProcedure": "S",
                        "StandardPrice": float(price),
                        "MovingAveragePrice": float(price),
                        "PriceUnitQty": 1.0,
                        "Currency": "EUR",
                    },
                )
            self._insert_stock_rows(tx, rows)
        return ids

    def seed_stock(
        self, material: str, plant: str, sloc: str, qty: float, unit: str = "PC", batch: str = ""
    ) -> None:
        """Set the seeded unrestricted stock of one position (replaces its quantity)."""
        with self.transaction() as tx:
            tx.conn.execute(
                "DELETE FROM A_MatlStkInAcctMod WHERE Material = ? AND Plant = ? AND "
                "StorageLocation = ? AND Batch = ?",
                (material, plant, sloc, batch),
            )
            self._insert_stock_rows(tx, [(material, plant, sloc, batch, unit, float(qty))])

    def _insert_stock_rows(self, tx, rows, remember: bool = True) -> None:
        stamp = self.stamp()
        tx.conn.executemany(
            "INSERT OR REPLACE INTO A_MatlStkInAcctMod (_etag, Material, Plant, StorageLocation, "
            "Batch, Supplier, Customer, WBSElementInternalID, SDDocument, SDDocumentItem, "
            "InventorySpecialStockType, InventoryStockType, MaterialBaseUnit, "
            "MatlWrhsStkQtyInMatlBaseUnit) "
            "VALUES (?, ?, ?, ?, ?, '', '', '', '', '', '', '01', ?, ?)",
            [(stamp, m, p, s, b, u, qty) for m, p, s, b, u, qty in rows],
        )
        if remember:
            tx.conn.executemany(
                "INSERT OR REPLACE INTO sim_stock_seed VALUES (?, ?, ?, ?, ?, ?)", rows
            )

    def seed_purchase_order(
        self,
        items: list[tuple[str, float, float]],
        supplier: str = "17300001",
        plant: str = "1010",
        sloc: str = "0001",
        user: str = "SEED",
    ) -> str:
        """A PO with items ``(material, quantity, net price)``; returns its number."""
        from .purchasing import create_purchase_order

        with self.transaction() as tx:
            lines = [
                {
                    "Material": m,
                    "OrderQuantity": q,
                    "NetPriceAmount": p,
                    "Plant": plant,
                    "StorageLocation": sloc,
                }
                for m, q, p in items
            ]
            return create_purchase_order(tx, user, supplier, lines)

    def seed_master_data(
        self, equipment: int = 10, functional_locations: int = 3, materials: int = 10
    ) -> dict[str, Any]:
        """The standard test landscape: plant 1010 (slocs 0001, 0002), cost center 10101101,
        work centers RES-0100/RES-0200, functional locations, equipment, materials with stock."""
        self.seed_plant("1010", ("0001", "0002"))
        self.seed_plant("1710", ("171A",))
        cc = self.seed_cost_center("10101101")
        self.seed_work_center("RES-0100", "1010", "Mechanics")
        self.seed_work_center("RES-0200", "1010", "Electrics")
        fls = self.seed_functional_locations(functional_locations, "1010", cost_center=cc)
        equis = self.seed_equipment(
            equipment, "1010", fls[0] if fls else None, work_center="RES-0100", cost_center=cc
        )
        mats = self.seed_materials(materials, "1010", "0001", stock=100.0)
        return {
            "plant": "1010",
            "storage_location": "0001",
            "cost_center": cc,
            "work_center": "RES-0100",
            "functional_locations": fls,
            "equipment": equis,
            "materials": mats,
            "seeded_at": now_us(),
        }

    def seed_demo(self) -> dict[str, Any]:
        """A richer demo landscape for ``--seed-demo``."""
        info = self.seed_master_data(equipment=50, functional_locations=10, materials=40)
        info["linked_equipment"] = self.seed_equipment(
            0,
            "1010",
            info["functional_locations"][0],
            work_center="RES-0100",
            cost_center=info["cost_center"],
            named=DEMO_LINKED_EQUIPMENT,
        )
        info["purchase_order"] = self.seed_purchase_order(
            [(info["materials"][0], 10, 12.5), (info["materials"][1], 5, 40.0)]
        )
        return info
