"""SSRF guard at connect time: a host name that resolves to an allowed address when the URL is
checked and to this machine when the connection is made (DNS rebinding, TTL 0) is refused by
every library HTTP client, because the address the socket actually reached is checked again.

The rebinding DNS cannot exist on this machine, so ``socket.getaddrinfo`` is replaced for one
made-up name; everything else (the simulators, HTTP, TLS-less loopback) is real."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from plant_sync.cmms import HttpSettings, MaximoConfig, RestConfig, make_client
from plant_sync.cmms.config import RestAuth
from plant_sync.cmms.soap import maximo_mif_config
from plant_sync.errors import ConfigurationError
from plant_sync.sap.config import SapConnectionConfig
from plant_sync.sap.odata.client import SapHttp
from plant_sync.simulators.cmms import CmmsSimulator
from plant_sync.simulators.cmms.rest_app import REST_FIELD_MAP
from plant_sync.urlguard import AddressPolicy, check_url, guard_session

NAME = "cmms.rebind.test"  # a name only the fake DNS below knows
COMPANY_ADDRESS = "10.20.30.40"  # private, allowed: what the check sees
REAL_GETADDRINFO = socket.getaddrinfo


class RebindingDns:
    """``getaddrinfo`` for :data:`NAME`: ``answers`` in turn (the last one repeated), or by
    caller - ``by_caller=True`` answers the SSRF check (``proto=IPPROTO_TCP``) with the company
    address and the connection (``type=SOCK_STREAM``, as urllib3 asks) with 127.0.0.1, however
    many checks a client makes before it connects."""

    def __init__(self, answers: tuple[str, ...] = (), by_caller: bool = False) -> None:
        self.answers = answers
        self.by_caller = by_caller
        self.lookups: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        if host != NAME:
            return REAL_GETADDRINFO(host, port, family, type, proto, flags)
        if self.by_caller:
            address = "127.0.0.1" if type == socket.SOCK_STREAM else COMPANY_ADDRESS
        else:
            address = self.answers[min(len(self.lookups), len(self.answers) - 1)]
        self.lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]


@pytest.fixture
def cmms_sim() -> Iterator[CmmsSimulator]:
    sim = CmmsSimulator(api_key="maximo-key", users={"maxadmin": "maxadmin"}).start()
    sim.store.add_workorder(description="must not be read through a rebinding name")
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def rebinding(monkeypatch):
    def install(dns: RebindingDns) -> RebindingDns:
        monkeypatch.setattr(socket, "getaddrinfo", dns)
        return dns

    return install


def rebound(url: str) -> str:
    return url.replace("127.0.0.1", NAME)


def test_second_answer_of_the_dns_is_refused_at_connect(cmms_sim, rebinding):
    dns = rebinding(RebindingDns(answers=(COMPANY_ADDRESS, "127.0.0.1")))
    url = rebound(cmms_sim.maximo_url) + "/api/os/mxapiwodetail?lean=1"
    assert check_url(url, allow_http=True) == url  # first answer: a company address, allowed
    session = guard_session(requests.Session(), AddressPolicy.of(()))
    with pytest.raises(ConfigurationError, match="DNS rebinding") as info:
        session.get(url, headers={"apikey": "maximo-key"}, timeout=10)
    assert "this machine (127.0.0.1)" in str(info.value)
    assert dns.lookups == [COMPANY_ADDRESS, "127.0.0.1"]
    assert cmms_sim.hits["maximo"] == 0, "refused before a byte was sent"
    # the same request without the guarded adapter would have reached this machine
    assert requests.get(url, headers={"apikey": "maximo-key"}, timeout=10).status_code == 200
    assert cmms_sim.hits["maximo"] == 1


def test_allow_listed_loopback_host_still_connects(cmms_sim):
    session = guard_session(requests.Session(), AddressPolicy.of(["127.0.0.1"]))
    response = session.get(
        cmms_sim.maximo_url + "/api/os/mxapiwodetail?lean=1",
        headers={"apikey": "maximo-key"},
        timeout=10,
    )
    assert response.status_code == 200
    with pytest.raises(ConfigurationError, match="loopback"):
        guard_session(requests.Session(), AddressPolicy.of(())).get(cmms_sim.maximo_url)


def http_settings() -> HttpSettings:
    # 127.0.0.1 stays allow-listed (as in every simulator test): the rebinding name is not
    return HttpSettings(allow_http=True, allow_loopback_hosts=("127.0.0.1",), read_timeout=10)


def maximo(sim: CmmsSimulator):
    config = MaximoConfig(
        base_url=rebound(sim.maximo_url), api_key="maximo-key", http=http_settings()
    )
    return make_client(config).ping


def rest(sim: CmmsSimulator):
    config = RestConfig(
        base_url=rebound(sim.rest_url),
        field_map=dict(REST_FIELD_MAP),
        auth=RestAuth(kind="api_key", header="X-Api-Key", token="maximo-key"),
        http=http_settings(),
    )
    return lambda: list(make_client(config).list_changed())


def soap(sim: CmmsSimulator):
    config = maximo_mif_config(
        rebound(sim.wsdl_url), username="maxadmin", password="maxadmin", http=http_settings()
    )
    return make_client(config).ping


@pytest.mark.parametrize("client", [maximo, rest, soap])
def test_cmms_clients_refuse_a_rebinding_name(cmms_sim, rebinding, client):
    rebinding_dns = rebinding(RebindingDns(by_caller=True))
    call = client(cmms_sim)  # the endpoint check at construction sees the company address
    with pytest.raises(ConfigurationError, match="DNS rebinding"):
        call()
    assert "127.0.0.1" in rebinding_dns.lookups, "the connection did resolve to this machine"
    assert sum(cmms_sim.hits.values()) == 0


def test_sap_odata_refuses_a_rebinding_name(sap_sim, rebinding):
    rebinding(RebindingDns(by_caller=True))
    config = SapConnectionConfig(
        base_url=rebound(sap_sim.url),
        user="PLANT_SYNC",
        password="Secret#1",
        allow_loopback=True,  # 127.0.0.1, localhost, ::1 - not the rebinding name
        allow_http=True,
        max_attempts=1,
    )
    http = SapHttp(config)
    with pytest.raises(ConfigurationError, match="DNS rebinding"):
        http.service("API_EQUIPMENT").first("Equipment")


def test_sap_oauth_token_request_refuses_a_rebinding_name(sap_sim, rebinding):
    rebinding(RebindingDns(by_caller=True))
    config = SapConnectionConfig(
        base_url=sap_sim.url,  # 127.0.0.1, allow-listed
        auth="oauth2",
        oauth_token_url=rebound(sap_sim.token_url),
        oauth_client_id="plant-sync-client",
        oauth_client_secret="client-secret",
        allow_loopback=True,
        allow_http=True,
        max_attempts=1,
    )
    http = SapHttp(config)
    with pytest.raises(ConfigurationError, match="DNS rebinding"):
        http.service("API_EQUIPMENT").first("Equipment")
    assert http.auth.fetch_count == 0
