"""SAP Gateway protocol details against the simulator: CSRF re-fetch, ETag/412, $batch
atomicity, OAuth2 client credentials, sap-client, function import parameters."""

from __future__ import annotations

from datetime import datetime

import pytest

from plant_sync.errors import AuthenticationError, ConcurrentModification, NotFound
from plant_sync.idempotency import make_key
from plant_sync.sap.odata.batch import BatchRequest, ChangeSet
from plant_sync.sap.ops.notification import NotificationCreate


def test_csrf_token_is_refetched_once_after_expiry(odata, sim):
    odata.create_notification(NotificationCreate("M1", "first"), idempotency_key=make_key("c1"))
    fetches = odata.http.csrf_fetches
    sim.faults.set(csrf_expire=True)
    result = odata.create_notification(
        NotificationCreate("M1", "second"), idempotency_key=make_key("c2")
    )
    sim.faults.clear()
    assert result.created
    assert odata.http.csrf_fetches == fetches + 1


def test_stale_etag_is_a_concurrent_modification(odata, sim):
    svc = odata._svc("API_EQUIPMENT")
    key = {"Equipment": sim.master["equipment"][0], "ValidityEndDate": datetime(9999, 12, 31)}
    stale = svc.get("Equipment", key).etag
    assert stale
    svc.update("Equipment", key, {"EquipmentName": "first writer"}, etag=stale)
    with pytest.raises(ConcurrentModification) as info:
        svc.update("Equipment", key, {"EquipmentName": "second writer"}, etag=stale)
    assert info.value.status == 412 and not info.value.transient
    assert svc.get("Equipment", key).get("EquipmentName") == "first writer"


def test_failing_changeset_writes_nothing(odata, sim):
    svc = odata._svc("API_MAINTNOTIFICATION")
    good_key, bad_key = make_key("batch-ok"), make_key("batch-bad")
    ok = {
        "NotificationType": "M1",
        "NotificationText": "ok",
        "MaintNotifExtReferenceNumber": good_key,
    }
    bad = {
        "NotificationType": "M1",
        "NotificationText": "x" * 200,
        "MaintNotifExtReferenceNumber": bad_key,
    }
    results = svc.batch(
        [
            ChangeSet([BatchRequest("POST", "MaintenanceNotification", ok)]),
            ChangeSet(
                [
                    BatchRequest(
                        "POST",
                        "MaintenanceNotification",
                        {**ok, "MaintNotifExtReferenceNumber": bad_key},
                    ),
                    BatchRequest("POST", "MaintenanceNotification", bad),
                ]
            ),
            BatchRequest("GET", "MaintenanceNotification?$top=1"),
        ]
    )
    first, second, read = results
    assert first[0].ok and first[0].status == 201
    assert first[0].data["MaintNotifExtReferenceNumber"] == good_key
    assert all(not r.ok for r in second) and second[0].error is not None
    assert read.ok
    assert len(sim.store.find_notification_by_reference(good_key)) == 1
    assert sim.store.find_notification_by_reference(bad_key) == []


def test_oauth2_client_credentials_token_is_cached(sim, make_service):
    service = make_service(
        sim,
        "odata",
        auth="oauth2",
        user="",
        password="",
        oauth_token_url=sim.url + "/sap/bc/sec/oauth2/token",
        oauth_client_id="plant-sync-client",
        oauth_client_secret="client-secret",
    )
    number = sim.master["equipment"][0]
    assert service.get_equipment(number).number == number
    created = service.create_notification(
        NotificationCreate("M1", "oauth"), idempotency_key=make_key("oauth")
    )
    assert created.created
    assert service.http.auth.fetch_count == 1


def test_wrong_oauth_secret_is_an_authentication_error(sim, make_service):
    service = make_service(
        sim,
        "odata",
        auth="oauth2",
        oauth_token_url=sim.url + "/sap/bc/sec/oauth2/token",
        oauth_client_id="plant-sync-client",
        oauth_client_secret="wrong",
    )
    with pytest.raises(AuthenticationError):
        service.get_equipment(sim.master["equipment"][0])


def test_wrong_password_is_an_authentication_error(sim, make_service):
    service = make_service(sim, "odata", password="wrong")
    with pytest.raises(AuthenticationError):
        service.get_equipment(sim.master["equipment"][0])


def test_unknown_entity_and_key_are_not_found(odata):
    with pytest.raises(NotFound):
        odata.get_notification("99999999")
    with pytest.raises(NotFound):
        odata._svc("API_MAINTNOTIFICATION").query("NoSuchEntitySet")


def test_unknown_sap_client_is_refused(sim, make_service):
    service = make_service(sim, "odata", client="999")
    with pytest.raises(Exception) as info:
        service.get_equipment(sim.master["equipment"][0])
    assert not info.value.transient
