"""pyrfc-shaped exception classes, for code that must raise or catch what pyrfc raises.

Follows SAP/PyRFC ``src/pyrfc/_exception.py`` (Apache-2.0) as summarised in
``shared/reference/sap_rfc/pyrfc_errors.json``: the same class names, parents, constructor
keywords (``message, code, key, msg_class, msg_type, msg_number, msg_v1..msg_v4``) and
``str()`` format. The RFC simulator raises these; the RFC client (:mod:`plant_sync.sap.rfc`)
maps them, and pyrfc's own classes, by class name, so both are handled the same way.

No dependency on pyrfc itself: importing this module never needs the SAP NW RFC SDK.
"""

from __future__ import annotations

from typing import Any

RFC_RC: dict[int, str] = {
    0: "RFC_OK",
    1: "RFC_COMMUNICATION_FAILURE",
    2: "RFC_LOGON_FAILURE",
    3: "RFC_ABAP_RUNTIME_FAILURE",
    4: "RFC_ABAP_MESSAGE",
    5: "RFC_ABAP_EXCEPTION",
    6: "RFC_CLOSED",
    7: "RFC_CANCELED",
    8: "RFC_TIMEOUT",
    9: "RFC_MEMORY_INSUFFICIENT",
    10: "RFC_VERSION_MISMATCH",
    11: "RFC_INVALID_PROTOCOL",
    12: "RFC_SERIALIZATION_FAILURE",
    13: "RFC_INVALID_HANDLE",
    14: "RFC_RETRY",
    15: "RFC_EXTERNAL_FAILURE",
    16: "RFC_EXECUTED",
    17: "RFC_NOT_FOUND",
    18: "RFC_NOT_SUPPORTED",
    19: "RFC_ILLEGAL_STATE",
    20: "RFC_INVALID_PARAMETER",
    21: "RFC_CODEPAGE_CONVERSION_FAILURE",
    22: "RFC_CONVERSION_FAILURE",
    23: "RFC_BUFFER_TOO_SMALL",
    24: "RFC_TABLE_MOVE_BOF",
    25: "RFC_TABLE_MOVE_EOF",
    26: "RFC_START_SAPGUI_FAILURE",
    27: "RFC_ABAP_CLASS_EXCEPTION",
    28: "RFC_UNKNOWN_ERROR",
    29: "RFC_AUTHORIZATION_FAILURE",
}


class RFCError(Exception):
    """Exception base class: an error in the Python connector."""


class RFCLibError(RFCError):
    """Base class for errors reported by the SAP NW RFC library (an RFC_RC > 0)."""

    code2txt = RFC_RC

    def __init__(
        self,
        message: Any = None,
        code: Any = None,
        key: Any = None,
        msg_class: Any = None,
        msg_type: Any = None,
        msg_number: Any = None,
        msg_v1: Any = None,
        msg_v2: Any = None,
        msg_v3: Any = None,
        msg_v4: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.key = key
        self.msg_class = msg_class
        self.msg_type = msg_type
        self.msg_number = msg_number
        self.msg_v1 = msg_v1
        self.msg_v2 = msg_v2
        self.msg_v3 = msg_v3
        self.msg_v4 = msg_v4

    def __str__(self) -> str:
        return (
            f"{self.code2txt.get(self.code, '???')} (rc={self.code}): key={self.key}, "
            f"message={self.message} [MSG: class={self.msg_class}, type={self.msg_type}, "
            f"number={self.msg_number}, v1-4:={self.msg_v1};{self.msg_v2};{self.msg_v3};"
            f"{self.msg_v4}]"
        )


class ABAPApplicationError(RFCLibError):
    """RFC_ERROR_GROUP ABAP_APPLICATION_FAILURE (an ABAP exception / message of the FM)."""


class ABAPRuntimeError(RFCLibError):
    """RFC_ERROR_GROUP ABAP_RUNTIME_FAILURE (short dump, function module not found...)."""


class LogonError(RFCLibError):
    """RFC_ERROR_GROUP LOGON_FAILURE. Defaults allow raising it with a message only."""

    def __init__(
        self,
        message: Any = None,
        code: Any = 2,
        key: Any = "RFC_LOGON_FAILURE",
        *args: Any,
        **kw: Any,
    ) -> None:
        # the msg_class ... msg_v4 arguments of RFCLibError, positional or by keyword
        super().__init__(message, code, key, *args, **kw)


class CommunicationError(RFCLibError):
    """RFC_ERROR_GROUP COMMUNICATION_FAILURE (network, gateway, connection closed)."""


class ExternalRuntimeError(RFCLibError):
    """RFC_ERROR_GROUP EXTERNAL_RUNTIME_FAILURE."""


class ExternalApplicationError(RFCLibError):
    """RFC_ERROR_GROUP EXTERNAL_APPLICATION_FAILURE."""


class ExternalAuthorizationError(RFCLibError):
    """RFC_ERROR_GROUP EXTERNAL_AUTHORIZATION_FAILURE (missing S_RFC authorisation...)."""


class RFCTypeError(RFCLibError):
    """RFC_ERROR_GROUP RFC_TYPE_ERROR: invalid data type in an RFC input parameter."""


ERROR_GROUP_TO_EXCEPTION: dict[str, type[RFCLibError]] = {
    "ABAP_APPLICATION_FAILURE": ABAPApplicationError,
    "ABAP_RUNTIME_FAILURE": ABAPRuntimeError,
    "LOGON_FAILURE": LogonError,
    "COMMUNICATION_FAILURE": CommunicationError,
    "EXTERNAL_RUNTIME_FAILURE": ExternalRuntimeError,
    "EXTERNAL_APPLICATION_FAILURE": ExternalApplicationError,
    "EXTERNAL_AUTHORIZATION_FAILURE": ExternalAuthorizationError,
    "RFC_TYPE_ERROR": RFCTypeError,
}

__all__ = [
    "ABAPApplicationError",
    "ABAPRuntimeError",
    "CommunicationError",
    "ERROR_GROUP_TO_EXCEPTION",
    "ExternalApplicationError",
    "ExternalAuthorizationError",
    "ExternalRuntimeError",
    "LogonError",
    "RFCError",
    "RFCLibError",
    "RFCTypeError",
    "RFC_RC",
]
