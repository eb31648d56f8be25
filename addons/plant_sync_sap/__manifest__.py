# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Plant Sync – SAP connection",
    "summary": "SAP backends of the Plant Sync engine: OData (Gateway) and RFC/BAPI settings, "
    "authentication and the plant_sync.sap client",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Maintenance",
    "website": "https://github.com/plant-sync/plant-sync",
    "author": "Plant Sync contributors",
    "license": "LGPL-3",
    "depends": ["plant_sync_base"],
    "external_dependencies": {"python": ["plant_sync", "requests"]},
    "data": [
        "views/plant_sync_backend_views.xml",
    ],
    "installable": True,
}
