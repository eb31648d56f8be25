"""BAPI_TRANSACTION_COMMIT / BAPI_TRANSACTION_ROLLBACK / RFC_PING."""

from __future__ import annotations

from typing import Any

from ..errors import SapError
from .common import empty_return, error_row


def commit(conn, WAIT: str = "", **_: Any) -> dict:
    try:
        conn.commit()
    except SapError as err:  # the update task failed: nothing of the LUW was posted
        return {"RETURN": error_row(err)}
    return {"RETURN": empty_return()}


def rollback(conn, **_: Any) -> dict:
    conn.rollback()
    return {"RETURN": empty_return()}


def ping(conn, **_: Any) -> dict:
    return {}
