"""Hosts behind one address announce each other (an Airflow Variable) and start from an equal share at once."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pytest

from airflow_provider_legallymail.client.budget import RequestBudget
from airflow_provider_legallymail.client.peers import Entry, Peers, parse, share_of, variable_key
from tests.unit.client.test_budget import FakeTime


class MemoryBoard:
    def __init__(self) -> None:
        self.text: str | None = None
        self.reads = self.writes = 0

    def read(self) -> str | None:
        self.reads += 1
        return self.text

    def write(self, text: str) -> None:
        self.writes += 1
        self.text = text


class BrokenBoard(MemoryBoard):
    def read(self) -> str | None:
        raise ConnectionError("execution API unreachable")


def host_budget(t: FakeTime, folder: Path, board: MemoryBoard) -> RequestBudget:
    """One host's client (its own budget folder) that announces itself on ``board``; a 60 s window of 10."""
    budget = RequestBudget("https://api:443", 10, state_dir=folder, clock=t.clock, sleep=t.sleep)
    budget.peers = Peers(board, 60.0, 6.0, t.clock)
    return budget


@pytest.fixture(autouse=True)
def distributed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")


def other_host(board: MemoryBoard, at: float, used: int, hungry: bool, name: str = "other-host") -> None:
    """Another host's entry on the board (what it wrote at ``at``)."""
    entries = json.loads(board.text or "{}")
    entries[name] = {"at": at, "used": used, "hungry": hungry}
    board.text = json.dumps(entries)


def test_the_limit_is_split_whole_between_hungry_hosts_and_fed_ones_keep_what_they_use() -> None:
    hungry = {name: Entry(0.0, 5, True) for name in "abcd"}
    shares = [share_of(10, hungry, name, hungry=True, used=5) for name in "abcd"]
    assert sorted(shares) == [2, 2, 3, 3]  # 10 in all, not 4 x 2
    board = {"a": Entry(0.0, 4, True), "b": Entry(0.0, 1, False), "c": Entry(0.0, 0, False)}
    assert share_of(10, board, "a", hungry=True, used=4) == 7  # b keeps 2 (its 1 and one more), c keeps 1
    assert share_of(10, board, "b", hungry=False, used=1) == 2  # b itself, as the others count it
    assert share_of(10, {"b": Entry(0.0, 9, False)}, "a", hungry=True, used=0) == 5  # at most an equal share
    assert share_of(10, {}, "a", hungry=True, used=0) == 10 and share_of(1, hungry, "a", hungry=True, used=0) == 1


def test_a_host_next_to_a_hungry_one_starts_from_half_and_takes_more_when_the_other_needs_less(
    tmp_path: Path,
) -> None:
    t, board = FakeTime(), MemoryBoard()
    budget = host_budget(t, tmp_path, board)
    other_host(board, t.now, used=8, hungry=True)
    budget.acquire()
    assert budget.current_limit() == 5  # no burst into the other host's share, before any 429
    t.now += 7
    other_host(board, t.now, used=1, hungry=False)  # its work is done
    budget.acquire()
    assert budget.current_limit() == 8  # it keeps 2
    entry = json.loads(board.text or "{}")[budget._host]
    assert entry["used"] == 0 and entry["hungry"] is True  # written before its first request: new, it wants a share


def test_when_the_other_hosts_go_quiet_the_busy_one_takes_the_whole_limit_at_once(tmp_path: Path) -> None:
    t, board = FakeTime(), MemoryBoard()
    budget = host_budget(t, tmp_path, board)
    for name in ("b", "c", "d"):
        other_host(board, t.now, used=3, hungry=True, name=name)
    budget.acquire()
    assert budget.current_limit() == 2
    t.now += 91  # the others wrote nothing for a window and a half: gone (idle, or killed)
    starts = [budget.acquire() for _ in range(6)]
    assert budget.current_limit() == 10
    assert starts[-1] - starts[0] <= 12  # the one slot of a quiet host, then a refresh (6 s) to say it wants more
    assert list(json.loads(board.text or "{}")) == [budget._host]


def test_every_process_of_a_host_announces_the_same_host(tmp_path: Path) -> None:
    t, board = FakeTime(), MemoryBoard()
    task_one, task_two = host_budget(t, tmp_path, board), host_budget(t, tmp_path, board)  # one budget folder
    task_one.acquire()
    task_two.acquire()
    assert len(json.loads(board.text or "{}")) == 1
    assert task_two.current_limit() == 10
    assert task_one._host == task_two._host and task_one._host.startswith(socket.gethostname()[:40] + "-")


def test_the_board_is_read_at_most_once_a_refresh_and_written_at_most_once_a_half_window(tmp_path: Path) -> None:
    t, board = FakeTime(), MemoryBoard()
    budget = host_budget(t, tmp_path, board)
    seen = []
    for at in (1000, 1003, 1006, 1009, 1031):  # refresh every 6 s; the host's entry is renewed after 30 s
        t.now = at
        budget.acquire()
        seen.append((board.reads, board.writes))
    assert seen == [(1, 1), (1, 1), (2, 1), (2, 1), (3, 2)]


def test_a_host_that_finds_its_slots_taken_says_so_at_its_next_read(tmp_path: Path) -> None:
    t, board = FakeTime(), MemoryBoard()
    budget = host_budget(t, tmp_path, board)
    other_host(board, t.now, used=8, hungry=True)
    for _ in range(6):  # its share is 5: the sixth waits for a slot
        budget.acquire()
    assert json.loads(board.text or "{}")[budget._host]["hungry"] is True


def test_a_host_a_429_cut_below_its_share_grows_back_to_it_within_three_busy_windows(tmp_path: Path) -> None:
    t, board = FakeTime(), MemoryBoard()
    budget = host_budget(t, tmp_path, board)
    other_host(board, t.now, used=5, hungry=True)
    budget.throttled(budget.acquire(), 0)  # traffic the board does not know about, or an overlap
    assert budget.current_limit() == 1
    limits = []
    for _ in range(3):
        end = t.now + 60
        while t.now < end:  # busy: it always wants one more request than it may send
            other_host(board, t.now, used=5, hungry=True)  # the other host is still there, still busy
            budget.acquire()
        limits.append(budget.current_limit())
    assert limits[-1] == 5 and limits[0] > 1  # back to its share; the small steps would still be at 1


def test_a_board_that_fails_leaves_the_budget_to_the_429s_and_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    t = FakeTime()
    budget = host_budget(t, tmp_path, BrokenBoard())
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            budget.acquire()
            t.now += 10
    assert budget.current_limit() == 10
    warnings = [r.getMessage() for r in caplog.records if "share the request budget" in r.getMessage()]
    assert len(warnings) == 1 and "ConnectionError: execution API unreachable" in warnings[0]


def test_one_host_alone_never_touches_the_board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    t, board = FakeTime(), MemoryBoard()
    host_budget(t, tmp_path, board).acquire()
    assert (board.reads, board.writes) == (0, 0)


def test_the_setting_turns_the_announcements_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__LEGALLYMAIL__SHARE_BUDGET_BETWEEN_HOSTS", "False")
    t = FakeTime()
    budget = RequestBudget("https://api:443", 10, state_dir=tmp_path, clock=t.clock, sleep=t.sleep)
    budget.acquire()
    assert budget.peers is None


def test_the_variable_is_named_for_the_api_and_unreadable_entries_count_as_no_host() -> None:
    assert variable_key("https://legallymail.com:443").startswith("legallymail_budget_hosts_")
    assert variable_key("https://a:443") != variable_key("https://b:443")
    assert parse("not json") == {} and parse("[1]") == {}
    assert parse('{"h": "x", "g": 5, "f": {"at": 7, "used": 2, "hungry": false}, "e": {"used": 1}}') == {
        "g": Entry(5.0, 0, True),  # a bare time: an announcement alone, wanting all it can get
        "f": Entry(7.0, 2, False),
    }


def test_a_poller_held_back_makes_its_host_hungry_and_one_with_nothing_to_poll_does_not(tmp_path: Path) -> None:
    t, board = FakeTime(), MemoryBoard()
    poller = host_budget(t, tmp_path, board)
    poller.background = True
    poller.acquire()
    t.now += 61  # past its first window: only a wait makes it hungry now
    poller.poll_view()
    assert json.loads(board.text or "{}")[poller._host]["hungry"] is False  # it asked for nothing
    poller.held()  # what the shared poller calls when it has a poll to make and no slot for it
    t.now += 7
    poller.poll_view()
    assert json.loads(board.text or "{}")[poller._host]["hungry"] is True


def test_a_hungry_host_that_stopped_renewing_its_entry_keeps_only_what_it_used(tmp_path: Path) -> None:
    """A worker killed while it waited for slots: its share goes to the others within a few reads, not a window."""
    t, board = FakeTime(), MemoryBoard()
    budget = host_budget(t, tmp_path, board)
    other_host(board, t.now - 12, used=3, hungry=True)  # renewed two reads (12 s) ago: alive and waiting
    budget.acquire()
    assert budget.current_limit() == 5
    t.now += 18  # 30 s since the other wrote: four reads without a renewal
    budget.acquire()
    assert budget.current_limit() == 6  # it keeps its 3 and one more (its requests are still in the window)
