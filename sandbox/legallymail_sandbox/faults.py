"""Fault injection per endpoint: an error status, latency, a committed operation whose response is dropped,
or a response whose body is tampered with (one byte changed, same length: a download with the wrong hash).

A fault matches one API, an optional method and a path inside that API (``/api/send``; a trailing ``*``
matches a prefix). It fires on ``ratio`` of the matching requests, deterministically (0.5: every second
one), until it has fired ``count`` times (no count: until cleared).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

APIS = ("legallymail", "legitmailer")


class FaultSpecError(ValueError):
    """The fault definition sent to the control API is unusable."""


@dataclass
class Fault:
    id: int
    api: str
    path: str
    method: str | None = None
    status: int | None = None
    count: int | None = None
    ratio: float = 1.0
    retry_after: float | None = None
    latency: float | None = None
    drop_response: bool = False
    tamper: bool = False
    seen: int = 0
    fired: int = 0

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count

    def matches(self, api: str, method: str, path: str) -> bool:
        if api != self.api or (self.method is not None and method.upper() != self.method):
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path.rstrip("/") == self.path.rstrip("/")

    def take(self) -> bool:
        """Count one matching request; True when the fault fires on it."""
        if self.exhausted:
            return False
        self.seen += 1
        fires = math.floor(self.seen * self.ratio + 1e-9) > math.floor((self.seen - 1) * self.ratio + 1e-9)
        if fires:
            self.fired += 1
        return fires

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(spec: dict[str, Any], name: str, *, low: float, high: float | None = None) -> float | None:
    value = spec.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultSpecError(f"{name}: expected a number, got {value!r}")
    if value < low or (high is not None and value > high):
        raise FaultSpecError(f"{name}: {value!r} is out of range")
    return float(value)


def parse_fault(fault_id: int, spec: Any) -> Fault:
    if not isinstance(spec, dict):
        raise FaultSpecError("the fault must be a JSON object")
    api = spec.get("api")
    if api not in APIS:
        raise FaultSpecError(f"api: expected one of {', '.join(APIS)}")
    path = spec.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise FaultSpecError("path: expected a path inside the API, such as /api/send")
    method = spec.get("method")
    if method is not None and not isinstance(method, str):
        raise FaultSpecError("method: expected a string")
    status = _number(spec, "status", low=400, high=599)
    count = _number(spec, "count", low=1)
    ratio = _number(spec, "ratio", low=0.0, high=1.0)
    drop = bool(spec.get("drop_response", False))
    tamper = bool(spec.get("tamper", False))
    latency = _number(spec, "latency", low=0.0)
    if sum((status is not None, drop, tamper)) > 1:
        raise FaultSpecError("status, drop_response and tamper exclude each other")
    if status is None and not drop and not tamper and latency is None:
        raise FaultSpecError("a fault needs status, latency, drop_response or tamper")
    if (status is not None and status != int(status)) or (count is not None and count != int(count)):
        raise FaultSpecError("status and count are whole numbers")
    return Fault(
        id=fault_id,
        api=api,
        path=path,
        method=method.upper() if method else None,
        status=int(status) if status is not None else None,
        count=int(count) if count is not None else None,
        ratio=1.0 if ratio is None else ratio,
        retry_after=_number(spec, "retry_after", low=0.0),
        latency=latency,
        drop_response=drop,
        tamper=tamper,
    )


def tampered(body: bytes) -> bytes:
    """``body`` with its middle byte changed: same length (Content-Length holds), different SHA-256."""
    if not body:
        return body
    middle = len(body) // 2
    return body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1 :]


class FaultBook:
    """The active faults, in the order they were added."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self._next_id = 1

    def add(self, spec: Any) -> Fault:
        fault = parse_fault(self._next_id, spec)
        self._next_id += 1
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def remove(self, fault_id: int) -> bool:
        before = len(self.faults)
        self.faults = [f for f in self.faults if f.id != fault_id]
        return len(self.faults) != before

    def pick(self, api: str, method: str, path: str) -> Fault | None:
        """The first matching fault that fires on this request, or None."""
        for fault in self.faults:
            if fault.matches(api, method, path) and fault.take():
                return fault
        return None
