"""The promises, measured: from the sandbox's request log (what the API received and answered) and Airflow's
task instances (what ran where, and when).

- **Duplicates**: sends the API stored beyond the first, per unit: signature requests per document, certified
  emails per recipients + subject, SMS per number. A send whose answer its client never read (its worker was
  killed) counts: the API sent it.
- **429 share**: LegallyMail ``/api/*`` requests answered 429, over all of them.
- **Budget use**: over the rate windows (a grid of ``window`` seconds from the first request) in which the
  provider had work it held back: some send had been committed to (its attempt recorded in the task's send
  ledger, just before its POST queues for the budget) and had not yet reached the API (admitted), while its
  task try ran on a live host, for the whole window. Use = requests accepted in those windows / (limit x
  their number). A try's start-up, its look-ups and its wait for a lost send to settle come before its
  attempt is recorded: they are not work held back by the budget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from legallymail_sandbox.server import SandboxServer


def epoch(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


# Issue 18's promises for one request budget per address: at most 5% of the requests answered 429, at least
# 80% of the limit used while sends are held back, no task try failed by a 429. The rate figures of one run
# rest on ~135 requests and ~8 windows (one 429 more is ~0.7 points, one request fewer in a window ~1.3).
# With the hosts announcing each other, a triggerer weighing half a worker and no probe above a share
# (client.peers, client.adaptive): 0.7-2.4% answered 429 and 85-91% of the limit used in nine runs, two with
# the unit tests running beside. The list of 429s says when they came.
SHARE_429_MAX = 0.05
BUDGET_USE_MIN = 0.80
SEND_PATHS = {"/api/signature/send": "signature", "/api/send": "email", "/api/sms/send": "sms"}


def api_requests(log: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """LegallyMail API requests (the rate-limited ones), in arrival order."""
    return [e for e in log if e["api"] == "legallymail" and str(e["path"]).startswith("/api/")]


def email_unit(recipients: Iterable[str], subject: str) -> str:
    return f"{','.join(sorted(r.strip().lower() for r in recipients))} | {subject}"


def posted_unit(entry: Mapping[str, Any]) -> tuple[str, str] | None:
    """(kind, unit) of a send request the API admitted (answered 2xx), keyed as ``stored_sends`` keys it."""
    kind = SEND_PATHS.get(str(entry["path"])) if entry["method"] == "POST" else None
    if kind is None or entry["status"] is None or not 200 <= int(entry["status"]) < 300:
        return None
    body = entry.get("json") or {}
    if kind == "signature":
        return kind, str(body.get("document_name"))
    if kind == "sms":
        return kind, str(body.get("phone") or body.get("recipient"))
    recipients = body.get("recipient") or body.get("to") or []
    recipients = recipients.split(",") if isinstance(recipients, str) else recipients
    addresses = (str(r.get("email") if isinstance(r, dict) else r) for r in recipients)
    return kind, email_unit(addresses, str(body.get("subject")))


def stored_sends(server: SandboxServer) -> dict[tuple[str, str], list[float]]:
    """(kind, unit) -> when the API stored each send of it (sandbox clock = real time at speed 1)."""
    if server.sandbox is None:
        raise RuntimeError("the sandbox is not running")
    state = server.sandbox.state
    sends: dict[tuple[str, str], list[float]] = {}
    stored = [
        *((("signature", s.document_name), s.created_at) for s in state.signatures.values()),
        *(
            (("email", email_unit((r.email for r in e.recipients), e.subject)), e.created_at)
            for e in state.emails.values()
        ),
        *((("sms", s.phone), s.created_at) for s in state.sms.values()),
    ]
    for unit, created in stored:
        sends.setdefault(unit, []).append(created)
    return {unit: sorted(times) for unit, times in sends.items()}


@dataclass(frozen=True)
class Try:
    """One task try of a send: its unit, when it ran, and where."""

    unit: tuple[str, str]
    start: float
    end: float | None
    host: str
    number: int = 0


@dataclass(frozen=True)
class Attempt:
    """One attempt of a unit in its task's send ledger: the try that recorded it, and when (before its POST)."""

    unit: tuple[str, str]
    try_number: int
    at: float


def held_intervals(
    tries: Iterable[Try],
    attempts: Iterable[Attempt],
    sent: Mapping[tuple[str, str], float],
    killed: Mapping[str, float],
) -> list[tuple[float, float]]:
    """When each recorded attempt was held back: from its record (or its try's start, if later) until its unit
    first reached the API, its try ended, or its host was killed, whichever came first."""
    never = float("inf")
    by_try = {(t.unit, t.number): t for t in tries}
    held = []
    for attempt in attempts:
        run = by_try.get((attempt.unit, attempt.try_number))
        if run is None:
            continue
        end = min(run.end or never, killed.get(run.host, never), sent.get(attempt.unit, never))
        if end > max(attempt.at, run.start):
            held.append((max(attempt.at, run.start), end))
    return held


@dataclass
class Figures:
    limit: int
    window: float
    sends: dict[str, Counter[str]] = field(default_factory=dict)  # kind -> unit -> accepted sends
    total_requests: int = 0
    rate_limited: int = 0
    budget_windows: int = 0
    budget_accepted: int = 0
    task_states: Counter[str] = field(default_factory=Counter)
    extra_tries: int = 0
    waits_deferred_on_killed: int = 0
    waits_lost: int = 0
    takeover_seconds: float | None = None
    in_flight_at_kill: int = 0
    archives: int = 0
    archives_verified_elsewhere: int = 0
    elapsed_seconds: float = 0.0
    held: list[tuple[float, float]] = field(default_factory=list)
    held_windows: list[tuple[int, int]] = field(default_factory=list)  # (seconds from the first request, accepted)
    throttled: list[str] = field(default_factory=list)  # each 429: "<seconds from the first request>s <method> <path>"
    budget_hosts: list[str] = field(default_factory=list)  # the hosts on the budget Variable at the end (client.peers)
    failed_by_429: list[str] = field(default_factory=list)  # task tries that ended on a RateLimitedError

    # -- from the sandbox ----------------------------------------------------------------------------
    def read_sends(self, sends: Mapping[tuple[str, str], list[float]]) -> None:
        self.sends = {kind: Counter() for kind in ("signature", "email", "sms")}
        for (kind, unit), times in sends.items():
            self.sends[kind][unit] = len(times)

    def read_requests(self, log: Iterable[Mapping[str, Any]]) -> None:
        entries = api_requests(log)
        self.total_requests = len(entries)
        self.rate_limited = sum(1 for e in entries if e["status"] == 429)
        first = epoch(entries[0]["time"]) if entries else 0.0
        self.throttled = [
            f"{epoch(e['time']) - first:.0f}s {e['method']} {e['path']}" for e in entries if e["status"] == 429
        ]

    def read_budget(
        self,
        log: Iterable[Mapping[str, Any]],
        tries: Iterable[Try],
        attempts: Iterable[Attempt],
        killed: Mapping[str, float],
    ) -> None:
        entries = api_requests(log)
        if not entries:
            return
        times = [epoch(e["time"]) for e in entries]
        sent: dict[tuple[str, str], float] = {}  # each unit's first send the API admitted, on arrival
        for entry, when in zip(entries, times, strict=True):
            if (unit := posted_unit(entry)) is not None:
                sent.setdefault(unit, when)
        self.held = held_intervals(tries, attempts, sent, killed)
        held = self.held
        start, count = times[0], int((times[-1] - times[0]) // self.window)
        for n in range(count):
            low, high = start + n * self.window, start + (n + 1) * self.window
            if any(begin <= low and end >= high for begin, end in held):
                accepted = sum(1 for e, t in zip(entries, times, strict=True) if low <= t < high and e["status"] != 429)
                self.budget_windows += 1
                self.budget_accepted += accepted
                self.held_windows.append((round(low - start), accepted))

    # -- results -------------------------------------------------------------------------------------
    @property
    def duplicates(self) -> dict[str, int]:
        return {kind: sum(n - 1 for n in units.values()) for kind, units in self.sends.items()}

    @property
    def share_429(self) -> float:
        return self.rate_limited / self.total_requests if self.total_requests else 0.0

    @property
    def budget_use(self) -> float | None:
        return self.budget_accepted / (self.limit * self.budget_windows) if self.budget_windows else None

    def rows(self, expected_units: Mapping[str, int], tasks: int) -> list[tuple[str, str, str, bool]]:
        """(figure, measured, promise, kept)."""
        rows = []
        for kind, units in self.sends.items():
            sent, dupes = sum(units.values()), self.duplicates[kind]
            measured = f"{dupes} ({sent} accepted for {len(units)} of {expected_units[kind]})"
            rows.append((f"duplicate {kind} sends", measured, "0", dupes == 0 and len(units) == expected_units[kind]))
        succeeded = self.task_states["success"]
        states = ", ".join(f"{state} {n}" for state, n in sorted(self.task_states.items()))
        rows += [
            ("tasks succeeded", f"{succeeded} of {tasks} ({states})", "all", succeeded == tasks),
            ("extra task tries (retries used)", str(self.extra_tries), "-", True),
            (
                "waits lost (killed triggerer)",
                f"{self.waits_lost} of {self.waits_deferred_on_killed}",
                "0",
                self.waits_lost == 0 and self.waits_deferred_on_killed > 0,
            ),
            (
                "trigger takeover time",
                "-" if self.takeover_seconds is None else f"{self.takeover_seconds:.1f} s",
                "-",
                True,
            ),
            (
                "archives verified from another host",
                f"{self.archives_verified_elsewhere} of {self.archives}",
                "all",
                self.archives > 0 and self.archives_verified_elsewhere == self.archives,
            ),
            (
                "429 share of API requests",
                f"{self.share_429:.1%} ({self.rate_limited} of {self.total_requests})",
                f"<= {SHARE_429_MAX:.0%}",
                self.share_429 <= SHARE_429_MAX,
            ),
            (
                "task tries failed by a 429",
                f"{len(self.failed_by_429)}" + (f": {', '.join(self.failed_by_429)}" if self.failed_by_429 else ""),
                "0",
                not self.failed_by_429,
            ),
        ]
        use = self.budget_use
        rows.append(
            (
                "budget use while work was held",
                "-" if use is None else f"{use:.0%} ({self.budget_accepted} in {self.budget_windows} windows)",
                f">= {BUDGET_USE_MIN:.0%}",
                use is not None and use >= BUDGET_USE_MIN,
            )
        )
        windows = " ".join(f"{at}s:{n}" for at, n in self.held_windows) or "none"
        rows.append(("held windows (start: requests accepted)", windows, f"limit {self.limit}", True))
        rows.append(("429s (when: request)", ", ".join(self.throttled) or "none", "-", True))
        rows.append(
            (
                "hosts on the budget Variable at the end",
                ", ".join(self.budget_hosts) or "none",
                "announced",
                bool(self.budget_hosts),
            )
        )
        rows.append(("signature POSTs in flight at worker kill", str(self.in_flight_at_kill), "~8", True))
        rows.append(("workload run time", f"{self.elapsed_seconds:.0f} s", "-", True))
        return rows


def table(rows: list[tuple[str, str, str, bool]]) -> str:
    cells = [("figure", "measured", "promise", "kept"), *((a, b, c, "yes" if ok else "NO") for a, b, c, ok in rows)]
    width = [max(len(text) for text in column) for column in zip(*cells, strict=True)]
    lines = ["  ".join(f"{text:<{w}}" for text, w in zip(row, width, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)
