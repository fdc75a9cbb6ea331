"""The "Request budget" page: one host keeps under the API's limit without a 429, and a host that meets 429s
(other hosts behind the same address) waits them out, sends each email once and lowers its own limit.

The budget's clock is virtual: its waits advance it and the sandbox's rate window instead of sleeping.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from airflow.models.connection import Connection

from airflow_provider_legallymail.client import adaptive, budget, peers
from airflow_provider_legallymail.client.budget import RequestBudget
from airflow_provider_legallymail.client.retry import RetryPolicy
from airflow_provider_legallymail.client.settings import settings_from_connection
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.waiting.policy import PollerConfig
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_snippet, run, snippet_text, states, xcom
from tests.integration.conftest import Connect

pytestmark = pytest.mark.usefixtures("airflow_db")
SENDS = 12
PAGE = Path(__file__).resolve().parents[2] / "docs" / "request-budget.md"


@pytest.fixture
def budget_waits(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer) -> list[float]:
    """The host budget's waits, on a virtual clock that also moves the sandbox's rate window."""
    now = [time.time()]
    waited: list[float] = []

    def pause(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds
        sandbox.elapse_rate_window(seconds)

    monkeypatch.setattr(budget, "_now", lambda: now[0])
    monkeypatch.setattr(budget, "_pause", pause)
    return waited


def extras() -> dict[str, Any]:
    extra: dict[str, Any] = json.loads(snippet_text("budget_connection.json"))["extra"]
    return extra


def rate_limited(sandbox: SandboxServer) -> list[Any]:
    return [r for r in sandbox.received(api="legallymail") if r["status"] == 429]


def test_the_connection_shows_the_defaults_that_keep_to_the_apis_limit() -> None:
    conn = Connection.from_json(snippet_text("budget_connection.json"), conn_id="legallymail_default")
    settings = settings_from_connection(conn, LegallyMailHook.api_defaults)
    assert (settings.requests_per_minute, settings.rate_window, settings.max_retries) == (10, 60.0, 3)
    bare = Connection(conn_id="legallymail_default", conn_type="legallymail", password="YOUR_API_TOKEN")
    defaults = settings_from_connection(bare, LegallyMailHook.api_defaults)
    assert (defaults.requests_per_minute, defaults.rate_window, defaults.max_retries) == (10, 60.0, 3)


def test_one_host_waits_for_the_window_instead_of_meeting_a_429(
    sandbox: SandboxServer, connect: Connect, budget_waits: list[float]
) -> None:
    sandbox.set_rate_limit(limit=10, window=60)  # the API's limit
    connect(**extras())
    dag_run = run(load_snippet("budget_many_sends"))
    assert states(dag_run) == {"rent_increase_notices": ("success", 1)}
    assert len(sandbox.certified_sent()) == SENDS
    assert len(xcom(dag_run, "rent_increase_notices")["sends"]) == SENDS
    assert len(sandbox.received(api="legallymail")) == SENDS  # its only requests: one POST per email
    assert rate_limited(sandbox) == []
    assert budget_waits, "the budget held back the requests beyond 10 in the window"


def test_a_host_sharing_the_address_waits_out_429s_and_lowers_its_limit(
    sandbox: SandboxServer, connect: Connect, budget_waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.set_rate_limit(limit=4, window=60)  # other hosts behind the same address use the rest
    connect(**extras())
    dag_run = run(load_snippet("budget_many_sends"))
    assert states(dag_run) == {"rent_increase_notices": ("success", 1)}  # no try failed on a 429
    assert len(sandbox.certified_sent()) == SENDS  # each email once, 429s included
    assert rate_limited(sandbox), "the sandbox's lower limit was met"
    assert "POST /api/send: rate limited (HTTP 429, 1 so far); the host pauses" in caplog.text
    assert any(re.fullmatch(page_log_line(), record.getMessage()) for record in caplog.records)
    settings = LegallyMailHook().settings
    host = RequestBudget(settings.base_url, settings.requests_per_minute, window=settings.rate_window)
    assert host.current_limit() < 10  # adapted to its share of the address


def page_log_line() -> str:
    """The page's log line as a pattern: its figures (waits, counts) may differ from run to run."""
    (line,) = re.findall(r"```text\n(.*?)\n```", PAGE.read_text(), re.S)
    return r"\d+(?:\.\d+)?".join(re.escape(part) for part in re.split(r"\d+(?:\.\d+)?", line))


IN_WORDS = {0.2: "a fifth", 1.5: "window and a half", 0.5: "half"}  # how the page says these constants


def test_the_pages_figures_are_the_codes() -> None:
    page = PAGE.read_text()
    policy = RetryPolicy()
    for claim in (
        f"to {adaptive.DECREASE:g} of what it was",
        f"about {adaptive.GROWTH:g} requests per window",
        f"one list request per {PollerConfig().list_interval:g} s",
        f"up to {policy.max_rate_limit_wait / 60:g} minutes of such waits",
        f"A single `Retry-After` over {policy.max_retry_after:g} s",
        f"starts at {IN_WORDS[adaptive.BACKGROUND_START]} of the limit",
        f"listed within the last {IN_WORDS[peers.EXPIRY]} share",
        f"a host that only polls (a triggerer) counting {IN_WORDS[adaptive.POLL_WEIGHT]} of one that sends",
    ):
        assert claim in page, claim


def test_the_pages_examples_of_shares_are_the_codes() -> None:
    page = " ".join(PAGE.read_text().split())

    def said(workers: int, triggerers: int = 0) -> tuple[str, str]:
        """The shares of the workers and of the triggerers, as the page writes them: "3, 3, 2 and 2"."""
        hosts = {**{f"w{i}": False for i in range(workers)}, **{f"t{i}": True for i in range(triggerers)}}
        words = []
        for polls in (False, True):
            numbers = [str(int(adaptive.host_share(10, hosts, h))) for h in hosts if hosts[h] is polls]
            words.append(" and ".join(filter(None, [", ".join(numbers[:-1]), *numbers[-1:]])))
        return words[0], words[1]

    (two, _), (four, _), (mixed, mixed_polls), (one, one_polls) = said(2), said(4), said(2, 2), said(1, 1)
    claim = (
        f"10 between two workers is {two}, between four workers {four}, between two workers and two triggerers "
        f"{mixed} for the workers, {mixed_polls} for the triggerers, between one worker and one triggerer {one} "
        f"and {one_polls}"
    )
    assert claim in page
