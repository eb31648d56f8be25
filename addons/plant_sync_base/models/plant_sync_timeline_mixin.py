# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from odoo import api, fields, models
from odoo.tools.misc import format_datetime

#: message state -> (step state shown, what the step waits on)
MESSAGE_STATES = {
    "pending": "waiting",
    "sent": "waiting",
    "held": "blocked",
    "failed": "failed",
    "done": "done",
    "cancelled": "cancelled",
}
READER_GROUP = "plant_sync_base.group_plant_sync_user"


class PlantSyncTimelineMixin(models.AbstractModel):
    """The story of one business record across the systems: every step (created in Odoo,
    documents created or changed in SAP / the CMMS, confirmations, goods movements...) with its
    time, system, number and correlation id, and what the record waits on now.

    Built from ``plant.sync.message`` (each exchange) and ``plant.sync.binding`` (each external
    number). Steps are dicts (see :meth:`_plant_sync_timeline_step`); flow addons extend
    :meth:`_plant_sync_timeline_steps` (related records' messages, business steps) and
    :meth:`_plant_sync_timeline_waiting`."""

    _name = "plant.sync.timeline.mixin"
    _description = "Plant Sync: cross-system timeline"

    plant_sync_timeline = fields.Html(
        string="Timeline",
        compute="_compute_plant_sync_timeline",
        sanitize=False,  # rendered by QWeb from escaped values
        help="Every step of this record in Odoo, SAP and the CMMS, oldest first.",
    )
    plant_sync_waiting = fields.Char(
        string="Waiting On",
        compute="_compute_plant_sync_timeline",
        help="What this record waits for now (a system, a mapping, a person).",
    )

    def _compute_plant_sync_timeline(self):
        show_errors = self.env.user.has_group(READER_GROUP)
        for record in self:
            if not record.id:
                record.plant_sync_timeline = False
                record.plant_sync_waiting = False
                continue
            steps = record._plant_sync_timeline_steps()
            # the record's creation opens its story, whatever the clocks of the other systems
            steps.sort(key=lambda s: (s["sequence"] != 0, s["date"] or datetime.max, s["sequence"]))
            waiting = record._plant_sync_timeline_waiting(steps)
            record.plant_sync_waiting = "; ".join(waiting) or False
            record.plant_sync_timeline = self.env["ir.qweb"]._render(
                "plant_sync_base.plant_sync_timeline",
                {
                    "steps": [
                        dict(
                            step,
                            when=format_datetime(self.env, step["date"], dt_format="short")
                            if step["date"]
                            else "",
                            detail=step.get("detail") if show_errors else False,
                        )
                        for step in steps
                    ],
                    "waiting": waiting,
                },
            )

    # ---------------------------------------------------------------------------------------
    # hooks
    # ---------------------------------------------------------------------------------------
    def _plant_sync_timeline_step(self, **values):
        """One step. ``date`` (naive UTC), ``system`` ('Odoo', 'SAP', 'CMMS'...), ``title``,
        ``number`` (the document number in that system), ``correlation`` (correlation id of the
        exchange), ``state`` ('done', 'waiting', 'blocked', 'failed', 'cancelled', 'info'),
        ``waiting`` (what a step that is not done waits on), ``detail`` (error text, shown to
        integration users only), ``sequence`` (order of steps at the same time)."""
        step = {
            "date": False,
            "system": "Odoo",
            "title": "",
            "number": "",
            "correlation": "",
            "state": "done",
            "waiting": "",
            "detail": "",
            "sequence": 50,
        }
        step.update(values)
        return step

    def _plant_sync_timeline_messages(self):
        """The exchanges telling this record's story: its own messages (extensions add those
        of related records: labour lines, stock moves, requisitions...)."""
        self.ensure_one()
        return (
            self.env["plant.sync.message"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "=", self.id)], order="id")
        )

    def _plant_sync_timeline_steps(self):
        """The steps of this record: its creation in Odoo, then one per exchange (extensions
        rename them and add business steps)."""
        self.ensure_one()
        steps = [
            self._plant_sync_timeline_step(
                date=self.create_date,
                title=self.env._("Created in Odoo"),
                number=self.display_name,
                sequence=0,
            )
        ]
        steps += [
            self._plant_sync_timeline_message_step(message)
            for message in self._plant_sync_timeline_messages()
        ]
        # external numbers no exchange above names (a record imported by a batch pull...)
        numbers = {step["number"] for step in steps}
        bindings = (
            self.env["plant.sync.binding"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "=", self.id)])
        )
        for binding in bindings.filtered(lambda b: b.external_id not in numbers):
            steps.append(
                self._plant_sync_timeline_step(
                    date=binding.create_date,
                    system=self._plant_sync_system_label(binding.backend_id),
                    title=self.env._("Linked to %(backend)s", backend=binding.backend_id.name),
                    number=binding.external_id,
                    sequence=5,
                )
            )
        return steps

    def _plant_sync_timeline_waiting(self, steps):
        """What the record waits on now (texts, most urgent first): every step that is not
        done says what it waits for. Extensions add business waits (an approval, a release)."""
        order = {"failed": 0, "blocked": 1, "waiting": 2}
        open_steps = sorted(
            (s for s in steps if s["state"] in order and s.get("waiting")),
            key=lambda s: order[s["state"]],
        )
        return list(dict.fromkeys(s["waiting"] for s in open_steps))

    # ---------------------------------------------------------------------------------------
    # helpers
    # ---------------------------------------------------------------------------------------
    @api.model
    def _plant_sync_system_label(self, backend):
        """The system a step happened in ('SAP', 'CMMS', the backend's name)."""
        return backend._system_label() if backend else ""

    def _plant_sync_timeline_message_step(self, message, title=None, number=None):
        """The step of one exchange (message read in superuser mode)."""
        state = MESSAGE_STATES.get(message.state, "info")
        system = self._plant_sync_system_label(message.backend_id)
        flows = dict(message._fields["flow_code"]._description_selection(self.env))
        waiting = ""
        if state == "waiting":
            waiting = self.env._(
                "%(system)s: %(flow)s is queued (attempt %(attempt)s)",
                system=system,
                flow=title or flows.get(message.flow_code, message.flow_code),
                attempt=message.attempts + 1,
            )
        elif state == "blocked":
            waiting = self.env._(
                "Integration administrator: a %(mapping)s mapping is missing",
                mapping=message.hold_label or message.hold_mapping_type or "",
            )
        elif state == "failed":
            open_exceptions = message.exception_ids.filtered(
                lambda e: e.state in ("new", "in_progress")
            )
            owner = open_exceptions[:1].owner_group
            owners = dict(open_exceptions._fields["owner_group"]._description_selection(self.env))
            waiting = self.env._(
                "%(who)s: %(flow)s failed and waits for a decision",
                who=owners.get(owner) or self.env._("Integration administrator"),
                flow=title or flows.get(message.flow_code, message.flow_code),
            )
        return self._plant_sync_timeline_step(
            date=message.date_done or message.date_last_attempt or message.create_date,
            system=system,
            title=title or flows.get(message.flow_code, message.flow_code),
            number=number if number is not None else (message.external_id or ""),
            correlation=message.correlation_id or "",
            state=state,
            waiting=waiting,
            detail=message.error_human if state in ("failed", "blocked") else "",
            message_id=message.id,
            flow=message.flow_code,
        )
