"""The sharded, thread-safe ledger of template batches: consistent under concurrency, readable by a retry."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from airflow_provider_legallymail.delivery.ledger import AttemptState
from airflow_provider_legallymail.delivery.sharded_ledger import ShardedLedger
from airflow_provider_legallymail.legitmailer.template_batches import shard_of
from airflow_provider_legallymail.task_documents import PathDocuments


def ledger(tmp_path: Path) -> ShardedLedger:
    return ShardedLedger(PathDocuments(f"file://{tmp_path}", "dag", "run", "send"), shard_of=shard_of)


def test_units_written_from_many_threads_are_all_there_for_the_next_try(tmp_path: Path) -> None:
    first = ledger(tmp_path).load()
    first.start_try(1)

    def record(index: int) -> None:
        key = f"batch:{index}:d{index}"
        first.begin(key, 1, {"batch": index})
        first.finish(key, AttemptState.ACCEPTED, result={"recipients": 10, "accepted": 10})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(record, range(1, 1001)))
    second = ledger(tmp_path).load()
    assert second.readable and second.tries == [1]
    for index in range(1, 1001):
        attempt = second.last_attempt(f"batch:{index}:d{index}")
        assert attempt is not None and attempt["state"] is AttemptState.ACCEPTED and attempt["result"]["accepted"] == 10
    main = json.loads((tmp_path / "dag" / "run" / "send.json").read_text())
    assert main["units"] == {} and sorted(main["shards"]) == list(range(11))
    assert len(list((tmp_path / "dag" / "run" / "send.units").iterdir())) == 11  # 1000 units, 11 small files


def test_a_lost_shard_makes_the_ledger_unreadable(tmp_path: Path) -> None:
    first = ledger(tmp_path).load()
    first.start_try(1)
    first.begin("batch:250:x", 1, {})
    (tmp_path / "dag" / "run" / "send.units" / "2.json").unlink()
    assert ledger(tmp_path).load().readable is False
