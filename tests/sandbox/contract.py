"""Shape comparison for contract tests: an answer must have every documented key, with the documented types.

Examples of the same position (the items of a documented list) are merged: a key is required when any
example has it; its value may be null only when some example shows null there; a list must be non-empty
when every example of it is non-empty.
"""

from __future__ import annotations

from typing import Any


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def conforms(actual: Any, examples: list[Any], where: str = "$") -> list[str]:
    """Every difference between ``actual`` and the documented ``examples`` of that position."""
    present = [e for e in examples if e is not None]
    if actual is None:
        return (
            [f"{where}: null, documented as {json_type(present[0])}"]
            if present and len(present) == len(examples)
            else []
        )
    if not present:
        return []
    expected = json_type(present[0])
    if json_type(actual) != expected:
        return [f"{where}: {json_type(actual)}, documented as {expected}"]
    problems: list[str] = []
    if expected == "object":
        keys = dict.fromkeys(k for e in present for k in e)
        for key in keys:
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
                continue
            problems += conforms(actual[key], [e[key] for e in present if key in e], f"{where}.{key}")
    elif expected == "array":
        items = [item for e in present for item in e]
        if all(present) and not actual:
            problems.append(f"{where}: empty, documented with items")
        for i, item in enumerate(actual):
            if items:
                problems += conforms(item, items, f"{where}[{i}]")
    return problems


def assert_conforms(actual: Any, example: Any) -> None:
    problems = conforms(actual, [example])
    assert not problems, "\n".join(problems)
