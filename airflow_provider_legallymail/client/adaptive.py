"""The host's request budget state and how its effective limit adapts to 429s (pure: no I/O, no clock).

Additive increase, multiplicative decrease, tuned for a limit counted in a few requests per minute, where
every probe that overshoots costs a 429:

- **Decrease.** A 429 multiplies the effective limit by ``DECREASE``, never below 1, and pauses the host
  until the answer's ``Retry-After`` (or the client's backoff when it has none). A host in its first
  window, or one that was using its whole limit, goes down to the number of its requests in the window
  that went out before the refused one when that is fewer (all the server gave it before it was full: hosts
  starting together converge in one step, not four). A host that was using less (it just got work next to
  busy hosts) is not cut to its few requests of the window: it keeps most of its share
  (``bench/budget_model.py``, "workers + triggerers": 70% of the limit used instead of 54%). One decrease
  per congestion event: a 429 to a request that started before the last decrease says nothing new.
- **Increase.** Only while the host uses its whole effective limit (a request takes its last slot in the
  window), at most once per window, never above the configured limit: no growth while idle, so an idle
  host does not burst later. The step is the host's share of ``GROWTH`` slots (``GROWTH * effective /
  limit``, at least ``MIN_STEP``): hosts do not know how many share the address, but each one's effective
  limit is about the configured limit divided by their number, so together they grow by about ``GROWTH``
  slots per window whatever their number, and the address overshoots rarely (``bench/shared_budget.py``).
  The step doubles every ``SPEEDUP_STEPS`` increases since the host's last 429 (up to ``MAX_SPEEDUP``
  times), so a busy host that is left alone (the other hosts went idle or stopped) climbs back to the
  limit within about ten windows, while hosts that all have work, and see a 429 every few windows, grow
  slowly. Idle windows do not count. (x0.7 with half the growth did better in the model; the constants
  stay those measured on several hosts until that is measured there too.)
- **Background polls do not probe.** A waits' poller's requests (``RequestBudget.background``) grow the limit
  only once the host has seen no 429 for ``BACKGROUND_CALM`` windows: right after a 429, the sends probe for
  more, and a triggerer's polls, which can wait, live with what the host has.
- **Hosts that announce each other share at once.** Under a distributed executor the hosts that ask for
  slots announce themselves, and whether they only poll (``client.peers``); when the recent ones change, a
  host starts from its share of the limit (``share``, ``host_share``: a host that only polls weighs half
  of one that sends): down to it when a host came, up to it when one left. The rules above go on from
  there.
  Below its share (a 429 cut it), a busy host grows back half the way to it (at least a slot) each
  window, not by the small steps: the hosts' shares add up to the limit, so that is safe unless traffic the
  board does not know uses the address. For the same reason it does not grow above its share: with every
  host busy, each probe above it would cost a 429 (and a cut, and a pause); a host takes more when one
  leaves.
- **A triggerer starts slow.** Under an executor of several hosts, a host whose first request is a
  background poll (a triggerer that starts next to workers that are already busy) starts at
  ``BACKGROUND_START`` of the limit instead of all of it, and doubles each window it uses all of it until its
  first 429 (slow start); from then on, the rules above. Waits can wait; the sends they would crowd out
  cannot, and a fresh host at the full limit next to busy ones costs the address a burst of 429s before it
  learns its share.
- **Pacing.** While its effective limit is below the configured one (the host shares the address), two
  requests of one host start at least ``PACING * window / effective`` apart: its share goes out spread
  over the window, so at the next overshoot fewer of its requests are in flight when the first 429
  comes back. A host alone keeps its full limit and may send it in one burst.
  Under an executor that runs tasks on several hosts (``topology.is_distributed_executor``) a host also
  paces its first window (a new budget file: a worker on a fresh disk, a triggerer that just started):
  hosts that start together then meet the server's limit one request each, not in a burst each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DECREASE = 0.6
GROWTH = 0.4
MIN_STEP = 0.05
SPEEDUP_STEPS = 2.0
MAX_SPEEDUP = 16.0
BACKGROUND_START = 0.2  # of the limit: a fresh host under a distributed executor whose first request is a poll
POLL_WEIGHT = 0.5  # a host that only polls (a triggerer) against one that sends, in the shares (host_share)
BACKGROUND_CALM = 4.0  # windows without a 429 before a background poller's requests may grow the host's limit
PACING = 0.5  # two requests of one host start at least this much of the even spacing (window / limit) apart
FUTURE_TOLERANCE = 1.0  # a stamp further ahead than this (another process's clock went back) is dropped


@dataclass
class HostState:
    limit: int  # configured
    window: float
    effective: float
    stamps: list[float] = field(default_factory=list)  # request starts, or ends once settled
    paused_until: float = 0.0
    changed_at: float = 0.0  # last increase or decrease
    decreased_at: float = 0.0
    increases: int = 0  # since the last decrease
    born: float = 0.0  # the host's first request (0: none yet)
    wanted_at: float = 0.0  # the last time a request that is not a background poll asked for a slot
    host: str = ""  # this host's id among the hosts that share the budget (client.peers; drawn by client.budget)
    shared: float = 0.0  # this host's share among the hosts that announce each other (client.peers); 0: none
    slow_start: bool = False  # started below the limit (start_background): doubles until a 429 or a share
    dirty: bool = False

    @classmethod
    def load(cls, raw: str, limit: int, window: float) -> HostState:
        try:
            data: Any = json.loads(raw or "[]")
        except ValueError:
            data = []
        if isinstance(data, list):  # the format of earlier releases: the stamps alone
            data = {"stamps": data}
        if not isinstance(data, dict):
            data = {}
        state = cls(limit=limit, window=window, effective=float(limit))
        state.stamps = sorted(float(t) for t in data.get("stamps", []) if isinstance(t, int | float))
        state.effective = min(float(limit), max(1.0, _number(data.get("effective"), float(limit))))
        state.paused_until = _number(data.get("paused_until"), 0.0)
        state.changed_at = _number(data.get("changed_at"), 0.0)
        state.decreased_at = _number(data.get("decreased_at"), 0.0)
        state.increases = int(_number(data.get("increases"), 0.0))
        state.born = _number(data.get("born"), 0.0)
        state.wanted_at = _number(data.get("wanted_at"), 0.0)
        state.shared = _number(data.get("shared"), 0.0)
        state.slow_start = data.get("slow_start") is True
        state.host = str(data.get("host") or "")
        return state

    def dump(self) -> dict[str, Any]:
        return {
            "stamps": self.stamps,
            "effective": self.effective,
            "paused_until": self.paused_until,
            "changed_at": self.changed_at,
            "decreased_at": self.decreased_at,
            "increases": self.increases,
            "born": self.born,
            "wanted_at": self.wanted_at,
            "host": self.host,
            "shared": self.shared,
            "slow_start": self.slow_start,
        }

    def allowed(self) -> int:
        """Request starts allowed per window now."""
        return max(1, int(self.effective + 1e-9))

    def expire(self, now: float) -> None:
        self.stamps = [t for t in self.stamps if now - t < self.window and t <= now + FUTURE_TOLERANCE]

    def wait(self, now: float, *, pace_first_window: bool = False) -> float:
        """Seconds until a request may start: the pause after a 429, or the oldest counted slot's end."""
        wait = self.paused_until - now
        first_window = pace_first_window and (self.born == 0.0 or now - self.born < self.window)
        if self.stamps and (self.effective < self.limit or first_window):  # spread, not one burst
            wait = max(wait, self.stamps[-1] + self.window * PACING / self.allowed() - now)
        over = len(self.stamps) - self.allowed()
        if over >= 0:
            wait = max(wait, self.stamps[over] + self.window - now)
        return max(0.0, wait)

    def share(self, slots: float) -> None:
        """This host's share of the limit among the hosts that share it (``host_share``): when that changed,
        start from it, down to it when a host came, up to it when one left."""
        if slots == self.shared:
            return
        before = self.shared or float(self.limit)  # none yet: the host was alone
        self.effective = min(self.effective, slots) if slots < before else max(self.effective, slots)
        self.shared = slots
        self.slow_start = False
        self.dirty = True

    def start_background(self) -> None:
        """This host's first request is a background poll and it may share the address: begin at
        ``BACKGROUND_START`` of the limit (it doubles until a 429 or a change of ``share``, ``_increase``)."""
        if self.born == 0.0 and self.decreased_at == 0.0 and self.effective >= self.limit:
            self.effective = max(1.0, self.limit * BACKGROUND_START)
            self.slow_start = self.dirty = True

    def calm(self, now: float) -> bool:
        """No 429 for ``BACKGROUND_CALM`` windows: background polls may probe for more only then."""
        return now - self.decreased_at >= BACKGROUND_CALM * self.window

    def want(self, now: float) -> None:
        """A send (any request but a background poll) asks for a slot now."""
        self.wanted_at = now
        self.dirty = True

    def sends_active(self, now: float) -> bool:
        """A send asked for a slot within the last window: background polls leave it a reserve meanwhile."""
        return self.wanted_at > 0 and now - self.wanted_at < self.window

    def next_release(self, now: float) -> float:
        """Seconds until one more request is free than now: the pause's end, or the oldest counted one's."""
        oldest = self.stamps[0] + self.window - now if self.stamps else 0.0
        return max(0.0, self.paused_until - now, oldest)

    def take(self, now: float, *, grow: bool, ceiling: float | None = None) -> None:
        """Record a request that starts ``now``; a host that used its whole limit may grow (``_increase``), up
        to ``ceiling`` when given (its share, while the hosts announce each other), else the configured limit."""
        self.born = self.born or now
        self.stamps.append(now)
        self.dirty = True
        if grow and len(self.stamps) >= self.allowed():
            self._increase(now, min(float(self.limit), ceiling or float(self.limit)))

    def settle(self, started: float, now: float) -> None:
        """Count the request that started at ``started`` from ``now`` on (its answer came back)."""
        if started in self.stamps:
            self.stamps.remove(started)
            self.stamps.append(max(started, now))
            self.stamps.sort()
            self.dirty = True

    def throttled(self, sent_at: float, now: float, pause: float) -> None:
        self.paused_until = max(self.paused_until, now + max(0.0, pause))
        self.slow_start = False
        if sent_at >= self.decreased_at:
            self.expire(now)
            cut = self.effective * DECREASE
            if now - self.born < self.window or len(self.stamps) >= self.allowed():  # new, or using all of it
                before = sum(1 for t in self.stamps if t <= sent_at) - (sent_at in self.stamps)  # before it was full
                cut = min(cut, float(before))
            self.effective = max(1.0, cut)
            self.decreased_at = self.changed_at = now
            self.increases = 0
        self.dirty = True

    def _increase(self, now: float, top: float) -> None:
        if self.effective >= top or now - self.changed_at < self.window:
            return
        speedup = min(MAX_SPEEDUP, 2.0 ** (self.increases / SPEEDUP_STEPS))
        step = max(MIN_STEP, GROWTH * self.effective / self.limit) * speedup
        if self.slow_start:  # no 429 yet since start_background: double
            step = self.effective
        elif self.effective < self.shared:  # back to the share, half the way (at least a slot) a window
            gap = self.shared - self.effective
            step = max(step, min(gap, max(1.0, gap / 2)))
        self.effective = min(top, self.effective + step)
        self.increases += 1
        self.changed_at = now


def host_share(limit: int, hosts: Mapping[str, bool], host: str) -> float:
    """``host``'s slots when ``limit`` is split between ``hosts`` (id -> polls only, ``client.peers``): a host
    that only polls (a triggerer) weighs ``POLL_WEIGHT`` of one that sends, since waits can wait and sends
    cannot. Whole slots that add up to the limit (largest remainders; ties to the hosts that send, then by
    id): 10 between two workers and two triggerers is 3, 3, 2, 2 (the workers' 3), between four workers
    3, 3, 2, 2 (by id), between one worker and one triggerer 7 and 3. At least 1 each."""
    order = sorted(hosts, key=lambda h: (hosts[h], h))
    if host not in hosts:
        return float(max(1, limit // max(1, len(order) + 1)))
    weights = [POLL_WEIGHT if hosts[h] else 1.0 for h in order]
    exact = [limit * w / sum(weights) for w in weights]
    slots = [int(x + 1e-9) for x in exact]
    by_remainder = sorted(range(len(order)), key=lambda i: (-round(exact[i] - slots[i], 9), i))
    for i in by_remainder[: limit - sum(slots)]:
        slots[i] += 1
    return float(max(1, slots[order.index(host)]))


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
