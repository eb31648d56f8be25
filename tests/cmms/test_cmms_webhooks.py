"""Signed webhooks (Standard Webhooks): the verifier alone and a tiny WSGI endpoint fed by the
simulator's emitter."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time

import pytest
import requests

from plant_sync.simulators.cmms.emitter import post_chunked
from plant_sync.webhooks import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    InMemorySeenStore,
    Verdict,
    WebhookVerifier,
    read_body,
    sign,
    signature,
)

SECRET = "whsec-test-0123456789"  # the receiver fixture's secret (tests/cmms/conftest.py)
BODY = b'{"type": "workorder.updated", "data": {"wonum": "1001"}}'


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(clock) -> WebhookVerifier:
    return WebhookVerifier(SECRET, InMemorySeenStore(clock), clock=clock, max_body=1024)


def test_signature_scheme_is_hmac_sha256_of_id_dot_timestamp_dot_body():
    headers = sign(SECRET, BODY, "evt-1", timestamp=1700000000)
    mac = hmac.new(SECRET.encode(), b"evt-1.1700000000." + BODY, hashlib.sha256).digest()
    expected = base64.b64encode(mac).decode()
    assert headers == {
        ID_HEADER: "evt-1",
        TIMESTAMP_HEADER: "1700000000",
        SIGNATURE_HEADER: "v1," + expected,
    }
    assert signature(SECRET, "evt-1", 1700000000, BODY) == expected


def test_standard_webhooks_reference_vector():
    """The test vector published with the Standard Webhooks reference libraries: a sender using
    any of them is verified by us, and what we send is verified by them."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    headers = sign(secret, body, "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330)
    assert headers[SIGNATURE_HEADER] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    verifier = WebhookVerifier(secret, clock=lambda: 1614265330.0)
    assert verifier.verify(headers, body).ok


def test_captured_delivery_replayed_with_a_fresh_id_is_refused(verifier, clock):
    """The id is signed: a recorded delivery sent again under a new id (which the
    de-duplication has not seen) no longer verifies."""
    headers = sign(SECRET, BODY, "evt-original", timestamp=int(clock.now))
    assert verifier.verify(headers, BODY).ok
    assert verifier.verify(headers, BODY).verdict is Verdict.REPLAY
    forged = {**headers, ID_HEADER: "evt-fresh"}
    result = verifier.verify(forged, BODY)
    assert result.verdict is Verdict.BAD_SIGNATURE and result.http_status == 401
    # nor can the id be shifted into the timestamp/body (ids with "." are refused)
    dotted = {**headers, ID_HEADER: "evt.original"}
    assert verifier.verify(dotted, BODY).verdict is Verdict.BAD_SIGNATURE


def test_legacy_x_plantsync_headers_are_refused(verifier, clock):
    ts = str(int(clock.now))
    legacy_mac = hmac.new(SECRET.encode(), ts.encode() + b"." + BODY, hashlib.sha256)
    legacy = {
        "X-PlantSync-Timestamp": ts,
        "X-PlantSync-Event-Id": "evt-legacy",
        "X-PlantSync-Signature": "sha256=" + legacy_mac.hexdigest(),
    }
    result = verifier.verify(legacy, BODY)
    assert result.verdict is Verdict.BAD_SIGNATURE and result.reason == "missing signature headers"


def test_whsec_secret_is_base64_decoded():
    key = b"\x00\x01binary-key-bytes\xff"
    secret = "whsec_" + base64.b64encode(key).decode()
    headers = sign(secret, BODY, "evt-b", timestamp=1700000000)
    mac = hmac.new(key, b"evt-b.1700000000." + BODY, hashlib.sha256).digest()
    assert headers[SIGNATURE_HEADER] == "v1," + base64.b64encode(mac).decode()
    with pytest.raises(ValueError):
        WebhookVerifier("whsec_not*base64")


def test_valid_delivery_then_replay(verifier, clock):
    headers = sign(SECRET, BODY, "evt-1", timestamp=int(clock.now))
    first = verifier.verify(headers, BODY)
    assert first.verdict is Verdict.OK and first.ok and first.http_status == 200
    again = verifier.verify({k.lower(): v for k, v in headers.items()}, BODY)
    assert again.verdict is Verdict.REPLAY and not again.ok and again.http_status == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: ({**h, SIGNATURE_HEADER: "v1," + "A" * 43 + "="}, b),
        lambda h, b: (h, b + b" "),
        lambda h, b: ({**h, SIGNATURE_HEADER: h[SIGNATURE_HEADER].replace("v1,", "v1a,")}, b),
        lambda h, b: ({**h, SIGNATURE_HEADER: h[SIGNATURE_HEADER].replace("v1,", "")}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != SIGNATURE_HEADER}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != ID_HEADER}, b),
        lambda h, b: ({**h, ID_HEADER: "evt 2"}, b),
        lambda h, b: ({**h, TIMESTAMP_HEADER: "17e8"}, b),
        lambda h, b: ({**h, TIMESTAMP_HEADER: str(int(h[TIMESTAMP_HEADER]) + 1)}, b),
        lambda h, b: ({**h, SIGNATURE_HEADER: "v1,ü" + h[SIGNATURE_HEADER][4:]}, b),
    ],
)
def test_bad_signature_is_401(verifier, clock, tamper):
    headers, body = tamper(sign(SECRET, BODY, "evt-2", timestamp=int(clock.now)), BODY)
    result = verifier.verify(headers, body)
    assert result.verdict is Verdict.BAD_SIGNATURE and result.http_status == 401


def test_signature_with_another_secret_is_401(verifier, clock):
    result = verifier.verify(sign("other-secret", BODY, "evt-3", int(clock.now)), BODY)
    assert result.verdict is Verdict.BAD_SIGNATURE


@pytest.mark.parametrize("offset", [-301, 301, -10_000])
def test_timestamp_outside_300_seconds_either_way_is_stale(verifier, clock, offset):
    result = verifier.verify(sign(SECRET, BODY, "evt-4", int(clock.now) + offset), BODY)
    assert result.verdict is Verdict.STALE and result.http_status == 401


@pytest.mark.parametrize("offset", [-300, 300])
def test_timestamp_at_the_window_edge_is_accepted(verifier, clock, offset):
    assert verifier.verify(sign(SECRET, BODY, f"evt-{offset}", int(clock.now) + offset), BODY).ok


def test_stale_or_bad_deliveries_do_not_burn_the_event_id(verifier, clock):
    verifier.verify(sign("wrong", BODY, "evt-5", int(clock.now)), BODY)
    verifier.verify(sign(SECRET, BODY, "evt-5", int(clock.now) - 1000), BODY)
    assert verifier.verify(sign(SECRET, BODY, "evt-5", int(clock.now)), BODY).ok


def test_oversized_body_is_413_before_anything_else(verifier, clock):
    big = b"x" * 1025
    assert verifier.verify(sign(SECRET, big, "evt-6", int(clock.now)), big).http_status == 413
    assert verifier.verify({}, b"", content_length=10**9).verdict is Verdict.TOO_LARGE


def test_secret_rotation(clock):
    verifier = WebhookVerifier(["new-secret", "old-secret"], clock=clock)
    assert verifier.verify(sign("old-secret", BODY, "a", int(clock.now)), BODY).ok
    assert verifier.verify(sign("new-secret", BODY, "b", int(clock.now)), BODY).ok
    headers = sign("new-secret", BODY, "c", int(clock.now))
    headers[SIGNATURE_HEADER] = "v1," + "f" * 43 + "= " + headers[SIGNATURE_HEADER]
    assert verifier.verify(headers, BODY).ok
    # a sender rotating its secret signs with both: one header, two signatures
    both = sign(["unknown-new", "old-secret"], BODY, "d", int(clock.now))
    assert len(both[SIGNATURE_HEADER].split()) == 2 and verifier.verify(both, BODY).ok


def test_seen_store_expires_and_forgets(clock):
    store = InMemorySeenStore(clock)
    assert store.remember("e", ttl=10) and not store.remember("e", ttl=10)
    clock.now += 11
    assert store.remember("e", ttl=10)
    store.forget("e")
    assert "e" not in store and store.remember("e", ttl=10)


# --- over HTTP: the simulator's emitter against a WSGI endpoint using the verifier ------------
def test_replayed_event_is_processed_once_even_in_parallel(sim, webhook_receiver):
    receiver, url = webhook_receiver
    event = {"type": "workorder.updated", "data": {"wonum": "1001", "status": "INPRG"}}
    statuses = sim.emit_webhook(url, SECRET, event, repeat=8, parallel=4)
    assert statuses == [200] * 8
    assert len(receiver.processed) == 1
    assert receiver.processed[0]["data"]["status"] == "INPRG"
    assert receiver.verdicts.count("replay") == 7


def test_bad_signature_and_stale_timestamp_are_401_over_http(sim, webhook_receiver):
    receiver, url = webhook_receiver
    assert sim.emit_webhook(url, "not-the-secret", {"type": "x"}) == [401]
    assert sim.emit_webhook(url, SECRET, {"type": "x"}, timestamp=int(time.time()) - 3600) == [401]
    assert receiver.processed == []


def test_oversized_body_is_413_over_http(webhook_receiver):
    receiver, url = webhook_receiver
    body = json.dumps({"type": "x", "data": "y" * 10_000}).encode()
    response = requests.post(url, data=body, headers=sign(SECRET, body, "big"), timeout=10)
    assert response.status_code == 413 and receiver.processed == []


class EndlessStream:
    """A request body that never ends (a chunked upload without its last chunk)."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        assert 0 < size <= 64 * 1024, "bounded reads only"
        self.read_bytes += size
        return b"x" * size


def test_read_body_is_bounded_without_content_length():
    stream = EndlessStream()
    assert read_body(stream, 1000) is None
    assert stream.read_bytes == 1001, "stops one byte past the limit"
    assert read_body(io.BytesIO(BODY), len(BODY)) == BODY
    assert read_body(io.BytesIO(b"x" * 200_000), 200_000) == b"x" * 200_000
    assert WebhookVerifier(SECRET).verify({}, None).verdict is Verdict.TOO_LARGE


def test_chunked_upload_within_the_limit_is_verified(webhook_receiver):
    receiver, url = webhook_receiver
    headers = {"Content-Type": "application/json", **sign(SECRET, BODY, "evt-chunked")}
    chunks = iter([BODY[:10], BODY[10:]])  # a generator body: Transfer-Encoding: chunked
    response = requests.post(url, data=chunks, headers=headers, timeout=10)
    assert response.status_code == 200 and receiver.processed == [json.loads(BODY)]


def test_endless_chunked_upload_is_413_before_it_ends(webhook_receiver):
    receiver, url = webhook_receiver
    delivery = post_chunked(url, sign(SECRET, b"", "evt-endless"), give_up_after=32 * 2**20)
    assert delivery.status == 413
    assert not delivery.finished, "answered while the upload was still going"
    assert receiver.processed == []


def test_simulator_emits_signed_events_on_changes(sim, webhook_receiver):
    receiver, url = webhook_receiver
    sim.configure_webhook(url, SECRET)
    record = sim.store.add_workorder(description="from the CMMS")
    deadline = time.monotonic() + 10
    while not receiver.processed and time.monotonic() < deadline:
        time.sleep(0.02)
    assert receiver.processed[0]["type"] == "workorder.created"
    assert receiver.processed[0]["data"]["wonum"] == record["wonum"]
