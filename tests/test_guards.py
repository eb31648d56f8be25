import pytest

from plant_sync.errors import ConfigurationError, ProtocolError
from plant_sync.idempotency import KEY_LENGTH, make_key
from plant_sync.safexml import parse_xml
from plant_sync.urlguard import check_url, same_origin


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
        "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud metadata
        "http://[fd00:ec2::254]/latest/meta-data/",  # AWS metadata over IPv6 (Nitro)
        "http://[::ffff:169.254.169.254]/latest/",  # IPv4-mapped IPv6 of the metadata address
        "http://[::ffff:127.0.0.1]:8080/",  # IPv4-mapped loopback
        "http://192.0.0.192/",  # Oracle Cloud (legacy) metadata
    ],
)
def test_ssrf_guard_refuses(url):
    with pytest.raises(ConfigurationError):
        check_url(url, allow_http=True)


def test_metadata_addresses_are_refused_even_when_private_ranges_are_allowed():
    with pytest.raises(ConfigurationError, match="metadata"):
        check_url("https://100.100.100.200/", allow_private=True)
    with pytest.raises(ConfigurationError, match="metadata"):
        check_url("https://[fd00:ec2::254]/", allow_private=True)
    assert check_url("https://[fd00:ec2::1]/") == "https://[fd00:ec2::1]/"  # other ULA: private


@pytest.mark.parametrize(
    "link, same",
    [
        ("https://sap.example.com/x?a=1", True),
        ("HTTPS://SAP.EXAMPLE.COM/x", True),
        (" https://sap.example.com:443/x", True),
        ("https://sap.example.com./x", True),
        ("\thttps://sap.example.com/x\n", True),
        ("http://sap.example.com/x", False),
        ("https://sap.example.com:8443/x", False),
        ("HTTPS://evil.example.com/x", False),
        (" https://evil.example.com/x", False),
        ("https://sap.example.com@evil.example.com/x", False),
        ("https://user@sap.example.com/x", False),
        ("/relative/path", False),
    ],
)
def test_same_origin_compares_normalised_scheme_host_and_port(link, same):
    assert same_origin(link, "https://sap.example.com/sap/opu/odata/sap/") is same


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
