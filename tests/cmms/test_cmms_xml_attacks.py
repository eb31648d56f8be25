"""XXE and billion-laughs answers: a typed ProtocolError, no file read, no outbound fetch.

The payloads reference a secret file and a URL on a loopback server that counts requests. The
proof of "nothing fetched" is that counter staying at 0 (libxml2 uses the same external-entity
loader for files and URLs); the proof of "nothing read into the result" is that the secret never
appears in the error or anything we return, and Python's audit hook sees no ``open`` of it.
"""

from __future__ import annotations

import sys

import pytest
import zeep.exceptions
import zeep.loader

from plant_sync.cmms import WorkOrder, make_client
from plant_sync.cmms.soap import maximo_mif_config
from plant_sync.errors import ProtocolError
from plant_sync.simulators.cmms.faults import FaultSettings, poisoned_xml

SECRET = "TOP-SECRET-4f1c9e"
_opened: list[str] = []


def _audit(event: str, args: tuple) -> None:
    if event == "open" and args and SECRET_FILE_NAME in str(args[0]):
        _opened.append(str(args[0]))


SECRET_FILE_NAME = "plant-sync-xxe-secret.txt"
sys.addaudithook(_audit)


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / SECRET_FILE_NAME
    path.write_text(SECRET)
    _opened.clear()
    return path


@pytest.fixture
def soap_client(seeded, http):
    return make_client(
        maximo_mif_config(seeded.wsdl_url, username="maxadmin", password="maxadmin", http=http)
    )


def _assert_nothing_leaked(exc: BaseException, hit_counter: dict) -> None:
    assert hit_counter["hits"] == 0, hit_counter["paths"]
    assert SECRET not in str(exc) and SECRET not in repr(getattr(exc, "payload", None))
    assert _opened == []


@pytest.mark.parametrize("poison", ["xxe", "billion_laughs"])
def test_soap_answer_with_dtd_is_refused(seeded, soap_client, secret_file, hit_counter, poison):
    soap_client.ping()  # WSDL loaded while the server is healthy
    seeded.faults.set(
        poison=poison, poison_file=str(secret_file), poison_url=hit_counter["url"], scope="soap"
    )
    with pytest.raises(ProtocolError) as info:
        list(soap_client.list_changed())
    _assert_nothing_leaked(info.value, hit_counter)
    assert seeded.faults.injected("poison") >= 1


@pytest.mark.parametrize("poison", ["xxe", "billion_laughs", "html", "malformed"])
def test_poisoned_wsdl_is_refused(seeded, http, secret_file, hit_counter, poison):
    seeded.faults.set(
        poison=poison, poison_file=str(secret_file), poison_url=hit_counter["url"], scope="soap"
    )
    client = make_client(
        maximo_mif_config(seeded.wsdl_url, username="maxadmin", password="maxadmin", http=http)
    )
    with pytest.raises(ProtocolError) as info:
        client.get("1001")
    _assert_nothing_leaked(info.value, hit_counter)


@pytest.mark.parametrize("poison", ["html", "malformed"])
def test_soap_html_or_truncated_answer_is_protocol_error(seeded, soap_client, poison):
    soap_client.ping()
    seeded.faults.set(poison=poison, scope="soap")
    with pytest.raises(ProtocolError):
        soap_client.get("1001")


@pytest.mark.parametrize("poison", ["xxe", "billion_laughs", "html", "malformed"])
def test_maximo_json_answer_that_is_not_json_is_protocol_error(
    seeded, maximo_config, secret_file, hit_counter, poison
):
    client = make_client(maximo_config())
    seeded.faults.set(
        poison=poison, poison_file=str(secret_file), poison_url=hit_counter["url"], scope="maximo"
    )
    with pytest.raises(ProtocolError) as info:
        list(client.list_changed())
    _assert_nothing_leaked(info.value, hit_counter)


@pytest.mark.parametrize("poison", ["html", "malformed"])
def test_rest_answer_that_is_not_json_is_protocol_error(seeded, rest_config, poison):
    client = make_client(rest_config())
    seeded.faults.set(poison=poison, scope="rest", count=1)
    with pytest.raises(ProtocolError):
        client.create(WorkOrder(title="x"))


@pytest.mark.parametrize("poison", ["xxe", "billion_laughs"])
def test_zeep_layer_alone_also_refuses_dtds(soap_client, secret_file, hit_counter, poison):
    """Defence in depth: even without our pre-check, zeep with our Settings refuses the DTD."""
    settings = FaultSettings(poison_file=str(secret_file), poison_url=hit_counter["url"])
    payload = poisoned_xml(poison, settings)
    refused = (
        zeep.exceptions.DTDForbidden,
        zeep.exceptions.EntitiesForbidden,
        zeep.exceptions.XMLSyntaxError,  # libxml2 stops the entity loop itself
    )
    with pytest.raises(refused) as info:
        zeep.loader.parse_xml(payload, soap_client.transport, settings=soap_client.settings)
    _assert_nothing_leaked(info.value, hit_counter)
    assert soap_client.settings.forbid_dtd and soap_client.settings.forbid_entities
    assert soap_client.settings.forbid_external and not soap_client.settings.xml_huge_tree
