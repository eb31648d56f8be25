# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from plant_sync.errors import ConfigurationError

ADMIN = "plant_sync_base.group_plant_sync_admin"
CMMS_KINDS = ("cmms_maximo", "cmms_soap", "cmms_rest")
#: settings the administrator may give in the JSON fields per kind (library dataclass fields)
JSON_OBJECT_FIELDS = ("cmms_rest_field_map", "cmms_soap_field_map", "cmms_extra_config")


class PlantSyncBackend(models.Model):
    _inherit = "plant.sync.backend"

    #: the REST signing secret is one more write-only encrypted secret. The webhook HMAC secret
    #: is the base's ``hmac_key``.
    _secret_fields = {"cmms_signing_secret": "cmms_signing_secret_encrypted"}

    kind = fields.Selection(
        selection_add=[
            ("cmms_maximo", "CMMS: IBM Maximo (JSON API)"),
            ("cmms_soap", "CMMS: SOAP web service (WSDL)"),
            ("cmms_rest", "CMMS: generic REST API"),
        ],
        ondelete=dict.fromkeys(CMMS_KINDS, "cascade"),
    )
    is_cmms = fields.Boolean(compute="_compute_is_cmms", string="Is a CMMS")
    # --- shared ---------------------------------------------------------------------------
    cmms_site_id = fields.Char(
        string="CMMS Site", help="Site (Maximo SITEID) the work orders are read from/written to."
    )
    cmms_page_size = fields.Integer(
        string="Page Size", default=100, help="Records per page asked from the CMMS."
    )
    cmms_pull_chunk = fields.Integer(
        string="Work Orders per Pull Job",
        default=500,
        help="A pull job stops after this many work orders and continues in a new job from the "
        "last change date (each job commits on its own).",
    )
    cmms_create_equipment = fields.Boolean(
        string="Create Unknown Equipment",
        default=True,
        help="Create an Odoo equipment for a CMMS asset that has no crosswalk yet (otherwise the "
        "work order waits for an equipment mapping).",
    )
    cmms_team_id = fields.Many2one(
        "maintenance.team",
        string="Default Maintenance Team",
        check_company=True,
        help="Team of requests created from CMMS work orders (default: the company's first).",
    )
    # --- Maximo JSON API --------------------------------------------------------------------
    cmms_maximo_auth = fields.Selection(
        [
            ("apikey", "API key (header apikey)"),
            ("maxauth", "Native (maxauth)"),
            ("basic", "HTTP Basic (LDAP)"),
        ],
        string="Maximo Authentication",
        default="apikey",
    )
    cmms_maximo_route = fields.Selection(
        [("api", "api (API key route)"), ("oslc", "oslc (session route)")],
        string="Maximo API Route",
        default="api",
    )
    cmms_workorder_os = fields.Char(string="Work Order Object Structure", default="mxapiwodetail")
    cmms_asset_os = fields.Char(string="Asset Object Structure", default="mxapiasset")
    # --- SOAP -------------------------------------------------------------------------------
    cmms_wsdl_url = fields.Char(
        string="WSDL URL", help="https://host/meaweb/services/MXWODETAIL?wsdl"
    )
    cmms_wsdl_file = fields.Char(
        string="WSDL File (server path)",
        groups=ADMIN,
        help="A WSDL stored on the Odoo server, used instead of the URL. Only its own folder "
        "may be read by the schema imports.",
    )
    cmms_soap_endpoint = fields.Char(
        string="SOAP Endpoint", help="Overrides the address of the WSDL service (optional)."
    )
    cmms_soap_object_structure = fields.Char(
        string="Object Structure",
        default="MXWODETAIL",
        help="Maximo MIF object structure of the service; operations default to "
        "Query/Create/Update<OS>.",
    )
    cmms_soap_query_operation = fields.Char(string="Query Operation")
    cmms_soap_create_operation = fields.Char(string="Create Operation")
    cmms_soap_update_operation = fields.Char(string="Update Operation")
    cmms_soap_field_map = fields.Text(
        string="SOAP Field Paths (JSON)",
        help='Normalized field -> element path in one record, e.g. {"status": "STATUS"}. '
        "Merged over the Maximo MIF defaults.",
    )
    # --- generic REST -----------------------------------------------------------------------
    cmms_rest_list_path = fields.Char(string="List Path", default="/workorders")
    cmms_rest_get_path = fields.Char(string="Get Path", default="/workorders/{id}")
    cmms_rest_create_path = fields.Char(string="Create Path", default="/workorders")
    cmms_rest_update_path = fields.Char(string="Update Path", default="/workorders/{id}")
    cmms_rest_auth = fields.Selection(
        [
            ("none", "None"),
            ("api_key", "API key header"),
            ("bearer", "Bearer token"),
            ("basic", "HTTP Basic"),
        ],
        string="REST Authentication",
        default="api_key",
    )
    cmms_rest_auth_header = fields.Char(string="API Key Header", default="X-Api-Key")
    cmms_rest_field_map = fields.Text(
        string="REST Field Mapping (JSON)",
        help='Normalized field -> dotted path in one record, e.g. {"external_id": "id", '
        '"status": "attributes.status.code"}. "external_id" is required.',
    )
    cmms_signing_secret = fields.Char(
        string="Request Signing Secret",
        compute="_compute_secret_inputs",
        inverse="_inverse_cmms_signing_secret",
        groups=ADMIN,
        help="REST: HMAC-SHA256 request signing secret (Fiix style), when the API wants it.",
    )
    cmms_signing_secret_encrypted = fields.Char(groups=ADMIN, copy=False, prefetch=False)
    cmms_signing_secret_set = fields.Boolean(compute="_compute_secret_status", compute_sudo=True)
    cmms_extra_config = fields.Text(
        string="Advanced Settings (JSON)",
        groups=ADMIN,
        help="Documented advanced settings of the library configuration of this kind "
        "(pagination, record paths, request templates, timeouts...), e.g. "
        '{"pagination": {"style": "cursor", "page_size": 50}}. The endpoint, credentials, TLS '
        "verification, plain http and local WSDL files cannot be set here.",
    )
    # --- webhook ----------------------------------------------------------------------------
    cmms_webhook_url = fields.Char(
        string="Webhook URL", compute="_compute_cmms_webhook_url", help="Give this to the CMMS."
    )
    cmms_webhook_tolerance = fields.Integer(
        string="Webhook Time Window (s)",
        default=300,
        help="Deliveries whose timestamp differs more from our clock are refused (401).",
    )
    cmms_webhook_max_body = fields.Integer(string="Webhook Max Body (bytes)", default=1024 * 1024)
    cmms_webhook_event_count = fields.Integer(compute="_compute_cmms_webhook_event_count")

    _sql_constraints = [
        (
            "cmms_page_size_range",
            "CHECK (cmms_page_size IS NULL OR (cmms_page_size BETWEEN 1 AND 1000))",
            "The CMMS page size must be between 1 and 1000.",
        ),
        (
            "cmms_webhook_max_body_positive",
            "CHECK (cmms_webhook_max_body IS NULL OR cmms_webhook_max_body > 0)",
            "The webhook body limit must be positive.",
        ),
    ]

    @api.depends("kind")
    def _compute_is_cmms(self):
        for backend in self:
            backend.is_cmms = backend.kind in CMMS_KINDS

    def _job_channel(self):
        if self.kind in CMMS_KINDS:
            # the channel record is declared by plant_sync_base (kept there for upgrades)
            xmlid = "plant_sync_base.channel_plant_sync_cmms"
            channel = self.env.ref(xmlid, raise_if_not_found=False)
            return channel or super()._job_channel()
        return super()._job_channel()

    def _system_label(self):
        self.ensure_one()
        return "CMMS" if self.kind in CMMS_KINDS else super()._system_label()

    def _compute_cmms_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for backend in self:
            backend.cmms_webhook_url = (
                f"{base}/plant_sync/cmms/{backend.id}/webhook"
                if backend.id and backend.kind in CMMS_KINDS
                else False
            )

    def _compute_cmms_webhook_event_count(self):
        counts = {}
        if self.ids:
            counts = dict(
                self.env["cmms.webhook.event"]._read_group(
                    [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
                )
            )
        for backend in self:
            backend.cmms_webhook_event_count = counts.get(backend, 0)

    def _inverse_cmms_signing_secret(self):
        self._set_secret("cmms_signing_secret")

    # ---------------------------------------------------------------------------------------
    # configuration -> library config
    # ---------------------------------------------------------------------------------------
    @api.constrains(
        "kind",
        "cmms_rest_field_map",
        "cmms_soap_field_map",
        "cmms_extra_config",
        "cmms_wsdl_url",
        "cmms_soap_endpoint",
    )
    def _check_cmms_config(self):
        for backend in self.sudo().filtered(lambda b: b.kind in CMMS_KINDS):
            for name in JSON_OBJECT_FIELDS:
                backend._cmms_json(name)
            for url in (backend.cmms_wsdl_url, backend.cmms_soap_endpoint):
                if url:
                    try:
                        backend._check_endpoint(url, resolve=False)
                    except ConfigurationError as exc:
                        raise ValidationError(exc.message) from None
            try:
                backend._cmms_config_dict(with_secrets=False)
            except ConfigurationError as exc:
                raise ValidationError(
                    self.env._(
                        "Invalid CMMS configuration of %(backend)s: %(error)s",
                        backend=backend.display_name,
                        error=exc.message,
                    )
                ) from None

    def _cmms_json(self, name):
        """Parsed JSON object of field ``name`` ({} when empty); ValidationError otherwise."""
        self.ensure_one()
        text = (self[name] or "").strip()
        if not text:
            return {}
        label = self._fields[name].get_description(self.env)["string"]
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ValidationError(
                self.env._("%(field)s is not valid JSON: %(error)s", field=label, error=exc)
            ) from None
        if not isinstance(value, dict):
            raise ValidationError(
                self.env._("%(field)s must be a JSON object ({...}).", field=label)
            )
        if name.endswith("_field_map") and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ValidationError(
                self.env._("%(field)s maps field names to path strings.", field=label)
            )
        return value

    def _cmms_http_settings(self):
        self.ensure_one()
        backend = self.sudo()
        hosts = ()
        if backend.allow_loopback:
            hosts = tuple(
                {
                    urlsplit(url).hostname
                    for url in (backend.base_url, backend.cmms_wsdl_url, backend.cmms_soap_endpoint)
                    if url and urlsplit(url).hostname
                }
            )
        return {
            "connect_timeout": backend.connect_timeout or 5.0,
            "read_timeout": backend.read_timeout or 60.0,
            "verify_tls": backend.verify_tls,
            "allow_http": backend.allow_loopback,
            "allow_loopback_hosts": list(hosts),
        }

    def _cmms_config_dict(self, with_secrets=True):
        """Plain data for :func:`plant_sync.cmms.config_from_dict`. Raises ConfigurationError
        when the library refuses it. Without secrets (validation on save) placeholders stand in
        for them."""
        self.ensure_one()
        backend = self.sudo()

        def secret(name):
            if not with_secrets:
                return "validation-placeholder"
            return backend._get_secret(name)

        http = backend._cmms_http_settings()
        page_size = backend.cmms_page_size or 100
        base_url = backend.base_url or ""
        if backend.kind == "cmms_maximo":
            data = {
                "kind": "maximo",
                "base_url": base_url or "https://maximo.invalid/maximo",
                "auth": backend.cmms_maximo_auth or "apikey",
                "api_route": backend.cmms_maximo_route or "api",
                "site_id": backend.cmms_site_id or "",
                "workorder_os": backend.cmms_workorder_os or "mxapiwodetail",
                "asset_os": backend.cmms_asset_os or "mxapiasset",
                "page_size": page_size,
                "http": http,
            }
            if data["auth"] == "apikey":
                data["api_key"] = secret("api_key")
            else:
                data.update(username=backend.username or "", password=secret("password"))
        elif backend.kind == "cmms_soap":
            from plant_sync.cmms.soap import maximo_mif_config  # noqa: PLC0415

            wsdl = backend.cmms_wsdl_file or backend.cmms_wsdl_url or ""
            defaults = maximo_mif_config(
                wsdl or "https://cmms.invalid/service?wsdl",
                object_structure=backend.cmms_soap_object_structure or "MXWODETAIL",
                site_id=backend.cmms_site_id or "",
            )
            data = {
                "kind": "soap",
                "wsdl": defaults.wsdl,
                "query": {"name": backend.cmms_soap_query_operation or defaults.query.name},
                "create": {"name": backend.cmms_soap_create_operation or defaults.create.name},
                "update": {"name": backend.cmms_soap_update_operation or defaults.update.name},
                "fields": {**defaults.fields, **backend._cmms_json("cmms_soap_field_map")},
                "page_size": page_size,
                "endpoint": backend.cmms_soap_endpoint or "",
                "http": http,
            }
            for name in (
                "record_path",
                "create_path",
                "update_path",
                "create_id_path",
                "total_path",
                "query_by_id",
                "query_changed_since",
                "query_all",
                "labour_path",
                "labour_fields",
                "failure_path",
                "failure_fields",
                "failure_types",
                "site_id",
            ):
                data[name] = getattr(defaults, name)
            if backend.username:
                data.update(username=backend.username, password=secret("password"))
        elif backend.kind == "cmms_rest":
            auth = {"kind": backend.cmms_rest_auth or "none"}
            if auth["kind"] in ("api_key", "bearer"):
                auth.update(header=backend.cmms_rest_auth_header or "X-Api-Key")
                auth["token"] = secret("api_key")
            elif auth["kind"] == "basic":
                auth.update(username=backend.username or "", password=secret("password"))
            data = {
                "kind": "rest",
                "base_url": base_url or "https://cmms.invalid/api",
                "list_path": backend.cmms_rest_list_path or "/workorders",
                "get_path": backend.cmms_rest_get_path or "/workorders/{id}",
                "create_path": backend.cmms_rest_create_path or "/workorders",
                "update_path": backend.cmms_rest_update_path or "/workorders/{id}",
                "field_map": backend._cmms_json("cmms_rest_field_map"),
                "auth": auth,
                "pagination": {"page_size": page_size},
                "http": http,
            }
            signing = not with_secrets or backend.cmms_signing_secret_encrypted
            if signing and with_secrets:
                data["signing"] = {"secret": secret("cmms_signing_secret")}
        else:
            raise ConfigurationError(f"{backend.kind} is not a CMMS backend kind")
        from plant_sync.cmms.config import config_from_dict, merge_extra_config  # noqa: PLC0415

        # only documented advanced settings; never host, TLS, plain http or local WSDL paths
        data = merge_extra_config(data, backend._cmms_json("cmms_extra_config"))
        config_from_dict(data)  # raises ConfigurationError when the library refuses it
        return data

    def _cmms_client(self):
        from plant_sync.cmms import make_client  # noqa: PLC0415

        self.ensure_one()
        backend = self.sudo()
        if backend.base_url:
            backend._check_endpoint(backend.base_url)
        return make_client(backend._cmms_config_dict())

    def _get_client_cmms_maximo(self):
        return self._cmms_client()

    def _get_client_cmms_soap(self):
        return self._cmms_client()

    def _get_client_cmms_rest(self):
        return self._cmms_client()

    # ---------------------------------------------------------------------------------------
    # helpers and actions
    # ---------------------------------------------------------------------------------------
    def _cmms_webhook_secrets(self):
        """The webhook HMAC secret(s): the base's encrypted ``hmac_key``."""
        self.ensure_one()
        secret = self.sudo()._get_secret("hmac_key")
        return [secret] if secret else []

    def action_cmms_setup_flows(self):
        """Create the CMMS flows of this backend (disabled; an administrator enables them)."""
        self.check_access("write")
        Flow = self.env["plant.sync.flow"].sudo()
        for backend in self.filtered(lambda b: b.kind in CMMS_KINDS):
            existing = set(backend.flow_ids.mapped("code"))
            vals = []
            for sequence, (code, mode) in enumerate(
                [
                    ("cmms_wo_pull", "batch"),
                    ("cmms_wo_push", "realtime"),
                    ("cmms_asset_pull", "batch"),
                    ("cmms_webhook", "realtime"),
                ]
            ):
                if code not in existing:
                    flow_vals = {
                        "backend_id": backend.id,
                        "code": code,
                        "mode": mode,
                        "sequence": 10 * (sequence + 1),
                        "enabled": False,
                    }
                    channel = code == "cmms_webhook" and self.env.ref(
                        "cmms_connector.channel_plant_sync_cmms_webhook", raise_if_not_found=False
                    )
                    if channel:
                        flow_vals["channel_id"] = channel.id
                    vals.append(flow_vals)
            Flow.create(vals)
        return True

    def action_open_cmms_webhook_events(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cmms_connector.action_cmms_webhook_event"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        return action
