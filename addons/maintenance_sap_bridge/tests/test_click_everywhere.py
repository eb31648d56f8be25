# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Browser smoke test with Odoo's own tooling (web's click-everywhere bot, as in
``web/tests/test_click_everywhere.py``): every menu, view type and filter of the Maintenance and
Plant Integration apps opens in headless Chromium, with records in every state, for an
administrator and for a plain maintenance user, with no JavaScript error, no failed RPC (the bot
stops at the first error dialog) and no console warning."""

import logging
import re

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user
from odoo.tools import mute_logger

from .common import SapMaintenanceCase

_logger = logging.getLogger(__name__)

CLICKBOT = (
    "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader').startClickEverywhere('%s');"
)
CLICKBOT_DONE = "clickbot test succeeded"
OPEN_FORM = """
(async () => {
    const loaded = () => document.querySelector(".o_form_view .o_form_sheet .o_field_widget");
    for (let i = 0; i < 600 && !loaded(); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (loaded()) {
        console.log("test successful");
    } else {
        console.error("the form did not open");
    }
})();
"""
APPS = {
    "maintenance.menu_maintenance_title": "Maintenance",
    "plant_sync_base.menu_plant_sync_root": "Plant Integration",
}
ENGINE_LOGS = (
    "odoo.addons.plant_sync_base.models.plant_sync_message",
    "odoo.addons.plant_sync_base.models.plant_sync_backend",
)


class BrowserConsole(logging.Handler):
    """What the browser printed: Odoo logs the console under ``<test logger>.browser``."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        if record.name.endswith(".browser"):
            self.records.append(record)

    def messages(self, min_level=logging.DEBUG):
        return [r.getMessage() for r in self.records if r.levelno >= min_level]


@tagged("post_install", "-at_install")
class TestClickEverywhere(SapMaintenanceCase, HttpCase):
    allow_end_on_form = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.maintenance_user = new_test_user(
            cls.env, login="msb_click_user", groups="base.group_user", name="Mia Maintenance"
        )
        numbers = cls.master["equipment"]
        Equipment = cls.env["maintenance.equipment"]
        linked = Equipment.create(
            [
                {
                    "name": f"Pump {number}",
                    "category_id": cls.category.id,
                    "maintenance_team_id": cls.team.id,
                    "sap_equipment_number": number,
                    "sap_plant": "1010",
                }
                for number in numbers[:3]
            ]
        )
        unlinked = Equipment.create(
            {"name": "Air compressor K-300", "category_id": cls.category.id, "sap_plant": "1010"}
        )
        # a maintenance user sees the equipment they follow (Odoo's record rule)
        (linked | unlinked).message_subscribe(partner_ids=cls.maintenance_user.partner_id.ids)
        Request = cls.env["maintenance.request"]

        def request(name, equipment, **vals):
            return Request.create(
                dict(
                    name=name,
                    equipment_id=equipment.id,
                    maintenance_team_id=cls.team.id,
                    user_id=cls.maintenance_user.id,
                    **vals,
                )
            )

        with trap_jobs() as trap, mute_logger(*ENGINE_LOGS):
            in_sap = request("Pump leaking at the seal", linked[0], priority="3")
            released = request("Bearing noise", linked[1])
            held = request("Compressor overheating", unlinked)
            cls._perform(trap)
            released.stage_id = cls.stage_progress
            cls._perform(trap)
            # SAP refuses the next notifications: failed message and exception
            cls.backend.flow_ids.write({"max_retries": 1})
            cls.sim.faults.set(fail_next=100, status=400)
            failed = request("Motor tripping", linked[2])
            cls._perform(trap)
            cls.sim.faults.clear()
            # still waiting for its job; another one cancelled by the planner
            pending = request("Seal kit to order", linked[0])
            cancelled = request("Duplicate of the leak", linked[0])
            cancelled_message = cls.env["plant.sync.message"].search(
                [("res_model", "=", Request._name), ("res_id", "=", cancelled.id)]
            )
            cancelled_message.action_cancel("Duplicate")
        cls.requests = in_sap | released | held | failed | pending | cancelled
        messages = cls.env["plant.sync.message"].search([("backend_id", "=", cls.backend.id)])
        cls.message_states = set(messages.mapped("state"))
        cls.exceptions = messages.exception_ids

    @classmethod
    def _perform(cls, trap, rounds=50):
        """Run the trapped jobs and those they enqueue (a job to retry stays as it is)."""
        for _round in range(rounds):
            jobs, trap.enqueued_jobs = trap.enqueued_jobs, []
            if not jobs:
                return
            for job in sorted(jobs, key=lambda j: (j.priority, j.date_created)):
                try:
                    job.perform()
                except RetryableJobError:
                    _logger.info("job %s left for a later retry", job.uuid)

    def listen_to_the_browser(self):
        console = BrowserConsole()
        logger = logging.getLogger(f"{type(self).__module__}.{type(self).__name__}")
        level = logger.level
        logger.addHandler(console)
        logger.setLevel(logging.INFO)  # the bot reports what it clicked at console.log level
        self.addCleanup(logger.setLevel, level)
        self.addCleanup(logger.removeHandler, console)
        return console

    def click_everywhere(self, app_xmlid, login):
        """Run Odoo's click-everywhere bot on one app as ``login``; return what it clicked."""
        console = self.listen_to_the_browser()
        self.browser_js(
            "/odoo",
            CLICKBOT % app_xmlid,
            "odoo.isReady === true",
            login=login,
            timeout=900,
            success_signal=CLICKBOT_DONE,
        )
        printed = console.messages()
        menus = [m for m in printed if m.startswith("Testing menu ")]
        views = [m for m in printed if m.startswith("Testing view switch: ")]
        filters = sum(
            int(m.group(1)) for m in map(re.compile(r"^Testing (\d+) filters$").match, printed) if m
        )
        modals = [m for m in printed if m.startswith("Modal detected: ")]
        counts = {
            "menus": len(menus),
            "views": len(menus) - len(modals) + len(views),
            "filters": filters,
            "modals": len(modals),
        }
        _logger.info(
            "click everywhere: app %s as %s: %d menus, %d views (%d dialogs), %d filters clicked",
            APPS[app_xmlid],
            login,
            counts["menus"],
            counts["views"],
            counts["modals"],
            counts["filters"],
        )
        warnings = console.messages(logging.WARNING)
        self.assertFalse(warnings, f"the browser console reported problems: {warnings}")
        return counts, {m.rsplit(" ", 1)[-1] for m in menus}

    def expected_menus(self, app_xmlid, user):
        """The app and its menus that open an action for this user (what the bot must click)."""
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(False)
        app = next(m for m in menus.values() if m.get("xmlid") == app_xmlid)
        found, todo = {app_xmlid}, list(app["children"])
        while todo:
            menu = menus[todo.pop()]
            todo += menu["children"]
            if menu["action"]:
                found.add(menu["xmlid"])
        return found

    def check_app(self, app_xmlid, user):
        self.assertGreaterEqual(len(self.requests), 6)
        counts, clicked = self.click_everywhere(app_xmlid, user.login)
        self.assertEqual(clicked, self.expected_menus(app_xmlid, user))
        self.assertGreater(counts["views"], counts["menus"], "view switchers were clicked")
        self.assertGreater(counts["filters"], 0)

    def test_records_in_every_state_are_present(self):
        self.assertTrue(self.requests.filtered("sap_order_number"))
        self.assertLessEqual(
            {"done", "held", "failed", "pending", "cancelled"}, self.message_states
        )
        self.assertTrue(self.exceptions)

    def test_maintenance_app_as_administrator(self):
        self.check_app("maintenance.menu_maintenance_title", self.env.ref("base.user_admin"))

    def test_plant_integration_app_as_administrator(self):
        self.check_app("plant_sync_base.menu_plant_sync_root", self.env.ref("base.user_admin"))

    def test_request_and_equipment_forms_open_without_console_warning(self):
        """The bot does not open forms: the two forms our addons extend most, as both users."""
        forms = {
            "maintenance.hr_equipment_request_action": self.requests[0],
            "maintenance.hr_equipment_action": self.requests[0].equipment_id,
        }
        for login in ("admin", self.maintenance_user.login):
            for action, record in forms.items():
                with self.subTest(login=login, model=record._name):
                    console = self.listen_to_the_browser()
                    self.browser_js(
                        f"/odoo/action-{action}/{record.id}",
                        OPEN_FORM,
                        "odoo.isReady === true",
                        login=login,
                    )
                    warnings = console.messages(logging.WARNING)
                    self.assertFalse(warnings, f"the browser console reported: {warnings}")

    def test_maintenance_app_as_maintenance_user(self):
        self.check_app("maintenance.menu_maintenance_title", self.maintenance_user)
        menus = self.env["ir.ui.menu"].with_user(self.maintenance_user).load_menus(False)
        self.assertNotIn(
            "plant_sync_base.menu_plant_sync_root",
            {m.get("xmlid") for m in menus.values()},
            "the integration app is for integration users only",
        )
