# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Signed CMMS webhooks: ``POST /plant_sync/cmms/<backend id>/webhook``.

No session and no CSRF token: the Standard Webhooks HMAC signature (``plant_sync.webhooks``:
``webhook-id``, ``webhook-timestamp``, ``webhook-signature`` over ``id.timestamp.body``, keyed with
the backend's encrypted webhook secret) is the only credential. The controller reads the body in
bounded chunks (also without Content-Length), verifies, de-duplicates the signed ``webhook-id`` in
the database, enqueues one inbound message (its job fetches and imports the work order) and
answers at once: 202 accepted, 200 replay, 401 bad signature / stale timestamp, 413 too large, 404
unknown backend or webhook not enabled. The former ``X-PlantSync-*`` headers are not accepted
(their signature did not cover the event id).
"""

import json
import logging

from odoo import SUPERUSER_ID, http
from odoo.http import request

from plant_sync.errors import ProtocolError
from plant_sync.httpbody import parse_json
from plant_sync.webhooks import Verdict, WebhookVerifier, read_body

from ..models.cmms_webhook_event import SeenStore
from ..models.plant_sync_backend import CMMS_KINDS

_logger = logging.getLogger(__name__)


def _answer(http_status, **body):
    return request.make_response(
        json.dumps(body),
        headers=[("Content-Type", "application/json"), ("Cache-Control", "no-store")],
        status=http_status,
    )


class CmmsWebhookController(http.Controller):
    @http.route(
        "/plant_sync/cmms/<int:backend_id>/webhook",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def cmms_webhook(self, backend_id, **_kwargs):
        env = request.env(user=SUPERUSER_ID) if request.env else None
        if env is None:
            return _answer(404, status="unknown")
        backend = env["plant.sync.backend"].sudo().browse(backend_id).exists()
        flow = backend and env["plant.sync.flow"].sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("code", "=", "cmms_webhook"),
                ("enabled", "=", True),
            ],
            limit=1,
        )
        if not backend or not backend.active or backend.kind not in CMMS_KINDS or not flow:
            return _answer(404, status="unknown")
        secrets = backend._cmms_webhook_secrets()
        if not secrets:
            return _answer(404, status="unknown")
        httprequest = request.httprequest
        max_body = backend.cmms_webhook_max_body or 1024 * 1024
        store = SeenStore(env, backend.id)
        try:
            verifier = WebhookVerifier(
                secrets, store, tolerance=backend.cmms_webhook_tolerance or 300, max_body=max_body
            )
        except ValueError as exc:  # a "whsec_" key that is not Base64
            _logger.warning("CMMS webhook secret of backend %s is unusable: %s", backend.id, exc)
            return _answer(404, status="unknown")
        length = httprequest.content_length
        if length is not None and length > max_body:
            result = verifier.verify(httprequest.headers, b"", content_length=length)
            self._discard_body(httprequest, length)
        else:
            body = self._read_body(httprequest, max_body)  # None when over the cap
            result = verifier.verify(httprequest.headers, body)
        if result.verdict is Verdict.REPLAY:
            return _answer(200, status="replay", event=result.event_id)
        if not result.ok:
            _logger.info(
                "CMMS webhook for backend %s refused: %s", backend.id, result.verdict.value
            )
            return _answer(result.http_status, status=result.verdict.value)
        try:
            event = parse_json(body, "webhook body")  # also refuses nesting that is too deep
        except ProtocolError:
            event = None
        if not isinstance(event, dict):
            request.env.cr.rollback()  # forget the event id: the sender may send it right
            return _answer(400, status="invalid", reason="the body is not a JSON object")
        event.setdefault("id", result.event_id)
        message = env["plant.sync.message"]._enqueue(
            flow,
            None,
            event,
            key_parts=("event", result.event_id),
            direction="inbound",
        )
        store.record.write(
            {"event_type": str(event.get("type") or "")[:64], "message_id": message[:1].id}
        )
        return _answer(202, status="accepted", event=result.event_id, message=message[:1].id)

    @staticmethod
    def _read_body(httprequest, max_body):
        """The body read in bounded chunks - also without Content-Length (chunked upload) -
        or None as soon as it exceeds ``max_body``. Odoo's request wrapper does not expose the
        werkzeug ``stream`` (a LimitedStream with Content-Length, the de-chunked socket stream
        without). The body is kept on the request: when Odoo retries the request after a
        serialization failure (concurrent delivery of one event), the stream is already read."""
        body = getattr(httprequest, "_plant_sync_webhook_body", None)
        if body is None:
            wrapped = getattr(httprequest, "_HTTPRequest__wrapped", httprequest)
            body = read_body(wrapped.stream, max_body)
            httprequest._plant_sync_webhook_body = body
        return body

    @staticmethod
    def _discard_body(httprequest, length, limit=8 * 1024 * 1024):
        """Drain an oversized body (up to ``limit``, then dropped) so that the client, still
        sending, reads the 413 instead of a connection reset. The verdict was given from the
        Content-Length before this; the bytes are not kept. Larger bodies are not read at
        all (the connection is closed on them)."""
        if length <= limit:
            httprequest.get_data(cache=False)
