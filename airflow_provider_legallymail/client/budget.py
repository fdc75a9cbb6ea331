"""A client-side request budget: at most N requests per minute to one API host, from this whole machine.

LegallyMail allows 10 requests per minute *per IP address*, so every process on a worker host shares one
budget: a sliding-window log of request start times in a small JSON file under a lock (``fcntl.flock``).
The file lives in ``$LEGALLYMAIL_PROVIDER_STATE_DIR`` (default: the system temp dir), one per API origin.
Where ``fcntl`` is missing the budget is per process.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from airflow_provider_legallymail.storage import digest

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

STATE_DIR_ENV = "LEGALLYMAIL_PROVIDER_STATE_DIR"
_now = time.time  # module-level so tests can drive a fake clock
_pause = time.sleep
_process_lock = threading.Lock()


def default_state_dir() -> Path:
    configured = os.environ.get(STATE_DIR_ENV)
    if configured:
        return Path(configured)
    uid = getattr(os, "getuid", lambda: 0)()
    return Path(tempfile.gettempdir()) / f"airflow-provider-legallymail-{uid}"


class RequestBudget:
    """Sliding window: no more than ``limit`` request starts within any ``window`` seconds."""

    def __init__(
        self,
        key: str,
        limit: int,
        *,
        window: float = 60.0,
        state_dir: Path | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock or (lambda: _now())
        self._sleep = sleep or (lambda seconds: _pause(seconds))
        self.path = (state_dir or default_state_dir()) / f"budget-{digest(key)}.json"

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def acquire(self) -> float:
        """Block until a request may start, record it, and return its start time (epoch seconds)."""
        while True:
            started, wait = self._try_take()
            if wait <= 0:
                return started
            self._sleep(wait)

    def free_slots(self) -> tuple[int, float]:
        """(request starts still allowed in the window now, seconds until the oldest leaves it); takes none.

        Lets a background poller yield to sends: it starts a request only while more than a reserve is free.
        """
        if not self.enabled:
            return 1 << 30, 0.0
        with self._locked_state() as handle:
            now = self._clock()
            stamps = [t for t in _read_stamps(handle) if now - t < self.window and t <= now + 1]
        wait = min(stamps) + self.window - now if stamps else 0.0
        return self.limit - len(stamps), max(0.0, wait)

    def _try_take(self) -> tuple[float, float]:
        """(now, 0) when a slot was taken; otherwise (now, seconds until the oldest start leaves the window)."""
        if not self.enabled:
            return self._clock(), 0.0
        with self._locked_state() as handle:
            now = self._clock()
            stamps = [t for t in _read_stamps(handle) if now - t < self.window and t <= now + 1]
            if len(stamps) < self.limit:
                stamps.append(now)
                _write_stamps(handle, stamps)
                return now, 0.0
            return now, min(stamps) + self.window - now

    @contextmanager
    def _locked_state(self) -> Iterator[IO[str]]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _process_lock, open(self.path, "a+", encoding="utf-8") as handle:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                if fcntl is not None:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read_stamps(handle: IO[str]) -> list[float]:
    handle.seek(0)
    try:
        data = json.loads(handle.read() or "[]")
    except ValueError:
        return []
    return [float(t) for t in data if isinstance(t, int | float)] if isinstance(data, list) else []


def _write_stamps(handle: IO[str], stamps: list[float]) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(stamps))
    handle.flush()
