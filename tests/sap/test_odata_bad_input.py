"""Bad answers from a server become typed errors, never a crash or an empty result.

A small real HTTP server on loopback plays a misbehaving SAP Gateway (HTML page with 200,
malformed JSON, XML with a DTD, oversized body, paging link to another host)."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from plant_sync.errors import ConfigurationError, NotFound, ProtocolError
from plant_sync.sap.config import SapConnectionConfig
from plant_sync.sap.odata.client import SapHttp

ROOT = "/sap/opu/odata/sap/API_BAD/"
BODIES = {
    "Html": ("text/html", b"<!DOCTYPE html><html><body>Logon</body></html>"),
    "Malformed": ("application/json", b'{"d": {"results": [ {"A": 1}, '),
    "NoWrapper": ("application/json", b'{"value": []}'),
    "Dtd": (
        "application/xml",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ),
    "Huge": (
        "application/json",
        b'{"d": {"results": [' + b'{"A": "xxxxxxxxxx"},' * 20000 + b"{}]}}",
    ),
    "Elsewhere": (
        "application/json",
        b'{"d": {"results": [{"A": 1}], "__next": "http://169.254.169.254/x"}}',
    ),
    "Good": ("application/json", b'{"d": {"results": [{"A": 1}]}}'),
}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        name = self.path.split("?")[0][len(ROOT) :]
        if name not in BODIES:
            body = (
                b'{"error":{"code":"/IWBEP/CM_MGW_RT/020",'
                b'"message":{"lang":"en","value":"Resource not found for segment"}}}'
            )
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        ctype, body = BODIES[name]
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def svc(server):
    config = SapConnectionConfig(
        base_url=server,
        user="U",
        password="TopSecret#9",
        allow_loopback=True,
        allow_http=True,
        max_response_bytes=100_000,
        max_attempts=1,
    )
    http = SapHttp(config)
    yield http.service("API_BAD")
    http.close()


@pytest.mark.parametrize("entity_set", ["Html", "Malformed", "NoWrapper", "Dtd", "Huge"])
def test_bad_answer_is_a_protocol_error(svc, entity_set):
    with pytest.raises(ProtocolError):
        svc.query(entity_set)


def test_dtd_is_refused_as_such(svc):
    with pytest.raises(ProtocolError, match="DTD"):
        svc.query("Dtd")


def test_unknown_entity_set_is_not_found(svc):
    with pytest.raises(NotFound):
        svc.query("NoSuchSet")


def test_paging_link_to_another_host_is_refused(svc):
    pages = svc.iter_pages("Elsewhere")
    assert next(pages) == [{"A": 1}]
    with pytest.raises(ProtocolError, match="leaves the configured host"):
        next(pages)


def test_good_answer_and_no_secret_in_logs(svc, caplog):
    caplog.set_level(logging.DEBUG, logger="plant_sync")
    assert svc.query("Good") == [{"A": 1}]
    assert "TopSecret#9" not in caplog.text


@pytest.mark.parametrize(
    "url, kwargs",
    [
        ("http://127.0.0.1:8000", {"allow_http": True}),  # loopback not allow-listed
        ("http://sap.example.com", {}),  # plain http refused
        ("https://169.254.169.254", {}),  # cloud metadata address
        ("https://user:pw@sap.example.com", {}),  # credentials in the URL
    ],
)
def test_ssrf_guard_refuses_base_url(url, kwargs):
    with pytest.raises(ConfigurationError):
        SapHttp(SapConnectionConfig(base_url=url, user="U", password="p", **kwargs))


def test_config_repr_hides_secrets():
    config = SapConnectionConfig(
        base_url="https://sap", password="pw-123456", oauth_client_secret="cs-7890"
    )
    assert "pw-123456" not in repr(config) and "cs-7890" not in repr(config)


def test_missing_pyrfc_is_a_configuration_error():
    try:
        import pyrfc  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pyrfc is installed here")
    from plant_sync.sap.service import make_sap_service

    service = make_sap_service(SapConnectionConfig(transport="rfc", rfc_params={"ashost": "x"}))
    with pytest.raises(ConfigurationError, match="pyrfc"):
        service.get_equipment("10000000")
