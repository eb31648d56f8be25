# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the SAP stock and purchasing flows share: the document of a message, the library
errors of pulls."""

from contextlib import contextmanager

from odoo.addons.plant_sync_base.exceptions import PlantSyncBusinessError
from odoo.addons.plant_sync_base.flow import Flow
from odoo.addons.queue_job.exception import RetryableJobError

from plant_sync.errors import outcome_of


@contextmanager
def library_errors():
    """Batch pulls run outside the message engine: a transient library error becomes a job
    retry, a permanent one fails the job (and lands in the queue_job exception list)."""
    try:
        yield
    except Exception as exc:
        outcome = outcome_of(exc)
        if outcome.transient:
            raise RetryableJobError(
                outcome.human,
                seconds=int(outcome.retry_after) if outcome.retry_after else None,
            ) from exc
        raise


class StockSapFlow(Flow):
    """Helpers of the stock and purchasing flows."""

    def document(self):
        """The Odoo record of the message (as superuser); a deleted one is an error for the
        administrator."""
        record = self.record()
        if not record:
            raise PlantSyncBusinessError(
                self.env._("The Odoo record of this message no longer exists."),
                owner_group="admin",
            )
        return record
