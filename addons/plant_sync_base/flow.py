# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a flow is, and the registry the engine finds flows in.

A flow is one class in one file, ``addons/<addon>/flows/<flow_code>.py``, registered with
:func:`register`. It declares its code and label (the ``plant.sync.flow`` code selection is built
from them), what triggers it, and its steps; the engine (``plant.sync.message._process``) calls
:meth:`Flow.run` for each message, and ``plant.sync.flow._job_pull_page`` calls :meth:`Flow.pull`
for scheduled pulls. Nothing is looked up by building method names. An addon imports its
``flows`` package before its ``models`` (and flows import no module of ``models``): the code
selection of ``plant.sync.flow`` is built from the registered flows.

Outbound flows (:class:`OutboundFlow`) have three steps, each a method a maintainer opens:

* :meth:`OutboundFlow.payload` builds what is sent from the Odoo record (a missing mapping raises
  ``MissingMapping``: the engine holds the message); returning a :class:`HandlerResult` instead
  ends the message without a remote call (e.g. the document already exists);
* :meth:`OutboundFlow.call` makes the remote call with the backend's library client — one
  attempt: queue_job and the message's attempts retry, never the library under the engine;
* :meth:`OutboundFlow.apply` writes the answer into Odoo and returns the :class:`HandlerResult`.

Inbound flows (:class:`InboundFlow`) apply one received payload (a pulled item, a page of rows, a
webhook event) with :meth:`InboundFlow.apply`.

The engine runs steps as superuser inside a savepoint: any exception rolls back what the flow
wrote in Odoo; the remote side is exactly-once through the message's idempotency key.
"""

from __future__ import annotations

from typing import ClassVar

from .exceptions import MissingConfiguration
from .tools import BatchPage, HandlerResult

_REGISTRY: dict[str, type[Flow]] = {}


def register(cls: type[Flow]) -> type[Flow]:
    """Class decorator: make ``cls`` the flow of its ``code`` (one flow per code)."""
    if not getattr(cls, "code", None):
        raise TypeError(f"{cls.__name__} declares no flow code")
    known = _REGISTRY.get(cls.code)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise TypeError(f"flow {cls.code} is declared twice: {known} and {cls}")
    parts = cls.__module__.split(".")
    cls.module = parts[2] if parts[:2] == ["odoo", "addons"] and len(parts) > 2 else parts[0]
    _REGISTRY[cls.code] = cls
    return cls


def flow_class(env, code: str) -> type[Flow] | None:
    """The flow class of ``code`` when its addon is loaded in ``env``'s database."""
    cls = _REGISTRY.get(code)
    if cls is None or cls.module not in env.registry._init_modules:
        return None
    return cls


def selection_of(module: str) -> list[tuple[str, str]]:
    """``selection_add`` of ``plant.sync.flow.code`` for the flows an addon declares (its
    ``flows`` package is imported before its models)."""
    return [(cls.code, cls.label) for cls in _REGISTRY.values() if cls.module == module]


def registered() -> dict[str, type[Flow]]:
    """Every declared flow by code (README's flow table is checked against it)."""
    return dict(_REGISTRY)


class Flow:
    """Base of every flow. One instance per message (or per pull job)."""

    code: ClassVar[str] = ""
    label: ClassVar[str] = ""
    #: what makes a message of this flow, in a maintainer's words
    trigger: ClassVar[str] = ""
    #: the addon that declares the flow (set by :func:`register`)
    module: ClassVar[str] = ""

    def __init__(self, message=None, flow=None):
        self.message = message
        self.flow = flow if flow is not None else message.flow_id
        self.backend = self.flow.backend_id
        self.env = (message or flow).env
        #: remote steps this message already completed in an earlier attempt (see
        #: :meth:`save_checkpoint`): a retry resumes after them instead of starting over
        self.checkpoint = dict(message.checkpoint or {}) if message else {}

    # the engine's entry points ----------------------------------------------------------
    def run(self) -> HandlerResult:
        """Process ``self.message``; the engine turns the result or exception into a state.
        A flow that only pulls has no messages of its own: one reaching it is a set-up error."""
        raise MissingConfiguration(
            self.env._(
                "The flow %(flow)s only pulls data: it has no messages to process.",
                flow=self.flow.display_name,
            ),
            code=f"flow {self.code} has no run()",
            fix={"kind": "flow", "model": self.flow._name, "res_id": self.flow.id},
        )

    def pull(self, since=None, token=None, page_token=None) -> BatchPage | dict:
        """Scheduled pulls: one page of changes since the watermark (see :class:`BatchPage`)."""
        raise NotImplementedError

    @classmethod
    def has_pull(cls) -> bool:
        return cls.pull is not Flow.pull

    # shared helpers -------------------------------------------------------------------
    def save_checkpoint(self, **done):
        """Remember that a remote step succeeded (JSON values, e.g. the number SAP gave).
        The engine keeps the checkpoint when the attempt fails later on (also across
        queue_job's rollback), so the next attempt skips the step: fewer calls, and a flaky
        remote only has to answer the steps that are left."""
        self.checkpoint.update(done)

    def record(self):
        """The Odoo record of the message (as superuser), or None when it was deleted."""
        record = self.message._record()
        return record.sudo() if record else None

    def with_client(self, fn):
        """``fn(client)`` with a library client of the backend, handed back after (closed, or
        kept for the next message when its kind pools clients and its session is still good)."""
        client = self.backend._client()
        try:
            result = fn(client)
        except BaseException as exc:
            self.backend._release_client(client, error=exc)
            raise
        self.backend._release_client(client)
        return result


class OutboundFlow(Flow):
    """Odoo → remote: payload, call, apply."""

    def run(self) -> HandlerResult:
        payload = self.payload()
        if isinstance(payload, HandlerResult):
            return payload
        answer = self.with_client(lambda client: self.call(client, payload))
        return HandlerResult.coerce(self.apply(payload, answer))

    def payload(self):
        """What is sent (or a HandlerResult: nothing to send)."""
        return self.message._get_payload()

    def call(self, client, payload):
        """The remote call (one attempt)."""
        raise NotImplementedError

    def apply(self, payload, answer) -> HandlerResult:
        """Write the answer into Odoo."""
        return HandlerResult.coerce(answer)


class InboundFlow(Flow):
    """Remote → Odoo: apply one received payload."""

    def run(self) -> HandlerResult:
        return HandlerResult.coerce(self.apply(self.message._get_payload()))

    def apply(self, payload) -> HandlerResult:
        raise NotImplementedError
