import pytest

from plant_sync.errors import ConfigurationError, ProtocolError
from plant_sync.idempotency import KEY_LENGTH, make_key
from plant_sync.safexml import parse_xml
from plant_sync.urlguard import check_url


def test_idempotency_key_is_stable_short_and_distinct():
    assert make_key("notif", 42) == make_key("notif", 42)
    assert make_key("notif", 42) != make_key("notif", 43)
    assert len(make_key("x")) == KEY_LENGTH


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/sap",
        "https://localhost/sap",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "ftp://sap.example.com/",
        "https://user:pw@sap.example.com/",
        "https://0.0.0.0/",
    ],
)
def test_ssrf_guard_refuses(url):
    with pytest.raises(ConfigurationError):
        check_url(url, allow_http=True)


def test_loopback_only_when_allow_listed():
    url = "http://127.0.0.1:8080/sap"
    assert check_url(url, allow_http=True, allow_loopback_hosts=["127.0.0.1"]) == url
    assert check_url("https://10.1.2.3/sap") == "https://10.1.2.3/sap"
    with pytest.raises(ConfigurationError):
        check_url("https://10.1.2.3/sap", allow_private=False)


def test_xml_with_dtd_or_entities_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><l>&b;</l>'
    xxe = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    for payload in (bomb, xxe):
        with pytest.raises(ProtocolError, match="DTD"):
            parse_xml(payload)
    with pytest.raises(ProtocolError, match="Malformed"):
        parse_xml(b"<a><b></a>")
    assert parse_xml(b"<a><b>1</b></a>").findtext("b") == "1"
