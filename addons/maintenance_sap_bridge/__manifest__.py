# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Maintenance SAP Bridge",
    "summary": "Maintenance requests and equipment synchronised with SAP PM notifications, orders, confirmations and equipment",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Maintenance",
    "website": "https://github.com/plant-sync/plant-sync",
    "author": "Plant Sync contributors",
    "license": "LGPL-3",
    "depends": ["plant_sync_base", "maintenance"],
    "external_dependencies": {"python": ["plant_sync", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "views/menus.xml",
    ],
    "installable": True,
}
