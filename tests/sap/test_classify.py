"""Every real-shaped SAP error payload in fixtures/errors.json maps to its expected typed error
and transient flag (OData Gateway bodies, BAPI RETURN rows, pyrfc exceptions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from requests.structures import CaseInsensitiveDict

from plant_sync import errors
from plant_sync.sap import pyrfc_compat
from plant_sync.sap.classify import classify_return, classify_rfc_exception, split_code
from plant_sync.sap.odata.errors import error_from_response

CASES = json.loads((Path(__file__).parent / "fixtures" / "errors.json").read_text())["cases"]


def test_fixture_set_is_large_enough():
    assert len(CASES) >= 30
    assert {c["kind"] for c in CASES} == {"odata", "bapi", "rfc"}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_payload_is_classified(case):
    if case["kind"] == "odata":
        headers = CaseInsensitiveDict(case["headers"])
        error = error_from_response(case["status"], headers, case["body"].encode())
    elif case["kind"] == "bapi":
        error = classify_return(case["rows"])
    else:
        exc = getattr(pyrfc_compat, case["exception"])(**case["kwargs"])
        error = classify_rfc_exception(exc)
    if case["expected"] is None:
        assert error is None
        return
    assert type(error) is getattr(errors, case["expected"]), error.technical()
    assert error.transient is case["transient"]
    assert isinstance(error, errors.IntegrationError)


def test_gateway_error_details_and_transaction_id_are_kept():
    case = next(c for c in CASES if c["name"] == "plant_data_locked_500")
    error = error_from_response(500, CaseInsensitiveDict(case["headers"]), case["body"].encode())
    assert error.code == "M3/897"
    assert error.transaction_id == "8C1F8F2A1B6D4E2F9A0B1C2D3E4F5A6B"
    assert [d.code for d in error.details] == ["M3/897", "/IWBEP/CX_MGW_BUSI_EXCEPTION"]
    assert error.details[0].severity == "error"


def test_retry_after_is_parsed():
    case = next(c for c in CASES if c["name"] == "rate_limited_429")
    error = error_from_response(429, CaseInsensitiveDict(case["headers"]), b"x")
    assert error.retry_after == 7.0


def test_bapi_return_keeps_all_rows_as_details():
    case = next(c for c in CASES if c["name"] == "bapi_warning_then_lock")
    error = classify_return(case["rows"])
    assert [d.severity for d in error.details] == ["W", "E"]
    assert error.code == "MC/601"


@pytest.mark.parametrize(
    "code, expected",
    [
        ("MC/601", ("MC", "601")),
        ("/IWBEP/CM_MGW_RT/020", ("/IWBEP/CM_MGW_RT", "020")),
        ("M7053", ("M7", "053")),
        ("", ("", "")),
    ],
)
def test_split_code(code, expected):
    assert split_code(code) == expected


def test_pyrfc_compat_shapes_match_reference():
    reference = Path("/work/shared/reference/sap_rfc/pyrfc_errors.json")
    if not reference.exists():
        pytest.skip("reference folder not mounted")
    data = json.loads(reference.read_text())
    for name, parent in data["exception_parent"].items():
        cls = getattr(pyrfc_compat, name)
        assert cls.__bases__[0].__name__ == parent
    exc = pyrfc_compat.ABAPApplicationError(**{k: k for k in data["RFCLibError_kwargs"]})
    assert all(getattr(exc, k) == k for k in data["RFCLibError_kwargs"])
    assert pyrfc_compat.LogonError("x").code == 2
