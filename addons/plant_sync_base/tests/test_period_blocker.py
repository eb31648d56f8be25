# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Period-close blockers (the exceptions part) and the finance fields of exceptions."""

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError
from odoo.tests.common import tagged

from .common import PlantSyncCase


@tagged("post_install", "-at_install")
class TestPeriodBlocker(PlantSyncCase):
    def test_open_exceptions_block_the_period_of_their_document(self):
        self.remote.script(400, 400)
        payloads = [
            {"document": "A", "posting_date": "2025-03-31", "cost_center": "10101101"},
            {"document": "B", "date": "2025-04-01T08:00:00"},
        ]
        records = self.env["res.partner"].create([{"name": "A"}, {"name": "B"}])
        with trap_jobs() as trap:
            messages = self.enqueue(record=records[0], payload=payloads[0], key=("a",))
            messages |= self.enqueue(record=records[1], payload=payloads[1], key=("b",))
            trap.perform_enqueued_jobs()
        first, second = messages.exception_ids.sorted("id")
        self.assertEqual(
            (first.document_date.isoformat(), first.posting_period, first.cost_center),
            ("2025-03-31", "2025-03", "10101101"),
        )
        self.assertEqual((second.posting_period, second.cost_center), ("2025-04", False))
        reported = self.env["plant.sync.exception"]._report(
            "Stock difference of 4 pumps", amount=2400.0, currency="EUR", backend=self.backend
        )
        Blocker = self.env["plant.sync.period.blocker"]
        blockers = Blocker.search([("exception_id", "in", (first | second | reported).ids)])
        self.assertEqual(
            sorted((b.period, b.source, b.status, b.amount) for b in blockers),
            sorted(
                [
                    ("2025-03", "exception", "exception", 0.0),
                    ("2025-04", "exception", "exception", 0.0),
                    (reported.posting_period, "exception", "exception", 2400.0),
                ]
            ),
        )
        # worked: no longer blocking
        first.with_user(self.admin).action_resolve()
        self.assertFalse(Blocker.search([("exception_id", "=", first.id)]))
        # finance reads it and opens the exception from a line; planners do not see the view
        line = Blocker.with_user(self.finance).search([("exception_id", "=", reported.id)])
        self.assertEqual(line.company_id, self.company)
        self.assertFalse(Blocker.with_user(self.planner).has_access("read"))
        action = line.action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), (reported._name, reported.id))

    def test_finance_fields_are_the_engines(self):
        self.remote.script(400)
        with trap_jobs() as trap:
            message = self.enqueue(payload={"posting_date": "2025-05-02"})
            trap.perform_enqueued_jobs()
        exception = message.exception_ids.with_user(self.admin)
        with self.assertRaises(AccessError):
            exception.write({"posting_period": "2025-04"})
        self.assertEqual(exception.posting_period, "2025-05")
