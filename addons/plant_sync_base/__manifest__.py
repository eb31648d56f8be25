# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Plant Sync Base",
    "summary": "Integration engine between Odoo, SAP ERP and CMMS/EAM systems: "
    "backends, encrypted credentials, mappings, bindings, queue_job sync engine, "
    "message log and exception queue",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Maintenance",
    "website": "https://github.com/plant-sync/plant-sync",
    "author": "Plant Sync contributors",
    "license": "LGPL-3",
    "depends": ["mail", "queue_job"],
    "external_dependencies": {
        "python": ["plant_sync", "requests", "lxml", "cryptography", "zeep"],
    },
    "data": [
        "security/res_groups.xml",
        "views/menus.xml",
    ],
    "application": True,
    "installable": True,
}
