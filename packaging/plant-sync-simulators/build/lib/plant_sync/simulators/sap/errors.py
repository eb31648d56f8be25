"""Business and protocol errors raised inside the simulator.

One exception type, :class:`SapError`, carries what SAP carries: a message class and number
(``T100`` message), its text and variables, a severity and the HTTP status SAP Gateway would
answer with. OData turns it into the SAP error JSON, RFC into a ``RETURN`` row (``TYPE='E'``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SapMessage:
    msg_class: str
    number: str
    text: str
    severity: str = "error"  # error | warning | info | success
    target: str = ""
    variables: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        return f"{self.msg_class}/{self.number}"

    @property
    def rfc_type(self) -> str:
        return {"error": "E", "warning": "W", "info": "I", "success": "S"}.get(self.severity, "E")


@dataclass
class SapError(Exception):
    """An error SAP would report. ``status`` is the HTTP status SAP Gateway uses for it."""

    msg_class: str
    number: str
    text: str
    status: int = 400
    target: str = ""
    variables: tuple[str, ...] = ()
    details: list[SapMessage] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.text)

    @property
    def code(self) -> str:
        return f"{self.msg_class}/{self.number}"

    def message(self) -> SapMessage:
        return SapMessage(
            self.msg_class, self.number, self.text, "error", self.target, self.variables
        )


def not_found(entity_set: str, key: str) -> SapError:
    return SapError(
        "/IWBEP/CM_MGW_RT",
        "020",
        f"Resource not found for segment '{entity_set}({key})'",
        status=404,
    )


def lock_error(obj: str, user: str) -> SapError:
    """SAP enqueue conflict (message MC 601). Transient: the holder releases the lock."""
    return SapError(
        "MC",
        "601",
        f"Object requested is currently locked by user {user}",
        status=423,
        target=obj,
        variables=(user,),
    )


def field_error(text: str, target: str = "", msg_class: str = "/IWBEP/CM_MGW_RT", no: str = "001"):
    return SapError(msg_class, no, text, status=400, target=target)
