from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import UserError
from odoo.tests.common import tagged

from .common import PlantSyncCase


@tagged("post_install", "-at_install")
class TestAuditTrail(PlantSyncCase):
    def test_flow_and_backend_with_messages_cannot_be_deleted_from_the_ui(self):
        with trap_jobs():
            message = self.enqueue(payload={"description": "Pump leaks"})
        with self.assertRaises(UserError):
            message.flow_id.unlink()
        with self.assertRaises(UserError):
            message.backend_id.unlink()
        self.assertTrue(message.exists())

    def test_flow_without_messages_can_be_deleted(self):
        flow = self.flow.copy({"code": self.flow.code, "backend_id": self.backend.copy().id})
        flow.unlink()
        self.assertFalse(flow.exists())
