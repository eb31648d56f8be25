# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Maintenance SAP Bridge",
    "summary": "Maintenance requests and equipment synchronised with SAP PM notifications, "
    "orders, confirmations and equipment",
    "version": "18.0.1.1.0",
    "category": "Manufacturing/Maintenance",
    "website": "https://github.com/plant-sync/plant-sync",
    "author": "Plant Sync contributors",
    "license": "LGPL-3",
    "depends": ["plant_sync_sap", "maintenance"],
    "external_dependencies": {"python": ["plant_sync", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/maintenance_sap_bridge_security.xml",
        "data/ir_actions_server_data.xml",
        "views/maintenance_request_views.xml",
        "views/maintenance_equipment_views.xml",
        "views/maintenance_functional_location_views.xml",
        "views/maintenance_request_labour_views.xml",
        "views/plant_sync_flow_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "maintenance_sap_bridge/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
