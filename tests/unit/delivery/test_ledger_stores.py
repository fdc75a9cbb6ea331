"""Where the send ledger lives: Airflow 3.3's task state store by default, files when a path is set.

A retry on another worker reads the task state store; a ledger an earlier release left on this host's disk
still counts; without a state store (Airflow 3.1/3.2) a local default under a distributed executor is
announced loudly, because a retry elsewhere will not see it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger, task_ledger
from airflow_provider_legallymail.task_documents import PathDocuments, StateStoreDocuments, task_documents
from airflow_provider_legallymail.waiting.event_source import sent_ids
from tests.state_store import FakeTaskStateStore

TI = SimpleNamespace(dag_id="dag", run_id="run", task_id="send", map_index=2)


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This worker's own AIRFLOW_HOME; no ledger_path configured."""
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "host-a"))
    monkeypatch.delenv("AIRFLOW__LEGALLYMAIL__LEDGER_PATH", raising=False)
    return tmp_path / "host-a"


def test_on_airflow_3_3_the_ledger_is_in_the_task_state_store_and_a_retry_elsewhere_reads_it(
    host: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = FakeTaskStateStore()
    first = task_ledger({"ti": TI, "task_state_store": state}, None)
    first.start_try(1)
    first.begin("signature:abc", 1, {"document_name": "c.pdf", "signer_emails": ["a@x.com"]})
    first.finish("signature:abc", AttemptState.ACCEPTED, result={"uuid": "u1"})
    assert isinstance(first.documents, StateStoreDocuments)
    assert state.get("legallymail/ledger")["units"]["signature:abc"][0]["state"] == "accepted"

    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "host-b"))  # try 2 runs on another worker
    second = task_ledger({"ti": TI, "task_state_store": state}, None)
    assert second.tries == [1] and second.proves("signature:abc", 2)
    last = second.last_attempt("signature:abc")
    assert last is not None and last["state"] is AttemptState.ACCEPTED and last["result"] == {"uuid": "u1"}
    assert not (host / "legallymail" / "ledger" / "dag" / "run" / "send.2.json").exists()


def test_a_ledger_an_earlier_release_wrote_on_this_host_is_still_read(host: Path) -> None:
    old = SendLedger.at(None, "dag", "run", "send", 2).load()  # the file layout before the state store
    old.start_try(1)
    old.begin("sms:+34600000000", 1, {"phone": "+34600000000"})
    state = FakeTaskStateStore()
    ledger = task_ledger({"ti": TI, "task_state_store": state}, None)
    last = ledger.last_attempt("sms:+34600000000")
    assert ledger.tries == [1] and last is not None and last["state"] is AttemptState.STARTED
    ledger.start_try(2)  # from now on the state store holds it
    assert state.get("legallymail/ledger")["tries"] == [1, 2]


def test_an_explicit_or_configured_ledger_path_keeps_the_files(
    host: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = FakeTaskStateStore()
    context = {"ti": TI, "task_state_store": state}
    explicit = task_documents(context, f"file://{tmp_path}/shared")
    assert isinstance(explicit, PathDocuments) and explicit.where.endswith("/shared/dag/run/send.2.json")
    monkeypatch.setenv("AIRFLOW__LEGALLYMAIL__LEDGER_PATH", f"file://{tmp_path}/configured")
    configured = task_ledger(context, None)
    configured.start_try(1)
    assert json.loads((tmp_path / "configured" / "dag" / "run" / "send.2.json").read_text())["tries"] == [1]
    assert state.rows == {}


@pytest.mark.parametrize(
    ("executor", "loud"),
    [("CeleryExecutor", True), ("LocalExecutor", False), ("LocalExecutor,KubernetesExecutor", True)],
)
def test_without_a_state_store_a_local_default_under_a_distributed_executor_says_so(
    host: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, executor: str, loud: bool
) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", executor)
    with caplog.at_level(logging.WARNING):
        documents = task_documents({"ti": TI}, None)  # Airflow 3.1/3.2: no task_state_store in the context
    assert isinstance(documents, PathDocuments)
    warned = [r.getMessage() for r in caplog.records if "several hosts" in r.getMessage()]
    assert bool(warned) is loud
    if loud:
        assert "[legallymail] ledger_path" in warned[0] and str(host) in warned[0]


def test_the_event_triggers_still_find_what_went_out_when_the_ledger_is_in_the_state_store(host: Path) -> None:
    ledger = task_ledger({"ti": TI, "task_state_store": FakeTaskStateStore()}, None)
    ledger.start_try(1)
    ledger.begin("email:d1", 1, {"recipients": ["a@x.com"], "subject": "s"})
    ledger.finish("email:d1", AttemptState.ACCEPTED, result={"tracking_id": "cm_1"})
    ledger.begin("email:d2", 1, {"recipients": ["b@x.com"], "subject": "s"})
    ledger.finish("email:d2", AttemptState.IN_DOUBT, error="lost")
    assert sent_ids("email", None, now=__import__("time").time()) == ["cm_1"]


def test_an_unanswering_state_store_makes_the_ledger_unreadable_not_empty(host: Path) -> None:
    class Broken(FakeTaskStateStore):
        def get(self, key: str, default: Any = None) -> Any:
            raise RuntimeError("api-server unreachable")

    ledger = task_ledger({"ti": TI, "task_state_store": Broken()}, None)
    assert ledger.readable is False and not ledger.proves("email:x", 2)
