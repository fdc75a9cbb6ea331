"""Lost sends under a rate limit: a DAG of email tasks, a third of whose sends fail before commit.

About 30% of ``POST /api/send`` are answered 502 or 504 before anything is committed (the client cannot
tell, so each is a lost send to resolve), one more is committed with its answer dropped, and the sandbox
allows 4 requests per 2 s per IP with no client-side budget, so its 429s pace the run (they are retried as
not processed). Every task must succeed, each subject exist exactly once, and the dropped send be adopted.
Real DAG runs (``dag.test()``), real waits, the sandbox on a real-time clock: ``bench/lost_sends.py`` is
the same at 200 tasks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db")

TASKS = 12


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(speed=1.0, rate_limit=4, rate_window=2.0)) as server:
        env = server.connection_env(requests_per_minute=0, timeout=1, settle_seconds=0.5)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        # The first fault that fires answers; the second's ratio is of what the first let through: 15% + 15%.
        server.fault("legallymail", "POST", "/api/send", status=502, ratio=0.15)
        server.fault("legallymail", "POST", "/api/send", status=504, ratio=0.15 / 0.85)
        server.fault("legallymail", "POST", "/api/send", drop_response=True, count=1)
        yield server


def test_lost_sends_under_the_rate_limit_are_each_sent_exactly_once(limited: SandboxServer) -> None:
    dag = load_dag(
        "lost_sends_at_rate",
        f"""
        with DAG("lost_sends_at_rate", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
                 default_args={{"retries": 3, "retry_delay": pendulum.duration(seconds=0)}}) as dag:
            for i in range({TASKS}):
                SendCertifiedEmailOperator(task_id=f"send_{{i:02d}}", recipients=f"person{{i:02d}}@example.com",
                                           subject=f"Notice {{i:02d}}", html="<p>x</p>")
        """,
    )
    dag_run = run(dag)

    assert {state for state, _ in states(dag_run).values()} == {"success"}
    assert len(states(dag_run)) == TASKS
    assert limited.sandbox is not None
    per_subject = Counter(email.subject for email in limited.sandbox.state.emails.values())
    assert per_subject == Counter({f"Notice {i:02d}": 1 for i in range(TASKS)})  # none missing, none twice

    posts = limited.received(api="legallymail", method="POST", path="/api/send")
    assert len([p for p in posts if p["status"] in (502, 504)]) >= 3  # lost, looked up, proven absent, resent
    # The dropped send (committed, answer lost) is adopted, never posted again. (The drop fault can fire on
    # a request the rate limit then answers 429, which drops nothing: then no task adopts.)
    dropped = {p["json"]["subject"] for p in posts if p["dropped"]}
    assert len(dropped) <= 1
    for subject in dropped:
        assert [p["dropped"] for p in posts if p["json"]["subject"] == subject][-1] is True
    adopted = {f"Notice {i:02d}" for i in range(TASKS) if xcom(dag_run, f"send_{i:02d}")["sends"][0]["adopted"]}
    assert adopted == dropped
