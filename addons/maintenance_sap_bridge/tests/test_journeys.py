# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Journeys 1 and 2 of issue 15 in headless Chromium, each as a user holding only that role's
groups: the tour (static/tests/tours/maintenance_journeys.js) does what the person does, the
test prepares the data and checks afterwards what the clicks changed.

* planner (Plant Integration user + maintenance manager): against the SAP simulator over real
  HTTP; the queue jobs the browser's clicks enqueue run right after each of its requests, as the
  job runner would after the commit (:meth:`TestPlannerJourney.job_runner`);
* technician (plain maintenance user: employee, no integration or stock group) on a 390×844
  touch screen.

The tours use the sections stock_sap_sync (parts) and cmms_connector (failure report) add to
the forms of this addon: they run where the four addons are installed together (setup/test).

``PLANT_SYNC_SCREENSHOTS=<directory>`` saves the key screen of each journey there
(docs/journey-planner.png, docs/journey-technician.png of the README)."""

import base64
import os
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

from odoo import fields
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import ChromeBrowser, HttpCase, new_test_user, tagged

from .common import SapMaintenanceCase

ADDONS = ("stock_sap_sync", "cmms_connector")
SCREENSHOTS = "PLANT_SYNC_SCREENSHOTS"
BEARING_BARCODE = "4006381333931"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
#: browser_js code: wait for the job form of a running timer, then succeed
JOB_FORM_READY = """
(async () => {
    const pause = ".o_form_view button[name=action_labour_timer_pause]";
    const ready = () => document.querySelector(pause);
    for (let i = 0; i < 600 && !ready(); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    console.log(ready() ? "test successful" : "the job form did not open");
})();
"""


class JourneyMixin:
    def skip_without_addons(self):
        Module = self.env["ir.module.module"]
        missing = [name for name in ADDONS if Module._get(name).state != "installed"]
        if missing:
            self.skipTest(
                f"{', '.join(missing)} not installed: the journeys use their sections "
                "(setup/test installs the four addons together and runs them)"
            )

    @contextmanager
    def key_screen(self, filename):
        """Save what the browser shows at the end of the tour as ``filename`` in the directory
        named by the PLANT_SYNC_SCREENSHOTS environment variable (nothing when unset)."""
        directory = os.environ.get(SCREENSHOTS)
        if not directory:
            yield
            return
        stop = ChromeBrowser.stop

        def capture_then_stop(browser):
            if getattr(browser, "ws", None) is not None:
                shot = browser._websocket_request(
                    "Page.captureScreenshot", params={"format": "png"}
                )
                Path(directory, filename).write_bytes(base64.b64decode(shot["data"]))
            stop(browser)

        with patch.object(ChromeBrowser, "stop", capture_then_stop):
            yield

    @classmethod
    def make_bearing(cls):
        return cls.env["product.product"].create(
            {
                "name": "Bearing 6204",
                "default_code": "BRG-6204",
                "barcode": BEARING_BARCODE,
                "is_storable": True,
                "sap_critical": True,
            }
        )


@tagged("post_install", "-at_install")
class TestPlannerJourney(SapMaintenanceCase, HttpCase, JourneyMixin):
    browser_size = "1366x1300"  # the whole request form, timeline included, in the screenshot

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.planner_user = new_test_user(
            cls.env,
            login="journey_planner",
            groups="base.group_user,maintenance.group_equipment_manager,"
            "plant_sync_base.group_plant_sync_user",
            name="Petra Planner",
        )
        cls.pump = cls.make_equipment(cls, name="Pump P-100", technician_user_id=cls.technician.id)
        if "sap_critical" in cls.env["product.template"]._fields:
            cls.bearing = cls.make_bearing()  # none in the store: short

    @contextmanager
    def job_runner(self):
        """queue_job's job runner for the browser: the jobs a request of the browser enqueued
        (and those they enqueue) run right after it, before its response, in its transaction
        (HttpCase serves the browser inside the test transaction)."""
        IrHttp = type(self.env["ir.http"])
        post_dispatch = IrHttp._post_dispatch
        test = self

        def post_dispatch_then_run_jobs(cls, response):
            post_dispatch(response)
            test.run_jobs(trap)

        with (
            trap_jobs() as trap,
            patch.object(IrHttp, "_post_dispatch", classmethod(post_dispatch_then_run_jobs)),
        ):
            yield trap

    def test_planner_journey(self):
        self.skip_without_addons()
        with self.job_runner(), self.key_screen("journey-planner.png"):
            self.start_tour(
                "/odoo/action-maintenance.hr_equipment_request_action",
                "maintenance_sap_bridge_journey_planner",
                login=self.planner_user.login,
            )
        self.env.invalidate_all()
        request = self.env["maintenance.request"].search(
            [("name", "=", "Pump P-100 leaking at the seal")]
        )
        self.assertEqual(len(request), 1)
        self.assertEqual(request.create_uid, self.planner_user)
        # SAP has the notification and the released order of the request, once each
        notification = self.sim.store.get(
            "MaintenanceNotification", MaintenanceNotification=request.sap_notification_number
        )
        self.assertEqual(notification["TechnicalObject"], self.pump.sap_equipment_number)
        order = self.sap_order(request.sap_order_number)
        self.assertEqual(order["_status"], "REL")
        self.assertEqual(order["MaintenanceNotification"], request.sap_notification_number)
        self.assertEqual(request.sap_status_code, "REL")
        self.assertEqual(request.sap_operation_ids.mapped("number"), ["0010"])
        self.assertEqual(set(self.messages(request).mapped("state")), {"done"})
        # the readiness the planner saw: the critical part is short in the store
        self.assertEqual(request.planned_part_ids.product_id, self.bearing)
        self.assertEqual(request.planned_part_ids.quantity, 2.0)
        self.assertEqual(request.parts_readiness, "critical")
        # the timeline: Odoo request, SAP notification, order, operations; what it waits on
        timeline = request.with_user(self.planner_user).plant_sync_timeline
        for text in (
            "Created in Odoo",
            request.sap_notification_number,
            request.sap_order_number,
            "SAP order created and released",
            self.messages(request, "order").correlation_id,
        ):
            self.assertIn(text, timeline)
        self.assertIn("Technician", request.plant_sync_waiting)
        self.assertIn("Bearing 6204", request.plant_sync_waiting)


@tagged("post_install", "-at_install")
class TestTechnicianJourney(HttpCase, JourneyMixin):
    browser_size = "390x844"  # the window; headless Chromium keeps 500 px at least, so:
    touch_enabled = True

    def setUp(self):
        super().setUp()
        # the viewport of a phone (390×844 CSS pixels, mobile), whatever the window is
        navigate_to = ChromeBrowser.navigate_to

        def navigate_on_a_phone(browser, url, wait_stop=False):
            browser._websocket_request("Emulation.setDeviceMetricsOverride", params=PHONE)
            return navigate_to(browser, url, wait_stop=wait_stop)

        self.startPatcher(patch.object(ChromeBrowser, "navigate_to", navigate_on_a_phone))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.technician = new_test_user(
            cls.env, login="journey_technician", groups="base.group_user", name="Theo Technician"
        )
        cls.team = cls.env["maintenance.team"].create({"name": "Pump crew"})
        cls.pump = cls.env["maintenance.equipment"].create(
            {"name": "Pump P-200", "maintenance_team_id": cls.team.id}
        )
        # technicians see the equipment they follow (Odoo's record rule)
        cls.pump.message_subscribe(partner_ids=cls.technician.partner_id.ids)
        cls.job = cls.env["maintenance.request"].create(
            {
                "name": "Replace the seal of pump P-200",
                "equipment_id": cls.pump.id,
                "maintenance_team_id": cls.team.id,
                "user_id": cls.technician.id,
                "schedule_date": fields.Datetime.now(),
                "priority": "2",
            }
        )
        cls.other_job = cls.job.copy({"name": "Someone else's job", "user_id": False})
        if "sap_critical" in cls.env["product.template"]._fields:
            cls.bearing = cls.make_bearing()
            cls.warehouse = cls.env["stock.warehouse"].search(
                [("company_id", "=", cls.env.company.id)], limit=1
            )
            cls.env["stock.quant"]._update_available_quantity(
                cls.bearing, cls.warehouse.lot_stock_id, 5.0
            )

    def test_technician_journey(self):
        self.skip_without_addons()
        self.assertEqual(
            self.env["maintenance.request"]
            .with_user(self.technician)
            .search([("my_work_today", "=", True)]),
            self.job,
            "my work today: the job assigned to me, scheduled today",
        )
        self.start_tour(
            "/odoo/action-maintenance_sap_bridge.action_maintenance_my_work_today",
            "maintenance_sap_bridge_journey_technician",
            login=self.technician.login,
        )
        self.env.invalidate_all()
        job = self.job
        self.assertTrue(job.stage_id.done, "the job is complete")
        # the timer made two labour lines of mine, submitted for approval, none running
        lines = job.sap_labour_ids
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines.technician_id, self.technician)
        self.assertEqual(set(lines.mapped("state")), {"to_approve"})
        self.assertTrue(all(line.date_start and line.date_end for line in lines))
        self.assertTrue(all(line.hours > 0 for line in lines))
        with self.assertRaises(AccessError):
            lines.with_user(self.technician).action_approve()
        # the part booked by barcode: a done transfer of 2 bearings from the store
        moves = job.picking_ids.move_ids
        self.assertEqual(moves.product_id, self.bearing)
        self.assertEqual(moves.quantity, 2.0)
        self.assertEqual(set(moves.mapped("state")), {"done"})
        self.assertEqual(job.picking_ids.user_id, self.technician)
        self.assertEqual(
            self.bearing.with_context(location=self.warehouse.lot_stock_id.id).qty_available, 3.0
        )
        # downtime and failure report, with the downtime event of the equipment
        self.assertTrue(job.downtime_start and job.downtime_end)
        self.assertEqual(
            (
                job.cmms_failure_class,
                job.cmms_problem_code,
                job.cmms_cause_code,
                job.cmms_remedy_code,
            ),
            ("PUMPS", "LEAK", "WEAR", "REPLACE"),
        )
        event = job.downtime_event_ids
        self.assertEqual(len(event), 1)
        self.assertEqual((event.problem_code, event.date_end), ("LEAK", job.downtime_end))
        # nothing happened to the job the technician is not assigned to
        self.assertFalse(self.other_job.sap_labour_ids)
        self.assertFalse(self.other_job.picking_ids)
        if os.environ.get(SCREENSHOTS):
            self.screenshot_running_job()

    def screenshot_running_job(self):
        """The key screen of the journey: a job in progress on the phone (timer running, a part
        planned and one booked, the machine down)."""
        job = self.job.copy({"name": "Pump P-200 vibrating", "user_id": self.technician.id})
        job.planned_part_ids = [fields.Command.create({"product_id": self.bearing.id})]
        job.write({"description": "<p>Vibration on the drive end since the night shift.</p>"})
        mine = job.with_user(self.technician)
        mine.action_downtime_start_now()
        mine.action_labour_timer_start()
        wizard = (
            self.env["maintenance.consume.parts"]
            .with_user(self.technician)
            .create({"request_id": job.id, "product_id": self.bearing.id, "quantity": 1.0})
        )
        wizard.action_confirm()
        with self.key_screen("journey-technician.png"):
            self.browser_js(
                f"/odoo/action-maintenance_sap_bridge.action_maintenance_my_work_today/{job.id}",
                JOB_FORM_READY,
                "odoo.isReady === true",
                login=self.technician.login,
            )

    def test_one_job_at_a_time_and_no_timer_on_a_finished_job(self):
        other = self.job.copy({"name": "Check the coupling", "user_id": self.technician.id})
        mine, other_mine = self.job.with_user(self.technician), other.with_user(self.technician)
        mine.action_labour_timer_start()
        mine.action_labour_timer_start()  # already running: nothing new
        self.assertEqual(len(self.job.sap_labour_ids), 1)
        self.assertTrue(mine.labour_timer_running)
        other_mine.action_labour_timer_start()  # pauses the first job
        self.job.invalidate_recordset()
        self.assertFalse(mine.labour_timer_running)
        self.assertTrue(self.job.sap_labour_ids.date_end)
        self.assertGreater(self.job.sap_labour_ids.hours, 0.0)
        self.assertTrue(other_mine.labour_timer_running)
        other_mine.action_technician_complete()
        self.assertTrue(other.stage_id.done)
        self.assertEqual(other.sap_labour_ids.state, "to_approve", "stopped and submitted")
        with self.assertRaises(UserError):
            other_mine.action_labour_timer_start()
        # somebody else's job: refused before anything is written
        with self.assertRaises(AccessError):
            self.other_job.with_user(self.technician).action_labour_timer_start()
        self.assertFalse(self.other_job.sap_labour_ids)
