# Demo configuration, run inside `odoo shell` (setup/run-demo and docker compose feed it on stdin):
# backends pointing at the SAP and CMMS simulators, the flows of every installed addon enabled,
# the mappings the simulators' demo data needs, one user per role, then a first import (SAP
# equipment and materials, CMMS assets and work orders) so that the flows work from the first
# minute. One CMMS status (WMATL) is left unmapped on purpose: practise the exception queue on it.
# Idempotent: a second run changes nothing but what the simulators changed meanwhile.
# ruff: noqa: F821, S106  (env is provided by odoo shell; simulator demo credentials)
import os

from odoo import fields
from odoo.osv.expression import AND, OR

sap_url = os.environ.get("PLANT_SYNC_DEMO_SAP_URL", "http://127.0.0.1:8090")
cmms_url = os.environ.get("PLANT_SYNC_DEMO_CMMS_URL", "http://127.0.0.1:8091")

Backend = env["plant.sync.backend"]
Mapping = env["plant.sync.mapping"]
kinds = dict(Backend._fields["kind"].selection)
company = env.ref("base.main_company")
PLANT, SLOC, COST_CENTER, WORK_CENTER = "1010", "0001", "10101101", "RES-0100"
# SAP object types of the simulator's demo equipment: Odoo names the equipment categories after
# them; created here so that their cost center is mapped before the first equipment arrives
SAP_OBJECT_TYPES = ("PUMP", "CONVEYOR", "COMPRESSOR")
#: login = password, groups: only what the role needs
USERS = {
    "planner": (
        "Paula Planner",
        [
            "base.group_user",
            "maintenance.group_equipment_manager",
            "plant_sync_base.group_plant_sync_user",
        ],
    ),
    "technician": ("Tom Technician", ["base.group_user", "stock.group_stock_user"]),
    "administrator": (
        "Ada Administrator",
        [
            "base.group_user",
            "maintenance.group_equipment_manager",
            "plant_sync_base.group_plant_sync_admin",
            "queue_job.group_queue_job_manager",
        ],
    ),
    "finance": (
        "Fiona Finance",
        [
            "base.group_user",
            "purchase.group_purchase_user",
            "plant_sync_base.group_plant_sync_finance",
        ],
    ),
}
OUT, IN = ("both", "outbound"), ("both", "inbound")
PERSONNEL = {"technician": "00001001", "planner": "00001002", "administrator": "00001003"}


def upsert_backend(name, vals, setup_actions):
    backend = Backend.with_context(active_test=False).search([("name", "=", name)], limit=1)
    vals = {k: v for k, v in vals.items() if k in Backend._fields}
    if backend:
        backend.write(vals)
    else:
        backend = Backend.create(dict(vals, name=name))
    for action in setup_actions:  # each flow addon's "create my flows" button
        if hasattr(backend, action):
            getattr(backend, action)()
    backend.flow_ids.write({"enabled": True})
    return backend


def map_(backend, mapping_type, record, external, direction="both"):
    if mapping_type not in dict(Mapping._fields["mapping_type"].selection):
        return
    ref = f"{record._name},{record.id}"
    # skip when a mapping already translates this Odoo value out, or this external value in
    clashes = []
    if direction in OUT:
        clashes.append([("odoo_key", "=", ref), ("direction", "in", OUT)])
    if direction in IN:
        clashes.append([("external_value", "=", external), ("direction", "in", IN)])
    domain = [("backend_id", "=", backend.id), ("mapping_type", "=", mapping_type)]
    if Mapping.search(AND([domain, OR(clashes)]), limit=1):
        return
    Mapping.create(
        {
            "backend_id": backend.id,
            "mapping_type": mapping_type,
            "direction": direction,
            "odoo_ref": ref,
            "external_value": external,
        }
    )


def flow(backend, code):
    return backend.flow_ids.filtered(lambda f: f.code == code)


def upsert_user(login, name, groups):
    Users = env["res.users"].with_context(active_test=False, no_reset_password=True)
    group_ids = [env.ref(xmlid).id for xmlid in groups if env.ref(xmlid, raise_if_not_found=False)]
    vals = {
        "name": name,
        "email": f"{login}@plant-sync.example.com",  # assignments notify from this address
        "groups_id": [(6, 0, group_ids)],
        "active": True,
    }
    user = Users.search([("login", "=", login)], limit=1)
    if user:
        user.write(vals)
    else:
        user = Users.create(dict(vals, login=login, password=login, company_id=company.id))
    return user


# --- users, one per role -----------------------------------------------------------------------
users = {login: upsert_user(login, name, groups) for login, (name, groups) in USERS.items()}

# --- SAP ---------------------------------------------------------------------------------------
common = {"environment": "test", "allow_loopback": True, "company_id": company.id}
sap = upsert_backend(
    "SAP S/4HANA (simulator, OData)",
    dict(
        common,
        kind="sap_odata",
        base_url=sap_url,
        sap_client="100",
        username="PLANT_SYNC",
        password="Secret#1",
    ),
    ["action_sap_setup_maintenance_flows", "action_stock_sap_create_flows"],
)
backends = [sap]
stages = [env.ref(f"maintenance.stage_{i}") for i in (0, 1, 3)]
team = env["maintenance.team"].search([], limit=1) or env["maintenance.team"].create(
    {"name": "Mechanics"}
)
for stage, status in zip(stages, ("CRTD", "REL", "TECO"), strict=True):
    map_(sap, "status", stage, status)
map_(sap, "work_center", team, WORK_CENTER)
map_(sap, "planner_group", team, "I01", "outbound")
map_(sap, "plant", company, PLANT, "outbound")
Category = env["maintenance.equipment.category"]
for object_type in SAP_OBJECT_TYPES:
    category = Category.search(
        [("name", "=", object_type), ("company_id", "in", [company.id, False])], limit=1
    ) or Category.create({"name": object_type, "company_id": company.id})
    map_(sap, "cost_center", category, COST_CENTER, "outbound")
for category in Category.search([]):  # categories created by hand before this script
    map_(sap, "cost_center", category, COST_CENTER, "outbound")
map_(sap, "cost_center", company, COST_CENTER, "outbound")  # equipment without a category
for login, number in PERSONNEL.items():
    map_(sap, "technician", users[login], number)
map_(sap, "technician", env.ref("base.user_admin"), "00001009")
order_flow = flow(sap, "sap_pm_order")
if order_flow and "sap_release_stage_id" in order_flow._fields:
    order_flow.sap_release_stage_id = stages[1]  # "In Progress": create and release the order
if "stock.warehouse" in env:
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    map_(sap, "uom", env.ref("uom.product_uom_unit"), "PC")
    map_(sap, "location", warehouse.lot_stock_id, f"{PLANT}/{SLOC}")
    map_(sap, "plant", warehouse, PLANT, "outbound")
    # goods issues and requisitions go to SAP at once (the defaults batch some of them)
    (flow(sap, "sap_goods_movement") | flow(sap, "sap_purchase_requisition")).write(
        {"mode": "realtime"}
    )

# --- CMMS --------------------------------------------------------------------------------------
if "cmms_maximo" in kinds:
    cmms = upsert_backend(
        "IBM Maximo (simulator)",
        dict(
            common,
            kind="cmms_maximo",
            base_url=cmms_url + "/maximo",
            api_key="maximo-key",
            hmac_key="demo-webhook-secret",
            cmms_team_id=team.id,
        ),
        ["action_cmms_setup_flows"],
    )
    backends.append(cmms)
    for stage, status in zip(stages, ("WAPPR", "INPRG", "COMP"), strict=True):
        map_(cmms, "status", stage, status)
    map_(cmms, "status", stages[0], "APPR", "inbound")
    # WMATL ("waiting for material") is left unmapped on purpose: see README, Tour of the demo
    for maximo, odoo in (("1", "3"), ("2", "2"), ("3", "1"), ("4", "0")):  # 1 = most urgent
        if not Mapping.search(
            [
                ("backend_id", "=", cmms.id),
                ("mapping_type", "=", "priority"),
                ("external_value", "=", maximo),
            ],
            limit=1,
        ):
            Mapping.create(
                {
                    "backend_id": cmms.id,
                    "mapping_type": "priority",
                    "direction": "both",
                    "external_value": maximo,
                    "odoo_value": odoo,
                }
            )
env.cr.commit()

# --- first import, in this process (queue_job runs the jobs inline) ----------------------------
# SAP equipment first, then the CMMS assets (linked to them by serial number), then the CMMS
# work orders (their corrective ones go on to SAP as notifications). A failure is reported and
# left to the scheduler (every batch flow runs again within minutes of the server start).
inline = env(context=dict(env.context, queue_job__no_delay=True))
now = fields.Datetime.now()
first_runs = [(sap, "sap_pm_master_pull"), (sap, "sap_material")]
if len(backends) > 1:
    first_runs += [(backends[1], "cmms_asset_pull"), (backends[1], "cmms_wo_pull")]
for backend, code in first_runs:
    pull = flow(backend, code).with_env(inline)
    if not pull:
        continue
    try:
        with env.cr.savepoint():
            pull._run_batch_now()
            pull.write({"last_run": now, "next_run": now + pull._interval()})
        env.cr.commit()
        print(f"demo: first run of {pull.display_name}: done")
    except Exception as exc:  # noqa: BLE001 - the scheduler tries again
        env.cr.rollback()
        print(f"demo: first run of {pull.display_name} left to the scheduler: {exc}")

# Odoo's maintenance store holds what SAP holds (the reconciliation starts without differences)
if "stock.warehouse" in env:
    Binding = env["plant.sync.binding"]
    bound = Binding.search([("backend_id", "=", sap.id), ("res_model", "=", "product.product")])
    Quant = env["stock.quant"].with_context(inventory_mode=True)
    products = env["product.product"].browse(bound.mapped("res_id")).exists()
    stocked = Quant.search(
        [("location_id", "=", warehouse.lot_stock_id.id), ("product_id", "in", products.ids)]
    ).product_id
    todo = products.filtered(lambda p: p.is_storable and p not in stocked)
    if todo:
        Quant.create(
            [
                {
                    "product_id": product.id,
                    "location_id": warehouse.lot_stock_id.id,
                    "inventory_quantity": 100.0,
                }
                for product in todo
            ]
        ).action_apply_inventory()
env.cr.commit()

flows = sum(len(b.flow_ids.filtered("enabled")) for b in backends)
print(f"demo: {len(backends)} backends, {flows} flows enabled")
for backend in backends:
    print(f"   {backend.name}: {', '.join(backend.flow_ids.mapped('code'))}")
Equipment = env["maintenance.equipment"]
linked = Equipment.search([("serial_no", "in", ["PUMP-100", "CONV-200", "COMP-300"])])
print(
    f"demo: {Equipment.search_count([])} equipment, linked to SAP and CMMS: "
    + ", ".join(f"{e.name} (SAP {e.sap_equipment_number or '-'})" for e in linked)
    if "sap_equipment_number" in Equipment._fields
    else f"demo: {Equipment.search_count([])} equipment"
)
print(
    f"demo: {env['maintenance.request'].search_count([])} maintenance requests, "
    f"{env['plant.sync.message'].search_count([])} messages, "
    f"{env['plant.sync.exception'].search_count([('state', 'in', ('new', 'in_progress'))])} "
    "open exceptions"
)
for login in USERS:
    print(f"demo-user: {login} {login}")
