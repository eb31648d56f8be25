"""The RFC simulator: pyrfc-shaped connection, BAPIs, LUW commit/rollback, same store as OData."""

from __future__ import annotations

from datetime import date

import pytest

from plant_sync.sap.pyrfc_compat import ABAPApplicationError, LogonError, RFCError


@pytest.fixture
def conn(sap_sim):
    with sap_sim.rfc_connection(user="PLANT_SYNC", passwd="Secret#1", client="100") as c:
        yield c


def test_logon_errors(sap_sim):
    with pytest.raises(LogonError) as exc:
        sap_sim.rfc_connection(user="PLANT_SYNC", passwd="bad", client="100")
    assert exc.value.key == "RFC_LOGON_FAILURE" and exc.value.code == 2
    with pytest.raises(LogonError):
        sap_sim.rfc_connection(user="PLANT_SYNC", passwd="Secret#1", client="999")


def test_unknown_function_and_closed_connection(sap_sim, conn):
    with pytest.raises(ABAPApplicationError) as exc:
        conn.call("Z_DOES_NOT_EXIST")
    assert exc.value.key == "FU_NOT_FOUND"
    conn.close()
    with pytest.raises(RFCError):
        conn.call("RFC_PING")


def test_notification_create_save_commit_visible_over_odata(sap_sim, conn, sap_http):
    equi = sap_sim.master["equipment"][1]
    created = conn.call(
        "BAPI_ALM_NOTIF_CREATE",
        NOTIF_TYPE="M2",
        NOTIFHEADER={"SHORT_TEXT": "Bearing noise", "EQUIPMENT": equi.zfill(18), "PRIORITY": "2"},
        EXTENSIONIN=[{"STRUCTURE": "BAPI_TE_QMEL", "VALUEPART1": "NOTKEY0000000001"}],
    )
    assert created["RETURN"] == []
    temp = created["NOTIFHEADER_EXPORT"]["NOTIF_NO"]
    assert temp.startswith("%")
    saved = conn.call("BAPI_ALM_NOTIF_SAVE", NUMBER=temp)
    assert saved["NOTIFHEADER"]["NOTIF_NO"] == "000010000000"
    assert sap_sim.store.counts()["MaintenanceNotification"] == 0  # not before COMMIT
    assert conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")["RETURN"]["TYPE"] == ""
    odata = sap_http("API_MAINTNOTIFICATION").get(
        "MaintenanceNotification",
        params={"$filter": "MaintNotifExtReferenceNumber eq 'NOTKEY0000000001'"},
    )
    rows = odata.json()["d"]["results"]
    assert [(r["MaintenanceNotification"], r["TechnicalObject"]) for r in rows] == [
        ("10000000", equi)
    ]
    bad = conn.call("BAPI_ALM_NOTIF_CREATE", NOTIF_TYPE="ZZ", NOTIFHEADER={})
    assert bad["RETURN"][0]["TYPE"] == "E"


def test_luw_rollback_and_close_discard(sap_sim):
    with sap_sim.rfc_connection(user="PLANT_SYNC", passwd="Secret#1") as c:
        temp = c.call("BAPI_ALM_NOTIF_CREATE", NOTIF_TYPE="M1", NOTIFHEADER={"SHORT_TEXT": "x"})[
            "NOTIFHEADER_EXPORT"
        ]["NOTIF_NO"]
        c.call("BAPI_ALM_NOTIF_SAVE", NUMBER=temp)
        c.call("BAPI_TRANSACTION_ROLLBACK")
        c.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    assert sap_sim.store.counts()["MaintenanceNotification"] == 0
    c2 = sap_sim.rfc_connection(user="PLANT_SYNC", passwd="Secret#1")
    temp = c2.call("BAPI_ALM_NOTIF_CREATE", NOTIF_TYPE="M1", NOTIFHEADER={"SHORT_TEXT": "y"})[
        "NOTIFHEADER_EXPORT"
    ]["NOTIF_NO"]
    c2.call("BAPI_ALM_NOTIF_SAVE", NUMBER=temp)
    c2.close()
    other = sap_sim.rfc_connection(user="PLANT_SYNC", passwd="Secret#1")
    other.call("BAPI_TRANSACTION_COMMIT", WAIT="X")  # another session cannot commit it
    assert sap_sim.store.counts()["MaintenanceNotification"] == 0


def test_order_maintain_create_release_numbers_and_odata(sap_sim, conn, sap_http):
    equi = sap_sim.master["equipment"][0]
    r = conn.call(
        "BAPI_ALM_ORDER_MAINTAIN",
        IT_METHODS=[
            {
                "REFNUMBER": "000001",
                "OBJECTTYPE": "HEADER",
                "METHOD": "CREATE",
                "OBJECTKEY": "%00000000001",
            },
            {
                "REFNUMBER": "000001",
                "OBJECTTYPE": "OPERATION",
                "METHOD": "CREATE",
                "OBJECTKEY": "%000000000010010",
            },
            {
                "REFNUMBER": "000001",
                "OBJECTTYPE": "HEADER",
                "METHOD": "RELEASE",
                "OBJECTKEY": "%00000000001",
            },
            {"REFNUMBER": "", "OBJECTTYPE": "", "METHOD": "SAVE", "OBJECTKEY": ""},
        ],
        IT_HEADER=[
            {
                "ORDER_TYPE": "PM01",
                "PLANPLANT": "1010",
                "MN_WK_CTR": "RES-0100",
                "SHORT_TEXT": "RFC order",
                "EQUIPMENT": equi,
                "DEVICEDATA": "ORDKEY00000000RF",
                "START_DATE": date(2024, 5, 1),
            }
        ],
        IT_OPERATION=[
            {
                "ACTIVITY": "0010",
                "DESCRIPTION": "Inspect",
                "WORK_CNTR": "RES-0200",
                "WORK_ACTIVITY": 2,
                "UN_WORK": "H",
            }
        ],
    )
    assert [x["TYPE"] for x in r["RETURN"]] == ["S"]
    assert r["ET_NUMBERS"] == [{"AUFNR_IN": "%00000000001", "AUFNR_NEW": "000004000000"}]
    assert sap_sim.store.counts()["MaintenanceOrder"] == 0
    conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    api = sap_http("API_MAINTENANCEORDER;v=0002")
    d = api.get("MaintenanceOrder('4000000')?$expand=to_MaintenanceOrderOperation").json()["d"]
    assert d["SystemStatusText"] == "REL" and d["AdditionalDeviceData"] == "ORDKEY00000000RF"
    assert d["to_MaintenanceOrderOperation"]["results"][0]["WorkCenter"] == "RES-0200"
    teco = conn.call(
        "BAPI_ALM_ORDER_MAINTAIN",
        IT_METHODS=[
            {
                "REFNUMBER": "000001",
                "OBJECTTYPE": "HEADER",
                "METHOD": "TECHNICALCOMPLETE",
                "OBJECTKEY": "000004000000",
            },
            {"METHOD": "SAVE"},
        ],
    )
    assert teco["RETURN"][0]["TYPE"] == "S"
    conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    again = conn.call(
        "BAPI_ALM_ORDER_MAINTAIN",
        IT_METHODS=[
            {
                "REFNUMBER": "000001",
                "OBJECTTYPE": "HEADER",
                "METHOD": "TECHNICALCOMPLETE",
                "OBJECTKEY": "4000000",
            },
            {"METHOD": "SAVE"},
        ],
    )
    assert again["RETURN"][0]["TYPE"] == "E" and again["RETURN"][0]["ID"] == "IW"
    read = conn.call(
        "RFC_READ_TABLE",
        QUERY_TABLE="AFIH",
        DELIMITER="|",
        FIELDS=[{"FIELDNAME": "AUFNR"}, {"FIELDNAME": "STAT"}],
        OPTIONS=[{"TEXT": "DEVICEDATA = 'ORDKEY00000000RF'"}],
    )
    assert [row["WA"] for row in read["DATA"]] == ["000004000000|TECO"]


def test_confirmation_and_lock_rows(sap_sim, conn):
    order = _released_order(conn)
    ticket = {
        "ORDERID": order,
        "OPERATION": "0010",
        "ACT_WORK": 1.5,
        "UN_WORK": "H",
        "FIN_CONF": "X",
        "PERS_NO": "50000001",
        "CONF_TEXT": "CNFKEY0000000001",
        "POSTG_DATE": "20240501",
    }
    r = conn.call("BAPI_ALM_CONF_CREATE", TIMETICKETS=[ticket])
    assert r["DETAIL_RETURN"][0]["TYPE"] == "S"
    assert r["DETAIL_RETURN"][0]["CONF_CNT"] == "00000001"
    conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    assert sap_sim.store.find_confirmation_by_reference("CNFKEY0000000001")
    sap_sim.store.lock(f"ORDER/{order.lstrip('0')}", "JDOE")
    locked = conn.call("BAPI_ALM_CONF_CREATE", TIMETICKETS=[{**ticket, "FIN_CONF": ""}])
    row = locked["DETAIL_RETURN"][0]
    assert (row["TYPE"], row["ID"], row["NUMBER"], row["MESSAGE_V1"]) == ("E", "MC", "601", "JDOE")
    assert row["FLG_LOCKED"] == "X"
    table = conn.call(
        "RFC_READ_TABLE",
        QUERY_TABLE="AFRU",
        DELIMITER=";",
        FIELDS=[{"FIELDNAME": "RUECK"}, {"FIELDNAME": "LTXA1"}, {"FIELDNAME": "AUERU"}],
        OPTIONS=[{"TEXT": "LTXA1 = 'CNFKEY0000000001'"}],
    )
    assert table["DATA"][0]["WA"].split(";")[1:] == [
        "CNFKEY0000000001                        ",
        "X",
    ]


def _released_order(conn) -> str:
    r = conn.call(
        "BAPI_ALM_ORDER_MAINTAIN",
        IT_METHODS=[
            {
                "REFNUMBER": "000001",
                "OBJECTTYPE": "HEADER",
                "METHOD": "CREATE",
                "OBJECTKEY": "%00000000001",
            },
            {
                "REFNUMBER": "000001",
                "OBJECTTYPE": "HEADER",
                "METHOD": "RELEASE",
                "OBJECTKEY": "%00000000001",
            },
            {"METHOD": "SAVE"},
        ],
        IT_HEADER=[{"ORDER_TYPE": "PM01", "PLANPLANT": "1010", "MN_WK_CTR": "RES-0100"}],
    )
    conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    return r["ET_NUMBERS"][0]["AUFNR_NEW"]


def test_goods_movement_and_read_table_mkpf(sap_sim, conn):
    order = _released_order(conn)
    mat = sap_sim.master["materials"][0]
    r = conn.call(
        "BAPI_GOODSMVT_CREATE",
        GOODSMVT_HEADER={
            "PSTNG_DATE": date(2024, 6, 1),
            "DOC_DATE": "20240601",
            "HEADER_TXT": "GMKEY0000000RFC1",
        },
        GOODSMVT_CODE={"GM_CODE": "03"},
        GOODSMVT_ITEM=[
            {
                "MATERIAL": mat,
                "PLANT": "1010",
                "STGE_LOC": "0001",
                "MOVE_TYPE": "261",
                "ENTRY_QNT": 3,
                "ENTRY_UOM": "PC",
                "ORDERID": order,
            }
        ],
    )
    assert r["RETURN"] == []
    assert (r["MATERIALDOCUMENT"], r["MATDOCUMENTYEAR"]) == ("4900000000", "2024")
    assert sap_sim.store.stock(mat, "1010", "0001") == 100  # LUW not committed yet
    conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    assert sap_sim.store.stock(mat, "1010", "0001") == 97
    mkpf = conn.call(
        "RFC_READ_TABLE",
        QUERY_TABLE="MKPF",
        DELIMITER="|",
        FIELDS=[{"FIELDNAME": "MBLNR"}, {"FIELDNAME": "MJAHR"}],
        OPTIONS=[{"TEXT": "BKTXT = 'GMKEY0000000RFC1'"}],
    )
    assert mkpf["DATA"] == [{"WA": "4900000000|2024"}]
    assert mkpf["FIELDS"][0]["LENGTH"] == "000010"
    deficit = conn.call(
        "BAPI_GOODSMVT_CREATE",
        GOODSMVT_HEADER={},
        GOODSMVT_CODE={"GM_CODE": "03"},
        GOODSMVT_ITEM=[
            {
                "MATERIAL": mat,
                "PLANT": "1010",
                "STGE_LOC": "0001",
                "MOVE_TYPE": "201",
                "ENTRY_QNT": 1000,
                "COSTCENTER": "10101101",
            }
        ],
    )
    assert deficit["MATERIALDOCUMENT"] == ""
    assert (deficit["RETURN"][0]["ID"], deficit["RETURN"][0]["NUMBER"]) == ("M7", "021")


def test_pr_create_and_equipment_reads(sap_sim, conn):
    mat = sap_sim.master["materials"][3]
    r = conn.call(
        "BAPI_PR_CREATE",
        PRHEADER={"PR_TYPE": "NB"},
        PRITEM=[
            {
                "PREQ_ITEM": "00010",
                "MATERIAL": mat,
                "PLANT": "1010",
                "STORE_LOC": "0001",
                "QUANTITY": 4,
                "UNIT": "PC",
                "DELIV_DATE": date(2030, 1, 1),
            }
        ],
        EXTENSIONIN=[{"STRUCTURE": "BAPI_TE_MEREQITEM", "VALUEPART1": "00010PRKEY000000RFC1"}],
    )
    assert r["NUMBER"] == "0010000000" and r["RETURN"][0]["TYPE"] == "S"
    conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    rows = sap_sim.store.find_purchase_requisition_by_reference("PRKEY000000RFC1")
    assert [(x["PurchaseRequisition"], x["RequestedQuantity"]) for x in rows] == [("10000000", 4)]
    eban = conn.call(
        "RFC_READ_TABLE",
        QUERY_TABLE="EBAN",
        DELIMITER="|",
        FIELDS=[{"FIELDNAME": "BANFN"}, {"FIELDNAME": "BNFPO"}],
        OPTIONS=[{"TEXT": "EXT_REF = 'PRKEY000000RFC1'"}],
    )
    assert eban["DATA"] == [{"WA": "0010000000|00010"}]
    bad = conn.call("BAPI_PR_CREATE", PRITEM=[{"MATERIAL": "NOPE", "PLANT": "1010", "QUANTITY": 1}])
    assert bad["NUMBER"] == "" and bad["RETURN"][0]["TYPE"] == "E"
    equi = sap_sim.master["equipment"][0]
    detail = conn.call("BAPI_EQUI_GETDETAIL", EQUIPMENT=equi.zfill(18))
    assert detail["RETURN"]["TYPE"] == ""
    assert detail["DATA_GENERAL_EXP"]["DESCRIPT"] == "Pump 00001"
    assert conn.call("BAPI_EQUI_GETDETAIL", EQUIPMENT="1")["RETURN"]["TYPE"] == "E"
    equis = conn.call(
        "RFC_READ_TABLE",
        QUERY_TABLE="EQUI",
        DELIMITER="|",
        FIELDS=[{"FIELDNAME": "EQUNR"}],
        OPTIONS=[{"TEXT": "EQTYP = 'M' AND"}, {"TEXT": " HERST = 'ACME'"}],
        ROWCOUNT=3,
    )
    assert [row["WA"] for row in equis["DATA"]] == [str(10000000 + i).zfill(18) for i in range(3)]
    with pytest.raises(ABAPApplicationError) as exc:
        conn.call("RFC_READ_TABLE", QUERY_TABLE="NOPE")
    assert exc.value.key == "TABLE_NOT_AVAILABLE"
    with pytest.raises(ABAPApplicationError) as exc:
        conn.call("RFC_READ_TABLE", QUERY_TABLE="EQUI", OPTIONS=[{"TEXT": "EQUNR ~ 1"}])
    assert exc.value.key == "OPTION_NOT_VALID"


def test_odata_order_visible_over_rfc(sap_sim, conn, sap_http):
    api = sap_http("API_MAINTENANCEORDER;v=0002")
    r = api.post(
        "MaintenanceOrder",
        json={
            "MaintenanceOrderType": "PM02",
            "Equipment": sap_sim.master["equipment"][0],
            "AdditionalDeviceData": "FROMODATA0000001",
        },
    )
    order = r.json()["d"]["MaintenanceOrder"]
    aufk = conn.call(
        "RFC_READ_TABLE",
        QUERY_TABLE="AUFK",
        DELIMITER="|",
        FIELDS=[{"FIELDNAME": "AUFNR"}, {"FIELDNAME": "AUART"}],
        OPTIONS=[{"TEXT": f"AUFNR = '{order.zfill(12)}'"}],
    )
    assert aufk["DATA"] == [{"WA": f"{order.zfill(12)}|PM02"}]


def test_notif_close_cancel_get_detail_complete_and_more_tables(sap_sim, conn):
    temp = conn.call(
        "BAPI_ALM_NOTIF_CREATE", NOTIF_TYPE="M1", NOTIFHEADER={"SHORT_TEXT": "close me"}
    )["NOTIFHEADER_EXPORT"]["NOTIF_NO"]
    number = conn.call("BAPI_ALM_NOTIF_SAVE", NUMBER=temp)["NOTIFHEADER"]["NOTIF_NO"]
    conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    assert conn.call("BAPI_ALM_NOTIF_CLOSE", NUMBER=number)["RETURN"] == []
    conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    qmel = conn.call(
        "RFC_READ_TABLE",
        QUERY_TABLE="QMEL",
        DELIMITER="|",
        FIELDS=[{"FIELDNAME": "QMDAB"}],
        OPTIONS=[{"TEXT": f"QMNUM = '{number}'"}],
    )
    assert qmel["DATA"][0]["WA"] != "00000000"
    assert conn.call("BAPI_ALM_NOTIF_CLOSE", NUMBER=number)["RETURN"][0]["TYPE"] == "E"
    order = _released_order(conn)
    detail = conn.call("BAPI_ALM_ORDER_GET_DETAIL", NUMBER=order)
    assert detail["ES_HEADER"]["SYS_STATUS"] == "REL"
    assert [op["ACTIVITY"] for op in detail["ET_OPERATIONS"]] == ["0010"]
    for method in ("TECHNICALCOMPLETE", "COMPLETE"):
        r = conn.call(
            "BAPI_ALM_ORDER_MAINTAIN",
            IT_METHODS=[
                {
                    "REFNUMBER": "000001",
                    "OBJECTTYPE": "HEADER",
                    "METHOD": method,
                    "OBJECTKEY": order,
                },
                {"METHOD": "SAVE"},
            ],
        )
        assert r["RETURN"][0]["TYPE"] == "S"
        conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    assert sap_sim.store.order_status(order.lstrip("0")) == "CLSD"
    mat = sap_sim.master["materials"][4]
    gm = conn.call(
        "BAPI_GOODSMVT_CREATE",
        GOODSMVT_CODE={"GM_CODE": "03"},
        GOODSMVT_ITEM=[
            {
                "MATERIAL": mat,
                "PLANT": "1010",
                "STGE_LOC": "0001",
                "MOVE_TYPE": "201",
                "ENTRY_QNT": 2,
                "COSTCENTER": "10101101",
            }
        ],
    )
    conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    cancel = conn.call(
        "BAPI_GOODSMVT_CANCEL",
        MATERIALDOCUMENT=gm["MATERIALDOCUMENT"],
        MATDOCUMENTYEAR=gm["MATDOCUMENTYEAR"],
    )
    assert cancel["RETURN"] == [] and cancel["GOODSMVT_HEADRET"]["MAT_DOC"]
    assert sap_sim.store.stock(mat, "1010", "0001") == 98  # not before COMMIT
    conn.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    assert sap_sim.store.stock(mat, "1010", "0001") == 100
    mseg = conn.call(
        "RFC_READ_TABLE",
        QUERY_TABLE="MSEG",
        DELIMITER="|",
        FIELDS=[{"FIELDNAME": "MBLNR"}, {"FIELDNAME": "BWART"}],
        OPTIONS=[{"TEXT": f"SMBLN = '{gm['MATERIALDOCUMENT']}'"}],
    )
    assert mseg["DATA"] == [{"WA": f"{cancel['GOODSMVT_HEADRET']['MAT_DOC']}|202"}]
    makt = conn.call(
        "RFC_READ_TABLE",
        QUERY_TABLE="MAKT",
        DELIMITER="|",
        FIELDS=[{"FIELDNAME": "SPRAS"}, {"FIELDNAME": "MAKTX"}],
        OPTIONS=[{"TEXT": f"MATNR = '{mat}' AND SPRAS = 'E'"}],
    )
    assert makt["DATA"] == [{"WA": "E|Spare part 5"}]
    po = sap_sim.store.seed_purchase_order([(mat, 3, 9.5)])
    ekpo = conn.call(
        "RFC_READ_TABLE",
        QUERY_TABLE="EKPO",
        DELIMITER="|",
        FIELDS=[{"FIELDNAME": "EBELP"}, {"FIELDNAME": "MATNR"}],
        OPTIONS=[{"TEXT": f"EBELN = '{po}'"}],
    )
    assert [r["WA"] for r in ekpo["DATA"]] == [f"00010|{mat}"]
