"""The client-side request budget: per minute, shared by every process on the host, per API origin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests_mock as rm

from airflow_provider_legallymail.client import budget as budget_module
from airflow_provider_legallymail.client.budget import RequestBudget
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from tests import api_examples as ex
from tests.conftest import LM_URL, conn_json


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def busy_windows(t: FakeTime, budget: RequestBudget, windows: int) -> list[int]:
    """The host's limit after each of ``windows`` busy windows (a window later, every slot of it used)."""
    limits = []
    for _ in range(windows):
        t.now += 60
        for _ in range(budget.current_limit()):
            budget.acquire()
        limits.append(budget.current_limit())
    return limits


def test_limit_per_window_then_waits_for_the_oldest_slot(tmp_path: Path) -> None:
    t = FakeTime()
    budget = RequestBudget("https://api:443", 3, state_dir=tmp_path, clock=t.clock, sleep=t.sleep)
    starts = []
    for _ in range(3):
        starts.append(budget.acquire())
        t.now += 1
    assert t.sleeps == []  # a host alone may send its whole limit at once
    starts.append(budget.acquire())
    assert t.sleeps == [57.0]  # first start at 1000, window 60, now 1003
    assert starts == [1000.0, 1001.0, 1002.0, 1060.0]


def test_a_host_sharing_the_address_spreads_its_requests_over_the_window(tmp_path: Path) -> None:
    """Below its configured limit, half the even spacing apart (5 s at 6 per minute), not in one burst."""
    t = FakeTime()
    budget = RequestBudget("https://api:443", 10, state_dir=tmp_path, clock=t.clock, sleep=t.sleep)
    for _ in range(8):
        budget.acquire()
    budget.throttled(budget.acquire(), 0)
    assert budget.current_limit() == 6
    t.now += 60
    starts = [budget.acquire() for _ in range(4)]
    assert starts == [1060.0, 1065.0, 1070.0, 1075.0]


@pytest.mark.parametrize(("executor", "paced"), [("CeleryExecutor", True), ("LocalExecutor", False)])
def test_a_new_host_under_a_distributed_executor_paces_its_first_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executor: str, paced: bool
) -> None:
    """A fresh worker or triggerer cannot know yet whether it is alone behind the address: no first burst."""
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", executor)
    t = FakeTime()
    budget = RequestBudget("https://api:443", 10, state_dir=tmp_path, clock=t.clock, sleep=t.sleep)
    first = [budget.acquire() for _ in range(3)]
    assert first == ([1000.0, 1003.0, 1006.0] if paced else [1000.0, 1000.0, 1000.0])
    t.now = 1061.0  # a window later, still alone (no 429): a host at its full limit may burst again
    assert [budget.acquire() for _ in range(3)] == [1061.0, 1061.0, 1061.0]


def test_budget_is_shared_between_clients_of_the_same_origin(tmp_path: Path) -> None:
    t = FakeTime()
    a = RequestBudget("https://api:443", 2, state_dir=tmp_path, clock=t.clock, sleep=t.sleep)
    b = RequestBudget("https://api:443", 2, state_dir=tmp_path, clock=t.clock, sleep=t.sleep)
    other = RequestBudget("https://other:443", 2, state_dir=tmp_path, clock=t.clock, sleep=t.sleep)
    a.acquire()
    b.acquire()
    other.acquire()
    other.acquire()
    assert t.sleeps == []
    b.acquire()
    assert t.sleeps == [60.0]


def test_zero_disables_the_budget(tmp_path: Path) -> None:
    t = FakeTime()
    budget = RequestBudget("k", 0, state_dir=tmp_path, clock=t.clock, sleep=t.sleep)
    for _ in range(100):
        budget.acquire()
    assert t.sleeps == [] and not list(tmp_path.iterdir())


def test_corrupt_state_file_is_tolerated(tmp_path: Path) -> None:
    t = FakeTime()
    budget = RequestBudget("k", 1, state_dir=tmp_path, clock=t.clock, sleep=t.sleep)
    budget.path.parent.mkdir(parents=True, exist_ok=True)
    budget.path.write_text("{not json")
    assert budget.acquire() == 1000.0


_WORKER = """
import json, sys
from pathlib import Path
from airflow_provider_legallymail.client.budget import RequestBudget
budget = RequestBudget("https://shared:443", 5, window=1.0, state_dir=Path(sys.argv[1]))
print(json.dumps([budget.acquire() for _ in range(4)]))
"""


def test_separate_processes_never_exceed_the_budget_together(tmp_path: Path) -> None:
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    starts = sorted(t for w in workers for t in json.loads(w.communicate(timeout=60)[0]))
    assert len(starts) == 12
    for i, first in enumerate(starts):
        in_window = [t for t in starts[i:] if t - first < 1.0]
        assert len(in_window) <= 5, f"{len(in_window)} requests within one window starting at {first}"


def test_hook_requests_wait_for_the_connection_budget(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    t = FakeTime()
    monkeypatch.setattr(budget_module, "_now", t.clock)
    monkeypatch.setattr(budget_module, "_pause", t.sleep)
    monkeypatch.setenv("AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", conn_json("legallymail", LM_URL, requests_per_minute=2))
    hook = LegallyMailHook()
    with rm.Mocker() as m:
        m.get(f"{LM_URL}/api/info", json=ex.LM_INFO)
        for _ in range(3):
            hook.get_account_info()
    assert m.call_count == 3
    assert t.sleeps == [60.0]


def test_downloads_do_not_spend_the_api_budget(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    t = FakeTime()
    monkeypatch.setattr(budget_module, "_now", t.clock)
    monkeypatch.setattr(budget_module, "_pause", t.sleep)
    monkeypatch.setenv("AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", conn_json("legallymail", LM_URL, requests_per_minute=1))
    hook = LegallyMailHook()
    with rm.Mocker() as m:
        m.get(f"{LM_URL}/api/info", json=ex.LM_INFO)
        m.get(f"{LM_URL}/emails/download-certificate", content=b"%PDF-1.4")
        hook.get_account_info()
        for _ in range(3):
            hook.download(f"{LM_URL}/emails/download-certificate?id=cm_1&status=read")
        assert t.sleeps == []
        hook.get_account_info()
    assert t.sleeps == [60.0]


# -- adapting to 429s: N hosts behind one address ---------------------------------------------------------
def budget_on(t: FakeTime, tmp_path: Path, limit: int = 10) -> RequestBudget:
    return RequestBudget("https://api:443", limit, state_dir=tmp_path, clock=t.clock, sleep=t.sleep)


def test_a_request_is_counted_until_its_answer_came_back(tmp_path: Path) -> None:
    """The server counts a request when it arrives: a slot is reused a window after the answer, not the start."""
    t = FakeTime()
    budget = budget_on(t, tmp_path, limit=1)
    started = budget.acquire()
    t.now += 0.4  # the answer takes 0.4 s
    budget.settle(started)
    assert budget.acquire() == pytest.approx(1060.4)  # not 1060.0, when the server may still count it


def test_a_429_lowers_the_host_limit_once_per_congestion(tmp_path: Path) -> None:
    t = FakeTime()
    budget = budget_on(t, tmp_path)
    for _ in range(8):  # accepted
        budget.acquire()
    first, second = budget.acquire(), budget.acquire()
    t.now += 1
    budget.throttled(first, 0)
    assert budget.current_limit() == 6  # 10 x 0.6
    budget.throttled(second, 0)  # started before that decrease: the same congestion
    assert budget.current_limit() == 6
    t.now += 60
    for _ in range(5):
        budget.acquire()
    budget.throttled(budget.acquire(), 0)
    assert budget.current_limit() == 3  # 6 x 0.6 = 3.6


def test_a_429_lowers_the_limit_to_what_the_server_gave_this_host(tmp_path: Path) -> None:
    """Hosts starting together: one 429 after 2 accepted requests says the host's share is about 2, not 6."""
    t = FakeTime()
    budget = budget_on(t, tmp_path)
    budget.acquire(), budget.acquire()
    budget.throttled(budget.acquire(), 0)
    assert budget.current_limit() == 2


def test_a_host_that_just_got_work_next_to_busy_ones_keeps_most_of_its_share(tmp_path: Path) -> None:
    """Past its first window, its first request of a window met a 429 (the others had filled it): cutting it to
    the 0 requests it had sent would leave it one request per window for its work while the others go idle."""
    t = FakeTime()
    budget = budget_on(t, tmp_path)
    budget.acquire()
    t.now += 300  # idle since
    budget.throttled(budget.acquire(), 0)
    assert budget.current_limit() == 6  # 10 x 0.6, not 0


def test_the_limit_never_drops_below_one(tmp_path: Path) -> None:
    t = FakeTime()
    budget = budget_on(t, tmp_path)
    for _ in range(20):
        budget.throttled(budget.acquire(), 0)
        t.now += 61
    assert budget.current_limit() == 1
    budget.acquire()
    assert t.sleeps == []  # one request per window still goes


def test_retry_after_pauses_every_process_of_the_host(tmp_path: Path) -> None:
    t = FakeTime()
    worker, triggerer = budget_on(t, tmp_path), budget_on(t, tmp_path)  # two processes: one state file
    worker.throttled(worker.acquire(), 90)
    assert triggerer.poll_view()[:2] == (0, 90.0)  # the poller yields too
    assert triggerer.acquire() == 1090.0
    assert t.sleeps == [90.0]


_THROTTLE = """
import sys
from pathlib import Path
from airflow_provider_legallymail.client.budget import RequestBudget
budget = RequestBudget("https://shared:443", 10, state_dir=Path(sys.argv[1]))
for _ in range(8):
    budget.acquire()
budget.throttled(budget.acquire(), 300)
"""


def test_a_429_seen_by_another_process_pauses_and_slows_this_one(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", _THROTTLE, str(tmp_path)], check=True, timeout=60)
    here = RequestBudget("https://shared:443", 10, state_dir=tmp_path)
    free, wait, _, _ = here.poll_view()
    assert free == 0 and 200 < wait <= 300
    assert here.current_limit() == 6


def test_the_limit_grows_back_only_while_the_host_uses_all_of_it(tmp_path: Path) -> None:
    t = FakeTime()
    budget = budget_on(t, tmp_path)
    for _ in range(8):
        budget.acquire()
    budget.throttled(budget.acquire(), 0)
    assert budget.current_limit() == 6
    for _ in range(30):  # idle: one request per window, never the whole limit
        t.now += 60
        budget.acquire()
    assert budget.current_limit() == 6
    limits = []
    for _ in range(40):  # busy: every slot used, window after window
        for _ in range(budget.current_limit()):
            budget.acquire()
        t.now += 60
        limits.append(budget.current_limit())
    assert limits == sorted(limits)  # no 429 meanwhile: it only grows
    assert limits[0] < 10 and len(set(limits)) >= 4  # step by step, additively
    assert limits[-1] == 10  # back to the configured limit, and never above it


def test_a_busy_host_left_alone_climbs_back_to_the_limit_within_ten_windows(tmp_path: Path) -> None:
    """The other hosts went idle: the step doubles every two increases, so the address is used again soon."""
    t = FakeTime()
    budget = budget_on(t, tmp_path)
    for _ in range(4):
        budget.acquire()
    budget.throttled(budget.acquire(), 0)  # cut to what the server gave this host: 4
    limits = busy_windows(t, budget, 10)
    assert limits[0] == 4 and limits[-1] == 10
    assert limits[1] - limits[0] <= 1  # slowly at first: hosts that all have work overshoot rarely


def test_the_fixed_budget_ignores_429s(tmp_path: Path) -> None:
    t = FakeTime()
    budget = RequestBudget("k", 10, state_dir=tmp_path, clock=t.clock, sleep=t.sleep, adaptive=False)
    budget.throttled(budget.acquire(), 30)
    assert budget.current_limit() == 10 and budget.poll_view()[:2] == (9, 60.0)


def test_the_state_file_of_earlier_releases_is_read(tmp_path: Path) -> None:
    t = FakeTime()
    budget = budget_on(t, tmp_path, limit=2)
    budget.path.parent.mkdir(parents=True, exist_ok=True)
    budget.path.write_text(json.dumps([990.0, 995.0]))  # a list of starts
    budget.acquire()
    assert t.sleeps == [50.0]


def test_a_429_through_the_hook_pauses_the_host_for_retry_after(
    monkeypatch: pytest.MonkeyPatch, sleeps: list[float], tmp_path: Path
) -> None:
    t = FakeTime()
    monkeypatch.setattr(budget_module, "_now", t.clock)
    monkeypatch.setattr(budget_module, "_pause", t.sleep)
    monkeypatch.setenv("AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", conn_json("legallymail", LM_URL))
    hook = LegallyMailHook()
    with rm.Mocker() as m:
        m.get(f"{LM_URL}/api/info", [{"status_code": 429, "headers": {"Retry-After": "90"}}, {"json": ex.LM_INFO}])
        hook.get_account_info()
    assert m.call_count == 2 and sleeps == [90.0]
    assert t.sleeps == [90.0]  # the resend waited for the host's pause (transport.pause leaves the clock alone)
    other = RequestBudget(LM_URL, 10, clock=t.clock, sleep=t.sleep)  # another process of this host
    assert other.current_limit() == 1  # the host's one request in the window was refused: its share is small


def test_polls_keep_a_reserve_only_within_a_window_of_a_send_asking_for_a_slot(tmp_path: Path) -> None:
    t = FakeTime()
    poller, worker = budget_on(t, tmp_path), budget_on(t, tmp_path)  # a triggerer's client and a send's
    poller.background = True
    for _ in range(3):
        poller.acquire()
    assert poller.poll_view() == (7, 60.0, 10, False)  # polls alone: no send to leave slots to
    t.now += 1
    worker.acquire()
    assert poller.poll_view().sends_active  # a send came: the poller leaves it a reserve again
    t.now += 59.5
    assert poller.poll_view().sends_active
    t.now += 1
    assert not poller.poll_view().sends_active  # a window without sends: every slot is the poller's


def test_a_send_waiting_for_a_full_window_makes_polls_yield(tmp_path: Path) -> None:
    t = FakeTime()
    poller, worker = budget_on(t, tmp_path), budget_on(t, tmp_path)
    poller.background = True
    for _ in range(10):
        poller.acquire()
    assert poller.poll_view() == (0, 60.0, 10, False)
    assert worker._try_take()[1] > 0  # no slot: the send waits, and says it wants one
    assert poller.poll_view().sends_active


def _effective_after_busy_windows(tmp_path: Path, *, background: bool, windows: int) -> list[float]:
    """The host's effective limit after each busy window (every slot used) that follows a 429 cutting it to 4."""
    t = FakeTime()
    budget = budget_on(t, tmp_path)
    budget.background = background
    for _ in range(4):
        budget.acquire()
    budget.throttled(budget.acquire(), 0)
    effective = []
    for _ in range(windows):
        t.now += 60
        for _ in range(budget.current_limit()):
            budget.acquire()
        effective.append(json.loads(budget.path.read_text())["effective"])
    return effective


def test_polls_grow_the_limit_only_after_a_few_windows_without_a_429_while_sends_grow_it_at_once(
    tmp_path: Path,
) -> None:
    polls = _effective_after_busy_windows(tmp_path / "triggerer", background=True, windows=6)
    sends = _effective_after_busy_windows(tmp_path / "worker", background=False, windows=6)
    # Right after the 429 the sends probe for more, the polls do not (a paced window lasts 22.5 s of the next:
    # the third busy window ends more than four windows after the 429).
    assert polls[:2] == [4.0, 4.0]
    assert polls[-1] > 4.0  # four windows without a 429: polls may grow it again
    assert sends[0] > 4.0 and all(s > p for s, p in zip(sends, polls, strict=True))


def _limits_of_a_poller_alone(tmp_path: Path, windows: int) -> list[int]:
    """The limit a poller sees at the start of each busy window (every slot used) on a fresh host."""
    t = FakeTime()
    poller = budget_on(t, tmp_path)
    poller.background = True
    limits = []
    for _ in range(windows):
        limits.append(poller.poll_view().limit)
        for _ in range(limits[-1]):
            poller.acquire()
        t.now += 60
    return limits


@pytest.mark.parametrize(("executor", "limits"), [("CeleryExecutor", [2, 4, 8, 10, 10]), ("LocalExecutor", [10] * 5)])
def test_a_triggerer_that_may_share_the_address_starts_slow_and_doubles_until_a_429(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executor: str, limits: list[int]
) -> None:
    """Polls can wait: next to busy workers, a fresh triggerer does not burst into the sends' share."""
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", executor)
    assert _limits_of_a_poller_alone(tmp_path, 5) == limits


def test_after_its_first_429_a_slow_starting_host_grows_by_the_usual_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    t = FakeTime()
    poller, worker = budget_on(t, tmp_path), budget_on(t, tmp_path)
    poller.background = True
    assert poller.poll_view().limit == 2
    worker.acquire()  # a send on the host: it is not a poller's alone any more, and takes the host's budget as is
    poller.throttled(poller.acquire(), 0)
    assert worker.current_limit() == 1  # cut to what the server gave it: one request before the refused one
    t.now += 5 * 60  # calm again
    for _ in range(3):
        for _ in range(worker.current_limit()):
            worker.acquire()
        t.now += 60
    assert worker.current_limit() == 1  # growth in small steps (about 1.2 after three windows), not doubling
