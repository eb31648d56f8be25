"""Normalized work order, dotted-path mapping, config building and error classification."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from plant_sync.cmms import (
    CmmsClient,
    LabourLine,
    MaximoConfig,
    RestConfig,
    WorkOrder,
    config_from_dict,
    make_client,
)
from plant_sync.cmms.errors import from_http, from_maximo_json, from_soap_fault
from plant_sync.cmms.mapping import fill_template, get_path, set_path
from plant_sync.cmms.workorder import format_datetime, parse_datetime
from plant_sync.errors import (
    AuthenticationError,
    ConcurrentModification,
    ConfigurationError,
    LockConflict,
    RateLimited,
    ServiceUnavailable,
    ValidationError,
)


def test_workorder_round_trips_through_plain_data():
    when = datetime(2024, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    wo = WorkOrder(
        external_id="1001",
        title="t",
        downtime_start=when,
        labour=[LabourLine(labour_code="A", hours=1.25, start=when)],
    )
    data = wo.to_dict()
    assert data["downtime_start"] == "2024-05-01T10:30:00+00:00"
    back = WorkOrder.from_dict(data)
    assert back.downtime_start == when and back.labour[0].hours == 1.25


def test_dates_without_offset_are_utc():
    assert parse_datetime("2024-01-01T08:00:00") == datetime(2024, 1, 1, 8, tzinfo=timezone.utc)
    assert parse_datetime("2024-01-01T08:00:00Z").tzinfo is not None
    assert format_datetime(datetime(2024, 1, 1, 8)) == "2024-01-01T08:00:00+00:00"
    with pytest.raises(ValueError):
        parse_datetime("yesterday")


def test_dotted_paths():
    data = {"attributes": {"status": {"code": "OPEN"}, "rows": [{"id": 7}]}, "x": {"_value_1": 3}}
    assert get_path(data, "attributes.status.code") == "OPEN"
    assert get_path(data, "$.attributes.rows.0.id") == 7
    assert get_path(data, "x") == 3  # zeep simple content unwrapped
    assert get_path(data, "attributes.missing.deep", "d") == "d"
    assert set_path({}, "a.b.c", 1) == {"a": {"b": {"c": 1}}}
    template = {"q": {"id": "{id}", "n": "{n}", "text": "wo {id}", "drop": "{none}"}}
    assert fill_template(template, {"id": "7", "n": 5, "none": None}) == {
        "q": {"id": "7", "n": 5, "text": "wo 7"}
    }


def test_config_from_dict_and_factory_build_each_client_kind(tmp_path):
    maximo = config_from_dict(
        {"kind": "maximo", "base_url": "https://10.20.30.40/maximo", "api_key": "k"}
    )
    assert isinstance(maximo, MaximoConfig) and maximo.http.verify_tls
    assert isinstance(make_client(maximo), CmmsClient)
    rest = config_from_dict(
        {
            "kind": "rest",
            "base_url": "https://cmms.example.com/api",
            "field_map": {"external_id": "id"},
            "pagination": {"style": "cursor"},
        }
    )
    assert isinstance(rest, RestConfig) and rest.pagination.style == "cursor"
    soap = config_from_dict(
        {
            "kind": "soap",
            "wsdl": str(tmp_path / "x.wsdl"),
            "query": "MP0024_GetWorkOrder_001",
            "create": {"name": "MP0023_AddWorkOrder_001", "wsdl": "https://eam/MP0023?wsdl"},
            "update": "MP0025_SyncWorkOrder_001",
            "record_path": "WorkOrder",
            "create_path": "WorkOrder",
            "update_path": "WorkOrder",
            "fields": {"external_id": "WORKORDERID.JOBNUM"},
            "query_by_id": {"WORKORDERID": {"JOBNUM": "{id}"}},
            "query_changed_since": {},
        }
    )
    assert soap.create.wsdl == "https://eam/MP0023?wsdl" and soap.query.name.startswith("MP0024")
    with pytest.raises(ConfigurationError):
        config_from_dict({"kind": "sharepoint"})
    with pytest.raises(ConfigurationError):
        MaximoConfig(base_url="https://m", auth="apikey")
    with pytest.raises(ConfigurationError):
        make_client({"kind": "maximo", "base_url": "ftp://m", "api_key": "k"})


def test_classification_table():
    assert isinstance(from_http(412, "x"), ConcurrentModification)
    assert isinstance(from_http(423, "x"), LockConflict)
    assert isinstance(from_http(429, "x", retry_after=3), RateLimited)
    assert isinstance(from_http(502, "x"), ServiceUnavailable)
    assert isinstance(from_http(400, "x"), ValidationError)
    assert isinstance(from_http(401, "x"), AuthenticationError)
    lock = from_maximo_json(
        400,
        {
            "Error": {
                "reasonCode": "BMXAA4200E",
                "message": "BMXAA4200E - Record has been updated by another user",
                "statusCode": "400",
            }
        },
    )
    assert isinstance(lock, LockConflict) and lock.transient
    batched = from_maximo_json(
        400,
        {
            "Error": {"reasonCode": "BMXAA2661E", "message": "m", "statusCode": "400"},
            "attrerrors": [
                {
                    "Error": {
                        "reasonCode": "BMXAA2661E",
                        "message": "bad",
                        "errorattrname": "location",
                    }
                }
            ],
        },
    )
    assert isinstance(batched, ValidationError) and batched.details[1].target == "location"
    assert isinstance(from_soap_fault("Internal error", "soapenv:Server"), ServiceUnavailable)
    assert isinstance(from_soap_fault("bad input", "soapenv:Client"), ValidationError)
    assert isinstance(
        from_soap_fault("BMXAA8229W - Record has been updated by another user."), LockConflict
    )
