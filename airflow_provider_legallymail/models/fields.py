"""Readers for JSON fields: dates in the connection's time zone, optional strings, ints and bools."""

from __future__ import annotations

from typing import Any

import pendulum
from pendulum import DateTime


def as_datetime(value: Any, tz: str) -> DateTime | None:
    """Parse ``"2024-01-15 10:30:00"`` (no zone: taken in ``tz``) or an ISO 8601 string with an offset."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        parsed = pendulum.parse(text, tz=tz, strict=False)
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        return None
    return parsed if isinstance(parsed, DateTime) else None


def as_str(value: Any) -> str | None:
    return None if value is None else str(value)


def as_int(value: Any) -> int | None:
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}
