# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Exceptions speak the words of whoever fixes them, and their fix button opens the right
place (the mapping form with the missing value filled in, the record, the backend, the flow);
the library's text stays in the technical detail. Pull jobs that cannot run end without a
traceback: a transient error is a job retry, anything else an exception with its fix."""

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from plant_sync import errors

from ..exceptions import MissingConfiguration, PlantSyncBusinessError
from ..tools import BatchPage
from .common import PlantSyncCase, patch_handler, patch_pull

BACKEND_LOG = "odoo.addons.plant_sync_base.models.plant_sync_backend"


@tagged("post_install", "-at_install")
class TestExceptionTexts(PlantSyncCase):
    def run_with_handler(self, handler, key=("op", 1)):
        with trap_jobs() as trap, patch_handler(handler):
            message = self.enqueue(key=key)
            trap.perform_enqueued_jobs()
        return message, self.open_exceptions(message)

    def assert_fix(self, exception, model, res_id=None, **defaults):
        action = exception.with_user(self.admin).action_fix()
        self.assertEqual(action["type"], "ir.actions.act_window")
        self.assertEqual(action["res_model"], model)
        self.assertEqual(action.get("res_id"), res_id)
        context = {f"default_{name}": value for name, value in defaults.items()}
        self.assertEqual(action["context"], context)
        return action

    # --- missing mappings: held, with the mapping form prefilled ------------------------------
    def test_missing_outbound_mapping_of_a_record_names_it_and_prefills_the_mapping(self):
        def handler(message):
            self.env["plant.sync.mapping"]._to_external(
                message.backend_id, "cost_center", message._record()
            )

        message, exception = self.run_with_handler(handler)
        self.assertEqual(message.state, "held")
        self.assertEqual(
            message.hold_reason,
            "Contact 'Work order 4711' has no Remote (loopback) Cost Center — map it (create the "
            "Cost Center mapping of Remote (loopback) (Test / Quality)); the waiting message is "
            "sent as soon as it is saved.",
        )
        self.assertEqual(exception.description, message.hold_reason)
        self.assertEqual(exception.kind, "missing_mapping")
        self.assertEqual(exception.fix_button, "mapping")
        self.assertIn(
            f"No outbound mapping of type 'cost_center' for value 'res.partner,{self.record.id}'",
            exception.technical_detail,
            "the internal wording stays one click away",
        )
        self.assertEqual(
            exception.name, "Contact 'Work order 4711' has no Remote (loopback) Cost Center"
        )
        self.assert_fix(
            exception,
            "plant.sync.mapping",
            backend_id=self.backend.id,
            mapping_type="cost_center",
            direction="outbound",
            odoo_ref=f"res.partner,{self.record.id}",
        )

    def test_saving_the_prefilled_mapping_releases_the_message(self):
        def handler(message):
            self.env["plant.sync.mapping"]._to_external(
                message.backend_id, "cost_center", message._record()
            )
            return {"ok": True}

        message, exception = self.run_with_handler(handler)
        action = exception.with_user(self.admin).action_fix()
        Mapping = self.env["plant.sync.mapping"].with_user(self.admin)
        defaults = Mapping.with_context(**action["context"]).default_get(list(Mapping._fields))
        self.assertEqual(defaults["odoo_ref"], f"res.partner,{self.record.id}")
        with trap_jobs() as trap:
            Mapping.create(dict(defaults, external_value="10101101"))
            self.assertEqual(message.state, "pending")
            with patch_handler(handler):
                trap.perform_enqueued_jobs()
        self.assertEqual(message.state, "done")
        self.assertEqual(exception.state, "resolved")

    def test_missing_outbound_mapping_of_a_value(self):
        with trap_jobs() as trap:
            message = self.enqueue(payload={"status": "in_progress"})
            trap.perform_enqueued_jobs()
        self.assertTrue(
            message.hold_reason.startswith("Status 'in_progress' has no Remote (loopback) Status")
        )
        self.assert_fix(
            self.open_exceptions(message),
            "plant.sync.mapping",
            backend_id=self.backend.id,
            mapping_type="status",
            direction="outbound",
            odoo_value="in_progress",
        )

    def test_missing_inbound_mapping_names_the_remote_value(self):
        def handler(message):
            self.env["plant.sync.mapping"]._to_odoo(message.backend_id, "status", "WMATL")

        message, exception = self.run_with_handler(handler)
        self.assertEqual(
            exception.description,
            "Remote (loopback) Status 'WMATL' has no Odoo counterpart — map it (create the Status "
            "mapping of Remote (loopback) (Test / Quality)); the waiting message is applied as "
            "soon as it is saved.",
        )
        self.assert_fix(
            exception,
            "plant.sync.mapping",
            backend_id=self.backend.id,
            mapping_type="status",
            direction="inbound",
            external_value="WMATL",
        )

    # --- failures: one text and one fix per kind ---------------------------------------------
    def test_every_failure_kind_has_a_human_text_and_a_fix(self):
        backend_fix = ("backend", "plant.sync.backend", self.backend.id)
        record_fix = ("record", "res.partner", self.record.id)
        cases = [
            (
                errors.AuthenticationError("Logon failed for PLANT_SYNC", status=401),
                "authentication",
                "technical",
                "Remote (loopback) (Test / Quality) refused the logon: Logon failed for "
                "PLANT_SYNC — check the user and password",
                backend_fix,
            ),
            (
                errors.AuthorizationError("No authorization for IW21", status=403),
                "authorization",
                "technical",
                "accepted the logon but refused the operation: No authorization for IW21 — ask "
                "the Remote (loopback) administrators",
                backend_fix,
            ),
            (
                errors.ConfigurationError("URL refused by the SSRF guard"),
                "configuration",
                "technical",
                "is not set up correctly: URL refused by the SSRF guard — fix the backend",
                backend_fix,
            ),
            (
                errors.ProtocolError("HTML page instead of JSON"),
                "remote_answer",
                "technical",
                "answered something that is not a valid Remote (loopback) answer (HTML page "
                "instead of JSON) — check the backend's base URL",
                backend_fix,
            ),
            (
                errors.ValidationError("Equipment 10000099 does not exist", status=400),
                "remote_validation",
                "validation",
                "Remote (loopback) rejected Contact 'Work order 4711': Equipment 10000099 does not "
                "exist — correct it in Odoo, then Retry.",
                record_fix,
            ),
            (
                errors.NotFound("Order 4000123 not found", status=404),
                "not_found",
                "validation",
                "Remote (loopback) does not know what Contact 'Work order 4711' refers to: Order "
                "4000123 not found",
                record_fix,
            ),
            (
                errors.ConcurrentModification("Order changed in SAP and in Odoo", status=412),
                "conflict",
                "business",
                "Order changed in SAP and in Odoo",
                record_fix,
            ),
            (
                PlantSyncBusinessError("Period closed", owner_group="finance"),
                "business",
                "business",
                "Period closed",
                record_fix,
            ),
            (
                MissingConfiguration(
                    "Set the release stage on the flow",
                    fix={"kind": "flow", "model": "plant.sync.flow", "res_id": self.flow.id},
                ),
                "configuration",
                "technical",
                "Set the release stage on the flow",
                ("flow", "plant.sync.flow", self.flow.id),
            ),
            (
                UserError("No encryption key is configured"),
                "odoo_refused",
                "technical",
                "Contact 'Work order 4711' could not be processed: No encryption key is "
                "configured — correct what this names",
                record_fix,
            ),
            (
                ZeroDivisionError("division by zero"),
                "unexpected",
                "technical",
                "Unexpected error while processing Contact 'Work order 4711' (division by zero) "
                "— Retry",
                ("flow", "plant.sync.flow", self.flow.id),
            ),
        ]
        for index, (error, kind, category, text, (fix_kind, model, res_id)) in enumerate(cases):
            with self.subTest(kind=kind, error=type(error).__name__):

                def handler(message, error=error):
                    raise error

                message, exception = self.run_with_handler(handler, key=("case", index))
                self.assertEqual(message.state, "failed")
                self.assertEqual(exception.kind, kind)
                self.assertEqual(exception.category, category)
                self.assertEqual(message.error_category, category)
                self.assertIn(text, exception.description)
                self.assertEqual(message.error_human, exception.description)
                self.assertIn(type(error).__name__, exception.technical_detail)
                self.assertEqual(exception.fix_button, fix_kind)
                self.assert_fix(exception, model, res_id)
                message.action_cancel()

    def test_retries_used_up_say_so_and_open_the_backend(self):
        self.remote.script(503, 503, 503)
        with trap_jobs() as trap, mute_logger(BACKEND_LOG):
            message = self.enqueue()
            job = trap.enqueued_jobs[0]
            for _attempt in range(self.flow.max_retries - 1):
                self.perform_expect_retry(job)
            job.perform()
        exception = self.open_exceptions(message)
        self.assertEqual(exception.kind, "transient_exhausted")
        self.assertEqual(
            exception.description,
            "Remote (loopback) (Test / Quality) could not be reached after 3 attempts (Remote "
            "unavailable) — check that it runs and answers (Test Connection on the backend), "
            "then Retry.",
        )
        self.assert_fix(exception, "plant.sync.backend", self.backend.id)

    def test_fix_button_checks_access_to_the_exception(self):
        def handler(message):
            raise errors.AuthenticationError("Logon failed")

        _message, exception = self.run_with_handler(handler)
        self.assertEqual(exception.owner_group, "admin")
        with self.assertRaises(AccessError):
            exception.with_user(self.planner).action_fix()
        with self.assertRaises(AccessError):
            exception.with_user(self.technician).action_fix()

    def test_exception_without_stored_fix_opens_its_record(self):
        exception = self.env["plant.sync.exception"]._report(
            "Unmatched consumption", record=self.record, backend=self.backend
        )
        self.assertEqual(exception.fix_button, "record")
        self.assert_fix(exception, "res.partner", self.record.id)

    # --- pulls: no traceback, an exception with the fix ---------------------------------------
    def run_pull(self, handler):
        with patch_pull(handler):
            return self.flow._job_pull_page()

    def test_pull_with_missing_configuration_raises_an_exception_instead_of_failing(self):
        def pull(flow, since=None, token=None, page_token=None):
            flow.write({"watermark_token": "changed before the failure"})
            raise MissingConfiguration(
                "No stock location is mapped",
                fix={
                    "kind": "mapping",
                    "model": "plant.sync.mapping",
                    "defaults": {"mapping_type": "location", "backend_id": flow.backend_id.id},
                },
            )

        result = self.run_pull(pull)
        self.assertTrue(result.startswith("failed: No stock location is mapped"))
        self.assertFalse(self.flow.watermark_token, "what the pull wrote is rolled back")
        exception = self.env["plant.sync.exception"].search([("flow_id", "=", self.flow.id)])
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.kind, "configuration")
        self.assertEqual(exception.backend_id, self.backend)
        self.assert_fix(
            exception, "plant.sync.mapping", mapping_type="location", backend_id=self.backend.id
        )
        # the next run meets the same gap: the same exception counts it
        self.run_pull(pull)
        self.assertEqual(exception.occurrences, 2)
        self.assertEqual(
            self.env["plant.sync.exception"].search_count([("flow_id", "=", self.flow.id)]), 1
        )

    def test_pull_with_missing_mapping_says_the_next_run_uses_it(self):
        def pull(flow, since=None, token=None, page_token=None):
            self.env["plant.sync.mapping"]._to_external(flow.backend_id, "plant", flow.company_id)

        self.run_pull(pull)
        exception = self.env["plant.sync.exception"].search([("flow_id", "=", self.flow.id)])
        self.assertEqual(exception.kind, "missing_mapping")
        self.assertTrue(exception.description.endswith("the next run uses it."))

    def test_pull_transient_error_is_a_job_retry(self):
        def pull(flow, since=None, token=None, page_token=None):
            raise errors.ServiceUnavailable("Gateway busy", retry_after=12)

        with self.assertRaises(RetryableJobError) as caught:
            self.run_pull(pull)
        self.assertEqual(caught.exception.seconds, 12)
        self.assertFalse(self.env["plant.sync.exception"].search([("flow_id", "=", self.flow.id)]))

    def test_pull_success_is_unchanged(self):
        def pull(flow, since=None, token=None, page_token=None):
            return BatchPage(items=[])

        self.assertEqual(self.run_pull(pull), "0 items, next page: False")
