# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Plant Sync Base",
    "summary": "Integration engine between Odoo, SAP ERP and CMMS/EAM systems: "
    "backends, encrypted credentials, mappings, bindings, queue_job sync engine, "
    "message log and exception queue",
    "version": "18.0.1.0.2",
    "category": "Manufacturing/Maintenance",
    "website": "https://github.com/plant-sync/plant-sync",
    "author": "Plant Sync contributors",
    "license": "LGPL-3",
    "depends": ["mail", "queue_job"],
    "external_dependencies": {
        "python": ["plant_sync", "requests", "lxml", "cryptography", "zeep", "prometheus_client"],
    },
    "data": [
        "security/res_groups.xml",
        "security/ir.model.access.csv",
        "security/plant_sync_security.xml",
        "data/queue_job_channel_data.xml",
        "data/queue_job_function_data.xml",
        "data/ir_cron_data.xml",
        "data/ir_actions_server_data.xml",
        "views/plant_sync_timeline_templates.xml",
        "views/plant_sync_backend_views.xml",
        "views/plant_sync_flow_views.xml",
        "views/plant_sync_mapping_views.xml",
        "views/plant_sync_binding_views.xml",
        "views/plant_sync_message_views.xml",
        "views/plant_sync_exception_views.xml",
        "views/plant_sync_period_blocker_views.xml",
        "views/plant_sync_metric_snapshot_views.xml",
        "views/plant_sync_alert_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/plant_sync_exception_cancel_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "plant_sync_base/static/tests/tours/*.js",
        ],
    },
    "application": True,
    "installable": True,
}
