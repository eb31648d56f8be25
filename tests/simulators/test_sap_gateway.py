"""SAP Gateway behaviour of the simulator over real HTTP: logon, sap-client, CSRF, errors."""

from __future__ import annotations

from pathlib import Path

import requests

from plant_sync.simulators.sap.edmx import SERVICE_FILES

REF = Path(__file__).resolve().parents[3] / "shared" / "reference" / "sap_odata"


def test_csrf_fetch_then_post_with_token_and_cookie(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    r = api.session.get(api.root, headers={"X-CSRF-Token": "Fetch"})
    assert r.status_code == 200
    token = r.headers["x-csrf-token"]
    assert token and token.lower() != "fetch"
    assert "SAP_SESSIONID_S4H_100" in api.session.cookies
    assert "sap-usercontext" in api.session.cookies
    body = {"NotificationType": "M1", "NotificationText": "Leaking seal"}
    created = api.session.post(
        api.root + "MaintenanceNotification", json=body, headers={"X-CSRF-Token": token}
    )
    assert created.status_code == 201, created.text


def test_post_without_token_is_403_required(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    r = api.session.post(api.root + "MaintenanceNotification", json={"NotificationType": "M1"})
    assert r.status_code == 403
    assert r.headers["x-csrf-token"] == "Required"
    assert sap_sim.store.counts()["MaintenanceNotification"] == 0


def test_token_without_session_cookie_is_rejected(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    token = api.fetch_token()
    fresh = requests.Session()
    fresh.auth = api.session.auth
    r = fresh.post(
        api.root + "MaintenanceNotification",
        json={"NotificationType": "M1"},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 403
    assert r.headers["x-csrf-token"] == "Required"


def test_wrong_password_and_unknown_client_are_401(sap_sim, sap_http):
    api = sap_http("API_EQUIPMENT", auth=("PLANT_SYNC", "wrong"))
    assert api.get("Equipment").status_code == 401
    good = sap_http("API_EQUIPMENT")
    r = good.get("Equipment?sap-client=999")
    assert r.status_code == 401
    assert "client 999" in r.text
    assert good.get("Equipment?sap-client=100&$top=1").status_code == 200


def test_oauth_client_credentials_bearer_token(sap_sim):
    r = requests.post(
        sap_sim.token_url,
        data={"grant_type": "client_credentials"},
        auth=("plant-sync-client", "client-secret"),
        timeout=10,
    )
    assert r.status_code == 200
    token = r.json()["access_token"]
    assert r.json()["token_type"] == "Bearer"
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    root = sap_sim.service_url("API_MAINTNOTIFICATION")
    fetched = s.get(root, headers={"X-CSRF-Token": "Fetch"}, timeout=10)
    assert fetched.status_code == 200
    created = s.post(
        root + "MaintenanceNotification",
        json={"NotificationType": "M2"},
        headers={"X-CSRF-Token": fetched.headers["x-csrf-token"]},
        timeout=10,
    )
    assert created.status_code == 201
    assert (
        created.json()["d"]["CreatedByUser"] == "PLANT-SYNC-C"
    )  # client id as SAP user (12 chars)
    bad = requests.post(
        sap_sim.token_url,
        data={"grant_type": "client_credentials"},
        auth=("plant-sync-client", "nope"),
        timeout=10,
    )
    assert bad.status_code == 401
    s.headers["Authorization"] = "Bearer forged"
    assert s.get(root + "MaintenanceNotification", timeout=10).status_code == 401


def test_metadata_is_the_reference_edmx(sap_sim, sap_http):
    for service, filename in SERVICE_FILES.items():
        r = sap_http(service).get("$metadata")
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("application/xml")
        if (REF / filename).exists():
            assert r.content == (REF / filename).read_bytes()


def test_error_json_shape_and_404s(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    r = api.get("MaintenanceNotification('99999999')")
    assert r.status_code == 404
    err = r.json()["error"]
    assert "/" in err["code"]
    assert err["message"]["lang"] == "en"
    assert err["innererror"]["transactionid"]
    assert err["innererror"]["errordetails"][0]["severity"] == "error"
    assert api.get("NoSuchSet").status_code == 404
    assert sap_http("API_DOES_NOT_EXIST").get("$metadata").status_code == 404
    bad = api.post("MaintenanceNotification", json={"NotificationText": "no type"})
    assert bad.status_code == 400
    detail = bad.json()["error"]["innererror"]["errordetails"][0]
    assert detail["target"] == "NotificationType"
    assert detail["code"] == bad.json()["error"]["code"]


def test_unknown_property_and_too_long_value_are_400(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    r = api.post("MaintenanceNotification", json={"NotificationType": "M1", "Bogus": "x"})
    assert r.status_code == 400
    r = api.post(
        "MaintenanceNotification",
        json={"NotificationType": "M1", "MaintNotifExtReferenceNumber": "X" * 21},
    )
    assert r.status_code == 400
    assert "maximum length" in r.json()["error"]["message"]["value"]


def test_service_document_lists_entity_sets(sap_sim, sap_http):
    r = sap_http("API_MAINTENANCEORDER;v=0002").get("")
    assert "MaintenanceOrder" in r.json()["d"]["EntitySets"]
