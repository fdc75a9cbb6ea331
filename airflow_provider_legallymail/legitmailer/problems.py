"""Problems found in input rows, reported all at once: the first few in full, then a count.

Messages name the row number and the field, never the row's content: addresses and token values stay out
of logs and task results. ``redact`` removes anything that looks like an address from an API message.
"""

from __future__ import annotations

import re

SHOWN = 20
_ADDRESS = re.compile(r"[^\s'\"<>(),;:]+@[^\s'\"<>(),;:]+")


def redact(text: str) -> str:
    """``text`` with every email-address-like word replaced by ``<address>``."""
    return _ADDRESS.sub("<address>", text)


class RowError(ValueError):
    """An input row that cannot be used; the message names fields, never values."""


class Problems:
    """Counts every problem and keeps the first ``SHOWN`` messages."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.count = 0
        self.first: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.count += 1
        if len(self.first) < SHOWN:
            self.first.append(f"{where}: {redact(message)}")

    def __bool__(self) -> bool:
        return self.count > 0

    def report(self) -> str:
        lines = [f"{self.count} problem(s) in {self.what}:"]
        lines += [f"  {line}" for line in self.first]
        if self.count > len(self.first):
            lines.append(f"  ... and {self.count - len(self.first)} more")
        if any(line.startswith("row ") for line in self.first):
            lines.append("(row N is the Nth data row, counted from 1: a CSV header row is not counted)")
        return "\n".join(lines)
