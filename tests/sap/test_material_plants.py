"""Material master: the plants a material is extended to, its valuation price, plant filter."""

from __future__ import annotations

from decimal import Decimal


def _seed(sim) -> tuple[str, str, str]:
    """One material only in plant 2020 (standard price 7.50), one in 1010 and 2020 whose
    2020 valuation uses the moving average price (price unit 10)."""
    only_2020 = sim.store.seed_materials(1, "2020", "0001", price=7.5, prefix="PB")[0]
    both = sim.store.seed_materials(1, "1010", "0001", price=4.0, prefix="PC")[0]
    with sim.store.transaction() as tx:
        tx.insert(
            "A_ProductPlant",
            {"Product": both, "Plant": "2020", "PurchasingGroup": "001", "MRPType": "PD"},
        )
        tx.insert(
            "A_ProductValuation",
            {
                "Product": both,
                "ValuationArea": "2020",
                "ValuationType": "",
                "ValuationClass": "3030",
                "InventoryValuationProcedure": "V",
                "StandardPrice": 1.0,
                "MovingAveragePrice": 55.0,
                "PriceUnitQty": 10.0,
                "Currency": "EUR",
            },
        )
    return only_2020, both, sim.master["materials"][0]


def test_material_carries_plants_and_valuation_price(service, sim, transport):
    only_2020, both, seeded = _seed(sim)
    material = service.get_material(seeded)
    assert material.plants == ["1010"]
    assert material.valuation_price == Decimal("10")  # seed_materials' default price
    assert material.price_unit == Decimal("1")
    assert material.valuation_plant == "1010"
    # MBEW has no currency: SAP keeps it on the valuation area's company code
    assert material.valuation_currency == ("EUR" if transport == "odata" else "")
    material = service.get_material(only_2020)
    assert (material.plants, material.valuation_price) == (["2020"], Decimal("7.5"))
    material = service.get_material(both)
    assert sorted(material.plants) == ["1010", "2020"]
    assert material.valuation_plant == "1010"  # the first plant's valuation
    assert material.valuation_price == Decimal("4")


def test_delta_with_plant_filter_returns_only_materials_of_that_plant(service, sim):
    only_2020, both, seeded = _seed(sim)
    everything = {m.number: m for p in service.iter_material_changes(None) for m in p.rows}
    assert {only_2020, both, seeded} <= set(everything)
    assert everything[only_2020].plants == ["2020"]
    pages = list(service.iter_material_changes(None, plant="2020"))
    rows = {m.number: m for p in pages for m in p.rows}
    assert set(rows) == {only_2020, both}
    assert pages[-1].watermark is not None  # covers the materials left out as well
    # the valuation is the one of the requested plant: moving average 55 per 10 pieces
    assert rows[both].valuation_plant == "2020"
    assert (rows[both].valuation_price, rows[both].price_unit) == (Decimal("55"), Decimal("10"))
    assert rows[only_2020].valuation_price == Decimal("7.5")
    rows_1010 = {
        m.number for p in service.iter_material_changes(None, plant="1010") for m in p.rows
    }
    assert only_2020 not in rows_1010 and {both, seeded} <= rows_1010
    assert [m for p in service.iter_material_changes(None, plant="9999") for m in p.rows] == []
