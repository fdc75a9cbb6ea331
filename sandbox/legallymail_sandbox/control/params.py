"""Reading numbers from control API bodies, with a 400 that names the field."""

from __future__ import annotations

from typing import Any

from legallymail_sandbox.apis import ApiError


def number(body: dict[str, Any], name: str, *, minimum: float = 0.0, integer: bool = False) -> float | None:
    """``body[name]`` as a number >= minimum (None when absent)."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(400, f"{name}: expected a number, got {value!r}")
    if integer and value != int(value):
        raise ApiError(400, f"{name}: expected a whole number, got {value!r}")
    if value < minimum:
        raise ApiError(400, f"{name}: must be >= {minimum:g}")
    return float(value)


def required_number(body: dict[str, Any], name: str, *, minimum: float = 0.0) -> float:
    value = number(body, name, minimum=minimum)
    if value is None:
        raise ApiError(400, f"{name}: required")
    return value
