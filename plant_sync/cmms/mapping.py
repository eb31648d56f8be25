"""Dotted paths into nested JSON/SOAP data: ``attributes.status.code``, ``items.0.id``,
``$.data.name`` (a leading ``$.`` is accepted for JSON-path habits). Used by the declarative
field mappings of the REST and SOAP clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MISSING = object()


def split(path: str) -> list[str]:
    path = path.strip()
    if path.startswith("$."):
        path = path[2:]
    elif path == "$":
        return []
    return [p for p in path.split(".") if p]


def get_path(data: Any, path: str, default: Any = None) -> Any:
    """Value at ``path`` or ``default``. A zeep simple-content value (``{"_value_1": x, ...}``)
    is unwrapped to ``x``."""
    current = data
    for part in split(path):
        if isinstance(current, Mapping):
            current = current.get(part, MISSING)
        elif isinstance(current, (list, tuple)) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else MISSING
        else:
            current = getattr(current, part, MISSING) if hasattr(current, part) else MISSING
        if current is MISSING or current is None:
            return default
    if isinstance(current, Mapping) and "_value_1" in current:
        current = current["_value_1"]
    return current


def set_path(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set ``value`` at ``path``, creating the intermediate objects."""
    parts = split(path)
    if not parts:
        raise ValueError("empty path")
    current = data
    for part in parts[:-1]:
        nxt = current.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            current[part] = nxt
        current = nxt
    current[parts[-1]] = value
    return data


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    return [value]


def fill_template(template: Any, values: Mapping[str, Any]) -> Any:
    """Copy ``template`` replacing ``{name}`` placeholders in string leaves. A leaf that is
    exactly one placeholder takes the value itself (keeps ints and datetimes); ``None`` values
    drop the key."""
    if isinstance(template, Mapping):
        result = {}
        for key, item in template.items():
            filled = fill_template(item, values)
            if filled is not None:
                result[key] = filled
        return result
    if isinstance(template, list):
        return [fill_template(item, values) for item in template]
    if isinstance(template, str):
        stripped = template.strip()
        if stripped.startswith("{") and stripped.endswith("}") and stripped[1:-1] in values:
            return values[stripped[1:-1]]
        text = template
        for key, value in values.items():
            text = text.replace("{" + key + "}", "" if value is None else str(value))
        return text
    return template
