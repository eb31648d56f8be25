"""Advanced settings (the addon's ``cmms_extra_config``): only documented keys, and never the
endpoint, TLS verification, plain http, loopback/private allowances, credentials or local WSDL
files - those come from the backend's own fields."""

from __future__ import annotations

import pytest

from plant_sync.cmms import RestConfig, SoapConfig, make_client
from plant_sync.cmms.config import EXTRA_KEYS, config_from_dict, merge_extra_config
from plant_sync.cmms.soap import maximo_mif_config
from plant_sync.errors import ConfigurationError
from plant_sync.simulators.cmms.rest_app import REST_FIELD_MAP

BASES = {
    "maximo": {"kind": "maximo", "base_url": "https://cmms.example.com/maximo", "api_key": "k"},
    "rest": {
        "kind": "rest",
        "base_url": "https://cmms.example.com/api",
        "field_map": {"external_id": "id"},
        "auth": {"kind": "api_key", "token": "k"},
        "http": {"read_timeout": 30.0},
    },
    "soap": {
        "kind": "soap",
        **{
            k: v
            for k, v in vars(maximo_mif_config("https://cmms.example.com/meaweb/wsdl")).items()
            if k not in ("http", "query", "create", "update")
        },
        "query": {"name": "QueryMXWODETAIL"},
        "create": {"name": "CreateMXWODETAIL"},
        "update": {"name": "UpdateMXWODETAIL"},
    },
}


@pytest.mark.parametrize(
    "kind, extra",
    [
        ("rest", {"base_url": "https://evil.example.com/api"}),
        ("maximo", {"base_url": "http://169.254.169.254/maximo"}),
        ("soap", {"wsdl": "/etc/passwd"}),
        ("soap", {"endpoint": "https://evil.example.com/soap"}),
        ("rest", {"http": {"verify_tls": False}}),
        ("maximo", {"http": {"ca_bundle": "/tmp/attacker-ca.pem"}}),
        ("rest", {"http": {"allow_http": True}}),
        ("soap", {"http": {"allow_loopback_hosts": ["127.0.0.1"]}}),
        ("maximo", {"http": {"allow_private": True}}),
        ("maximo", {"api_key": "plaintext-in-json"}),
        ("maximo", {"auth": "basic"}),
        ("rest", {"auth": {"kind": "none"}}),
        ("rest", {"signing": {"secret": "plaintext-in-json"}}),
        ("soap", {"password": "x"}),
        ("soap", {"query": {"name": "Q", "wsdl": "/srv/odoo/other.wsdl"}}),
        ("soap", {"query": {"name": "Q", "wsdl": "file:///etc/passwd"}}),
        ("soap", {"create": {"name": "C", "wsdl": "https://evil.example.com/x?wsdl"}}),
        ("soap", {"update": {"name": "U", "wsdl": "http://cmms.example.com/x?wsdl"}}),
        ("rest", {"list_path": "https://evil.example.com/workorders"}),
        ("rest", {"get_path": "//evil.example.com/workorders/{id}"}),
        ("rest", {"ping_path": " HTTPS://evil.example.com/"}),
        ("rest", {"no_such_option": 1}),
        ("rest", {"pagination": {"style": "page", "base_url": "x"}}),
        ("maximo", ["not", "an", "object"]),
    ],
)
def test_not_allowed_advanced_settings_are_refused(kind, extra):
    with pytest.raises(ConfigurationError, match="not allowed|must be|Advanced"):
        merge_extra_config(BASES[kind], extra)
    with pytest.raises(ConfigurationError):
        config_from_dict(BASES[kind], extra)


def test_documented_advanced_settings_are_merged():
    rest = config_from_dict(
        BASES["rest"],
        {
            "pagination": {"style": "cursor", "page_size": 25},
            "http": {"max_pages": 50, "connect_timeout": 3},
            "labour_path": "attributes.labour",
            "list_path": "/v2/workorders",
            "signing": {"header": "X-Signature", "encoding": "hex"},
        },
    )
    assert isinstance(rest, RestConfig)
    assert rest.pagination.style == "cursor" and rest.pagination.page_size == 25
    assert rest.http.max_pages == 50 and rest.http.connect_timeout == 3
    assert rest.http.read_timeout == 30.0, "objects are merged key by key"
    assert rest.http.verify_tls is True and rest.http.allow_http is False
    soap = config_from_dict(
        BASES["soap"],
        {"query": {"name": "MP0024_GetWorkOrder_001", "wsdl": "https://cmms.example.com/q?wsdl"}},
    )
    assert isinstance(soap, SoapConfig) and soap.query.wsdl == "https://cmms.example.com/q?wsdl"
    assert "http" in EXTRA_KEYS["maximo"] and "base_url" not in EXTRA_KEYS["maximo"]


def test_advanced_settings_of_the_simulator_rest_api_work(sim, http):
    """The settings the demo and the addon tests use pass and talk to the simulator."""
    sim.store.add_workorder(description="via advanced settings")
    data = {
        "kind": "rest",
        "base_url": sim.rest_url,
        "field_map": dict(REST_FIELD_MAP),
        "auth": {"kind": "api_key", "header": "X-Api-Key", "token": "maximo-key"},
        "http": {"allow_http": True, "allow_loopback_hosts": ["127.0.0.1"]},
    }
    extra = {"static_fields": {"type": "workorder"}, "pagination": {"style": "offset"}}
    client = make_client(merge_extra_config(data, extra))
    assert [wo.title for wo in client.list_changed()] == ["via advanced settings"]
