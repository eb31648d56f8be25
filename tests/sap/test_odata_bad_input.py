"""Bad answers from a server become typed errors, never a crash or an empty result.

A small real HTTP server on loopback plays a misbehaving SAP Gateway (HTML page with 200,
malformed JSON, XML with a DTD, oversized body, paging link to another host, paging that never
ends, an oversized OAuth2 token answer)."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from plant_sync.errors import ConfigurationError, NotFound, PagingError, ProtocolError
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
GIVE_UP = 50  # the endless sets below end after this many requests (no endless test)
HITS: Counter[str] = Counter()
TOKEN = {"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600}


def endless(name: str, n: int) -> tuple[str, bytes]:
    """``Loop``: the same __next link on every page; ``Empty``: empty pages, each pointing to a
    fresh next page."""
    last = n >= GIVE_UP
    if name == "Loop":
        d = {"results": [{"A": n}], **({} if last else {"__next": f"{ROOT}Loop?$skiptoken=X"})}
    else:
        d = {"results": [], **({} if last else {"__next": f"{ROOT}Empty?$skiptoken={n}"})}
    return "application/json", json.dumps({"d": d}).encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        """OAuth2 token endpoint: ``/token`` a normal answer, ``/token-big`` a valid token padded
        to 1 MiB (with Content-Length), ``/token-endless`` the same without Content-Length."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(TOKEN).encode()
        if self.path != "/token":
            body = json.dumps({**TOKEN, "padding": "x" * 2**20}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.path != "/token-endless":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        name = self.path.split("?")[0][len(ROOT) :]
        HITS[name] += 1
        if name in ("Loop", "Empty"):
            ctype, body = endless(name, HITS[name])
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
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


def test_repeated_next_link_is_a_paging_error(svc):
    HITS.clear()
    with pytest.raises(PagingError, match="the same next page twice"):
        svc.query("Loop")
    assert HITS["Loop"] == 2


def test_endless_empty_pages_are_a_paging_error(svc):
    HITS.clear()
    with pytest.raises(PagingError, match="3 empty pages in a row"):
        svc.query("Empty")
    assert HITS["Empty"] == 3


def test_page_limit(server):
    config = SapConnectionConfig(
        base_url=server,
        user="U",
        password="p",
        allow_loopback=True,
        allow_http=True,
        max_pages=4,
        max_empty_pages=100,
    )
    HITS.clear()
    with pytest.raises(PagingError, match="more than 4 pages"):
        SapHttp(config).service("API_BAD").query("Empty")
    assert HITS["Empty"] == 4


def oauth_http(server: str, token_path: str) -> SapHttp:
    return SapHttp(
        SapConnectionConfig(
            base_url=server,
            auth="oauth2",
            oauth_token_url=server + token_path,
            oauth_client_id="client",
            oauth_client_secret="client-secret-123",
            allow_loopback=True,
            allow_http=True,
            max_attempts=1,
        )
    )


@pytest.mark.parametrize("token_path", ["/token-big", "/token-endless"])
def test_oversized_oauth_token_answer_is_refused(server, token_path):
    http = oauth_http(server, token_path)
    with pytest.raises(ProtocolError, match="OAuth2 token answer"):
        http.service("API_BAD").query("Good")
    assert oauth_http(server, "/token").service("API_BAD").query("Good") == [{"A": 1}]


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
