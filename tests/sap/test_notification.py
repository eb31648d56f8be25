"""Maintenance notification over both transports."""

from __future__ import annotations

from plant_sync.idempotency import make_key
from plant_sync.sap.ops.notification import NotificationCreate


def test_create_read_complete_notification(service, sim):
    key = make_key("notification", service.transport, 1)
    equipment = sim.master["equipment"][0]
    data = NotificationCreate("M1", "Pump leaks at flange", equipment=equipment, priority="2")
    result = service.create_notification(data, idempotency_key=key)
    assert result.created
    note = result.document
    assert note.number and note.reference == key and note.text == "Pump leaks at flange"
    assert len(sim.store.find_notification_by_reference(key)) == 1

    again = service.create_notification(data, idempotency_key=key)
    assert again.found and again.document.number == note.number

    read = service.get_notification(note.number)
    assert read.number == note.number and read.notification_type == "M1"

    done = service.complete_notification(note.number)
    assert done.completed
    assert service.complete_notification(note.number).completed  # idempotent
