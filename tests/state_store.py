"""A stand-in for Airflow 3.3's ``context["task_state_store"]``: get/set/delete/clear over JSON values.

Values are stored as JSON text, as the metadata database stores them, so what a test reads back is what
another host's try would read.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any


class FakeTaskStateStore:
    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.writes = 0

    def get(self, key: str, default: Any = None) -> Any:
        return json.loads(self.rows[key]) if key in self.rows else default

    def set(self, key: str, value: Any, *, retention: timedelta | None = None) -> None:
        if value is None:
            raise ValueError("Cannot set value as None")
        self.rows[key] = json.dumps(value)  # raises on anything that is not JSON, as the real store does
        self.writes += 1

    def delete(self, key: str) -> None:
        self.rows.pop(key, None)

    def clear(self) -> None:
        self.rows.clear()
