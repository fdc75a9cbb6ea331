"""How the multi-host proof measures budget use: what counts as work held back by the request budget."""

from __future__ import annotations

from pathlib import Path

from tests.distributed.figures import Attempt, Figures, Try, held_intervals
from tests.distributed.runs import tries_failed_by_429

UNIT = ("signature", "c1.pdf")


def test_a_send_is_held_from_its_ledger_record_until_the_api_admits_it_not_from_its_try_start() -> None:
    tries = [Try(UNIT, start=100.0, end=200.0, host="worker-a", number=1)]
    attempts = [Attempt(UNIT, try_number=1, at=130.0)]  # start-up and look-ups took 30 s
    assert held_intervals(tries, attempts, {UNIT: 150.0}, {}) == [(130.0, 150.0)]


def test_a_retry_waiting_for_a_lost_send_to_settle_is_not_held_back_by_the_budget() -> None:
    tries = [
        Try(UNIT, start=100.0, end=None, host="worker-a", number=1),
        Try(UNIT, start=125.0, end=240.0, host="worker-b", number=2),
    ]
    # try 1 recorded its attempt, then its host was killed before the POST got out; try 2 waited for the
    # lost send to settle, looked it up (absent) and recorded its own attempt at 190
    attempts = [Attempt(UNIT, try_number=1, at=105.0), Attempt(UNIT, try_number=2, at=190.0)]
    held = held_intervals(tries, attempts, {UNIT: 200.0}, {"worker-a": 120.0})
    assert held == [(105.0, 120.0), (190.0, 200.0)]


def test_an_attempt_after_its_unit_reached_the_api_holds_nothing() -> None:
    tries = [Try(UNIT, start=100.0, end=300.0, host="worker-b", number=2)]
    assert held_intervals(tries, [Attempt(UNIT, try_number=2, at=250.0)], {UNIT: 200.0}, {}) == []


def test_the_429s_are_counted_and_listed_with_when_and_what() -> None:
    def entry(api: str, method: str, path: str, status: int, second: int) -> dict[str, object]:
        return {"api": api, "method": method, "path": path, "status": status, "time": f"2026-12-07T04:00:{second:02}Z"}

    log = [
        entry("legallymail", "POST", "/api/sms/send", 200, 0),
        entry("legallymail", "GET", "/api/emails", 429, 12),
        entry("legitmailer", "POST", "/api/send", 429, 13),
        entry("legallymail", "POST", "/_sandbox/speed", 200, 14),
    ]
    figures = Figures(limit=10, window=15.0)
    figures.read_requests(log)
    assert (figures.total_requests, figures.rate_limited) == (2, 1)  # the rate-limited API's requests only
    assert figures.throttled == ["12s GET /api/emails"]


def test_the_hosts_on_the_budget_variable_are_listed_and_a_missing_variable_breaks_the_promise() -> None:
    figures = Figures(limit=10, window=15.0)
    row = {name: (measured, kept) for name, measured, _, kept in figures.rows({}, 0)}
    assert row["hosts on the budget Variable at the end"] == ("none", False)
    figures.budget_hosts = ["worker-a-1f2e3d4c", "triggerer-b-0a1b2c3d"]
    row = {name: (measured, kept) for name, measured, _, kept in figures.rows({}, 0)}
    assert row["hosts on the budget Variable at the end"] == ("worker-a-1f2e3d4c, triggerer-b-0a1b2c3d", True)


def test_a_try_that_a_429_failed_is_found_in_its_hosts_task_log_and_breaks_the_promise(tmp_path: Path) -> None:
    run = tmp_path / "worker-b" / "dag_id=distributed_workload" / "run_id=manual__1"
    failed = run / "task_id=request_signature" / "map_index=3" / "attempt=2.log"
    passed = run / "task_id=send_sms" / "map_index=0" / "attempt=1.log"
    for path in (failed, passed):
        path.parent.mkdir(parents=True)
    failed.write_text('{"event": "Task failed with exception", "error_detail": [{"exc_type": "RateLimitedError"}]}\n')
    passed.write_text('{"event": "POST /api/sms/send: rate limited (HTTP 429, 1 so far); the host pauses 6.0s"}\n')
    figures = Figures(limit=10, window=15.0)
    figures.failed_by_429 = tries_failed_by_429(tmp_path)
    row = {name: (measured, kept) for name, measured, _, kept in figures.rows({}, 0)}
    assert row["task tries failed by a 429"] == ("1: request_signature[3] try 2 on worker-b", False)


def test_the_rate_figures_are_held_to_the_issues_promises() -> None:
    figures = Figures(limit=10, window=15.0, total_requests=100, budget_windows=10)
    for rate_limited, accepted, kept in ((5, 80, (True, True)), (6, 79, (False, False))):
        figures.rate_limited, figures.budget_accepted = rate_limited, accepted
        row = {name: ok for name, _, _, ok in figures.rows({}, 0)}
        assert (row["429 share of API requests"], row["budget use while work was held"]) == kept
