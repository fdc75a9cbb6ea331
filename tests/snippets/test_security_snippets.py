"""The security page's example against a hostile server: it echoes the token (raw and URL-encoded) in an error and
sends an endless answer; the task's XCom and log hold neither the token nor the answer."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.dag_runs import load_snippet, run, states, xcom
from tests.hostile_server import HostileServer, json_answer, streamed, zeros

pytestmark = pytest.mark.usefixtures("airflow_db")
TOKEN = "tok/SECRET+snippet-0123456789"


def test_an_echoed_token_is_scrubbed_and_an_endless_answer_is_cut(
    monkeypatch: pytest.MonkeyPatch, sleeps: list[float], capfd: pytest.CaptureFixture[str]
) -> None:
    echo = json_answer({"success": False, "message": f"token {TOKEN} ({quote(TOKEN, safe='')}) is not valid"}, 401)
    routes = {"/api/email": echo, "/api/emails": streamed(zeros)}
    with HostileServer(routes) as server:
        conn = {"conn_type": "legallymail", "host": server.url, "password": TOKEN, "extra": {"requests_per_minute": 0}}
        monkeypatch.setenv("AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", json.dumps(conn))
        dag_run = run(load_snippet("security_error_text"))
    assert states(dag_run) == {"look_up": ("success", 1), "list_recent": ("success", 1)}
    looked_up = xcom(dag_run, "look_up")
    assert looked_up == {
        "error": "AuthenticationError",
        "text": "GET /api/email, HTTP 401: token *** (***) is not valid",
    }
    listed = xcom(dag_run, "list_recent")
    assert listed["error"] == "UnreadableAnswerError" and "8 MiB" in listed["text"]
    log = "".join(capfd.readouterr())
    assert TOKEN not in log and quote(TOKEN, safe="") not in log
