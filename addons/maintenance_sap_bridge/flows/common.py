# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the SAP maintenance flows share: the SAP header of a request, timeline notes, pull
watermarks and pages."""

import json

from odoo import fields
from odoo.addons.plant_sync_base.exceptions import MissingMapping
from odoo.addons.plant_sync_base.flow import Flow

from ..sap_tools import DEFAULT_PRIORITY, content_hash, external_number, to_aware


class SapMaintenanceFlow(Flow):
    """Helpers of the flows of maintenance requests."""

    def sap_header(self, request):
        """SAP values of a request from its equipment and the mappings. A missing equipment
        link or mapping raises MissingMapping: the engine holds the message until it exists."""
        backend = self.backend
        Mapping = self.env["plant.sync.mapping"].sudo()
        equipment = request.equipment_id
        number = backend._external_id_for(equipment)
        if not number:
            raise MissingMapping("equipment", equipment, "outbound", backend.id)
        plant = equipment.sap_plant or Mapping._to_external(backend, "plant", request.company_id)
        cost_key = equipment.category_id or request.company_id
        team = request.maintenance_team_id
        return {
            "equipment": number,
            "plant": plant,
            "cost_center": Mapping._to_external(backend, "cost_center", cost_key),
            "planner_group": Mapping._to_external(backend, "planner_group", team),
            "work_center": Mapping._to_external(
                backend, "work_center", team, default=equipment.sap_work_center or None
            ),
            "priority": Mapping._to_external(
                backend,
                "priority",
                request.priority or "2",
                default=DEFAULT_PRIORITY.get(request.priority or "2", ""),
            ),
        }

    def note(self, request, text):
        """A line on the request's SAP timeline, naming the flow and the message."""
        request._sap_timeline(
            self.env._(
                "SAP (%(flow)s, message %(id)s): %(text)s",
                flow=self.flow.display_name,
                id=self.message.id,
                text=text,
            )
        )

    @staticmethod
    def order_values(order):
        return {
            "sap_status": order.status.system_status if order.status else False,
            "sap_order_etag": order.etag or False,
            "sap_last_sync": fields.Datetime.now(),
        }

    # pulls: precise per-kind watermarks in watermark_token (Odoo Datetime keeps seconds) ---
    @staticmethod
    def marks(token):
        try:
            marks = json.loads(token or "{}")
        except ValueError:
            marks = {}
        return marks if isinstance(marks, dict) else {}

    @staticmethod
    def since(marks, kind, since):
        value = marks.get(kind)
        return to_aware(value) if value else to_aware(since)

    def enqueue_page(self, kind, rows, extra=None):
        """One inbound message per page of rows (applied by the flow's ``apply``); the key is
        the page content, so a re-pulled identical page is not processed twice. The base's page
        job schedules the new messages right after the pull."""
        if not rows:
            return self.env["plant.sync.message"]
        payload = dict(extra or {}, kind=kind, rows=rows)
        return self.env["plant.sync.message"]._enqueue(
            self.flow,
            None,
            payload,
            key_parts=(kind, content_hash(rows)),
            direction="inbound",
        )


def order_header(order):
    """The header of a library order as plain values (pulls, refreshes)."""
    return {
        "number": external_number(order.number),
        "order_type": order.order_type,
        "description": order.description,
        "notification": external_number(order.notification) if order.notification else "",
        "equipment": external_number(order.equipment) if order.equipment else "",
        "functional_location": order.functional_location,
        "planning_plant": order.planning_plant,
        "main_work_center": order.main_work_center,
        "system_status": order.status.system_status if order.status else "",
        "etag": order.etag,
    }


def plain(html):
    if not html:
        return ""
    from odoo.tools import html2plaintext  # noqa: PLC0415

    return html2plaintext(html).strip()
