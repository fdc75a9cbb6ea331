"""The ``limit`` parameter of LegallyMail's list endpoints: required, an integer in 1..25."""

from __future__ import annotations

from typing import Any

from airflow_provider_legallymail import limits
from legallymail_sandbox.apis import ApiError

RANGE = f"an integer between {limits.LIST_LIMIT_MIN} and {limits.LIST_LIMIT_MAX}"


def parse_limit(value: Any) -> int:
    if value is None or value == "":
        raise ApiError(400, f"limit: required, {RANGE}")
    if isinstance(value, bool):
        raise ApiError(400, f"limit: {value!r} is not {RANGE}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ApiError(400, f"limit: {value!r} is not {RANGE}") from None
    if not limits.LIST_LIMIT_MIN <= number <= limits.LIST_LIMIT_MAX:
        raise ApiError(400, f"limit: {number} is not {RANGE}")
    return number
