# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.0.1: the SAP kinds and settings of ``plant.sync.backend`` moved to ``plant_sync_sap``.

They keep their columns in the same table. When ``plant_sync_sap`` is loaded in the same run
(upgrading ``maintenance_sap_bridge`` or ``stock_sap_sync`` installs it, they depend on it), Odoo
hands the fields over by itself. Upgrading this addon alone would drop the columns of the fields it
no longer defines: when SAP backends exist, their external ids go to ``plant_sync_sap`` first, so
the settings stay until it is installed.
"""

MODEL = "plant_sync_backend"
FIELDS = (
    "sap_client",
    "sap_language",
    "auth_type",
    "oauth_token_url",
    "oauth_client_id",
    "oauth_scope",
    "oauth_client_secret",
    "oauth_client_secret_encrypted",
    "oauth_client_secret_set",
    "rfc_ashost",
    "rfc_sysnr",
    "rfc_client",
    "rfc_user",
    "rfc_saprouter",
)
SELECTIONS = (
    ("kind", "sap_odata"),
    ("kind", "sap_rfc"),
    ("auth_type", "basic"),
    ("auth_type", "oauth2"),
)


def migrate(cr, version):
    if not version:
        return
    # the API key value is gone: SAP logs on with the password unless OAuth2 is chosen
    cr.execute("UPDATE plant_sync_backend SET auth_type = 'basic' WHERE auth_type = 'api_key'")
    # not required any more (meaningless for other kinds): new backends must not need it
    cr.execute("ALTER TABLE plant_sync_backend ALTER COLUMN auth_type DROP NOT NULL")
    cr.execute("SELECT 1 FROM plant_sync_backend WHERE kind IN ('sap_odata', 'sap_rfc') LIMIT 1")
    if not cr.fetchone():
        return
    names = [f"field_{MODEL}__{name}" for name in FIELDS]
    names += [f"selection__{MODEL}__{field}__{value}" for field, value in SELECTIONS]
    cr.execute(
        """
        UPDATE ir_model_data d SET module = 'plant_sync_sap'
         WHERE d.module = 'plant_sync_base' AND d.name IN %s
           AND NOT EXISTS (
                SELECT 1 FROM ir_model_data o WHERE o.module = 'plant_sync_sap' AND o.name = d.name)
        """,
        (tuple(names),),
    )
