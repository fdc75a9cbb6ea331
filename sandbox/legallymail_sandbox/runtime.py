"""``Sandbox``: one running sandbox's config, clock, state, rate limiter and faults (one per app)."""

from __future__ import annotations

import time

from legallymail_sandbox.clock import SandboxClock
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.faults import FaultBook
from legallymail_sandbox.ratelimit import RateLimiter
from legallymail_sandbox.state import State
from legallymail_sandbox.store import Store


class Sandbox:
    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = SandboxClock(self.config.speed)
        self.store = Store(self.config.db_path)
        self.state = State(self.config, self.store, self.clock.now)
        self.limiter = RateLimiter(self.config.rate_limit, self.config.rate_window)
        self.faults = FaultBook()
        self.state.load()
        if self.state.saved_clock is not None:
            # A reloaded sandbox never goes back in time: statuses already reached stay reached.
            self.clock.reset(self.config.speed, start=max(time.time(), self.state.saved_clock))
        else:
            self.state.save_account()

    def now(self) -> float:
        return self.clock.now()

    def reset(self) -> None:
        """Back to the start config: no objects, full credits, no faults, empty log, clock offset 0."""
        self.clock.reset(self.config.speed)
        self.state.reset()
        self.limiter.configure(self.config.rate_limit, self.config.rate_window)
        self.limiter.clear()
        self.faults.clear()

    def close(self) -> None:
        self.store.close()
