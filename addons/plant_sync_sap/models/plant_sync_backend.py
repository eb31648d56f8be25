# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import dataclasses
import hashlib
import threading

from odoo import api, fields, models
from odoo.exceptions import UserError

ADMIN = "plant_sync_base.group_plant_sync_admin"
SAP_KINDS = ("sap_odata", "sap_rfc")

#: OData clients kept per worker thread between jobs: the next message of the same backend
#: reuses the HTTP session (keep-alive, SAP session cookie) and its CSRF token instead of
#: fetching a token before every modifying call. A client is taken out while in use and put
#: back unless its session may be broken; any change of the settings makes a new key.
_POOL = threading.local()


def _session_survives(error):
    """After a call that went well, or an error SAP answered over a sound connection (busy,
    rate limited, locked, refused the data), the session and its CSRF token are still good; a
    dropped connection, a timeout, an expired token, a logon or protocol error start afresh."""
    if error is None:
        return True
    from plant_sync import errors  # noqa: PLC0415

    answered = (
        errors.ServiceUnavailable,  # 503, 429
        errors.LockConflict,
        errors.ValidationError,
        errors.BusinessRuleError,
        errors.NotFound,
        errors.ConcurrentModification,
    )
    return isinstance(error, answered)


def _pool():
    if not hasattr(_POOL, "idle"):
        _POOL.idle, _POOL.busy = {}, {}
    return _POOL


class PlantSyncBackend(models.Model):
    _inherit = "plant.sync.backend"

    #: the OAuth2 client secret of the OData transport is one more write-only encrypted secret
    _secret_fields = {"oauth_client_secret": "oauth_client_secret_encrypted"}

    kind = fields.Selection(
        selection_add=[("sap_odata", "SAP OData (Gateway)"), ("sap_rfc", "SAP RFC/BAPI")],
        ondelete=dict.fromkeys(SAP_KINDS, "cascade"),
    )
    is_sap = fields.Boolean(compute="_compute_is_sap", string="Is SAP")
    sap_client = fields.Char(string="SAP Client", size=3)
    sap_language = fields.Char(string="SAP Language", size=2)
    auth_type = fields.Selection(
        [("basic", "Basic"), ("oauth2", "OAuth2 client credentials")],
        string="SAP Authentication",
        default="basic",
        help="OData: HTTP Basic with the user and password, or an OAuth2 client-credentials "
        "token. RFC always logs on with the user and password.",
    )
    oauth_token_url = fields.Char(string="OAuth Token URL")
    oauth_client_id = fields.Char(string="OAuth Client ID")
    oauth_scope = fields.Char(string="OAuth Scope")
    oauth_client_secret = fields.Char(
        string="OAuth Client Secret",
        compute="_compute_secret_inputs",
        inverse="_inverse_oauth_client_secret",
        groups=ADMIN,
    )
    oauth_client_secret_encrypted = fields.Char(groups=ADMIN, copy=False, prefetch=False)
    oauth_client_secret_set = fields.Boolean(compute="_compute_secret_status", compute_sudo=True)
    rfc_ashost = fields.Char(string="RFC Application Server")
    rfc_sysnr = fields.Char(string="RFC System Number", size=2)
    rfc_client = fields.Char(string="RFC Client", size=3)
    rfc_user = fields.Char(string="RFC User")
    rfc_saprouter = fields.Char(string="SAProuter String")

    @api.depends("kind")
    def _compute_is_sap(self):
        for backend in self:
            backend.is_sap = backend.kind in SAP_KINDS

    def _inverse_oauth_client_secret(self):
        self._set_secret("oauth_client_secret")

    @api.constrains("oauth_token_url")
    def _check_sap_urls(self):
        self._check_url_fields(["oauth_token_url"])

    def _job_channel(self):
        if self.kind in SAP_KINDS:
            # the channel record is declared by plant_sync_base (kept there for upgrades)
            xmlid = "plant_sync_base.channel_plant_sync_sap"
            channel = self.env.ref(xmlid, raise_if_not_found=False)
            return channel or super()._job_channel()
        return super()._job_channel()

    def _system_label(self):
        self.ensure_one()
        return "SAP" if self.kind in SAP_KINDS else super()._system_label()

    # ---------------------------------------------------------------------------------------
    # the plant_sync.sap client
    # ---------------------------------------------------------------------------------------
    def _sap_connection_values(self, transport):
        """Settings for ``plant_sync.sap.config.SapConnectionConfig`` (secrets decrypted)."""
        self.ensure_one()
        backend = self.sudo()
        values = {
            "transport": transport,
            "base_url": backend.base_url and backend._check_endpoint(backend.base_url) or "",
            "client": backend.sap_client or "",
            "language": backend.sap_language or "",
            "user": backend.username or "",
            "password": backend._get_secret("password"),
            "auth": "oauth2" if backend.auth_type == "oauth2" else "basic",
            "oauth_token_url": backend.oauth_token_url or "",
            "oauth_client_id": backend.oauth_client_id or "",
            "oauth_client_secret": backend._get_secret("oauth_client_secret"),
            "oauth_scope": backend.oauth_scope or "",
            "connect_timeout": backend.connect_timeout or 5.0,
            "read_timeout": backend.read_timeout or 60.0,
            "verify": backend.verify_tls,
            "allow_loopback": backend.allow_loopback,
            "allow_http": backend.allow_loopback,
            # one attempt per call: the job retries (queue_job's retry pattern), not the library
            "max_attempts": 1,
        }
        if transport == "rfc":
            params = {
                "ashost": backend.rfc_ashost or "",
                "sysnr": backend.rfc_sysnr or "",
                "client": backend.rfc_client or backend.sap_client or "",
                "user": backend.rfc_user or backend.username or "",
                "passwd": backend._get_secret("password"),
                "lang": backend.sap_language or "",
                "saprouter": backend.rfc_saprouter or "",
            }
            values["rfc_params"] = {k: v for k, v in params.items() if v}
            factory = backend._sap_rfc_connection_factory()
            if factory is not None:
                values["connection_factory"] = factory
        values.update(backend._sap_connection_overrides(transport))
        return values

    def _sap_rfc_connection_factory(self):
        """Hook: a callable without arguments returning a pyrfc-compatible connection for the
        RFC transport (``call(name, **params)``, ``close()``), or None (default) to open pyrfc
        connections with the backend's RFC settings. Override it in an addon that reaches SAP
        another way (e.g. an RFC gateway), or in tests with ``patch.object`` pointing at the SAP
        simulator's ``rfc_connection``."""
        self.ensure_one()

    def _sap_connection_overrides(self, transport):
        """Hook: extra ``SapConnectionConfig`` settings for ``transport`` (e.g. retry
        ``backoff``/``max_retry_after``, ``service_paths``, ``rfc_page_size``) applied over the
        backend's values; none by default. Unknown keys are ignored."""
        self.ensure_one()
        return {}

    def _make_sap_service(self, transport, values=None):
        try:
            from plant_sync.sap import config as sap_config  # noqa: PLC0415
            from plant_sync.sap import service as sap_service  # noqa: PLC0415
        except ImportError:
            raise UserError(
                self.env._("The SAP client library (plant_sync.sap) is not installed.")
            ) from None
        cls = sap_config.SapConnectionConfig
        known = {f.name for f in dataclasses.fields(cls)}
        values = values or self._sap_connection_values(transport)
        config = cls(**{k: v for k, v in values.items() if k in known})
        return sap_service.make_sap_service(config)

    def _get_client_sap_odata(self):
        values = self._sap_connection_values("odata")
        settings = hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()
        key = (self.env.cr.dbname, self.id, settings)
        pool = _pool()
        client = pool.idle.pop(key, None) or self._make_sap_service("odata", values)
        pool.busy[id(client)] = (key, client)  # holding it keeps its id() unique meanwhile
        return client

    def _release_client(self, client, error=None, reuse=True):
        key, _client = _pool().busy.pop(id(client), (None, None))
        if key is None or not reuse or not _session_survives(error):
            super()._release_client(client, error=error, reuse=False)
            return
        idle = _pool().idle
        for stale in [k for k in idle if k[:2] == key[:2]]:  # settings changed since
            idle.pop(stale).close()
        idle[key] = client

    def _get_client_sap_rfc(self):
        return self._make_sap_service("rfc")

    def _connection_probe(self, client):
        """SAP services have no ping: a notification look-up that finds nothing proves
        reachability and logon."""
        if self.kind not in SAP_KINDS:
            return super()._connection_probe(client)
        client.find_notification_by_reference("PLANTSYNCPING")
        return {
            "transport": getattr(client, "transport", self.kind),
            "probe": "notification look-up answered",
            "client": self.sap_client or "default",
            "user": self.username or "",
        }
