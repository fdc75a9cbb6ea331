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


def test_limit_per_window_then_waits_for_the_oldest_slot(tmp_path: Path) -> None:
    t = FakeTime()
    budget = RequestBudget("https://api:443", 3, state_dir=tmp_path, clock=t.clock, sleep=t.sleep)
    starts = []
    for _ in range(3):
        starts.append(budget.acquire())
        t.now += 1
    assert t.sleeps == []
    starts.append(budget.acquire())
    assert t.sleeps == [57.0]  # first start at 1000, window 60, now 1003
    assert starts == [1000.0, 1001.0, 1002.0, 1060.0]


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
