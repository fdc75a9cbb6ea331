"""The adaptive request budget in a model: hosts behind one address, on a virtual clock, in milliseconds of CPU.

``bench/shared_budget.py`` and ``make test-distributed`` measure the real thing in real time (minutes per
figure, a few hundred requests, noisy). This model runs the same ``client.adaptive.HostState`` that every
host's budget file holds, against a server with LegallyMail's rule (a sliding window of accepted requests per
address; a 429 says in ``Retry-After`` the whole seconds until a slot frees), for thousands of windows, so
a change to the budget's rules shows its effect on the two figures issue 18 sets:

- **429 share**: requests answered 429 over all requests (target: at most 5%);
- **use**: requests accepted in windows in which some host had a request to make all along (waiting for
  the budget or in flight), over the limit times those windows (target: at least 80%).

Each scenario runs with several random seeds (request latencies and work arrivals vary); the figures are
printed per scenario as the mean and the worst seed. Scenarios:

- ``N saturated``: N hosts, each with 4 threads that always have a request to make;
- ``late joiner``: one saturated host alone for 10 windows, then a second;
- ``left alone``: three saturated hosts for 20 windows, then two stop (measured from then on);
- ``workers + triggerers``: two worker hosts that get bursts of sends (8 threads each: tasks), and two
  triggerer hosts that poll waits on a schedule, as in ``make test-distributed``'s workload.

Usage: ``python bench/budget_model.py [--windows 400] [--seeds 5]`` (``make bench``).
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from airflow_provider_legallymail.client.adaptive import HostState

LIMIT, WINDOW = 10, 15.0


class Server:
    """The API's rule: at most LIMIT accepted requests per WINDOW per address (sliding)."""

    def __init__(self) -> None:
        self.accepted: deque[float] = deque()
        self.log: list[tuple[float, bool]] = []  # (arrival, accepted)

    def arrive(self, now: float) -> float | None:
        while self.accepted and self.accepted[0] <= now - WINDOW:
            self.accepted.popleft()
        if len(self.accepted) >= LIMIT:
            self.log.append((now, False))
            return float(max(1, math.ceil(self.accepted[-LIMIT] + WINDOW - now)))
        self.accepted.append(now)
        self.log.append((now, True))
        return None


@dataclass
class Host:
    state: HostState
    distributed: bool = True
    pending: int = 0  # requests waiting for the budget or in flight


@dataclass(order=True)
class Event:
    time: float
    seq: int
    action: Callable[[float], None] = field(compare=False)


class Model:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.server = Server()
        self.queue: list[Event] = []
        self.seq = 0
        self.pending: list[tuple[float, float]] = []  # (ready, answered) of every request

    def at(self, time: float, action: Callable[[float], None]) -> None:
        self.seq += 1
        heapq.heappush(self.queue, Event(time, self.seq, action))

    def run(self, until: float) -> None:
        while self.queue and self.queue[0].time < until:
            event = heapq.heappop(self.queue)
            event.action(event.time)

    def request(self, host: Host, ready: float, done: Callable[[float], None]) -> None:
        """One request of ``host``, ready at ``ready``: budget, flight, answer (429s are waited out)."""
        host.pending += 1
        self._try(host, ready, ready, done)

    def _try(self, host: Host, ready: float, now: float, done: Callable[[float], None]) -> None:
        state = host.state
        state.expire(now)
        wait = state.wait(now, pace_first_window=host.distributed)
        if wait > 0:
            self.at(now + wait, lambda t: self._try(host, ready, t, done))
            return
        state.take(now, grow=True)
        latency = self.rng.uniform(0.05, 0.6)
        retry_after = self.server.arrive(now + latency * self.rng.uniform(0.2, 0.8))

        def answer(t: float) -> None:
            state.settle(now, t)
            if retry_after is not None:
                state.throttled(now, t, retry_after)
                self.at(t, lambda t2: self._try(host, ready, t2, done))
                return
            host.pending -= 1
            self.pending.append((ready, t))
            done(t)

        self.at(now + latency, answer)

    def figures(self, start: float, end: float) -> tuple[float, float]:
        log = [(t, ok) for t, ok in self.server.log if start <= t < end]
        share = sum(1 for _, ok in log if not ok) / max(1, len(log))
        busy: list[list[float]] = []  # when some request was waiting or in flight: merged intervals
        for begin, finish in sorted(self.pending):
            if busy and begin <= busy[-1][1]:
                busy[-1][1] = max(busy[-1][1], finish)
            else:
                busy.append([begin, finish])
        windows = accepted = 0
        for n in range(int((end - start) // WINDOW)):
            low, high = start + n * WINDOW, start + (n + 1) * WINDOW
            if any(begin <= low and finish >= high for begin, finish in busy):
                windows += 1
                accepted += sum(1 for t, ok in log if ok and low <= t < high)
        return share, accepted / (LIMIT * windows) if windows else float("nan")


def new_host() -> Host:
    return Host(HostState(limit=LIMIT, window=WINDOW, effective=float(LIMIT)))


def saturate(model: Model, host: Host, threads: int, start: float, stop: float = math.inf) -> None:
    def loop(t: float) -> None:
        if t < stop:
            model.request(host, t, lambda t2: model.at(t2, loop))

    for _ in range(threads):
        model.at(start, loop)


def bursts(model: Model, host: Host, threads: int, every: float, size: tuple[int, int], until: float) -> None:
    """Tasks: a burst of sends every ``every`` seconds, ``threads`` at a time."""
    backlog: list[int] = [0]
    running: list[int] = [0]

    def start_next(t: float) -> None:
        while backlog[0] and running[0] < threads:
            backlog[0] -= 1
            running[0] += 1
            model.request(host, t, finished)

    def finished(t: float) -> None:
        running[0] -= 1
        start_next(t)

    def burst(t: float) -> None:
        backlog[0] += model.rng.randint(*size)
        start_next(t)
        if t + every < until:
            model.at(t + every, burst)

    model.at(model.rng.uniform(0, every), burst)


def polls(model: Model, host: Host, waits: int, interval: float) -> None:
    """A triggerer: each wait reads its item every ``interval`` seconds, one request at a time."""

    def poll(t: float) -> None:
        model.request(host, t, lambda t2: model.at(t2 + interval, poll))

    for _ in range(waits):
        model.at(model.rng.uniform(0, interval), poll)


def scenarios(windows: int) -> Iterator[tuple[str, Callable[[Model], float]]]:
    end = windows * WINDOW

    def saturated(n: int) -> Callable[[Model], float]:
        def build(model: Model) -> float:
            for _ in range(n):
                saturate(model, new_host(), 4, 0.0)
            return 0.0

        return build

    def late(model: Model) -> float:
        saturate(model, new_host(), 4, 0.0)
        saturate(model, new_host(), 4, 10 * WINDOW)
        return 10 * WINDOW

    def alone(model: Model) -> float:
        saturate(model, new_host(), 4, 0.0)
        for _ in range(2):
            saturate(model, new_host(), 4, 0.0, stop=20 * WINDOW)
        return 20 * WINDOW

    def mixed(model: Model) -> float:
        for _ in range(2):
            bursts(model, new_host(), 8, 20 * WINDOW, (10, 20), end)
        for _ in range(2):
            polls(model, new_host(), 6, 4 * WINDOW)
        return 0.0

    yield "2 saturated", saturated(2)
    yield "4 saturated", saturated(4)
    yield "late joiner", late
    yield "left alone", alone
    yield "workers + triggerers", mixed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=400)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    end = args.windows * WINDOW
    print(f"Budget model: {LIMIT} requests per {WINDOW:g} s per address, {args.windows} windows, {args.seeds} seeds")
    print(f"  {'scenario':<22} {'429 share':>16} {'use':>16}")
    for name, build in scenarios(args.windows):
        shares, uses = [], []
        for seed in range(args.seeds):
            model = Model(seed)
            start = build(model)
            model.run(end)
            share, use = model.figures(start, end)
            shares.append(share)
            uses.append(use)
        mean_share, mean_use = sum(shares) / len(shares), sum(uses) / len(uses)
        print(f"  {name:<22} {mean_share:>7.1%} (max {max(shares):5.1%}) {mean_use:>6.0%} (min {min(uses):4.0%})")


if __name__ == "__main__":
    main()
