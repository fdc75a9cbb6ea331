"""The wait spec: built from what users pass (usually a sending operator's XCom), checked before any request."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.task_documents import PathDocuments, StateStoreDocuments
from airflow_provider_legallymail.waiting.wait import WaitSpec, check_wait_arguments, fixed_deadline, wait_spec
from tests.state_store import FakeTaskStateStore

SPLIT_EMAIL = {
    "sends": [{"tracking_id": "cm_p1", "recipients": []}, {"tracking_id": "cm_p2", "recipients": []}],
    "tracking_ids": {"a@x.com": "cm_a", "b@x.com": "cm_b"},
    "parent_tracking_ids": ["cm_p1", "cm_p2"],
    "status": "sent",
}


def test_a_split_email_from_the_operator_is_waited_on_as_a_whole_and_round_trips_as_json() -> None:
    spec = wait_spec("email", SPLIT_EMAIL, "READ", ["A@x.com"], deadline=100.0)
    assert spec.ids == ("cm_p1", "cm_p2")
    assert spec.selection == ("a@x.com",)
    assert WaitSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


def test_a_rendered_xcom_string_and_plain_ids_are_accepted() -> None:
    assert wait_spec("email", str(SPLIT_EMAIL), "read", deadline=1).ids == ("cm_p1", "cm_p2")
    assert wait_spec("signature", {"uuid": "u-1", "status": "pending"}, "signed", deadline=1).ids == ("u-1",)
    assert wait_spec("sms", ["s-1", "s-2"], "delivered", deadline=1).ids == ("s-1", "s-2")


@pytest.mark.parametrize(
    ("kind", "ids", "target", "selection", "field"),
    [
        ("email", "cm_1", "signed", "all", "target"),
        ("email", "", "read", "all", "tracking_id"),
        ("email", {"status": "sent"}, "read", "all", "tracking_id"),
        ("email", "cm_1", "read", ["not-an-address"], "recipients"),
        ("email", SPLIT_EMAIL, "read", ["c@x.com"], "recipients"),
        ("signature", "u1", "signed", "most", "signers"),
    ],
)
def test_bad_input_names_the_field(kind: str, ids: object, target: str, selection: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        wait_spec(kind, ids, target, selection, deadline=1)
    assert caught.value.field == field


def test_wait_for_arguments_are_checked_for_the_operator_kind() -> None:
    check_wait_arguments("email", "read", "all", None)
    with pytest.raises(ValidationError, match="wait_for"):
        check_wait_arguments("sms", "read", "all", None)
    with pytest.raises(ValidationError, match="wait_timeout"):
        check_wait_arguments("signature", "signed", "all", -5)


@pytest.mark.parametrize("store", ["files", "task state store"])
def test_the_deadline_is_fixed_by_the_first_try_and_reset_by_a_new_timeout(tmp_path: object, store: str) -> None:
    def documents(map_index: int, state: FakeTaskStateStore) -> Any:
        if store == "files":
            return PathDocuments(f"file://{tmp_path}", "d", "r", "wait", map_index)
        return StateStoreDocuments(state)

    state, mapped_state = FakeTaskStateStore(), FakeTaskStateStore()
    first = fixed_deadline(documents(-1, state), 600, now=1000.0)
    assert fixed_deadline(documents(-1, state), 600, now=5000.0) == first == 1600.0  # a retry much later keeps it
    assert fixed_deadline(documents(-1, state), 60, now=5000.0) == 5060.0  # another timeout is another wait
    assert fixed_deadline(documents(3, mapped_state), 600, now=2000.0) == 2600.0  # each mapped instance has its own


def test_a_sensor_retried_on_another_host_keeps_the_first_tries_deadline(tmp_path: Any, monkeypatch: Any) -> None:
    """Airflow 3.3+: the deadline lives in the task state store, not on the first worker's disk."""
    from airflow_provider_legallymail.waiting.wait import task_deadline

    state = FakeTaskStateStore()
    ti = SimpleNamespace(dag_id="d", run_id="r", task_id="wait", map_index=-1)
    monkeypatch.delenv("AIRFLOW__LEGALLYMAIL__LEDGER_PATH")  # the defaults
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "host-a"))
    first = task_deadline({"ti": ti, "task_state_store": state}, 600)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "host-b"))  # another worker, its own disk
    assert task_deadline({"ti": ti, "task_state_store": state}, 600) == first
    assert state.get("legallymail/deadline")["deadline"] == first
    assert not (tmp_path / "host-a").exists()  # nothing was written to a worker's disk
