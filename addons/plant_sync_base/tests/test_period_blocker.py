# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Period-close blockers (the exceptions part) and the finance fields of exceptions."""

from contextlib import nullcontext

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError
from odoo.tests.common import tagged

from .common import PlantSyncCase, patch_handler
from .test_journeys import posting_handler


@tagged("post_install", "-at_install")
class TestPeriodBlocker(PlantSyncCase):
    def fail(self, payloads, handler=None):
        self.remote.script(*[400] * len(payloads))
        Message = self.env["plant.sync.message"]
        records = self.env["res.partner"].create([{"name": str(p)} for p in payloads])
        handled = patch_handler(handler) if handler else nullcontext()
        with handled, trap_jobs() as trap:
            for number, (record, payload) in enumerate(zip(records, payloads, strict=True)):
                Message |= self.enqueue(record=record, payload=payload, key=("p", number))
            trap.perform_enqueued_jobs()
        return Message.exception_ids.sorted("id")

    def test_open_exceptions_with_value_block_the_period_of_their_document(self):
        payloads = [
            {"document": "A", "amount": 700.0, "posting_date": "2025-03-31", "cost_center": "1"},
            {"document": "B", "amount": 90.0, "date": "2025-04-01T08:00:00"},
        ]
        first, second = self.fail(payloads, handler=posting_handler)
        self.assertEqual(
            (first.document_date.isoformat(), first.posting_period, first.cost_center),
            ("2025-03-31", "2025-03", "1"),
        )
        self.assertEqual((second.posting_period, second.cost_center), ("2025-04", False))
        reported = self.env["plant.sync.exception"]._report(
            "Stock difference of 4 pumps", amount=2400.0, currency="EUR", backend=self.backend
        )
        # a planner's exception without value (SAP refused a notification) does not block
        (no_value,) = self.fail([{"description": "Pump P-101 leaking", "posting_date": "2025-03"}])
        Blocker = self.env["plant.sync.period.blocker"]
        blockers = Blocker.search(
            [("exception_id", "in", (first | second | reported | no_value).ids)]
        )
        self.assertEqual(
            sorted((b.period, b.source, b.status, b.amount) for b in blockers),
            sorted(
                [
                    ("2025-03", "exception", "exception", 700.0),
                    ("2025-04", "exception", "exception", 90.0),
                    (reported.posting_period, "exception", "exception", 2400.0),
                ]
            ),
        )
        # worked: no longer blocking
        first.with_user(self.admin).action_resolve()
        self.assertFalse(Blocker.search([("exception_id", "=", first.id)]))
        # finance reads it and opens the exception from a line; planners do not see the view
        line = Blocker.with_user(self.finance).search([("exception_id", "=", second.id)])
        self.assertEqual(line.company_id, self.company)
        self.assertFalse(Blocker.with_user(self.planner).has_access("read"))
        action = line.action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), (second._name, second.id))

    def test_finance_fields_are_the_engines(self):
        (exception,) = self.fail([{"posting_date": "2025-05-02"}])
        with self.assertRaises(AccessError):
            exception.with_user(self.admin).write({"posting_period": "2025-04"})
        self.assertEqual(exception.posting_period, "2025-05")
