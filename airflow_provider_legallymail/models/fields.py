"""Readers for JSON fields: dates in the connection's time zone, optional strings, ints and bools."""

from __future__ import annotations

from typing import Any

import pendulum
from pendulum import DateTime

from airflow_provider_legallymail.exceptions import UnreadableAnswerError


def as_datetime(value: Any, tz: str) -> DateTime | None:
    """Parse ``"2024-01-15 10:30:00"`` (no zone: taken in ``tz``) or an ISO 8601 string with an offset.

    None for text that is no date; ``UnreadableAnswerError`` for a date no clock can hold (the year
    99999999999999999999, an offset of +99:00, a date that leaves years 1-9999 in UTC).
    """
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        parsed = pendulum.parse(text, tz=tz, strict=False)
    except pendulum.parsing.exceptions.ParserError:
        return None
    except (ValueError, OverflowError):
        raise _out_of_range(text) from None
    if not isinstance(parsed, DateTime):
        return None
    try:
        parsed.in_timezone("UTC")
    except (ValueError, OverflowError):
        raise _out_of_range(text) from None
    return parsed


def _out_of_range(text: str) -> Exception:
    shown = text if len(text) <= 40 else f"{text[:40]}..."
    return UnreadableAnswerError(f"the API answered a timestamp out of range: {shown!r}")


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
