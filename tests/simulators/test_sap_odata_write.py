"""Writing through the SAP simulator's OData services: business rules, ETags, numbering."""

from __future__ import annotations

import pytest

ORDERS = "API_MAINTENANCEORDER;v=0002"


def _order(api, sim, **extra) -> str:
    body = {
        "MaintenanceOrderType": "PM01",
        "MaintenanceOrderDesc": "Repair",
        "Equipment": sim.master["equipment"][0],
        **extra,
    }
    r = api.post("MaintenanceOrder", json=body)
    assert r.status_code == 201, r.text
    return r.json()["d"]["MaintenanceOrder"]


def _call(api, function: str, **params) -> object:
    q = "&".join(f"{k}='{v}'" for k, v in params.items())
    return api.post(f"{function}?{q}")


def test_notification_numbers_reference_and_validation(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    equipment = sap_sim.master["equipment"][2]
    r = api.post(
        "MaintenanceNotification",
        json={
            "NotificationType": "M2",
            "NotificationText": "Noise",
            "TechnicalObject": equipment,
            "TechObjIsEquipOrFuncnlLoc": "EAMS_EQUI",
            "MaintNotifExtReferenceNumber": "KEY0000000000001",
        },
    )
    assert r.status_code == 201
    d = r.json()["d"]
    assert d["MaintenanceNotification"] == "10000000"
    assert d["FunctionalLocation"] == sap_sim.master["functional_locations"][0]
    assert d["NotifProcessingPhase"] == "1"
    assert r.headers["Location"].endswith("MaintenanceNotification('10000000')")
    second = api.post("MaintenanceNotification", json={"NotificationType": "M1"})
    assert second.json()["d"]["MaintenanceNotification"] == "10000001"
    found = api.get(
        "MaintenanceNotification",
        params={"$filter": "MaintNotifExtReferenceNumber eq 'KEY0000000000001'"},
    )
    assert [x["MaintenanceNotification"] for x in found.json()["d"]["results"]] == ["10000000"]
    assert sap_sim.store.find_notification_by_reference("KEY0000000000001")
    bad = api.post(
        "MaintenanceNotification",
        json={
            "NotificationType": "M1",
            "TechnicalObject": "99999999",
            "TechObjIsEquipOrFuncnlLoc": "EAMS_EQUI",
        },
    )
    assert bad.status_code == 400
    assert "Equipment 99999999 does not exist" in bad.json()["error"]["message"]["value"]
    floc = api.post(
        "MaintenanceNotification",
        json={
            "NotificationType": "M1",
            "TechnicalObject": "NOPE",
            "TechObjIsEquipOrFuncnlLoc": "EAMS_FL",
        },
    )
    assert floc.status_code == 400
    assert sap_sim.store.counts()["MaintenanceNotification"] == 2


def test_complete_notification_function_and_twice_is_error(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    number = api.post("MaintenanceNotification", json={"NotificationType": "M1"}).json()["d"][
        "MaintenanceNotification"
    ]
    r = _call(api, "CompleteMaintNotification", MaintenanceNotification=number)
    assert r.status_code == 200, r.text
    assert r.json()["d"]["NotifProcessingPhase"] == "4"
    again = _call(api, "CompleteMaintNotification", MaintenanceNotification=number)
    assert again.status_code == 400
    patch = api.write(
        "PATCH",
        f"MaintenanceNotification('{number}')",
        json={"NotificationText": "x"},
        headers={"If-Match": "*"},
    )
    assert patch.status_code == 400


def test_etag_stale_412_missing_428_merge_via_x_http_method(sap_sim, sap_http):
    api = sap_http("API_MAINTNOTIFICATION")
    created = api.post("MaintenanceNotification", json={"NotificationType": "M1"})
    number = created.json()["d"]["MaintenanceNotification"]
    etag = created.headers["ETag"]
    path = f"MaintenanceNotification('{number}')"
    assert api.write("PATCH", path, json={"NotificationText": "a"}).status_code == 428
    ok = api.write(
        "POST",
        path,
        json={"NotificationText": "first"},
        headers={"If-Match": etag, "X-HTTP-Method": "MERGE"},
    )
    assert ok.status_code == 204
    assert ok.headers["ETag"] != etag
    stale = api.write(
        "PATCH", path, json={"NotificationText": "second"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    current = api.get(path)
    assert current.json()["d"]["NotificationText"] == "first"
    fresh = api.write(
        "MERGE",
        path,
        json={"NotificationText": "third"},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert fresh.status_code == 204
    assert api.get(path).json()["d"]["NotificationText"] == "third"


def test_order_status_lifecycle_and_invalid_transitions(sap_sim, sap_http):
    api = sap_http(ORDERS)
    order = _order(api, sap_sim)
    assert order == "4000000"
    d = api.get(f"MaintenanceOrder('{order}')").json()["d"]
    assert d["SystemStatusText"] == "CRTD"
    assert _call(api, "SetMaintOrdToTechCompleted", MaintenanceOrder=order).status_code == 400
    assert _call(api, "SetMaintOrderStatusToClosed", MaintenanceOrder=order).status_code == 400
    rel = _call(api, "ReleaseMaintenanceOrder", MaintenanceOrder=order)
    assert rel.status_code == 200
    assert rel.json()["d"]["ReleaseMaintenanceOrder"]["IsInvalid"] is False
    assert _call(api, "ReleaseMaintenanceOrder", MaintenanceOrder=order).status_code == 400
    assert _call(api, "SetMaintOrdToTechCompleted", MaintenanceOrder=order).status_code == 200
    teco_again = _call(api, "SetMaintOrdToTechCompleted", MaintenanceOrder=order)
    assert teco_again.status_code == 400
    assert "TECO" in teco_again.json()["error"]["message"]["value"]
    assert _call(api, "SetMaintOrderStatusToClosed", MaintenanceOrder=order).status_code == 200
    assert api.get(f"MaintenanceOrder('{order}')").json()["d"]["SystemStatusText"] == "CLSD"
    assert _call(api, "ReleaseMaintenanceOrder", MaintenanceOrder="4999999").status_code == 404
    unversioned = sap_http("API_MAINTENANCEORDER").get(f"MaintenanceOrder('{order}')")
    assert unversioned.json()["d"]["SystemStatusText"] == "CLSD"


def test_order_validation_and_notification_link(sap_sim, sap_http):
    notifs = sap_http("API_MAINTNOTIFICATION")
    api = sap_http(ORDERS)
    notif = notifs.post("MaintenanceNotification", json={"NotificationType": "M2"}).json()["d"][
        "MaintenanceNotification"
    ]
    order = _order(
        api, sap_sim, MaintenanceNotification=notif, AdditionalDeviceData="ORDKEY0000000001"
    )
    n = notifs.get(f"MaintenanceNotification('{notif}')").json()["d"]
    assert n["MaintenanceOrder"] == order and n["NotifProcessingPhase"] == "2"
    dup = api.post(
        "MaintenanceOrder",
        json={
            "MaintenanceOrderType": "PM01",
            "Equipment": sap_sim.master["equipment"][0],
            "MaintenanceNotification": notif,
        },
    )
    assert dup.status_code == 400
    assert api.post("MaintenanceOrder", json={"MaintenanceOrderDesc": "no type"}).status_code == 400
    assert (
        api.post(
            "MaintenanceOrder", json={"MaintenanceOrderType": "PM01", "Equipment": "123"}
        ).status_code
        == 400
    )
    found = api.get(
        "MaintenanceOrder", params={"$filter": "AdditionalDeviceData eq 'ORDKEY0000000001'"}
    )
    assert [o["MaintenanceOrder"] for o in found.json()["d"]["results"]] == [order]
    assert sap_sim.store.counts()["MaintenanceOrder"] == 1


def test_confirmation_needs_released_order_and_final_flag(sap_sim, sap_http):
    api = sap_http(ORDERS)
    conf = sap_http("API_MAINTORDERCONFIRMATION")
    order = _order(api, sap_sim)
    body = {
        "MaintenanceOrder": order,
        "MaintenanceOrderOperation": "0010",
        "ActualWorkQuantity": "1.5",
        "ActualWorkQuantityUnit": "H",
        "ConfirmationText": "CONFKEY000000001",
        "PersonnelNumber": "50000001",
    }
    early = conf.post("MaintOrderConfirmation", json=body)
    assert early.status_code == 400
    assert "not released" in early.json()["error"]["message"]["value"]
    _call(api, "ReleaseMaintenanceOrder", MaintenanceOrder=order)
    first = conf.post("MaintOrderConfirmation", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["d"]["MaintOrderConfCntrValue"] == "00000001"
    final = conf.post(
        "MaintOrderConfirmation",
        json={**body, "IsFinalConfirmation": True, "ConfirmationText": "CONFKEY000000002"},
    )
    assert final.json()["d"]["MaintOrderConfCntrValue"] == "00000002"
    assert final.json()["d"]["MaintOrderConf"] == first.json()["d"]["MaintOrderConf"]
    o = api.get(f"MaintenanceOrder('{order}')?$expand=to_MaintenanceOrderOperation").json()["d"]
    assert o["SystemStatusText"] == "REL CNF"
    assert o["to_MaintenanceOrderOperation"]["results"][0]["ActualWorkQuantity"] == "3.000"
    after_final = conf.post("MaintOrderConfirmation", json=body)
    assert after_final.status_code == 400
    lookup = conf.get(
        "MaintOrderConfirmation", params={"$filter": "ConfirmationText eq 'CONFKEY000000001'"}
    )
    assert len(lookup.json()["d"]["results"]) == 1


def _goods_movement(api, items, text="", code="03"):
    return api.post(
        "A_MaterialDocumentHeader",
        json={
            "GoodsMovementCode": code,
            "MaterialDocumentHeaderText": text,
            "PostingDate": "/Date(1714521600000)/",
            "to_MaterialDocumentItem": items,
        },
    )


def test_goods_issue_to_order_needs_release_and_moves_stock(sap_sim, sap_http):
    orders = sap_http(ORDERS)
    md = sap_http("API_MATERIAL_DOCUMENT_SRV")
    mat = sap_sim.master["materials"][0]
    order = _order(orders, sap_sim)
    item = {
        "Material": mat,
        "Plant": "1010",
        "StorageLocation": "0001",
        "GoodsMovementType": "261",
        "QuantityInEntryUnit": "4",
        "ManufacturingOrder": order,
    }
    blocked = _goods_movement(md, [item])
    assert blocked.status_code == 400
    assert sap_sim.store.stock(mat, "1010", "0001") == 100
    _call(orders, "ReleaseMaintenanceOrder", MaintenanceOrder=order)
    r = _goods_movement(md, [item], text="GMKEY00000000001")
    assert r.status_code == 201, r.text
    d = r.json()["d"]
    assert (d["MaterialDocument"], d["MaterialDocumentYear"]) == ("4900000000", "2024")
    assert len(d["to_MaterialDocumentItem"]["results"]) == 1
    assert sap_sim.store.stock(mat, "1010", "0001") == 96
    stock = sap_http("API_MATERIAL_STOCK_SRV").get(
        "A_MatlStkInAcctMod", params={"$filter": f"Material eq '{mat}' and Plant eq '1010'"}
    )
    assert stock.json()["d"]["results"][0]["MatlWrhsStkQtyInMatlBaseUnit"].startswith("96.0")
    deficit = _goods_movement(md, [{**item, "QuantityInEntryUnit": "500"}])
    assert deficit.status_code == 400
    assert deficit.json()["error"]["code"] == "M7/021"
    back = _goods_movement(md, [{**item, "GoodsMovementType": "262", "QuantityInEntryUnit": "1"}])
    assert back.status_code == 201
    assert sap_sim.store.stock(mat, "1010", "0001") == 97
    assert back.json()["d"]["MaterialDocument"] == "4900000001"
    found = md.get(
        "A_MaterialDocumentHeader",
        params={"$filter": "MaterialDocumentHeaderText eq 'GMKEY00000000001'"},
    )
    assert len(found.json()["d"]["results"]) == 1


def test_cost_center_issue_and_cancel(sap_sim, sap_http):
    md = sap_http("API_MATERIAL_DOCUMENT_SRV")
    mat = sap_sim.master["materials"][1]
    item = {
        "Material": mat,
        "Plant": "1010",
        "StorageLocation": "0001",
        "GoodsMovementType": "201",
        "QuantityInEntryUnit": "10",
    }
    assert _goods_movement(md, [item]).status_code == 400  # no cost center
    assert _goods_movement(md, [{**item, "CostCenter": "NOPE"}]).status_code == 400
    r = _goods_movement(md, [{**item, "CostCenter": "10101101"}])
    assert r.status_code == 201
    assert sap_sim.store.stock(mat, "1010", "0001") == 90
    d = r.json()["d"]
    cancel = md.post(
        f"Cancel?MaterialDocumentYear='{d['MaterialDocumentYear']}'"
        f"&MaterialDocument='{d['MaterialDocument']}'"
    )
    assert cancel.status_code == 200, cancel.text
    rev = cancel.json()["d"]
    assert (rev["MaterialDocument"], rev["MaterialDocumentYear"]) != (
        d["MaterialDocument"],
        d["MaterialDocumentYear"],
    )  # own number (range per year)
    assert sap_sim.store.stock(mat, "1010", "0001") == 100
    twice = md.post(
        f"Cancel?MaterialDocumentYear='{d['MaterialDocumentYear']}'"
        f"&MaterialDocument='{d['MaterialDocument']}'"
    )
    assert twice.status_code == 400


def test_purchase_requisition_to_po_to_goods_receipt(sap_sim, sap_http):
    pr_api = sap_http("API_PURCHASEREQ_PROCESS_SRV")
    mat = sap_sim.master["materials"][2]
    r = pr_api.post(
        "A_PurchaseRequisitionHeader",
        json={
            "PurchaseRequisitionType": "NB",
            "to_PurchaseReqnItem": {
                "results": [
                    {
                        "Material": mat,
                        "RequestedQuantity": "8",
                        "Plant": "1010",
                        "StorageLocation": "0001",
                        "PurReqnExternalReference": "PRKEY00000000001",
                        "PurReqnItemExternalReference": "1",
                    }
                ]
            },
        },
    )
    assert r.status_code == 201, r.text
    pr = r.json()["d"]["PurchaseRequisition"]
    assert pr == "10000000"
    item = r.json()["d"]["to_PurchaseReqnItem"]["results"][0]
    assert item["PurchaseRequisitionItem"] == "00010" and item["BaseUnit"] == "PC"
    too_long = pr_api.post(
        "A_PurchaseRequisitionHeader",
        json={
            "to_PurchaseReqnItem": [
                {
                    "Material": mat,
                    "RequestedQuantity": "1",
                    "Plant": "1010",
                    "PurReqnItemExternalReference": "PRKEY00000000001",
                }
            ]
        },
    )
    assert too_long.status_code == 400
    assert (
        pr_api.post("A_PurchaseRequisitionHeader", json={"to_PurchaseReqnItem": []}).status_code
        == 400
    )
    found = pr_api.get(
        "A_PurchaseRequisitionItem",
        params={"$filter": "PurReqnExternalReference eq 'PRKEY00000000001'"},
    )
    assert [i["PurchaseRequisition"] for i in found.json()["d"]["results"]] == [pr]
    # the buyer converts it (control API over HTTP)
    conv = pr_api.session.post(
        sap_sim.url + "/__sim__/convert_pr", json={"PurchaseRequisition": pr}, timeout=10
    )
    po = conv.json()["PurchaseOrder"]
    assert po == "4500000000"
    po_api = sap_http("API_PURCHASEORDER_PROCESS_SRV")
    poi = po_api.get(f"A_PurchaseOrder('{po}')?$expand=to_PurchaseOrderItem/to_ScheduleLine")
    items = poi.json()["d"]["to_PurchaseOrderItem"]["results"]
    assert items[0]["PurchaseRequisition"] == pr and items[0]["OrderQuantity"] == "8.000"
    line = items[0]["to_ScheduleLine"]["results"][0]
    assert line["RoughGoodsReceiptQty"] == "0.000" and line["ScheduleLineOpenQuantity"] == "8.000"
    md = sap_http("API_MATERIAL_DOCUMENT_SRV")
    gr = {
        "Material": mat,
        "Plant": "1010",
        "StorageLocation": "0001",
        "GoodsMovementType": "101",
        "QuantityInEntryUnit": "5",
        "PurchaseOrder": po,
        "PurchaseOrderItem": "10",
    }
    assert _goods_movement(md, [gr], code="01").status_code == 201
    assert _goods_movement(md, [{**gr, "QuantityInEntryUnit": "4"}], code="01").status_code == 400
    assert (
        _goods_movement(
            md, [{k: v for k, v in gr.items() if k != "PurchaseOrder"}], code="01"
        ).status_code
        == 400
    )
    line = po_api.get(
        f"A_PurchaseOrderScheduleLine(PurchasingDocument='{po}',"
        "PurchasingDocumentItem='00010',ScheduleLine='0001')"
    ).json()["d"]
    assert line["RoughGoodsReceiptQty"] == "5.000" and line["ScheduleLineOpenQuantity"] == "3.000"
    assert sap_sim.store.stock(mat, "1010", "0001") == 105
    pri = pr_api.get(
        f"A_PurchaseRequisitionItem(PurchaseRequisition='{pr}',PurchaseRequisitionItem='00010')"
    ).json()["d"]
    assert pri["PurchasingDocument"] == po


def test_lock_held_by_other_user_is_423(sap_sim, sap_http):
    api = sap_http(ORDERS)
    order = _order(api, sap_sim)
    sap_sim.store.lock(f"ORDER/{order}", "JDOE")
    r = _call(api, "ReleaseMaintenanceOrder", MaintenanceOrder=order)
    assert r.status_code == 423
    assert r.json()["error"]["code"] == "MC/601"
    assert "JDOE" in r.json()["error"]["message"]["value"]
    sap_sim.store.unlock()
    assert _call(api, "ReleaseMaintenanceOrder", MaintenanceOrder=order).status_code == 200


@pytest.mark.parametrize("method", ["DELETE"])
def test_not_deletable_sets_answer_405(sap_sim, sap_http, method):
    api = sap_http(ORDERS)
    order = _order(api, sap_sim)
    r = api.write(method, f"MaintenanceOrder('{order}')", headers={"If-Match": "*"})
    assert r.status_code == 405
