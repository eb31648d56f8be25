"""Equipment, functional locations, materials and stock: reads, streamed pages and deltas."""

from __future__ import annotations

import types
from datetime import datetime, timezone

import pytest

from plant_sync.errors import PagingError
from plant_sync.sap.ops.goods_movement import GoodsMovementCreate, GoodsMovementItem


def test_get_equipment(service, sim):
    number = sim.master["equipment"][0]
    equipment = service.get_equipment(number)
    assert equipment.number == number
    assert equipment.description.startswith("Pump")
    assert equipment.manufacturer == "ACME"


def test_functional_location_read(service, sim):
    fl = sim.master["functional_locations"][0]
    assert service.get_functional_location(fl).maintenance_plant == "1010"


def test_equipment_delta_streams_pages_and_returns_only_changes(
    sim_factory, make_service, transport
):
    sim = sim_factory(page_size=3)
    sim.store.seed_equipment(6)  # 16 in all: at least 5 pages of 3
    service = make_service(sim, transport, rfc_page_size=3)
    pages = service.iter_equipment_changes(None)
    assert isinstance(pages, types.GeneratorType)  # streamed, not a list
    first = next(pages)
    assert len(first.rows) <= 3
    rest = list(pages)
    all_rows = first.rows + [e for p in rest for e in p.rows]
    assert len(rest) + 1 >= 5
    assert len({e.number for e in all_rows}) == 16
    watermark = rest[-1].watermark
    assert watermark is not None
    if transport == "odata":  # RFC tables carry change dates only: day granularity
        assert [e.number for p in service.iter_equipment_changes(watermark) for e in p.rows] == []
        changed = sim.master["equipment"][3]
        odata = service._svc("API_EQUIPMENT")
        key = {"Equipment": changed, "ValidityEndDate": datetime(9999, 12, 31)}
        odata.update(
            "Equipment",
            key,
            {"EquipmentName": "Pump renamed"},
            etag=odata.get("Equipment", key).etag,
        )
        delta = [e for p in service.iter_equipment_changes(watermark) for e in p.rows]
        assert [(e.number, e.description) for e in delta] == [(changed, "Pump renamed")]


def test_material_read_and_delta(service, sim):
    number = sim.master["materials"][0]
    material = service.get_material(number)
    assert material.number == number and material.base_unit == "PC"
    pages = list(service.iter_material_changes(None))
    assert {m.number for p in pages for m in p.rows} >= set(sim.master["materials"])
    since = datetime(2000, 1, 1, tzinfo=timezone.utc)
    assert list(service.iter_material_changes(since))


def test_stock_is_streamed_and_follows_goods_movements(service, sim):
    material = sim.master["materials"][0]
    before = {
        (p.material, p.storage_location): p.quantity
        for page in service.iter_material_stock("1010", "0001")
        for p in page
    }
    assert len(before) == len(sim.master["materials"])
    service.post_goods_movement(
        GoodsMovementCreate(
            [GoodsMovementItem(material, "1010", "0001", "201", 4, "PC", cost_center="10101101")]
        ),
        idempotency_key=f"STK{service.transport}"[:16],
    )
    after = [
        p for page in service.iter_material_stock("1010", "0001", material=material) for p in page
    ]
    assert after[0].quantity == before[(material, "0001")] - 4


def test_server_paging_is_bounded(sim_factory, make_service, transport):
    """OData ``__next`` and RFC_READ_TABLE ROWSKIPS alike: more pages than ``max_pages`` is a
    PagingError, not an endless pull."""
    sim = sim_factory(page_size=3)
    sim.store.seed_equipment(6)  # 16 equipment: 6 pages of 3
    service = make_service(sim, transport, rfc_page_size=3, max_pages=2)
    pages = service.iter_equipment_changes(None)
    assert len(next(pages).rows) == 3 and len(next(pages).rows) == 3
    with pytest.raises(PagingError, match="more than 2 pages"):
        next(pages)
    unbounded = make_service(sim, transport, rfc_page_size=3, max_pages=6)
    assert sum(len(p.rows) for p in unbounded.iter_equipment_changes(None)) == 16
