# Demo configuration, run inside `odoo shell` (setup/run-demo and docker compose feed it on stdin):
# backends pointing at the SAP and CMMS simulators, the flows of every installed addon enabled,
# the mappings the simulators' demo master data needs. Idempotent: a second run changes nothing.
# ruff: noqa: F821, S106  (env is provided by odoo shell; simulator demo credentials)
import os

sap_url = os.environ.get("PLANT_SYNC_DEMO_SAP_URL", "http://127.0.0.1:8090")
cmms_url = os.environ.get("PLANT_SYNC_DEMO_CMMS_URL", "http://127.0.0.1:8091")

Backend = env["plant.sync.backend"]
Mapping = env["plant.sync.mapping"]
kinds = dict(Backend._fields["kind"].selection)
company = env.ref("base.main_company")


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
    domain = [("backend_id", "=", backend.id), ("mapping_type", "=", mapping_type)]
    if Mapping.search(domain + [("odoo_ref", "=", ref)], limit=1):
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
map_(sap, "work_center", team, "RES-0100")
map_(sap, "planner_group", team, "I01", "outbound")
map_(sap, "plant", company, "1010", "outbound")
map_(sap, "technician", env.ref("base.user_admin"), "00001001")
for category in env["maintenance.equipment.category"].search([]):
    map_(sap, "cost_center", category, "10101101", "outbound")

if "cmms_maximo" in kinds:
    cmms = upsert_backend(
        "IBM Maximo (simulator)",
        dict(
            common,
            kind="cmms_maximo",
            base_url=cmms_url + "/maximo",
            api_key="maximo-key",
            hmac_key="demo-webhook-secret",
        ),
        ["action_cmms_setup_flows"],
    )
    backends.append(cmms)
    for stage, status in zip(stages, ("WAPPR", "INPRG", "COMP"), strict=True):
        map_(cmms, "status", stage, status)
    map_(cmms, "status", stages[0], "APPR", "inbound")
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
flows = sum(len(b.flow_ids.filtered("enabled")) for b in backends)
print(f"demo: {len(backends)} backends, {flows} flows enabled")
for backend in backends:
    print(f"   {backend.name}: {', '.join(backend.flow_ids.mapped('code'))}")
