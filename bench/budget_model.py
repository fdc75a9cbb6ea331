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
printed per scenario as the mean and the worst seed, for two sets of rules in the same run: each host alone
with the 429s it gets, and the hosts announcing each other on the budget Variable (``client.peers``, the
default under a distributed executor; the model's board answers at once, so the only lag is each host's
read and write cadence). Scenarios:

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

from airflow_provider_legallymail.client.adaptive import HostState, host_share
from airflow_provider_legallymail.client.peers import Peers

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


class MemoryBoard:
    """The budget Variable (``client.peers``), read and written at once: the hosts' only lag is their own
    read and write cadence."""

    def __init__(self) -> None:
        self.key = "model-board"
        self.text: str | None = None

    def read(self) -> str | None:
        return self.text

    def write(self, text: str) -> None:
        self.text = text


@dataclass
class Host:
    state: HostState
    distributed: bool = True
    pending: int = 0  # requests waiting for the budget or in flight
    name: str = ""
    polls: bool = False  # a triggerer: announces that it only polls
    peers: Peers | None = None  # on the board (``with the Variable``), else alone with its 429s


@dataclass(order=True)
class Event:
    time: float
    seq: int
    action: Callable[[float], None] = field(compare=False)


class Model:
    def __init__(self, seed: int, board: bool = False) -> None:
        self.board = MemoryBoard() if board else None
        self.now = 0.0
        self.hosts = 0
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

    def host(self, polls: bool = False) -> Host:
        """A new host, announced on the board when the model has one."""
        self.hosts += 1
        host = Host(HostState(limit=LIMIT, window=WINDOW, effective=float(LIMIT)), name=f"h{self.hosts}", polls=polls)
        if self.board is not None:
            host.peers = Peers(self.board, WINDOW, WINDOW / LIMIT, lambda: self.now)
        return host

    def _try(self, host: Host, ready: float, now: float, done: Callable[[float], None]) -> None:
        state = host.state
        state.expire(now)
        self.now = now
        hosts = host.peers.hosts(host.name, lambda: host.polls) if host.peers is not None else {}
        if hosts:
            state.share(host_share(LIMIT, hosts, host.name))
        wait = state.wait(now, pace_first_window=host.distributed)
        if wait > 0:
            self.at(now + wait, lambda t: self._try(host, ready, t, done))
            return
        state.take(now, grow=True, ceiling=state.shared if hosts else None)
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
                saturate(model, model.host(), 4, 0.0)
            return 0.0

        return build

    def late(model: Model) -> float:
        saturate(model, model.host(), 4, 0.0)
        saturate(model, model.host(), 4, 10 * WINDOW)
        return 10 * WINDOW

    def alone(model: Model) -> float:
        saturate(model, model.host(), 4, 0.0)
        for _ in range(2):
            saturate(model, model.host(), 4, 0.0, stop=20 * WINDOW)
        return 20 * WINDOW

    def mixed(model: Model) -> float:
        for _ in range(2):
            bursts(model, model.host(), 8, 20 * WINDOW, (10, 20), end)
        for _ in range(2):
            polls(model, model.host(polls=True), 6, 4 * WINDOW)
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
    print(f"  {'':<22} {'each host alone with its 429s':^34} {'hosts on the budget Variable':^34}")
    print(f"  {'scenario':<22} {'429 share':>16} {'use':>16}  {'429 share':>16} {'use':>16}")
    for name, build in scenarios(args.windows):
        cells = []
        for board in (False, True):
            shares, uses = [], []
            for seed in range(args.seeds):
                model = Model(seed, board=board)
                start = build(model)
                model.run(end)
                share, use = model.figures(start, end)
                shares.append(share)
                uses.append(use)
            mean_share, mean_use = sum(shares) / len(shares), sum(uses) / len(uses)
            cells.append(f"{mean_share:>7.1%} (max {max(shares):5.1%}) {mean_use:>6.0%} (min {min(uses):4.0%})")
        print(f"  {name:<22} {cells[0]}  {cells[1]}")


if __name__ == "__main__":
    main()
