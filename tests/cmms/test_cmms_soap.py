"""SOAP client (zeep) against the simulator's MXWODETAIL service over loopback HTTP."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import plant_sync.simulators.cmms as sim_pkg
from plant_sync.cmms import LabourLine, WorkOrder, make_client
from plant_sync.cmms.soap import GuardedTransport, SoapClient, maximo_mif_config
from plant_sync.errors import (
    AuthenticationError,
    ConfigurationError,
    LockConflict,
    NotFound,
    ProtocolError,
    ValidationError,
)

WSDL_FILE = Path(sim_pkg.__file__).parent / "wsdl" / "MXWODETAIL.wsdl"


@pytest.fixture
def soap(seeded, http):
    def make(**overrides) -> SoapClient:
        values = {"username": "maxadmin", "password": "maxadmin", "http": http, "page_size": 5}
        values.update(overrides)
        wsdl = values.pop("wsdl", seeded.wsdl_url)
        return make_client(maximo_mif_config(wsdl, **values))

    return make


def test_query_pages_and_delta_by_changedate(seeded, soap):
    client = soap()
    before = seeded.hits["soap"]
    everything = list(client.list_changed())
    assert len(everything) == 12
    assert seeded.hits["soap"] - before == 1 + 3  # WSDL + 3 pages of 5
    assert everything[0].title == "Work order of day 1"
    assert everything[0].changed_at == datetime(2024, 1, 1, 8, tzinfo=timezone.utc)
    since = datetime(2024, 1, 11, 8, tzinfo=timezone.utc)
    assert [wo.changed_at.day for wo in client.list_changed(since)] == [11, 12]


def test_create_get_update_round_trip(seeded, soap):
    client = soap()
    start = datetime(2024, 2, 1, 7, tzinfo=timezone.utc)
    created = client.create(
        WorkOrder(
            title="Conveyor belt slips",
            asset_id="CONV-200",
            priority="2",
            work_type="CM",
            cause_code="WEAR",
            target_start=start,
            labour=[LabourLine(labour_code="WILSON", craft="MECH", hours=2.0, start=start)],
        )
    )
    assert created.external_id and created.site == "BEDFORD"
    assert (created.asset_id, created.priority, created.cause_code) == ("CONV-200", "2", "WEAR")
    assert created.target_start == start and created.labour[0].hours == 2.0
    updated = client.update(created.evolve(status="INPRG"), fields=["status"])
    assert updated.status == "INPRG" and updated.title == "Conveyor belt slips"
    assert seeded.store.workorder(created.external_id)["status"] == "INPRG"
    with pytest.raises(NotFound):
        client.get("NO-SUCH-WO")


def test_wsdl_from_a_file_with_endpoint_override(seeded, soap):
    client = soap(wsdl=str(WSDL_FILE), endpoint=seeded.soap_url)
    assert len(list(client.list_changed())) == 12


def test_wrong_password_fault_is_authentication_error(seeded, soap):
    with pytest.raises(AuthenticationError) as info:
        soap(password="wrong").ping()
    assert info.value.code == "BMXAA0021E" and not info.value.transient


def test_fault_with_reason_code_is_validation_error(seeded, soap):
    client = soap()
    with pytest.raises(ValidationError) as info:
        client.create(WorkOrder(title="bad", status="BOGUS"))
    assert info.value.code == "BMXAA4190E"


def test_lock_fault_is_transient(seeded, soap):
    client = soap()
    wo = client.get(seeded.store.workorders()[0]["wonum"])
    seeded.faults.set(lock_rate=1.0, count=1)
    with pytest.raises(LockConflict) as info:
        client.update(wo.evolve(status="INPRG"), fields=["status"])
    assert info.value.transient
    assert client.update(wo.evolve(status="INPRG"), fields=["status"]).status == "INPRG"


def test_remote_wsdl_cannot_make_us_read_local_files(http):
    transport = GuardedTransport(http, local_root="")
    with pytest.raises(ProtocolError, match="local file"):
        transport.load("/etc/passwd")
    with pytest.raises(ProtocolError, match="local file"):
        transport.load("file:///etc/passwd")
    local = GuardedTransport(http, local_root=str(WSDL_FILE.parent))
    assert b"MXWODETAIL" in local.load(str(WSDL_FILE))
    with pytest.raises(ProtocolError):
        local.load(str(WSDL_FILE.parent / ".." / "store.py"))


def test_unknown_operation_is_a_configuration_error(seeded, soap):
    from plant_sync.cmms.config import SoapOperation

    client = soap(query=SoapOperation("QueryNothing"))
    with pytest.raises(ConfigurationError):
        list(client.list_changed())
