"""Generic REST client configured only by data, against the simulator's REST face."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from plant_sync.cmms import LabourLine, SigningConfig, WorkOrder, make_client
from plant_sync.errors import (
    AuthenticationError,
    ConcurrentModification,
    ConfigurationError,
    LockConflict,
    NotFound,
)
from plant_sync.simulators.cmms import CmmsSimulator


@pytest.mark.parametrize(
    ("style", "next_link_path"),
    [
        ("page", ""),
        ("offset", ""),
        ("cursor", ""),
        ("next_link", "links.next"),
        ("next_link", "header:link"),
    ],
)
def test_every_pagination_style_reads_all_records_page_by_page(
    seeded, rest_config, style, next_link_path
):
    config = rest_config(style=style, page_size=5)
    if next_link_path:
        config.pagination.next_link_path = next_link_path
    client = make_client(config)
    before = seeded.hits["rest"]
    workorders = list(client.list_changed())
    assert [wo.title for wo in workorders] == [f"Work order of day {d}" for d in range(1, 13)]
    assert seeded.hits["rest"] - before == 3
    first = workorders[0]
    assert (first.asset_id, first.status, first.site) == ("PUMP-100", "WAPPR", "BEDFORD")
    assert first.changed_at == datetime(2024, 1, 1, 8, tzinfo=timezone.utc)
    assert first.version == seeded.store.workorder(first.external_id)["_rowstamp"]


def test_delta_and_mapping_of_nested_paths(seeded, rest_config):
    client = make_client(rest_config())
    since = datetime(2024, 1, 12, 8, tzinfo=timezone.utc)
    (only,) = list(client.list_changed(since))
    assert only.title == "Work order of day 12"


def test_create_and_conditional_update(seeded, rest_config):
    client = make_client(rest_config())
    start = datetime(2024, 4, 2, 9, tzinfo=timezone.utc)
    created = client.create(
        WorkOrder(
            title="Compressor trips",
            asset_id="PUMP-100",
            cause_code="OVERHEAT",
            downtime_start=start,
            labour=[LabourLine(labour_code="ANNA", hours=0.5)],
        )
    )
    stored = seeded.store.workorder(created.external_id)
    assert stored["description"] == "Compressor trips" and stored["actstart"] == start.isoformat()
    assert stored["failurereport"] == [{"type": "CAUSE", "failurecode": "OVERHEAT"}]
    assert created.labour[0].labour_code == "ANNA" and created.downtime_start == start
    updated = client.update(created.evolve(status="INPRG"), fields=["status"])
    assert updated.status == "INPRG" and updated.version != created.version
    with pytest.raises(ConcurrentModification):
        client.update(created.evolve(status="COMP"), fields=["status"])  # stale version
    with pytest.raises(NotFound):
        client.get("NOPE")


def test_locked_record_is_transient(seeded, rest_config):
    client = make_client(rest_config())
    seeded.faults.set(lock_rate=1.0, count=1, scope="rest")
    with pytest.raises(LockConflict) as info:
        client.create(WorkOrder(title="x"))
    assert info.value.transient and info.value.status == 423


def test_hmac_signed_requests(http):
    secret = "fiix-style-secret"
    with CmmsSimulator(rest_signing_secret=secret) as sim:
        sim.store.add_workorder(description="signed")
        base = {
            "kind": "rest",
            "base_url": sim.rest_url,
            "field_map": {"external_id": "id", "title": "attributes.name"},
            "auth": {"kind": "api_key", "header": "X-Api-Key", "token": "maximo-key"},
            "pagination": {"style": "cursor", "page_size": 10},
            "http": {"allow_http": True, "allow_loopback_hosts": ["127.0.0.1"]},
        }
        signed = make_client({**base, "signing": {"secret": secret}})
        assert [wo.title for wo in signed.list_changed()] == ["signed"]
        assert signed.create(WorkOrder(title="posted")).title == "posted"
        with pytest.raises(AuthenticationError):
            list(make_client({**base, "signing": {"secret": "wrong"}}).list_changed())
        with pytest.raises(AuthenticationError):
            list(make_client(base).list_changed())


def test_signer_is_pluggable(seeded, rest_config):
    class Recorder:
        def __init__(self):
            self.calls = []

        def sign(self, method, url, body):
            self.calls.append((method, url, body))
            return {"X-Custom-Signature": "ok"}

    from plant_sync.cmms.rest import RestClient

    recorder = Recorder()
    client = RestClient(rest_config(), signer=recorder)
    client.ping()
    assert recorder.calls and recorder.calls[0][0] == "GET"


def test_configuration_errors(rest_config):
    with pytest.raises(ConfigurationError):
        rest_config(field_map={"title": "name"})
    with pytest.raises(ConfigurationError):
        make_client({"kind": "rest", "base_url": "https://cmms.example.com", "bogus": 1})
    with pytest.raises(ConfigurationError):
        SigningConfig(secret="")  # fine by itself ...
        make_client(
            {
                "kind": "rest",
                "base_url": "https://cmms.example.com",
                "field_map": {"external_id": "id"},
                "signing": {"secret": ""},
            }
        )  # ... refused when used
