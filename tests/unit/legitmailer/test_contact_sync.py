"""ContactSyncOperator against a requests-mock contact store: snapshots, upsert, mirror, loss, dry run, retries."""

from __future__ import annotations

import re
import threading
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests_mock as rm

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.operators.legitmailer import ContactSyncOperator
from tests.conftest import LT_URL
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("lt_conn")

LIST_ID = "bmV3c2xldHRlcg"
CONTACT = re.compile(rf"{re.escape(LT_URL)}/api/contactlist/{LIST_ID}/contact/([^/?]+)$")


class FakeStore:
    """One contact list (columns first_name, city); ``faults[(method, id)]`` scripts error answers."""

    def __init__(self, m: rm.Mocker, contacts: dict[str, dict[str, Any]] | None = None) -> None:
        self.contacts = dict(contacts or {})
        self.calls: Counter[str] = Counter()
        self.writes: list[tuple[str, str]] = []
        self.faults: dict[tuple[str, str], list[int]] = {}
        self._lock = threading.Lock()
        lists = [
            {"name": "newsletter", "contactListId": LIST_ID, "size": 0, "createdOn": "2019-06-26T05:11:47.000+0000"},
            {"name": "customers", "contactListId": "Y3VzdG9tZXJz", "size": 0},
        ]
        m.get(f"{LT_URL}/api/contactlist", json={"count": 2, "contactLists": lists})
        for method in ("GET", "POST", "PUT", "DELETE"):
            m.register_uri(method, CONTACT, json=self.answer)

    def answer(self, request: Any, context: Any) -> Any:
        customer_id = CONTACT.match(request.url).group(1)  # type: ignore[union-attr]
        method = request.method
        with self._lock:
            self.calls[method] += 1
            scripted = self.faults.get((method, customer_id))
            if scripted:
                context.status_code = scripted.pop(0)
                return {"message": f"refused {customer_id}: bad@example.com"}
            exists = customer_id in self.contacts
            if method != "POST" and not exists:
                context.status_code = 404
                return {"message": "Contact not found"}
            if method == "GET":
                return {"contactListName": "newsletter", "customerId": customer_id, **self.contacts[customer_id]}
            self.writes.append((method, customer_id))
            if method == "DELETE":
                del self.contacts[customer_id]
                context.status_code = 204
                return None
            if method == "POST" and exists:
                context.status_code = 400
                return {"message": f"Contact {customer_id!r} already exists"}
            body = request.json()
            self.contacts[customer_id] = {"email": body["email"], "data": body["data"]}
            return {"customerId": customer_id, **body}


def contact(i: int, city: str = "Madrid") -> dict[str, Any]:
    return {"customer_id": str(i), "email": f"c{i}@example.com", "first_name": f"N{i}", "city": city}


def stored(i: int, city: str = "Madrid") -> dict[str, Any]:
    return {"email": f"c{i}@example.com", "data": [{"first_name": f"N{i}"}, {"city": city}]}


def execute(op: Any) -> Any:
    ti = SimpleNamespace(dag_id="direct", run_id="run1", task_id=op.task_id, map_index=-1, try_number=1)
    return op.execute({"ti": ti})


def sync(rows: Any, snapshots: Path, **kwargs: Any) -> Any:
    kwargs.setdefault("contact_list", "newsletter")
    return execute(ContactSyncOperator(task_id="sync", source=rows, snapshot_path=f"file://{snapshots}", **kwargs))


COUNTS = ("created", "updated", "deleted", "unchanged", "failed")


def counts(result: dict[str, Any]) -> tuple[int, ...]:
    return tuple(result[k] for k in COUNTS)


def test_first_run_checks_each_row_then_the_snapshot_sends_only_changes(tmp_path: Path) -> None:
    rows = [contact(i) for i in range(100)]
    with rm.Mocker() as m:
        store = FakeStore(m, {"1": stored(1), "2": stored(2, city="Paris")})
        first = sync(rows, tmp_path)
        assert counts(first) == (98, 1, 0, 1, 0) and first["snapshot"] == "rebuilt"
        assert store.calls["GET"] == 100
        assert store.contacts["2"] == stored(2)
        assert (tmp_path / f"{LIST_ID}.sqlite").exists()

        store.calls.clear()
        store.writes.clear()
        rows[5] = contact(5, city="Rome")
        rows.append(contact(100))
        second = sync(rows, tmp_path)
    assert counts(second) == (1, 1, 0, 99, 0) and second["snapshot"] == "used"
    assert store.calls["GET"] == 0
    assert sorted(store.writes) == [("POST", "100"), ("PUT", "5")]
    assert store.contacts["5"] == stored(5, city="Rome")


def test_the_list_is_found_by_id_too_and_an_unknown_list_fails(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        FakeStore(m)
        assert sync([contact(1)], tmp_path, contact_list=LIST_ID)["created"] == 1
        with pytest.raises(AirflowFailException, match="not a contact list"):
            sync([contact(1)], tmp_path, contact_list="nope")


def test_mirror_deletes_ids_that_left_the_source_and_upsert_does_not(tmp_path: Path) -> None:
    rows = [contact(i) for i in range(10)]
    with rm.Mocker() as m:
        store = FakeStore(m)
        sync(rows, tmp_path, mode="mirror")
        assert sync(rows[:8], tmp_path)["deleted"] == 0  # upsert
        assert set(store.contacts) == {str(i) for i in range(10)}
        mirrored = sync(rows[:8], tmp_path, mode="mirror")
        assert counts(mirrored) == (0, 0, 2, 8, 0)
        assert set(store.contacts) == {str(i) for i in range(8)}
        store.writes.clear()
        assert counts(sync(rows[:8], tmp_path, mode="mirror")) == (0, 0, 0, 8, 0)
    assert store.writes == []


def test_a_lost_snapshot_falls_back_to_gets_and_is_rebuilt(tmp_path: Path) -> None:
    rows = [contact(i) for i in range(20)]
    snapshot = tmp_path / f"{LIST_ID}.sqlite"
    with rm.Mocker() as m:
        store = FakeStore(m)
        sync(rows, tmp_path)
        snapshot.unlink()
        store.calls.clear()
        lost = sync(rows, tmp_path, mode="mirror")
        assert counts(lost) == (0, 0, 0, 20, 0) and lost["snapshot"] == "rebuilt"
        assert store.calls["GET"] == 20 and store.calls["PUT"] + store.calls["POST"] == 0

        snapshot.write_bytes(b"not a database")
        store.calls.clear()
        assert sync(rows, tmp_path)["unchanged"] == 20 and store.calls["GET"] == 20

        store.calls.clear()
        assert sync(rows, tmp_path)["snapshot"] == "used"
    assert store.calls["GET"] == 0


def test_a_snapshot_for_another_key_column_is_not_trusted(tmp_path: Path) -> None:
    rows = [contact(i) for i in range(5)]
    renamed = [{"cid": r["customer_id"], **{k: v for k, v in r.items() if k != "customer_id"}} for r in rows]
    with rm.Mocker() as m:
        store = FakeStore(m)
        sync(rows, tmp_path)
        store.calls.clear()
        assert sync(renamed, tmp_path, key="cid")["snapshot"] == "rebuilt"
    assert store.calls["GET"] == 5


def test_dry_run_reports_the_plan_and_writes_nothing(tmp_path: Path) -> None:
    rows = [contact(i) for i in range(30)]
    with rm.Mocker() as m:
        store = FakeStore(m, {"0": stored(0, city="Oslo")})
        plan = sync(rows, tmp_path, dry_run=True)
        assert counts(plan) == (29, 1, 0, 0, 0) and plan["dry_run"] is True
        assert len(plan["plan"]["created"]) == 10 and plan["plan"]["updated"] == ["0"]
        assert store.writes == [] and not (tmp_path / f"{LIST_ID}.sqlite").exists()

        sync(rows, tmp_path)
        store.calls.clear()
        rows[3] = contact(3, city="Rome")
        plan = sync(rows[1:], tmp_path, mode="mirror", dry_run=True)
        assert counts(plan) == (0, 1, 1, 28, 0)
        assert (plan["plan"]["updated"], plan["plan"]["deleted"]) == (["3"], ["0"])
    assert sum(store.calls.values()) == 0  # with a snapshot a dry run asks the API nothing
    assert store.contacts["3"] == stored(3) and "0" in store.contacts


def test_invalid_rows_stop_the_sync_before_any_write(tmp_path: Path) -> None:
    rows = [contact(i) for i in range(5)]
    rows += [{"email": "x@example.com"}, {**contact(7), "email": "oops"}, contact(2)]
    with rm.Mocker() as m:
        store = FakeStore(m)
        with pytest.raises(AirflowFailException) as failure:
            sync(rows, tmp_path)
        assert store.calls["GET"] + len(store.writes) == 0
        message = str(failure.value)
        assert "3 problem(s)" in message and "row 6: customer_id: missing" in message
        assert "row 8: customer_id repeats row 3" in message and "@example.com" not in message

        result = sync(rows, tmp_path, skip_invalid=True, mode="mirror")
        assert (result["created"], result["skipped"]) == (4, 3)  # id 2 is ambiguous: not written
        assert set(store.contacts) == {"0", "1", "3", "4"}


def test_a_row_the_api_refuses_is_failed_and_retried_next_run(tmp_path: Path) -> None:
    rows = [contact(i) for i in range(6)]
    with rm.Mocker() as m:
        store = FakeStore(m)
        store.faults[("POST", "4")] = [400]
        result = sync(rows, tmp_path, skip_invalid=True)
        assert counts(result) == (5, 0, 0, 0, 1)
        store.faults[("POST", "4")] = [400]
        with pytest.raises(Exception, match=r"customer 4: refused 4: <address>"):
            sync(rows, tmp_path)
        store.calls.clear()
        assert counts(sync(rows, tmp_path)) == (1, 0, 0, 5, 0)
    assert store.calls["POST"] == 1


def test_a_contact_added_or_deleted_outside_the_sync_is_handled(tmp_path: Path) -> None:
    rows = [contact(i) for i in range(3)]
    with rm.Mocker() as m:
        store = FakeStore(m)
        sync(rows, tmp_path)
        del store.contacts["1"]  # deleted in the Legitmailer UI
        rows[1] = contact(1, city="Rome")
        rows.append(contact(9))
        store.contacts["9"] = stored(9)  # added in the UI
        result = sync(rows, tmp_path)
    assert counts(result) == (1, 0, 0, 3, 0)  # 1 re-created; 9 found equal after its POST was refused
    assert store.contacts["1"] == stored(1, city="Rome")


@pytest.mark.usefixtures("airflow_db")
def test_a_transient_failure_fails_the_try_and_the_retry_writes_only_the_rest(tmp_path: Path) -> None:
    dag = load_dag(
        "lt_sync_retry",
        f"""
        from airflow_provider_legallymail.operators.legitmailer import ContactSyncOperator

        with DAG("lt_sync_retry", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
                 default_args={{"retries": 1, "retry_delay": pendulum.duration(seconds=0)}}) as dag:
            ContactSyncOperator(
                task_id="sync", contact_list="newsletter", max_active_requests=1,
                snapshot_path="file://{tmp_path}",
                source=[{{"customer_id": str(i), "email": f"c{{i}}@example.com", "first_name": "N", "city": "X"}}
                        for i in range(40)],
            )
        """,
    )
    with rm.Mocker() as m:
        store = FakeStore(m)
        store.faults[("GET", "25")] = [500] * 4  # beyond the hook's retries
        dag_run = run(dag)
    assert states(dag_run)["sync"] == ("success", 2)
    assert Counter(customer for _, customer in store.writes) == Counter({str(i): 1 for i in range(40)})
    assert store.calls["GET"] == 25 + 4  # try 2 used the snapshot try 1 left: no GET, 15 POSTs
    assert xcom(dag_run, "sync")["created"] == 15


def test_the_log_names_the_list_as_the_user_gave_it_and_its_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with rm.Mocker() as m, caplog.at_level("INFO"):
        FakeStore(m)
        sync([contact(1)], tmp_path, mode="mirror")
    lines = [r.getMessage() for r in caplog.records if r.name.endswith("contact_sync")]
    assert f"Contact list 'newsletter' (id {LIST_ID}), key column 'customer_id', mirror" in lines[0]
    assert lines[-1].startswith(f"Contact list 'newsletter' (id {LIST_ID}): ")
