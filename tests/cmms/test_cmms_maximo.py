"""Maximo JSON API client against the simulator over loopback HTTP."""

from __future__ import annotations

import base64
import logging
from datetime import datetime, timezone

import pytest

from plant_sync.cmms import LabourLine, MaximoConfig, WorkOrder, make_client
from plant_sync.cmms.maximo import MaximoClient
from plant_sync.errors import (
    AuthenticationError,
    BusinessRuleError,
    ConcurrentModification,
    ConfigurationError,
    LockConflict,
    NotFound,
    ProtocolError,
    ValidationError,
)

API_KEY = "maximo-key"  # the simulator fixture key (tests/cmms/conftest.py)


def test_api_key_authenticates_and_wrong_key_is_permanent_auth_error(seeded, maximo_config):
    make_client(maximo_config()).ping()
    with pytest.raises(AuthenticationError) as info:
        make_client(maximo_config(api_key="wrong")).ping()
    assert info.value.code == "BMXAA0021E" and info.value.status == 401
    assert not info.value.transient


@pytest.mark.parametrize("mode", ["maxauth", "basic"])
def test_maxauth_and_basic_authentication(seeded, maximo_config, mode):
    client = make_client(
        maximo_config(auth=mode, api_key="", username="wilson", password="s3cret-pw")
    )
    assert len(list(client.list_changed())) == 12
    bad = make_client(maximo_config(auth=mode, api_key="", username="wilson", password="nope"))
    with pytest.raises(AuthenticationError):
        bad.ping()


def test_list_changed_streams_three_pages_one_request_at_a_time(seeded, maximo_config):
    client = make_client(maximo_config(page_size=4))
    before = seeded.hits["maximo"]
    stream = client.list_changed()
    first = next(stream)
    assert seeded.hits["maximo"] - before == 1  # only the first page was fetched
    rest = list(stream)
    assert seeded.hits["maximo"] - before == 3  # 12 records / 4 per page, no extra request
    workorders = [first, *rest]
    assert [wo.title for wo in workorders] == [f"Work order of day {d}" for d in range(1, 13)]
    assert all(wo.version and wo.ref.startswith(seeded.maximo_url) for wo in workorders)
    assert workorders[0].changed_at == datetime(2024, 1, 1, 8, tzinfo=timezone.utc)


def test_delta_by_changedate_returns_changes_since_watermark_oldest_first(seeded, maximo_config):
    client = make_client(maximo_config())
    since = datetime(2024, 1, 10, 8, tzinfo=timezone.utc)
    changed = list(client.list_changed(since))
    assert [wo.changed_at.day for wo in changed] == [10, 11, 12]
    strict = make_client(maximo_config(delta_operator=">"))
    assert [wo.changed_at.day for wo in strict.list_changed(since)] == [11, 12]
    # a change made now is picked up by the next delta run
    wo = seeded.store.workorders()[0]
    seeded.store.update_workorder(wo["wonum"], {"status": "INPRG"})
    again = list(client.list_changed(changed[-1].changed_at.replace(second=1)))
    assert [w.external_id for w in again] == [wo["wonum"]]


def test_status_filter_through_extra_where(seeded, maximo_config):
    client = make_client(maximo_config(extra_where='status in ["APPR","INPRG"]'))
    assert {wo.status for wo in client.list_changed()} == {"APPR"}
    assert len(list(client.list_changed())) == 4


def test_create_returns_the_stored_record_with_children(seeded, maximo_config):
    client = make_client(maximo_config())
    start = datetime(2024, 3, 1, 6, 30, tzinfo=timezone.utc)
    created = client.create(
        WorkOrder(
            title="Pump vibrates",
            description="Bearing noise on the drive side",
            asset_id="PUMP-100",
            priority="1",
            work_type="CM",
            failure_class="PUMPS",
            problem_code="VIBR",
            cause_code="WEAR",
            remedy_code="REPL",
            downtime_start=start,
            labour=[LabourLine(labour_code="WILSON", craft="MECH", hours=1.5, start=start)],
        )
    )
    assert created.external_id and created.site == "BEDFORD"
    assert (created.cause_code, created.remedy_code, created.problem_code) == (
        "WEAR",
        "REPL",
        "VIBR",
    )
    assert created.labour[0].hours == 1.5 and created.labour[0].start == start
    assert created.downtime_start == start
    stored = seeded.store.workorder(created.external_id)
    assert stored["_rowstamp"] == created.version
    assert {r["type"]: r["failurecode"] for r in stored["failurereport"]} == {
        "CAUSE": "WEAR",
        "REMEDY": "REPL",
    }
    assert client.get(created.external_id).title == "Pump vibrates"


def test_patch_update_merges_and_returns_new_version(seeded, maximo_config):
    client = make_client(maximo_config())
    wo = client.create(WorkOrder(title="Leak", asset_id="PUMP-100", cause_code="SEAL"))
    updated = client.update(
        wo.evolve(status="INPRG", remedy_code="REPL"), fields=["status", "remedy_code"]
    )
    assert updated.status == "INPRG" and updated.version != wo.version
    assert (updated.cause_code, updated.remedy_code) == ("SEAL", "REPL")  # MERGE kept CAUSE
    assert updated.title == "Leak"  # untouched field stays
    # without ref the client looks the record up first
    again = client.update(WorkOrder(external_id=wo.external_id, status="COMP"), fields=["status"])
    assert again.status == "COMP"


def test_stale_rowstamp_is_a_concurrent_modification(seeded, maximo_config):
    client = make_client(maximo_config())
    wo = client.get(seeded.store.workorders()[0]["wonum"])
    seeded.store.update_workorder(wo.external_id, {"status": "APPR"})  # someone else
    with pytest.raises(ConcurrentModification) as info:
        client.update(wo.evolve(status="INPRG"), fields=["status"])
    assert info.value.status == 412 and info.value.code == "BMXAA8229W"
    assert seeded.store.workorder(wo.external_id)["status"] == "APPR"


def test_record_updated_by_another_user_without_if_match_is_a_transient_lock(seeded, maximo_config):
    client = make_client(maximo_config())
    wo = client.get(seeded.store.workorders()[0]["wonum"])
    seeded.faults.set(lock_rate=1.0, count=1)
    with pytest.raises(LockConflict) as info:
        client.update(wo.evolve(version="", status="INPRG"), fields=["status"])
    assert info.value.transient and info.value.code == "BMXAA8229W"
    assert client.update(wo.evolve(version="", status="INPRG"), fields=["status"]).status == "INPRG"


def test_maximo_error_json_becomes_typed_errors(seeded, maximo_config):
    client = make_client(maximo_config())
    with pytest.raises(ValidationError) as info:
        client.create(WorkOrder(title="x", status="BOGUS"))
    assert info.value.code == "BMXAA4190E" and not info.value.transient
    assert info.value.details[0].code == "BMXAA4190E"
    with pytest.raises(ValidationError):
        client.create(WorkOrder(title="x", asset_id="NO-SUCH-ASSET"))
    existing = seeded.store.workorders()[0]["wonum"]
    with pytest.raises(BusinessRuleError) as dup:
        client.create(WorkOrder(external_id=existing, title="dup"))
    assert dup.value.code == "BMXAA4129E"
    with pytest.raises(NotFound):
        client.get("NOPE")


def test_assets_object_structure(seeded, maximo_config):
    client: MaximoClient = make_client(maximo_config())
    assert client.get_asset("PUMP-100")["description"] == "Centrifugal pump"
    assert sorted(a["assetnum"] for a in client.iter_assets()) == ["CONV-200", "PUMP-100"]
    with pytest.raises(NotFound):
        client.get_asset("NOPE")


def test_site_filter_and_quotes_in_values_are_refused(seeded, maximo_config):
    client = make_client(maximo_config(site_id="OTHER"))
    assert list(client.list_changed()) == []
    with pytest.raises(ValidationError):
        make_client(maximo_config()).get('1" or wonum="2')


def test_ssrf_guard_refuses_loopback_without_allow_list(sim):
    with pytest.raises(ConfigurationError):
        MaximoClient(MaximoConfig(base_url=sim.maximo_url, api_key=API_KEY))
    with pytest.raises(ConfigurationError):
        MaximoClient(MaximoConfig(base_url="https://169.254.169.254/maximo", api_key=API_KEY))


def test_links_to_another_origin_are_refused(seeded, maximo_config):
    client: MaximoClient = make_client(maximo_config())
    with pytest.raises(ProtocolError):
        client.http.url("http://10.0.0.1/maximo/api/os/mxapiwodetail?pageno=2")


def test_secrets_never_reach_logs_or_reprs(seeded, maximo_config, caplog):
    config = maximo_config()
    assert API_KEY not in repr(config)
    basic = maximo_config(auth="maxauth", api_key="", username="wilson", password="s3cret-pw")
    assert "s3cret-pw" not in repr(basic)
    with caplog.at_level(logging.DEBUG, logger="plant_sync"):
        make_client(config).ping()
        make_client(basic).ping()
    assert any(r.name == "plant_sync.cmms.http" for r in caplog.records)
    assert API_KEY not in caplog.text and "s3cret-pw" not in caplog.text


@pytest.mark.parametrize("mode, header", [("maxauth", "maxauth"), ("basic", "Authorization")])
def test_credential_headers_never_reach_logs_even_at_debug(
    seeded, maximo_config, caplog, mode, header
):
    """Every logger at DEBUG (ours, urllib3's, requests'): neither the password nor the
    ``maxauth``/Basic token derived from it appears, also not when the logon fails."""
    secrets = ["s3cret-pw", "wrong-pw-1"]
    secrets += [base64.b64encode(f"wilson:{pw}".encode()).decode() for pw in list(secrets)]
    good = maximo_config(auth=mode, api_key="", username="wilson", password="s3cret-pw")
    wrong = maximo_config(auth=mode, api_key="", username="wilson", password="wrong-pw-1")
    caplog.set_level(logging.DEBUG)  # the root logger: every library's debug output
    client = make_client(good)
    client.ping()
    assert len(list(client.list_changed())) == 12
    with pytest.raises(NotFound):
        client.get("NO-SUCH-WO")
    with pytest.raises(AuthenticationError) as refused:
        make_client(wrong).ping()
    logged = [r for r in caplog.records if r.name == "plant_sync.cmms.http"]
    assert logged and all(f"'{header}': '***'" in r.getMessage() for r in logged)
    assert any(r.name.startswith("urllib3") for r in caplog.records)
    text = caplog.text + str(refused.value) + repr(refused.value.payload)
    for secret in secrets:
        assert secret not in text
