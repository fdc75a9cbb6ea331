"""Hosts behind one address announce each other (an Airflow Variable) and start from their shares at once."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pytest

from airflow_provider_legallymail.client.adaptive import host_share
from airflow_provider_legallymail.client.budget import RequestBudget
from airflow_provider_legallymail.client.peers import Entry, Peers, parse, variable_key
from tests.unit.client.test_budget import FakeTime, busy_windows


class MemoryBoard:
    def __init__(self) -> None:
        self.key = f"board-{id(self)}"
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
        self.reads += 1
        raise ConnectionError("execution API unreachable")


def host_budget(t: FakeTime, folder: Path, board: MemoryBoard) -> RequestBudget:
    """One host's client (its own budget folder) that announces itself on ``board``; a 60 s window of 10."""
    budget = RequestBudget("https://api:443", 10, state_dir=folder, clock=t.clock, sleep=t.sleep)
    budget.peers = Peers(board, 60.0, 6.0, t.clock)
    return budget


@pytest.fixture(autouse=True)
def distributed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")


def test_a_host_that_comes_next_to_a_busy_one_makes_both_start_from_half_the_limit(tmp_path: Path) -> None:
    t, board = FakeTime(), MemoryBoard()
    first, second = host_budget(t, tmp_path / "a", board), host_budget(t, tmp_path / "b", board)
    first.acquire()
    assert first.current_limit() == 10  # alone on the board
    t.now += 1
    second.acquire()
    assert second.current_limit() == 5  # it read the first host there: no burst into the first one's share
    t.now += 6
    first.acquire()  # its next read, a refresh later
    assert first.current_limit() == 5
    assert sorted(json.loads(board.text or "{}")) == sorted([first._host, second._host])


def test_four_hosts_split_the_limit_whole_and_the_busy_one_takes_it_all_when_the_others_go_idle(
    tmp_path: Path,
) -> None:
    t, board = FakeTime(), MemoryBoard()
    hosts = [host_budget(t, tmp_path / name, board) for name in "abcd"]
    for budget in hosts:
        budget.acquire()
    t.now += 60
    for budget in hosts:
        budget.acquire()  # each reads the board again: four hosts
    assert sorted(budget.current_limit() for budget in hosts) == [2, 2, 3, 3]  # 10 in all, not 4 x 2
    t.now += 91  # only the first host still asks for slots: the others' entries are a window and a half old
    hosts[0].acquire()
    assert hosts[0].current_limit() == 10
    assert list(json.loads(board.text or "{}")) == [hosts[0]._host]


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


def test_a_host_a_429_cut_below_its_share_grows_back_to_it_within_two_busy_windows(tmp_path: Path) -> None:
    t, board = FakeTime(), MemoryBoard()
    first, second = host_budget(t, tmp_path / "a", board), host_budget(t, tmp_path / "b", board)
    first.acquire()
    second.acquire()
    second.throttled(second.acquire(), 0)  # another address's hosts, or a third host that has not announced
    assert second.current_limit() == 1
    limits = []
    for _ in range(3):
        t.now += 60
        first.acquire()  # still two hosts
        for _ in range(second.current_limit()):
            second.acquire()  # busy: every slot used
        limits.append(second.current_limit())
    assert limits == [3, 4, 5]  # 1 -> 3 (half of the gap of 4), 4, its share 5; the small steps would give 1, 1, 1


def test_a_board_that_fails_leaves_the_budget_to_the_429s_and_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    t, board = FakeTime(), BrokenBoard()
    budget, later = host_budget(t, tmp_path, board), host_budget(t, tmp_path, board)  # a second hook, say
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            budget.acquire()
            later.acquire()
            t.now += 10
    assert budget.current_limit() == 10
    warnings = [r.getMessage() for r in caplog.records if "share the request budget" in r.getMessage()]
    assert len(warnings) == 1 and "ConnectionError: execution API unreachable" in warnings[0]
    assert board.reads == 1  # the process stopped using the board, whichever budget tried it


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


def test_the_variable_is_named_for_the_api_and_unreadable_text_counts_as_no_host() -> None:
    assert variable_key("https://legallymail.com:443").startswith("legallymail_budget_hosts_")
    assert variable_key("https://a:443") != variable_key("https://b:443")
    assert parse("not json") == {} and parse("[1]") == {}
    assert parse('{"h": "x", "g": 5, "t": {"at": 7, "polls": true}, "u": {"polls": true}}') == {
        "g": Entry(5.0, polls=False),
        "t": Entry(7.0, polls=True),
    }


def test_a_host_that_only_polls_weighs_half_so_the_workers_sends_get_the_larger_shares(tmp_path: Path) -> None:
    t, board = FakeTime(), MemoryBoard()
    workers = [host_budget(t, tmp_path / name, board) for name in ("w1", "w2")]
    triggerers = [host_budget(t, tmp_path / name, board) for name in ("t1", "t2")]
    for budget in triggerers:
        budget.background = True  # the waits' poller's client
    for _ in range(2):
        for budget in (*workers, *triggerers):
            budget.acquire()
        t.now += 60
    assert [b.current_limit() for b in workers] == [3, 3]
    assert [b.current_limit() for b in triggerers] == [2, 2]  # 10 in all; equal shares would give the workers 2
    written = json.loads(board.text or "{}")
    assert written[triggerers[0]._host] == {"at": pytest.approx(t.now - 60), "polls": True}
    assert isinstance(written[workers[0]._host], float)  # a host that sends: the time alone, as before


def test_a_poller_whose_host_also_sends_announces_a_host_that_sends_at_once(tmp_path: Path) -> None:
    t, board = FakeTime(), MemoryBoard()
    poller, task = host_budget(t, tmp_path, board), host_budget(t, tmp_path, board)  # one host: a worker + triggerer
    poller.background = True
    poller.acquire()
    assert parse(board.text)[poller._host].polls is True
    task.acquire()  # a send of the same host, a second later: its entry is rewritten before the half window
    t.now += 6
    poller.acquire()
    assert parse(board.text)[poller._host].polls is False and board.writes == 2


def test_shares_add_up_to_the_limit_whatever_the_mix_of_hosts() -> None:
    for workers in range(0, 6):
        for triggerers in range(0, 4):
            hosts = {**{f"w{i}": False for i in range(workers)}, **{f"t{i}": True for i in range(triggerers)}}
            if hosts:
                shares = [host_share(10, hosts, h) for h in hosts]
                assert sum(shares) == 10 and min(shares) >= 1, hosts
                if workers and triggerers:
                    assert min(host_share(10, hosts, f"w{i}") for i in range(workers)) >= max(
                        host_share(10, hosts, f"t{i}") for i in range(triggerers)
                    )


def test_a_busy_host_does_not_probe_above_its_share_while_the_hosts_announce_each_other(tmp_path: Path) -> None:
    t, board = FakeTime(), MemoryBoard()
    first, second = host_budget(t, tmp_path / "a", board), host_budget(t, tmp_path / "b", board)
    first.acquire()
    second.acquire()
    limits = []
    for _ in range(6):
        t.now += 60
        for _ in range(5):
            first.acquire()  # both busy: every slot of their shares used, window after window
            second.acquire()
        limits.append((first.current_limit(), second.current_limit()))
    assert limits == [(5, 5)] * 6  # 10 between them; a probe above 5 would be answered 429 by the API


def test_a_host_without_the_board_still_probes_back_to_the_limit_after_a_429(tmp_path: Path) -> None:
    t = FakeTime()
    budget = host_budget(t, tmp_path, BrokenBoard())
    budget.throttled(budget.acquire(), 0)  # its first request: cut to what went before it, 1
    limits = busy_windows(t, budget, 12)
    assert limits[0] < limits[-1] == 10
