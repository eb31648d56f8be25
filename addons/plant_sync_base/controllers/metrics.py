# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""``/metrics``: the integration's numbers in Prometheus' text format, for the monitoring stack
a site already runs (``/plant_sync/metrics`` is the same page, for sites where another module
serves ``/metrics``).

* **Token**: ``Authorization: Bearer <token>``; the token is set in Settings and stored as its
  SHA-256, compared in constant time. No token, a wrong one, or none configured: 401.
* **Database**: the one Odoo chose for the request (``auth='none'`` routes exist only in a
  database's routing map): the only database, the one the ``dbfilter`` selects for the host
  name, or the session's. A ``db`` parameter never switches database: like ``ensure_db`` it
  must pass ``http.db_filter`` and name that database, else 404. On a server with several
  databases, give the monitoring host name its database with ``dbfilter`` (e.g. ``^%d$``).
* **Registry**: a new ``CollectorRegistry`` per request, never the process-wide one.
"""

import logging

from odoo import SUPERUSER_ID, http
from odoo.http import request
from werkzeug.exceptions import NotFound

_logger = logging.getLogger(__name__)


def bearer_token(httprequest):
    scheme, _sep, token = (httprequest.headers.get("Authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class PlantSyncMetricsController(http.Controller):
    @http.route(
        ["/metrics", "/plant_sync/metrics"],
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def plant_sync_metrics(self, db=None, **kwargs):
        if not request.db or (db and (db != request.db or not http.db_filter([db]))):
            raise NotFound()
        Snapshot = request.env(user=SUPERUSER_ID)["plant.sync.metric.snapshot"]
        if not Snapshot._metrics_token_matches(bearer_token(request.httprequest)):
            _logger.info("plant_sync: /metrics refused (no or wrong token)")
            return request.make_response(
                "401 Unauthorized: a bearer token is required\n",
                headers=[
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("WWW-Authenticate", 'Bearer realm="plant_sync"'),
                ],
                status=401,
            )
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest  # noqa: PLC0415

        body = generate_latest(Snapshot._prometheus_registry())
        return request.make_response(
            body, headers=[("Content-Type", CONTENT_TYPE_LATEST), ("Cache-Control", "no-store")]
        )
